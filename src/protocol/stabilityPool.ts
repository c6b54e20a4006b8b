/**
 * Stability pool exactly as Liquity v1 (StabilityPool.sol §8): product P, sums S[epoch][scale],
 * scale changes by the scale factor, a new epoch when the pool is emptied, and error feedback so
 * rounding never lets deposits claim more than the pool holds.
 */

import { requireActiveVault, topUpCollateral } from "./borrower.ts";
import { min, ONE } from "./decimal.ts";
import type { AccountId } from "./operations.ts";
import { type Account, findAccount, getOrCreateAccount, getSum, type State, setSum } from "./state.ts";
import { add, currentICR, payOutCollateral, require, set, setA, type Tx } from "./tx.ts";

/** Liquity's precision guard for compounded deposits: below initial/1e9 counts as 0. */
const COMPOUNDING_PRECISION = 1_000_000_000n;

/** Liquity getCompoundedLUSDDeposit. */
export function compoundedDeposit(s: State, a: Account): bigint {
  const initial = a.depositInitial;
  if (initial === 0n) return 0n;
  if (a.depositEpoch < s.g.currentEpoch) return 0n;
  const scaleDiff = s.g.currentScale - a.depositScale;
  let compounded: bigint;
  // Floor divisions: a deposit never grows from rounding (Liquity).
  if (scaleDiff === 0n) compounded = (initial * s.g.P) / a.depositP;
  else if (scaleDiff === 1n) compounded = (initial * s.g.P) / a.depositP / s.params.scaleFactor;
  else compounded = 0n;
  if (compounded < initial / COMPOUNDING_PRECISION) return 0n;
  return compounded;
}

/** Liquity getDepositorETHGain: (d0 × (S[e0][s0] − S0 + S[e0][s0+1] / scaleFactor) / P0) / 1e18, floored. */
export function depositorCollateralGain(s: State, a: Account): bigint {
  const initial = a.depositInitial;
  if (initial === 0n) return 0n;
  const first = getSum(s, a.depositEpoch, a.depositScale) - a.depositS;
  const second = getSum(s, a.depositEpoch, a.depositScale + 1n) / s.params.scaleFactor;
  return (initial * (first + second)) / a.depositP / ONE;
}

/** Liquity _updateDepositAndSnapshots. */
function updateDepositAndSnapshots(tx: Tx, a: Account, newValue: bigint): void {
  const g = tx.state.g;
  setA(tx, a, "depositInitial", newValue);
  if (newValue === 0n) {
    setA(tx, a, "depositP", 0n);
    setA(tx, a, "depositS", 0n);
    setA(tx, a, "depositEpoch", 0n);
    setA(tx, a, "depositScale", 0n);
    return;
  }
  setA(tx, a, "depositP", g.P);
  setA(tx, a, "depositS", getSum(tx.state, g.currentEpoch, g.currentScale));
  setA(tx, a, "depositEpoch", g.currentEpoch);
  setA(tx, a, "depositScale", g.currentScale);
}

function sendGainToDepositor(tx: Tx, owner: AccountId, gain: bigint, toVault: boolean): bigint {
  if (gain === 0n) return 0n;
  add(tx, "poolColl", -gain);
  const paidSats = toVault ? 0n : payOutCollateral(tx, gain);
  tx.events.push({ type: "GainsClaimed", owner, btcGain: gain, toVault, paidSats });
  return paidSats;
}

/** Liquity provideToSP: pays out the current gain, then compounds the deposit plus the new amount. */
export function poolDeposit(tx: Tx, owner: AccountId, amount: bigint): { btcGain: bigint } {
  require(amount > 0n, "zeroAmount");
  const a = getOrCreateAccount(tx.state, owner, tx.j);
  require(a.balance >= amount, "insufficientBalance", `${owner} holds less zkUSD than the deposit`);
  const gain = depositorCollateralGain(tx.state, a);
  const compounded = compoundedDeposit(tx.state, a);
  setA(tx, a, "balance", a.balance - amount);
  add(tx, "poolDeposits", amount);
  const newDeposit = compounded + amount;
  updateDepositAndSnapshots(tx, a, newDeposit);
  tx.events.push({ type: "PoolDeposited", owner, amount, deposit: newDeposit });
  sendGainToDepositor(tx, owner, gain, false);
  return { btcGain: gain };
}

/** Liquity _requireNoUnderCollateralizedTroves: the riskiest vault must be at or above MCR. */
function requireNoUnderCollateralizedVaults(tx: Tx): void {
  // After a shutdown liquidations are frozen, so waiting for them would lock deposits forever.
  if (tx.state.gov.shutdown) return;
  const lowest = tx.state.sorted.last();
  if (!lowest) return;
  require(currentICR(tx.state, lowest) >= tx.state.params.MCR, "pendingLiquidations");
}

function requireDeposit(tx: Tx, owner: AccountId): Account {
  const a = findAccount(tx.state, owner);
  require(a !== undefined &&
    a.depositInitial > 0n, "noPoolDeposit", `${owner} has no stability pool deposit`);
  return a!;
}

