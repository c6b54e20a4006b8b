/**
 * What custody holds and owes for one account, as the screens show it (docs/decisions.md §2a, docs/custody.md):
 * its vault's coins, the payouts owed to its payout scripts (open obligations: confirmed on the
 * ledger, not yet paid on Bitcoin) and the ones already settled (with the settlement transaction).
 * The user's money is "received" only once settled: an open obligation is shown as on its way.
 */
import type { AccountId, State } from "../../protocol/index.ts";

export interface CoinView {
  outpoint: string;
  sats: bigint;
  height: bigint;
}

export interface ObligationView {
  id: string;
  /** Who pays it: a vault account, or null for the protocol pool. */
  from: AccountId | null;
  sats: bigint;
  maxFee: bigint;
  /** Height of the spell that created it (stage 1: confirmed). */
  height: bigint;
  /** The settlement transaction that paid it (stage 2: settled), or null while open. */
  settledBy: string | null;
  /** Where it is paid: an output script, lowercase hex. */
  script: string;
}

export interface AccountCustody {
  /** The vault's coins at its script. */
  coins: CoinView[];
  coinSats: bigint;
  /** Payouts owed to the account, oldest first. */
  owed: ObligationView[];
  owedSats: bigint;
  /** Payouts already settled, newest first (at most `settledLimit`). */
  settled: ObligationView[];
}

const view = (o: {
  id: string;
  source: AccountId | null;
  sats: bigint;
  maxFee: bigint;
  height: bigint;
  settledBy: string | null;
  script: string;
}): ObligationView => ({
  id: o.id,
  from: o.source,
  sats: o.sats,
  maxFee: o.maxFee,
  height: o.height,
  settledBy: o.settledBy,
  script: o.script,
});

/**
 * The custody view of `owner`; `payoutScripts` are the account's own output scripts (lowercase hex),
 * where its payouts go (an outflow spell's payout script defaults to the actor's own).
 */
export function accountCustody(
  state: State,
  owner: AccountId,
  payoutScripts: readonly string[],
  settledLimit = 10,
): AccountCustody {
  const scripts = new Set(payoutScripts.map((s) => s.toLowerCase()));
  const coins = [...state.custody.coins.values()]
    .filter((c) => c.vault === owner)
    .map((c) => ({ outpoint: c.outpoint, sats: c.sats, height: c.height }))
    .sort((a, b) =>
      a.height === b.height ? (a.outpoint < b.outpoint ? -1 : 1) : a.height < b.height ? -1 : 1,
    );
  const mine = [...state.custody.obligations.values()].filter((o) => scripts.has(o.script));
  const byAge = (a: ObligationView, b: ObligationView) =>
    a.height === b.height ? (a.id < b.id ? -1 : 1) : a.height < b.height ? -1 : 1;
  const owed = mine
    .filter((o) => o.status === "open")
    .map(view)
    .sort(byAge);
  const settled = mine
    .filter((o) => o.status === "settled")
    .map(view)
    .sort((a, b) => byAge(b, a))
    .slice(0, settledLimit);
  return {
    coins,
    coinSats: coins.reduce((a, c) => a + c.sats, 0n),
    owed,
    owedSats: owed.reduce((a, o) => a + o.sats, 0n),
    settled,
  };
}
