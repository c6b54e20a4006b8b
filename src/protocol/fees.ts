/**
 * Base rate, borrowing and redemption fees (Liquity TroveManager §5, docs/decisions.md §4).
 * Fees are floored as in Liquity (fee = rate × amount / 1e18) so numbers match Liquity exactly;
 * the utilization premium (ours, not Liquity's) rounds up, in the protocol's favour.
 */
import { decPow, min, mulDivCeil, ONE } from "./decimal.ts";
import { ProtocolError } from "./errors.ts";
import type { State } from "./state.ts";
import { require, set, systemDebt, type Tx } from "./tx.ts";

const SECONDS_IN_ONE_MINUTE = 60n;

export function minutesPassedSinceLastFeeOp(s: State, now: bigint): bigint {
  const elapsed = now - s.g.lastFeeOperationTime;
  return elapsed > 0n ? elapsed / SECONDS_IN_ONE_MINUTE : 0n;
}

/** Liquity _calcDecayedBaseRate: baseRate × factor^minutes (floor). */
export function decayedBaseRate(s: State, now: bigint): bigint {
  const factor = decPow(s.params.minuteDecayFactor, minutesPassedSinceLastFeeOp(s, now));
  return (s.g.baseRate * factor) / ONE;
}

/** Liquity _updateLastFeeOpTime: only when a full minute passed, so sub-minute ops can't stall decay. */
export function updateLastFeeOpTime(tx: Tx): void {
  if (tx.now - tx.state.g.lastFeeOperationTime >= SECONDS_IN_ONE_MINUTE) {
    set(tx, "lastFeeOperationTime", tx.now);
    tx.events.push({ type: "LastFeeOpTimeUpdated", time: tx.now });
  }
}

function setBaseRateValue(tx: Tx, value: bigint): void {
  if (value !== tx.state.g.baseRate) {
    set(tx, "baseRate", value);
    tx.events.push({ type: "BaseRateUpdated", baseRate: value });
  }
}

/** Liquity decayBaseRateFromBorrowing: borrowing only decays the base rate, never raises it. */
export function decayBaseRateFromBorrowing(tx: Tx): void {
  const decayed = decayedBaseRate(tx.state, tx.now);
  if (decayed > ONE) throw new ProtocolError("invariantViolated", "decayed base rate above 100%");
  setBaseRateValue(tx, decayed);
  updateLastFeeOpTime(tx);
}

/** Utilization premium (docs/decisions.md §4): 0 below the start, rising linearly to the max at 100% of the ceiling. */
export function utilizationPremium(s: State, debtAfter = systemDebt(s)): bigint {
  const p = s.params;
  if (!p.utilizationPremiumEnabled) return 0n;
  // Utilization rounded up: the premium errs on the protocol's side.
  const utilization = mulDivCeil(debtAfter, ONE, p.debtCeiling);
  if (utilization <= p.utilizationPremiumStart) return 0n;
  if (utilization >= ONE) return p.utilizationPremiumMax;
  // Rounded up, in the protocol's favour.
  return mulDivCeil(
    p.utilizationPremiumMax,
    utilization - p.utilizationPremiumStart,
    ONE - p.utilizationPremiumStart,
  );
}

/** min(floor + baseRate (+ premium), cap), for a given base rate. */
export function borrowingRateFor(s: State, baseRate: bigint): bigint {
  return min(s.params.borrowingFeeFloor + baseRate + utilizationPremium(s), s.params.borrowingFeeCap);
}

/** Borrowing rate now, with the base rate decayed to `now` (view helper; 0 in recovery mode is the caller's rule). */
export function borrowingRateWithDecay(s: State, now: bigint): bigint {
  return borrowingRateFor(s, decayedBaseRate(s, now));
}

/** Liquity _calcRedemptionRate: min(floor + baseRate, 100%). */
export function redemptionRateFor(s: State, baseRate: bigint): bigint {
  return min(s.params.redemptionFeeFloor + baseRate, ONE);
}

/** Liquity _requireValidMaxFeePercentage. */
export function requireValidMaxFee(maxFee: bigint, recoveryMode: boolean, floor: bigint): void {
  if (recoveryMode) require(maxFee <= ONE, "invalidMaxFee", "the maximum fee must not exceed 100%");
  else require(maxFee >= floor && maxFee <= ONE, "invalidMaxFee");
}

/** Liquity _requireUserAcceptsFee: fee / amount (floor) ≤ maxFee. */
export function requireUserAcceptsFee(fee: bigint, amount: bigint, maxFee: bigint): void {
  const feePercentage = (fee * ONE) / amount;
  require(feePercentage <=
    maxFee, "feeExceedsMaximum", `fee ${fee} on ${amount} exceeds the accepted maximum`);
}

/** Liquity _triggerBorrowingFee: decays the base rate, then fee = rate × amount (floor). */
export function triggerBorrowingFee(tx: Tx, amount: bigint, maxFee: bigint): bigint {
  decayBaseRateFromBorrowing(tx);
  // Floor as Liquity's _calcBorrowingFee.
  const fee = (borrowingRateFor(tx.state, tx.state.g.baseRate) * amount) / ONE;
  requireUserAcceptsFee(fee, amount, maxFee);
  return fee;
}

/** Liquity _updateBaseRateFromRedemption. */
export function updateBaseRateFromRedemption(
  tx: Tx,
  collDrawn: bigint,
  price: bigint,
  totalDebtBefore: bigint,
): bigint {
  const s = tx.state;
  const decayed = decayedBaseRate(s, tx.now);
  // Floor, as Liquity: the fraction and the division by beta.
  const redeemedFraction = (collDrawn * price) / totalDebtBefore;
  const next = min(decayed + redeemedFraction / s.params.beta, ONE);
  if (next <= 0n) throw new ProtocolError("invariantViolated", "base rate after redemption must be positive");
  set(tx, "baseRate", next);
  tx.events.push({ type: "BaseRateUpdated", baseRate: next });
  updateLastFeeOpTime(tx);
  return next;
}