/** Liquity withdrawFromSP; an amount above the compounded deposit withdraws all of it. */
export function poolWithdraw(
  tx: Tx,
  owner: AccountId,
  amount: bigint,
): { zkusd: bigint; btcGain: bigint; paidSats: bigint } {
  if (amount !== 0n) requireNoUnderCollateralizedVaults(tx);
  const a = requireDeposit(tx, owner);
  const gain = depositorCollateralGain(tx.state, a);
  const compounded = compoundedDeposit(tx.state, a);
  const withdrawn = min(amount, compounded);
  if (withdrawn > 0n) {
    setA(tx, a, "balance", a.balance + withdrawn);
    add(tx, "poolDeposits", -withdrawn);
  }
  const newDeposit = compounded - withdrawn;
  updateDepositAndSnapshots(tx, a, newDeposit);
  if (withdrawn > 0n)
    tx.events.push({ type: "PoolWithdrawn", owner, amount: withdrawn, deposit: newDeposit });
  const paidSats = sendGainToDepositor(tx, owner, gain, false);
  return { zkusd: withdrawn, btcGain: gain, paidSats };
}

/** Claims BTC gains to the wallet without touching the deposit (withdrawFromSP(0)); refuses a zero gain. */
export function claimGains(tx: Tx, owner: AccountId): { btcGain: bigint; paidSats: bigint } {
  const a = requireDeposit(tx, owner);
  require(depositorCollateralGain(tx.state, a) > 0n, "noPoolGains");
  const { btcGain, paidSats } = poolWithdraw(tx, owner, 0n);
  return { btcGain, paidSats };
}

/** Liquity withdrawETHGainToTrove: the gain tops up the owner's vault (normal-mode adjustment rules apply). */
export function claimGainsToVault(tx: Tx, owner: AccountId): { btcGain: bigint } {
  const a = requireDeposit(tx, owner);
  requireActiveVault(tx, owner);
  const gain = depositorCollateralGain(tx.state, a);
  require(gain > 0n, "noPoolGains");
  const compounded = compoundedDeposit(tx.state, a);
  updateDepositAndSnapshots(tx, a, compounded);
  sendGainToDepositor(tx, owner, gain, true);
  // The gain leaves the pool and enters the vault as a collateral deposit.
  topUpCollateral(tx, owner, gain);
  return { btcGain: gain };
}

/** Liquity StabilityPool.offset: cancels debt against deposits and hands the collateral to depositors. */
export function offset(tx: Tx, debtToOffset: bigint, collToAdd: bigint): void {
  const s = tx.state;
  const g = s.g;
  const total = g.poolDeposits;
  if (total === 0n || debtToOffset === 0n) return;
  require(debtToOffset <= total, "invariantViolated", "offset exceeds pool deposits");

  // _computeRewardsPerUnitStaked with error feedback.
  const collNumerator = collToAdd * ONE + g.lastCollError_Offset;
  let lossPerUnit: bigint;
  if (debtToOffset === total) {
    lossPerUnit = ONE;
    set(tx, "lastLossError_Offset", 0n);
  } else {
    const lossNumerator = debtToOffset * ONE - g.lastLossError_Offset;
    // +1: deposits lose slightly too much, never too little, so the pool stays solvent.
    lossPerUnit = lossNumerator / total + 1n;
    set(tx, "lastLossError_Offset", lossPerUnit * total - lossNumerator);
  }
  // Floor; the remainder is carried into the next offset.
  const gainPerUnit = collNumerator / total;
  set(tx, "lastCollError_Offset", collNumerator - gainPerUnit * total);

  // _updateRewardSumAndProduct.
  const currentP = g.P;
  require(lossPerUnit <= ONE, "invariantViolated", "loss per unit above 1");
  const factor = ONE - lossPerUnit;
  const epoch = g.currentEpoch;
  const scale = g.currentScale;
  setSum(s, tx.j, epoch, scale, getSum(s, epoch, scale) + gainPerUnit * currentP);
  let newP: bigint;
  if (factor === 0n) {
    set(tx, "currentEpoch", epoch + 1n);
    set(tx, "currentScale", 0n);
    newP = ONE;
  } else if ((currentP * factor) / ONE < s.params.scaleFactor) {
    newP = (currentP * factor * s.params.scaleFactor) / ONE;
    set(tx, "currentScale", scale + 1n);
  } else {
    newP = (currentP * factor) / ONE;
  }
  require(newP > 0n, "invariantViolated", "P must stay positive");
  set(tx, "P", newP);

  // _moveOffsetCollAndDebt: debt burned from the pool, collateral moved active pool → stability pool.
  add(tx, "activeDebt", -debtToOffset);
  add(tx, "poolDeposits", -debtToOffset);
  add(tx, "zkusdSupply", -debtToOffset);
  add(tx, "activeColl", -collToAdd);
  add(tx, "poolColl", collToAdd);
  tx.events.push({
    type: "PoolOffset",
    debt: debtToOffset,
    collateral: collToAdd,
    P: newP,
    epoch: tx.state.g.currentEpoch,
    scale: tx.state.g.currentScale,
  });
}
