/**
 * Custody and the ledger agree, exactly (docs/decisions.md §2a "Invariants, exactly"), checked after every block.
 * Obligations are owed by owners (a vault or the pool), not by outpoints.
 * - Each vault: sats in its coins − what it owes + what is in transit to it = floor(ledger collateral
 *   / 1e10) (obligations.ts `vaultTargetSats`; the pool keeps the sub-satoshi remainder).
 * - In total, in 1e-18 units: Σ protocol coins = Σ ledger BTC (active, redistribution reserve,
 *   stability pool, surplus, BTC fees, rounding dust) + open payouts to outside scripts + stray
 *   (the fee account). The pool's own balance is what the total leaves after the vaults.
 */
import { type AccountId, SATOSHI, type State } from "../protocol/index.ts";
import { vaultTargetSats } from "./obligations.ts";

export interface InvariantReport {
  ok: boolean;
  /** One sentence per violated invariant. */
  problems: string[];
  /** Σ coins, sats. */
  coinSats: bigint;
  /** Σ ledger BTC, 1e-18 units. */
  ledger: bigint;
  /** Open payouts to outside scripts, sats. */
  openPayouts: bigint;
  stray: bigint;
}

/** The ledger's BTC in 1e-18 units: everything the engine says the protocol holds. */
export function ledgerBtc(state: State): bigint {
  const g = state.g;
  return g.activeColl + g.defaultColl + g.poolColl + g.surplusCollateral + g.feeCollateral + g.dust;
}

export function checkInvariants(state: State): InvariantReport {
  const c = state.custody;
  const problems: string[] = [];
  // One pass over coins and obligations: each vault's position (obligations.ts `vaultPosition`).
  const position = new Map<AccountId, bigint>();
  const bump = (v: AccountId, by: bigint) => position.set(v, (position.get(v) ?? 0n) + by);
  for (const v of c.vaultKeys.keys()) bump(v, 0n);
  let coins = 0n;
  for (const coin of c.coins.values()) {
    coins += coin.sats;
    if (coin.vault !== null) bump(coin.vault, coin.sats);
  }
  let openPayouts = 0n;
  for (const o of c.obligations.values()) {
    if (o.status !== "open") continue;
    if (o.to === undefined) openPayouts += o.sats;
    if (o.source !== null) bump(o.source, -o.sats);
    if (typeof o.to === "string") bump(o.to, o.sats);
  }
  for (const [v, held] of [...position].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const target = vaultTargetSats(state, v);
    if (held !== target)
      problems.push(
        `vault ${v}: coins less obligations hold ${held} sats, its ledger collateral is ${target} sats`,
      );
  }
  const ledger = ledgerBtc(state);
  const custody = coins * SATOSHI;
  const owed = ledger + (openPayouts + c.stray) * SATOSHI;
  if (custody !== owed)
    problems.push(
      `total: protocol coins hold ${coins} sats; the ledger (${ledger} units) + open payouts (${openPayouts} sats) + stray (${c.stray} sats) make ${owed} units`,
    );
  return { ok: problems.length === 0, problems, coinSats: coins, ledger, openPayouts, stray: c.stray };
}
