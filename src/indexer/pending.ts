/**
 * What became of a transaction this user broadcast (docs/storage.md, "Pending transactions"). Public
 * Esplora servers answer `{"confirmed":false}` for a transaction they never saw, the same as for one
 * waiting in their mempool, so "not confirmed" alone never resolves. A pending record is:
 * - confirmed: in a block;
 * - waiting: in the server's mempool, or unknown for less than DROP_AFTER_MS (a load-balanced server
 *   may not have it yet);
 * - replaced: an input it spends is spent by another transaction (RBF, or a double spend): it can
 *   never confirm;
 * - dropped: unknown to the server for DROP_AFTER_MS with its inputs unspent (evicted, expired or
 *   never relayed): it will not confirm unless sent again, and its coins are free.
 * A failing server decides nothing: the record stays waiting.
 */
import type { EsploraClient } from "../btc/esplora.ts";
import type { PendingRecord } from "../storage/index.ts";

/** How long a broadcast transaction may be unknown to the server before it counts as dropped. */
export const DROP_AFTER_MS = 20 * 60_000;
/** How long a replaced or dropped record stays listed, so the user sees what happened. */
export const FORGET_AFTER_MS = 24 * 3_600_000;

export type PendingState =
  | { state: "waiting"; inMempool: boolean }
  | { state: "confirmed"; height: number }
  | { state: "replaced"; by: string }
  | { state: "dropped" };

export type PendingChain = Pick<EsploraClient, "txState" | "outspends">;

export async function pendingState(
  chain: PendingChain,
  p: PendingRecord,
  now: number,
): Promise<PendingState> {
  let s: Awaited<ReturnType<PendingChain["txState"]>>;
  try {
    s = await chain.txState(p.txid);
  } catch {
    return { state: "waiting", inMempool: false };
  }
  if (s.state === "confirmed") return { state: "confirmed", height: s.status.block_height ?? 0 };
  if (s.state === "mempool") return { state: "waiting", inMempool: true };
  for (const input of p.inputs ?? []) {
    const [txid, vout] = input.split(":");
    try {
      const spender = (await chain.outspends(txid!))[Number(vout)];
      if (spender?.spent && spender.txid && spender.txid !== p.txid)
        return { state: "replaced", by: spender.txid };
    } catch {
      // Unknown stays unknown: try the next input, then the clock.
    }
  }
  return now - p.addedAt >= DROP_AFTER_MS ? { state: "dropped" } : { state: "waiting", inMempool: false };
}

/** The sentence the app shows for a pending record's state. */
export function pendingSentence(s: PendingState, txid: string): string {
  switch (s.state) {
    case "confirmed":
      return `Confirmed in block ${s.height}; the app applies it when it reaches that block.`;
    case "waiting":
      return s.inMempool
        ? "Waiting for a block."
        : "Sent, but the Esplora server does not know this transaction yet; waiting.";
    case "replaced":
      return `Replaced: its coins were spent by transaction ${s.by} instead, so ${txid.slice(0, 12)}… will never confirm. Nothing of this operation happened.`;
    case "dropped":
      return `Dropped: the Esplora server has not known this transaction for ${DROP_AFTER_MS / 60_000} minutes (evicted from the mempool or never relayed). It will not confirm unless sent again; its coins are free to use.`;
  }
}
