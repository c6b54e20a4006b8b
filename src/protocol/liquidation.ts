/**
 * Liquidation (Liquity TroveManager §6): single, batch (walk from the riskiest) and by list, in normal
 * and recovery mode; the whole sequence is valued first (so ICRs inside a sequence never see that
 * sequence's own redistribution), then offset against the stability pool once and redistributed once.
 */

import { closeVaultRecord, requireActiveVault } from "./borrower.ts";
import { computeCR, min, ONE } from "./decimal.ts";
import type { AccountId } from "./operations.ts";
import { offset } from "./stabilityPool.ts";
import {
  type Account,
  entireDebt,
  findAccount,
  getOrCreateAccount,
  pendingColl,
  pendingDebt,
  type State,
} from "./state.ts";
import {
  add,
  currentICR,
  isRecoveryMode,
  movePendingToActive,
  payOutCollateral,
  removeStake,
  require,
  set,
  setA,
  systemColl,
  systemDebt,
  type Tx,
} from "./tx.ts";

interface LiquidationValues {
  entireDebt: bigint;
  entireColl: bigint;
  collGasCompensation: bigint;
  gasReserve: bigint;
  debtToOffset: bigint;
  collToSendToSP: bigint;
  debtToRedistribute: bigint;
  collToRedistribute: bigint;
  collSurplus: bigint;
}

const zero = (): LiquidationValues => ({
  entireDebt: 0n,
  entireColl: 0n,
  collGasCompensation: 0n,
  gasReserve: 0n,
  debtToOffset: 0n,
  collToSendToSP: 0n,
  debtToRedistribute: 0n,
  collToRedistribute: 0n,
  collSurplus: 0n,
});

function addTo(totals: LiquidationValues, v: LiquidationValues): void {
  for (const k of Object.keys(totals) as (keyof LiquidationValues)[]) totals[k] += v[k];
}

export interface LiquidationResult {
  liquidatedDebt: bigint;
  liquidatedCollateral: bigint;
  offsetDebt: bigint;
  redistributedDebt: bigint;
  collateralCompensation: bigint;
  gasReserve: bigint;
  paidSats: bigint;
  liquidated: AccountId[];
}

/** Liquity _getOffsetAndRedistributionVals. */
function offsetAndRedistribution(v: LiquidationValues, collToLiquidate: bigint, spAvailable: bigint): void {
  if (spAvailable > 0n) {
    v.debtToOffset = min(v.entireDebt, spAvailable);
    // Floor: the pool receives no more than its share; the rest is redistributed.
    v.collToSendToSP = (collToLiquidate * v.debtToOffset) / v.entireDebt;
    v.debtToRedistribute = v.entireDebt - v.debtToOffset;
    v.collToRedistribute = collToLiquidate - v.collToSendToSP;
  } else {
    v.debtToRedistribute = v.entireDebt;
    v.collToRedistribute = collToLiquidate;
  }
}

/** Values a vault's entire debt and collateral, moving its pending rewards into the active pool. */
function takeEntire(tx: Tx, a: Account): LiquidationValues {
  const v = zero();
  const pc = pendingColl(tx.state, a);
  const pd = pendingDebt(tx.state, a);
  v.entireColl = a.coll + pc;
  v.entireDebt = a.debt + pd;
  // Floor: the liquidator's 0.5% compensation never exceeds the vault's collateral share.
  v.collGasCompensation = v.entireColl / tx.state.params.liquidationCollateralDivisor;
  v.gasReserve = tx.state.params.gasReserve;
  movePendingToActive(tx, pd, pc);
  return v;
}

/** Liquity _liquidateNormalMode. */
function liquidateNormalMode(tx: Tx, a: Account, spAvailable: bigint): LiquidationValues {
  const v = takeEntire(tx, a);
  removeStake(tx, a);
  offsetAndRedistribution(v, v.entireColl - v.collGasCompensation, spAvailable);
  closeForLiquidation(tx, a, v, "normal");
  return v;
}

/** Liquity _liquidateRecoveryMode: the four cases by ICR, TCR and what the pool can absorb. */
function liquidateRecoveryMode(
  tx: Tx,
  a: Account,
  icr: bigint,
  spAvailable: bigint,
  tcr: bigint,
): LiquidationValues {
  const s = tx.state;
  const p = s.params;
  if (s.sorted.size <= 1) return zero(); // never liquidate the last vault
  const entireD = entireDebt(s, a);
  if (icr <= ONE) {
    const v = takeEntire(tx, a);
    removeStake(tx, a);
    v.debtToRedistribute = v.entireDebt;
    v.collToRedistribute = v.entireColl - v.collGasCompensation;
    closeForLiquidation(tx, a, v, "recovery");
    return v;
  }
  if (icr < p.MCR) {
    const v = takeEntire(tx, a);
    removeStake(tx, a);
    offsetAndRedistribution(v, v.entireColl - v.collGasCompensation, spAvailable);
    closeForLiquidation(tx, a, v, "recovery");
    return v;
  }
  if (icr < tcr && entireD <= spAvailable) {
    const v = takeEntire(tx, a);
    require(spAvailable !== 0n, "invariantViolated", "capped liquidation with an empty pool");
    removeStake(tx, a);
    // _getCappedOffsetVals: the pool takes collateral worth debt × MCR (floor); the rest is surplus.
    const capped = (v.entireDebt * p.MCR) / s.g.price;
    v.collGasCompensation = capped / p.liquidationCollateralDivisor;
    v.debtToOffset = v.entireDebt;
    v.collToSendToSP = capped - v.collGasCompensation;
    v.collSurplus = v.entireColl - capped;
    v.debtToRedistribute = 0n;
    v.collToRedistribute = 0n;
    closeForLiquidation(tx, a, v, "recovery");
    if (v.collSurplus > 0n) setA(tx, a, "surplus", a.surplus + v.collSurplus);
    return v;
  }
  return zero();
}

