/**
 * The context one operation runs in: the state, its journal, the events emitted so far and the time.
 * Helpers here are the system-level reads (TCR, recovery mode) and the writes shared by operations.
 */
import { computeCR, SATOSHI } from "./decimal.ts";
import { ProtocolError } from "./errors.ts";
import type { ProtocolEvent } from "./events.ts";
import type { Journal } from "./journal.ts";
import {
  type Account,
  addGlobal,
  entireColl,
  entireDebt,
  type Globals,
  pendingColl,
  pendingDebt,
  type State,
  setAccount,
  setGlobal,
} from "./state.ts";

export interface Tx {
  readonly state: State;
  readonly j: Journal;
  readonly events: ProtocolEvent[];
  /** Block time of this operation, seconds. */
  readonly now: bigint;
}

export const systemColl = (s: State): bigint => s.g.activeColl + s.g.defaultColl;
export const systemDebt = (s: State): bigint => s.g.activeDebt + s.g.defaultDebt;

export function getTCR(s: State, price = s.g.price): bigint {
  return computeCR(systemColl(s), systemDebt(s), price);
}

/** Liquity _checkRecoveryMode: TCR < CCR (strict). */
export function isRecoveryMode(s: State, price = s.g.price): boolean {
  return getTCR(s, price) < s.params.CCR;
}

/** TCR after adding/removing collateral and debt (Liquity _getNewTCRFromTroveChange). */
export function newTCR(s: State, collChange: bigint, debtChange: bigint, price = s.g.price): bigint {
  return computeCR(systemColl(s) + collChange, systemDebt(s) + debtChange, price);
}

export function currentICR(s: State, a: Account, price = s.g.price): bigint {
  return computeCR(entireColl(s, a), entireDebt(s, a), price);
}

export const set = <K extends keyof Globals>(tx: Tx, key: K, value: Globals[K]) =>
  setGlobal(tx.state, tx.j, key, value);
export const add = (tx: Tx, key: keyof Globals, delta: bigint) => addGlobal(tx.state, tx.j, key, delta);
export const setA = <K extends Parameters<typeof setAccount>[3]>(
  tx: Tx,
  a: Account,
  key: K,
  value: Account[K],
) => setAccount(tx.state, tx.j, a, key, value);

export function require(
  condition: boolean,
  code: ConstructorParameters<typeof ProtocolError>[0],
  detail?: string,
) {
  if (!condition) throw new ProtocolError(code, detail);
}

/** Liquity _applyPendingRewards: moves pending rewards default pool → active pool into the vault. */
export function applyPendingRewards(tx: Tx, a: Account): void {
  const s = tx.state;
  if (a.status !== "active" || a.snapshotLColl >= s.g.L_coll) return;
  const pc = pendingColl(s, a);
  const pd = pendingDebt(s, a);
  setA(tx, a, "coll", a.coll + pc);
  setA(tx, a, "debt", a.debt + pd);
  updateRewardSnapshots(tx, a);
  movePendingToActive(tx, pd, pc);
}

export function updateRewardSnapshots(tx: Tx, a: Account): void {
  setA(tx, a, "snapshotLColl", tx.state.g.L_coll);
  setA(tx, a, "snapshotLDebt", tx.state.g.L_debt);
}

export function movePendingToActive(tx: Tx, debt: bigint, coll: bigint): void {
  add(tx, "defaultDebt", -debt);
  add(tx, "activeDebt", debt);
  add(tx, "defaultColl", -coll);
  add(tx, "activeColl", coll);
}

/** Liquity _computeNewStake: coll scaled by the last liquidation's stake/collateral snapshot ratio (floor). */
export function computeNewStake(s: State, coll: bigint): bigint {
  if (s.g.totalCollateralSnapshot === 0n) return coll;
  if (s.g.totalStakesSnapshot === 0n)
    throw new ProtocolError("invariantViolated", "totalStakesSnapshot is 0");
  return (coll * s.g.totalStakesSnapshot) / s.g.totalCollateralSnapshot;
}

export function updateStakeAndTotalStakes(tx: Tx, a: Account): void {
  const stake = computeNewStake(tx.state, a.coll);
  add(tx, "totalStakes", stake - a.stake);
  setA(tx, a, "stake", stake);
}

export function removeStake(tx: Tx, a: Account): void {
  add(tx, "totalStakes", -a.stake);
  setA(tx, a, "stake", 0n);
}

/**
 * Pays collateral out of the protocol to a wallet: whole satoshis, rounded down so the protocol
 * never pays more than it owes; the sub-satoshi remainder goes to the dust account (docs/decisions.md §3).
 */
export function payOutCollateral(tx: Tx, amount: bigint): bigint {
  const sats = amount / SATOSHI;
  add(tx, "dust", amount - sats * SATOSHI);
  return sats;
}

export function mintTo(tx: Tx, a: Account, amount: bigint): void {
  setA(tx, a, "balance", a.balance + amount);
  add(tx, "zkusdSupply", amount);
}

export function burnFrom(tx: Tx, a: Account, amount: bigint): void {
  require(a.balance >= amount, "insufficientBalance", `${a.id} holds less zkUSD than ${amount} units`);
  setA(tx, a, "balance", a.balance - amount);
  add(tx, "zkusdSupply", -amount);
}
