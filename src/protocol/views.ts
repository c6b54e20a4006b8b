/** Read-only views of the state for screens, CLI and tests (no mutation). */
import { computeCR, ONE } from "./decimal.ts";
import { apply } from "./engine.ts";
import { borrowingRateWithDecay, decayedBaseRate } from "./fees.ts";
import type { AccountId } from "./operations.ts";
import { compoundedDeposit, depositorCollateralGain } from "./stabilityPool.ts";
import {
  type Account,
  cloneState,
  entireColl,
  entireDebt,
  findAccount,
  getSum,
  pendingColl,
  pendingDebt,
  type State,
  type VaultStatus,
} from "./state.ts";
import { currentICR, getTCR, isRecoveryMode, systemColl, systemDebt } from "./tx.ts";

export interface SystemSummary {
  price: bigint;
  time: bigint;
  totalCollateral: bigint;
  totalDebt: bigint;
  tcr: bigint;
  recoveryMode: boolean;
  baseRate: bigint;
  decayedBaseRate: bigint;
  borrowingRate: bigint;
  zkusdSupply: bigint;
  activeVaults: bigint;
  poolTotal: bigint;
  poolCollateral: bigint;
}

export function systemSummary(state: State, now = state.g.time): SystemSummary {
  const recoveryMode = isRecoveryMode(state);
  return {
    price: state.g.price,
    time: state.g.time,
    totalCollateral: systemColl(state),
    totalDebt: systemDebt(state),
    tcr: getTCR(state),
    recoveryMode,
    baseRate: state.g.baseRate,
    decayedBaseRate: decayedBaseRate(state, now),
    borrowingRate: recoveryMode ? 0n : borrowingRateWithDecay(state, now),
    zkusdSupply: state.g.zkusdSupply,
    activeVaults: state.g.activeVaults,
    poolTotal: state.g.poolDeposits,
    poolCollateral: state.g.poolColl,
  };
}

export interface VaultView {
  owner: AccountId;
  status: VaultStatus;
  collateral: bigint;
  debt: bigint;
  stake: bigint;
  rawCollateral: bigint;
  rawDebt: bigint;
  pendingCollateralReward: bigint;
  pendingDebtReward: bigint;
  icr: bigint;
}

export function vaultView(state: State, a: Account): VaultView {
  const collateral = entireColl(state, a);
  const debt = entireDebt(state, a);
  return {
    owner: a.id,
    status: a.status,
    collateral,
    debt,
    stake: a.stake,
    rawCollateral: a.coll,
    rawDebt: a.debt,
    pendingCollateralReward: pendingColl(state, a),
    pendingDebtReward: pendingDebt(state, a),
    icr: computeCR(collateral, debt, state.g.price),
  };
}

export function getVault(state: State, owner: AccountId): VaultView | undefined {
  const a = findAccount(state, owner);
  return a && a.status !== "nonExistent" ? vaultView(state, a) : undefined;
}

/** Active vaults from the riskiest up, at most `limit`. */
export function riskiestVaults(state: State, limit = Number.POSITIVE_INFINITY): VaultView[] {
  const out: VaultView[] = [];
  for (const a of state.sorted.fromLowest()) {
    if (out.length >= limit) break;
    out.push(vaultView(state, a));
  }
  return out;
}

export interface DepositView {
  owner: AccountId;
  initial: bigint;
  compounded: bigint;
  btcGain: bigint;
}

export function depositView(state: State, a: Account): DepositView {
  return {
    owner: a.id,
    initial: a.depositInitial,
    compounded: compoundedDeposit(state, a),
    btcGain: depositorCollateralGain(state, a),
  };
}

export function currentSum(state: State): bigint {
  return getSum(state, state.g.currentEpoch, state.g.currentScale);
}

// ------------------------------------------------------------------ risk (docs/ui.md "Risk")

/**
 * How far above a line (MCR for a vault, CCR for the system) still counts as "near" it: 10 percentage
 * points. src/monitoring's "vault at risk" threshold is MCR + this margin.
 */
export const RISK_MARGIN = ONE / 10n;

/**
 * A vault's place between the protocol's lines:
 * - `liquidatable`: the engine would liquidate it now;
 * - `danger`: below MCR + margin, a small price fall from liquidation;
 * - `caution`: below CCR + margin: liquidatable in recovery mode once below CCR and the system's ratio;
 * - `safe`: above both.
 */