function closeForLiquidation(tx: Tx, a: Account, v: LiquidationValues, mode: "normal" | "recovery"): void {
  closeVaultRecord(tx, a, "closedByLiquidation");
  tx.events.push({
    type: "VaultLiquidated",
    owner: a.id,
    liquidator: "",
    debt: v.entireDebt,
    collateral: v.entireColl,
    offsetDebt: v.debtToOffset,
    redistributedDebt: v.debtToRedistribute,
    collateralSurplus: v.collSurplus,
    mode,
  });
}

/** Liquity _getTotalsFromLiquidateTrovesSequence_RecoveryMode / _getTotalsFromBatchLiquidate_RecoveryMode. */
function recoverySequence(tx: Tx, next: () => Account | null, isBatch: boolean): LiquidationValues {
  const s = tx.state;
  const p = s.params;
  const price = s.g.price;
  const totals = zero();
  let spRemaining = s.g.poolDeposits;
  let sysDebt = systemDebt(s);
  let sysColl = systemColl(s);
  let backToNormal = false;
  for (let a = next(); a; a = next()) {
    if (isBatch && a.status !== "active") continue;
    const icr = currentICR(s, a, price);
    if (!backToNormal) {
      if (icr >= p.MCR && spRemaining === 0n) {
        if (isBatch) continue;
        break;
      }
      const tcr = computeCR(sysColl, sysDebt, price);
      const v = liquidateRecoveryMode(tx, a, icr, spRemaining, tcr);
      spRemaining -= v.debtToOffset;
      sysDebt -= v.debtToOffset;
      sysColl -= v.collToSendToSP + v.collGasCompensation + v.collSurplus;
      addTo(totals, v);
      backToNormal = computeCR(sysColl, sysDebt, price) >= p.CCR;
    } else if (icr < p.MCR) {
      const v = liquidateNormalMode(tx, a, spRemaining);
      spRemaining -= v.debtToOffset;
      addTo(totals, v);
    } else if (isBatch) {
    } else {
      break;
    }
  }
  return totals;
}

/** Liquity _getTotalsFromLiquidateTrovesSequence_NormalMode / _getTotalsFromBatchLiquidate_NormalMode. */
function normalSequence(tx: Tx, next: () => Account | null, isBatch: boolean): LiquidationValues {
  const s = tx.state;
  const totals = zero();
  let spRemaining = s.g.poolDeposits;
  for (let a = next(); a; a = next()) {
    // A closed vault has ICR = ∞ (no collateral, no debt): skipped in a batch, the end of a walk.
    const icr = a.status === "active" ? currentICR(s, a) : (1n << 256n) - 1n;
    if (icr < s.params.MCR) {
      const v = liquidateNormalMode(tx, a, spRemaining);
      spRemaining -= v.debtToOffset;
      addTo(totals, v);
    } else if (!isBatch) {
      break;
    }
  }
  return totals;
}

/** Liquity _redistributeDebtAndColl, with error feedback on both per-unit terms (also an escape's, escape.ts). */
export function redistribute(tx: Tx, debt: bigint, coll: bigint): void {
  if (debt === 0n) return;
  const g = tx.state.g;
  require(g.totalStakes > 0n, "invariantViolated", "no stakes to redistribute to");
  const collNumerator = coll * ONE + g.lastCollError_Redistribution;
  const debtNumerator = debt * ONE + g.lastDebtError_Redistribution;
  // Floor; the remainders are carried into the next redistribution.
  const collPerUnit = collNumerator / g.totalStakes;
  const debtPerUnit = debtNumerator / g.totalStakes;
  set(tx, "lastCollError_Redistribution", collNumerator - collPerUnit * g.totalStakes);
  set(tx, "lastDebtError_Redistribution", debtNumerator - debtPerUnit * g.totalStakes);
  set(tx, "L_coll", g.L_coll + collPerUnit);
  set(tx, "L_debt", g.L_debt + debtPerUnit);
  add(tx, "activeDebt", -debt);
  add(tx, "defaultDebt", debt);
  add(tx, "activeColl", -coll);
  add(tx, "defaultColl", coll);
  tx.events.push({
    type: "Redistributed",
    debt,
    collateral: coll,
    L_collateral: tx.state.g.L_coll,
    L_debt: tx.state.g.L_debt,
  });
}

