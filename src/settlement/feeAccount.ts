/**
 * The fee account (docs/decisions.md §2a "Fees", docs/custody.md "The fee account"): the BTC in the main coin
 * that the ledger owes nobody, which pays what the payees' maximum fees leave of a settlement's fee
 * and the whole fee of a settlement with no payee (rolls, consolidations, internal moves). Two
 * sources, one balance:
 *
 *  - `custody.stray`: what was put in for it (a `fund` spell, fundSpell.ts; stray BTC below the
 *    refund threshold, strays.ts); an escape's shortfall is booked on it and may take it below zero;
 *  - the BTC fees: redemption fees (`g.feeCollateral`, 1e-18 units) that the engine keeps in the pool
 *    and nothing else spends. Only their whole satoshis count (floor, in the protocol's favour: the
 *    sub-satoshi rest stays in `feeCollateral` and never leaves custody).
 *
 * A draw takes the stray part first (what is above zero), then whole satoshis of the BTC fees, so
 * Σ coins × 1e10 = ledger (with feeCollateral) + (open payouts + stray) × 1e10 stays exact
 * (invariants.ts), and neither part can be drawn below zero by a settlement.
 */
import { SATOSHI, type State, setStray } from "../protocol/index.ts";

/** The fee account's two parts, sats: what was put in (stray) and the whole satoshis of the BTC fees. */
export function feeAccountParts(state: State): { stray: bigint; fees: bigint } {
  // Floor: only whole satoshis of the fees can pay a transaction fee (the protocol keeps the rest).
  return { stray: state.custody.stray, fees: state.g.feeCollateral / SATOSHI };
}

/** The fee account's balance, sats: stray plus the whole satoshis of the BTC fees (may be < 0 after an escape's shortfall). */
export function feeAccountSats(state: State): bigint {
  const { stray, fees } = feeAccountParts(state);
  return stray + fees;
}

/** What a draw of `sats` takes from each part; `sats` ≤ feeAccountSats(state) (the plan checks it). */
export function feeAccountDraw(state: State, sats: bigint): { stray: bigint; fees: bigint } {
  const available = state.custody.stray > 0n ? state.custody.stray : 0n;
  const stray = sats < available ? sats : available;
  return { stray, fees: sats - stray };
}

/** Takes `sats` off the fee account (a settlement's part of its fee): stray first, then BTC fees. */
export function drawFeeAccount(state: State, sats: bigint): void {
  if (sats <= 0n) return;
  const draw = feeAccountDraw(state, sats);
  if (draw.stray > 0n) setStray(state.custody, state.custody.stray - draw.stray);
  // Whole satoshis leave the BTC fees; the ledger's total drops by exactly what the main coin paid.
  if (draw.fees > 0n) state.g.feeCollateral -= draw.fees * SATOSHI;
}