export type RiskLevel = "liquidatable" | "danger" | "caution" | "safe";

/** The system's place: in recovery mode, near it (below CCR + margin), or clear of it. */
export type SystemRiskLevel = "recovery" | "caution" | "safe";

export function systemRiskLevel(tcr: bigint, params: { CCR: bigint }): SystemRiskLevel {
  if (tcr < params.CCR) return "recovery";
  if (tcr < params.CCR + RISK_MARGIN) return "caution";
  return "safe";
}

/**
 * The BTC price at which a position's ratio falls to `ratio`: debt × ratio / collateral, rounded up
 * (the protocol's side: the user is warned at the higher price). Null without debt or collateral.
 */
export function priceAtRatio(collateral: bigint, debt: bigint, ratio: bigint): bigint | null {
  if (collateral === 0n || debt === 0n) return null;
  const n = debt * ratio;
  return (n + collateral - 1n) / collateral;
}

export interface VaultRisk {
  owner: AccountId;
  icr: bigint;
  level: RiskLevel;
  /** The engine would liquidate this vault now (a `liquidate` applied to a copy succeeds). */
  liquidatable: boolean;
  /** BTC price below which the vault is under MCR (liquidatable in any mode). */
  liquidationPrice: bigint | null;
  /** BTC price below which the vault is under CCR (liquidatable while the system is in recovery mode). */
  recoveryLiquidationPrice: bigint | null;
  /** BTC price below which the whole system is in recovery mode (TCR < CCR); null without debt. */
  systemRecoveryPrice: bigint | null;
  /**
   * In recovery mode (at any price that puts the system there) this vault would be below CCR and the
   * system's ratio, so liquidatable: its ICR is below the TCR now (both scale with the price).
   */
  liquidatableInRecovery: boolean;
  /** Redemptions take the lowest-ratio vaults at or above MCR first: the redeemable debt before this one. */
  debtAhead: bigint;
  /** Place in the redemption order (1 = the next redemption takes from this vault); null if skipped (< MCR). */
  redemptionRank: bigint | null;
}

/**
 * Whether the engine would liquidate `a` now. Necessary conditions first (below MCR, or below CCR in
 * recovery mode), so a healthy system costs no copy; then the engine itself decides on a copy.
 */
export function isLiquidatable(state: State, a: Account, icr = currentICR(state, a)): boolean {
  if (a.status !== "active") return false;
  const p = state.params;
  if (icr >= p.MCR && !(isRecoveryMode(state) && icr < p.CCR)) return false;
  const r = apply(
    cloneState(state),
    { type: "liquidate", owner: a.id, liquidator: a.id },
    { height: state.height + 1n, time: state.g.time },
  );
  return r.ok;
}

/** The risk view of `owner`'s active vault, or undefined without one. */
export function vaultRisk(state: State, owner: AccountId): VaultRisk | undefined {
  const a = findAccount(state, owner);
  if (!a || a.status !== "active") return undefined;
  const p = state.params;
  const collateral = entireColl(state, a);
  const debt = entireDebt(state, a);
  const icr = computeCR(collateral, debt, state.g.price);
  const tcr = getTCR(state);
  const liquidatable = isLiquidatable(state, a, icr);
  // Redemption order: riskiest first, skipping vaults below MCR (src/protocol/redemption.ts).
  let debtAhead = 0n;
  let rank = 0n;
  let redemptionRank: bigint | null = null;
  if (icr >= p.MCR) {
    for (const v of state.sorted.fromLowest()) {
      if (v.id === owner) {
        redemptionRank = rank + 1n;
        break;
      }
      if (currentICR(state, v) < p.MCR) continue;
      rank++;
      const d = entireDebt(state, v);
      debtAhead += d > p.gasReserve ? d - p.gasReserve : 0n;
    }
  }
  return {
    owner,
    icr,
    level: liquidatable
      ? "liquidatable"
      : icr < p.MCR + RISK_MARGIN
        ? "danger"
        : icr < p.CCR + RISK_MARGIN
          ? "caution"
          : "safe",
    liquidatable,
    liquidationPrice: priceAtRatio(collateral, debt, p.MCR),
    recoveryLiquidationPrice: priceAtRatio(collateral, debt, p.CCR),
    systemRecoveryPrice: priceAtRatio(systemColl(state), systemDebt(state), p.CCR),
    liquidatableInRecovery: icr < tcr || icr < p.MCR,
    debtAhead,
    redemptionRank,
  };
}
