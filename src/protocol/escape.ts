/**
 * The ledger side of an owner's escape (docs/decisions.md §2a "Escape", docs/custody.md "Escape"): the owner spent
 * the vault's coin(s) by the timelock path, so that BTC has left custody. The vault closes (status
 * `closedByLiquidation`: no new status, the account leaf and the circuits stay as they are) and:
 *  - the collateral the owner took leaves the books: at most the vault's stored collateral, in whole
 *    satoshis (what custody held for it);
 *  - its pending redistribution rewards (its share of the reserve) are applied first, so they become
 *    its collateral;
 *  - its gas reserve is burned from the gas pool (no liquidator earns it);
 *  - its remaining debt and collateral are redistributed to the other vaults, never offset against
 *    the stability pool. With no other vault to take them, they stay in the reserve (defaultDebt,
 *    defaultColl) unassigned.
 * Called by src/settlement/escape.ts, which books the custody side. Never throws for a vault that is
 * not active: nothing of the ledger changes then.
 */
import { SATOSHI } from "./decimal.ts";
import type { ProtocolEvent } from "./events.ts";
import { Journal } from "./journal.ts";
import { redistribute } from "./liquidation.ts";
import type { AccountId } from "./operations.ts";
import { findAccount, type State, sortedRemove } from "./state.ts";
import { add, applyPendingRewards, getTCR, isRecoveryMode, removeStake, set, setA, type Tx } from "./tx.ts";

export interface EscapeOutcome {
  /** Collateral (1e18 units, whole satoshis) that left the books with the escaped coin(s). */
  taken: bigint;
  /** Debt and collateral redistributed (or left in the reserve when no vault can take them). */
  debt: bigint;
  collateral: bigint;
  gasReserveBurned: bigint;
  /** False when the vault was not active (nothing of the ledger changed). */
  closed: boolean;
  /** Redistributed, recovery mode entered or exited. */
  events: ProtocolEvent[];
}

/**
 * Closes `owner`'s vault as escaped; `escaped` is what the owner took, 1e18 units (whole satoshis).
 * The vault's stored collateral covers it up to its whole satoshis; the caller books any rest.
 */
export function escapeVault(state: State, owner: AccountId, escaped: bigint): EscapeOutcome {
  const a = findAccount(state, owner);
  if (a?.status !== "active")
    return { taken: 0n, debt: 0n, collateral: 0n, gasReserveBurned: 0n, closed: false, events: [] };
  const j = new Journal();
  const tx: Tx = { state, j, events: [], now: state.g.time };
  // What custody held for the vault is its stored collateral in whole satoshis (floor: the protocol
  // never books more BTC out than the coin held).
  const wholeSats = (a.coll / SATOSHI) * SATOSHI;
  const taken = escaped < wholeSats ? escaped : wholeSats;
  setA(tx, a, "coll", a.coll - taken);
  add(tx, "activeColl", -taken);
  applyPendingRewards(tx, a);
  removeStake(tx, a);
  const p = state.params;
  // The gas reserve sits in the gas pool as zkUSD; with no liquidator it is burned (supply and debt
  // shrink together).
  const burn = a.debt >= p.gasReserve && state.g.gasPool >= p.gasReserve ? p.gasReserve : 0n;
  add(tx, "gasPool", -burn);
  add(tx, "zkusdSupply", -burn);
  add(tx, "activeDebt", -burn);
  const debt = a.debt - burn;
  const coll = a.coll;
  setA(tx, a, "status", "closedByLiquidation");
  setA(tx, a, "coll", 0n);
  setA(tx, a, "debt", 0n);
  setA(tx, a, "snapshotLColl", 0n);
  setA(tx, a, "snapshotLDebt", 0n);
  sortedRemove(state, j, a);
  add(tx, "activeVaults", -1n);
  if (debt > 0n && state.g.totalStakes > 0n) {
    redistribute(tx, debt, coll);
    // _updateSystemSnapshots (as after a liquidation): later stakes are computed against these.
    set(tx, "totalStakesSnapshot", state.g.totalStakes);
    set(tx, "totalCollateralSnapshot", state.g.activeColl + state.g.defaultColl);
  } else {
    // Nobody to redistribute to: the reserve keeps them unassigned.
    add(tx, "activeDebt", -debt);
    add(tx, "defaultDebt", debt);
    add(tx, "activeColl", -coll);
    add(tx, "defaultColl", coll);
  }
  const recovery = isRecoveryMode(state);
  if (recovery !== (state.g.recoveryMode === 1n)) {
    set(tx, "recoveryMode", recovery ? 1n : 0n);
    tx.events.push({ type: recovery ? "RecoveryModeEntered" : "RecoveryModeExited", tcr: getTCR(state) });
  }
  j.commit();
  return { taken, debt, collateral: coll, gasReserveBurned: burn, closed: true, events: tx.events };
}
