/** Read-only views of the state for screens, CLI and tests (no mutation). */
import { computeCR } from "./decimal.ts";
import { borrowingRateWithDecay, decayedBaseRate } from "./fees.ts";
import type { AccountId } from "./operations.ts";
import { compoundedDeposit, depositorCollateralGain } from "./stabilityPool.ts";
import {
  type Account,
  entireColl,
  entireDebt,
  findAccount,
  getSum,
  pendingColl,
  pendingDebt,
  type State,
  type VaultStatus,
} from "./state.ts";
import { getTCR, isRecoveryMode, systemColl, systemDebt } from "./tx.ts";

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