/** Values and then settles a liquidation sequence; throws nothingToLiquidate when nothing was liquidated. */
function settle(tx: Tx, totals: LiquidationValues, liquidatorId: AccountId): LiquidationResult {
  const s = tx.state;
  require(totals.entireDebt > 0n, "nothingToLiquidate");
  const liquidated = tx.events.flatMap((e) => (e.type === "VaultLiquidated" ? [e.owner] : []));
  for (const e of tx.events) if (e.type === "VaultLiquidated") e.liquidator = liquidatorId;

  offset(tx, totals.debtToOffset, totals.collToSendToSP);
  redistribute(tx, totals.debtToRedistribute, totals.collToRedistribute);
  if (totals.collSurplus > 0n) {
    add(tx, "activeColl", -totals.collSurplus);
    add(tx, "surplusCollateral", totals.collSurplus);
  }
  // _updateSystemSnapshots_excludeCollRemainder: the gas compensation is about to leave.
  set(tx, "totalStakesSnapshot", s.g.totalStakes);
  set(tx, "totalCollateralSnapshot", s.g.activeColl - totals.collGasCompensation + s.g.defaultColl);

  // _sendGasCompensation: the gas reserve to the liquidator's balance, the collateral share paid out.
  const liquidator = getOrCreateAccount(s, liquidatorId, tx.j);
  add(tx, "gasPool", -totals.gasReserve);
  setA(tx, liquidator, "balance", liquidator.balance + totals.gasReserve);
  add(tx, "activeColl", -totals.collGasCompensation);
  const paidSats = payOutCollateral(tx, totals.collGasCompensation);

  const liquidatedCollateral = totals.entireColl - totals.collGasCompensation - totals.collSurplus;
  tx.events.push({
    type: "Liquidation",
    liquidator: liquidatorId,
    liquidatedDebt: totals.entireDebt,
    liquidatedCollateral,
    collateralCompensation: totals.collGasCompensation,
    gasReserve: totals.gasReserve,
    paidSats,
  });
  return {
    liquidatedDebt: totals.entireDebt,
    liquidatedCollateral,
    offsetDebt: totals.debtToOffset,
    redistributedDebt: totals.debtToRedistribute,
    collateralCompensation: totals.collGasCompensation,
    gasReserve: totals.gasReserve,
    paidSats,
    liquidated,
  };
}

/**
 * Recovery-mode rules apply in recovery mode, except after a shutdown: the wind-down liquidates only
 * vaults below MCR, so no healthy vault is taken at the capped recovery-mode price (docs/governance.md).
 */
const liquidatesInRecoveryMode = (s: State): boolean => !s.gov.shutdown && isRecoveryMode(s);

/** Liquity liquidateTroves(n): walks from the riskiest vault. */
export function liquidateBatch(tx: Tx, count: number, liquidator: AccountId): LiquidationResult {
  const s = tx.state;
  const recovery = liquidatesInRecoveryMode(s);
  let remaining = count;
  let totals: LiquidationValues;
  if (recovery) {
    // Walk upwards from the tail, never reaching the head vault; cache the next before liquidating.
    const first = s.sorted.first();
    let cursor = s.sorted.last();
    const next = () => {
      if (remaining <= 0 || !cursor || cursor === first) return null;
      remaining--;
      const current = cursor;
      cursor = current.node ? s.sorted.prevOf(current.node) : null;
      return current;
    };
    totals = recoverySequence(tx, next, false);
  } else {
    const next = () => {
      if (remaining <= 0) return null;
      remaining--;
      return s.sorted.last();
    };
    totals = normalSequence(tx, next, false);
  }
  return settle(tx, totals, liquidator);
}

/** Liquity batchLiquidateTroves(list): the given order, skipping vaults that are not liquidatable. */
export function liquidateList(tx: Tx, owners: AccountId[], liquidator: AccountId): LiquidationResult {
  require(owners.length > 0, "nothingToLiquidate", "the list of vaults is empty");
  const s = tx.state;
  const recovery = liquidatesInRecoveryMode(s);
  let i = 0;
  const next = (): Account | null => {
    while (i < owners.length) {
      const a = findAccount(s, owners[i++]!);
      if (a) return a;
    }
    return null;
  };
  const totals = recovery ? recoverySequence(tx, next, true) : normalSequence(tx, next, true);
  return settle(tx, totals, liquidator);
}

/** Liquity liquidate(borrower): the vault must be active. */
export function liquidate(tx: Tx, owner: AccountId, liquidator: AccountId): LiquidationResult {
  requireActiveVault(tx, owner);
  return liquidateList(tx, [owner], liquidator);
}
