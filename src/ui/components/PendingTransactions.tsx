/**
 * This user's broadcast transactions the engine has not applied yet, and what became of each, said
 * plainly (src/indexer/pending.ts): waiting for a block, confirmed, replaced by another transaction,
 * or dropped from the mempool. Hidden when there are none.
 */

import { useQuery } from "@tanstack/react-query";
import { shortHex } from "../../client/index.ts";
import { useEngine } from "../engine/EngineProvider.tsx";

const BADGE: Record<string, { label: string; tone: string }> = {
  waiting: { label: "Pending", tone: "badge-muted" },
  confirmed: { label: "Confirmed", tone: "badge-ready" },
  replaced: { label: "Replaced", tone: "badge-warn" },
  dropped: { label: "Dropped", tone: "badge-warn" },
};

export function PendingTransactions() {
  const engine = useEngine();
  const pending = useQuery({
    queryKey: ["data", "pending"],
    queryFn: () => engine.pending(),
    refetchInterval: 15_000,
    retry: 0,
  });
  const list = pending.data ?? [];
  if (list.length === 0) return null;
  return (
    <section className="card" aria-labelledby="pending-title" data-testid="pending-transactions">
      <h2 id="pending-title">Your transactions in flight</h2>
      <ul className="plain-list">
        {list.map((p) => {
          const badge = BADGE[p.status.state] ?? BADGE.waiting!;
          return (
            <li key={p.txid} data-state={p.status.state}>
              <span className={`badge ${badge.tone}`}>{badge.label}</span>{" "}
              <strong>{p.opType ?? "transaction"}</strong> <code title={p.txid}>{shortHex(p.txid)}</code>
              <p className="muted">{p.note}</p>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
