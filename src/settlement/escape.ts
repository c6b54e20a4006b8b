/**
 * An owner's escape (docs/decisions.md §2a "Escape" and "Rolling and escape", docs/custody.md "Escape"): the owner
 * spent vault coins by the timelock path, so `escaped` sats left custody without a settlement. The
 * books follow, in this order, and the invariants hold afterwards:
 *
 * 1. The vault's open payouts to the owner's own script, or to an address his withdraw or close named
 *    (`byOwner`), not yet settled, are
 *    paid by the escape, first in first out, as far as the escaped sats go (one partly covered keeps
 *    the rest open): the owner took that BTC himself. Escaped sats count first as what the owner
 *    was owed, then as his collateral, and only then as what others were owed (the least loss).
 * 2. The ledger (src/protocol/escape.ts): the rest comes out of the vault's stored collateral (whole
 *    satoshis); the vault closes, its reserve share is applied, its gas reserve burned, and its debt
 *    and remaining collateral are redistributed, never offset against the pool.
 * 3. Whatever the escape took beyond that was owed to others: internal moves to the pool (a
 *    redemption's or a liquidation's draw still in transit) are cancelled, payouts to others (a
 *    stray output's refund) are owed by the pool from then on, first in first out, and the loss is
 *    booked on the fee account (`custody.stray`, which may go below zero), reported as
 *    `EscapeShortfall`. Guardians roll coins long before their timelock, so this needs settlements
 *    to have failed for months.
 * 4. The vault's coins that are left (an escape of one coin of several) go to the pool, whose reserve
 *    now holds the vault's collateral: moves in transit to the vault are cancelled first, then one
 *    internal move from the vault to the pool. (A position below zero can only come from books that
 *    were already inconsistent; the invariant check reports it.)
 */
import {
  type AccountId,
  addObligation,
  escapeVault,
  markSettled,
  type Obligation,
  type ProtocolEvent,
  SATOSHI,
  type State,
  setStray,
} from "../protocol/index.ts";
import { obligationId, obligationRecorded, vaultPosition, vaultTargetSats } from "./obligations.ts";

/** Obligation index of an escape's balancing move: past any spell's own (a spell records a handful). */
const ESCAPE_ID_BASE = 1_000_000;

const fifo = (a: Obligation, b: Obligation) =>
  a.height !== b.height ? (a.height < b.height ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** Where an escape happened: its transaction, block and the escaped vault's slot in it. */
type EscapePlace = { txid: string; height: number; slot: number };

/** Takes up to `left` sats off an open obligation: settled by the escape when whole, else reduced. */
function cut(state: State, o: Obligation, left: bigint, txid: string): bigint {
  const n = o.sats <= left ? o.sats : left;
  if (n === o.sats) markSettled(state.custody, o.id, txid);
  else if (n > 0n) addObligation(state.custody, { ...o, sats: o.sats - n });
  return n;
}

/**
 * Books the escape of `escaped` sats of `vault`'s coins (already removed from the coins) by the
 * transaction `place.txid`; `ownScript` is the owner's own output script (hex). Returns the events.
 */
export function applyEscape(
  state: State,
  vault: AccountId,
  escaped: bigint,
  ownScript: string,
  place: EscapePlace,
): ProtocolEvent[] {
  const open = [...state.custody.obligations.values()].filter((o) => o.status === "open").sort(fifo);
  const ownPaid = payOwnPayouts(state, open, vault, ownScript, escaped, place.txid);
  // 2. The ledger: the vault's collateral, whole satoshis.
  const out = escapeVault(state, vault, (escaped - ownPaid) * SATOSHI);
  const taken = out.taken / SATOSHI;
  const cancelled = takeOwedToOthers(state, open, vault, escaped - ownPaid - taken, place);
  // The total invariant: every escaped sat not covered by the owner's payouts or the vault's
  // collateral is a loss, booked on the fee account.
  const shortfall = escaped - ownPaid - taken;
  if (shortfall !== 0n) setStray(state.custody, state.custody.stray - shortfall);
  const events = leftCoinsToPool(state, open, vault, place);
  events.push(
    {
      type: "VaultEscapeBooked",
      owner: vault,
      escapedSats: escaped,
      ownPayoutsSats: ownPaid,
      collateralTaken: out.taken,
      redistributedDebt: out.debt,
      redistributedCollateral: out.collateral,
      gasReserveBurned: out.gasReserveBurned,
    },
    ...out.events,
  );
  if (shortfall > 0n)
    events.push({ type: "EscapeShortfall", owner: vault, sats: shortfall, cancelledMovesSats: cancelled });
  return events;
}

/** 1. The owner's own payouts from this vault, first in first out, up to `escaped`; returns the sats they cover. */
function payOwnPayouts(
  state: State,
  open: Obligation[],
  vault: AccountId,
  ownScript: string,
  escaped: bigint,
  txid: string,
): bigint {
  let left = escaped;
  for (const o of open) {
    if (left === 0n) break;
    // His own script, or an address his own withdraw or close named (`byOwner`).
    if (o.source !== vault || o.to !== undefined || (o.script !== ownScript && !o.byOwner)) continue;
    left -= cut(state, o, left, txid);
  }
  return escaped - left;
}

/**
 * 3. Beyond its collateral the owner took `beyond` sats the vault owed to others. Moves to the pool
 * are cancelled (the pool bears them); payouts to others (a stray output's refund) stay owed, now by
 * the pool, so the outside payee is still paid. Returns the sats cancelled or handed to the pool.
 */
function takeOwedToOthers(
  state: State,
  open: Obligation[],
  vault: AccountId,
  beyond: bigint,
  place: EscapePlace,
): bigint {
  const c = state.custody;
  let left = beyond;
  let moved = 0;
  for (const o of open) {
    if (left === 0n) break;
    if (o.source !== vault || o.status !== "open") continue;
    if (o.to !== undefined) {
      left -= cut(state, o, left, place.txid);
      continue;
    }
    const n = o.sats <= left ? o.sats : left;
    if (n === o.sats) addObligation(c, { ...o, source: null });
    else {
      addObligation(c, { ...o, sats: o.sats - n });
      addObligation(c, {
        ...o,
        id: obligationId(place.txid, ESCAPE_ID_BASE + 1_000 + place.slot * 100 + moved++),
        source: null,
        sats: n,
      });
    }
    left -= n;
  }
  return beyond - left;
}

/** 4. What custody still holds for the closed vault goes to the pool: moves in transit to it are cancelled first. */
function leftCoinsToPool(
  state: State,
  open: Obligation[],
  vault: AccountId,
  place: EscapePlace,
): ProtocolEvent[] {
  let gap = vaultPosition(state, vault) - vaultTargetSats(state, vault);
  for (const o of open) {
    if (gap <= 0n) break;
    if (o.status === "open" && o.to === vault) gap -= cut(state, o, gap, place.txid);
  }
  if (gap <= 0n) return [];
  const o: Obligation = {
    // Ids above any spell's own obligations in the same transaction, one slot per escaped vault.
    id: obligationId(place.txid, ESCAPE_ID_BASE + place.slot),
    source: vault,
    script: "",
    to: null,
    sats: gap,
    maxFee: 0n,
    height: BigInt(place.height),
    status: "open",
    settledBy: null,
  };
  addObligation(state.custody, o);
  return [obligationRecorded(o)];
}
