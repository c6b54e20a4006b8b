/**
 * "Your history" (issue 15 item 8): this account's transactions as a person reads them — what each
 * did in words with BTC and zkUSD amounts, its status (pending, confirmed, payout on its way,
 * settled), its time, and a link to a readable explorer page (Settings → Block explorer link) — built
 * by src/client/history.ts from the engine's events grouped per transaction. CSV export of the whole
 * list. A list of cards rather than a table, so it reads at 390 px.
 */

import { useQuery } from "@tanstack/react-query";
import {
  buildHistory,
  formatCount,
  type HistoryEntry,
  type HistoryStatus,
  historyCsv,
  shortHex,
} from "../../client/index.ts";
import { useEngine } from "../engine/EngineProvider.tsx";
import { useEsploraUrl } from "../queries/bitcoin.ts";
import { useAccountCustody } from "../queries/engine.ts";
import { explorerTxUrl, useSettings } from "../state/settings-store.ts";
import "./HistoryPanel.css";

const BADGE: Record<HistoryStatus, { label: string; tone: string }> = {
  pending: { label: "Pending", tone: "badge-muted" },
  replaced: { label: "Replaced", tone: "badge-warn" },
  dropped: { label: "Dropped", tone: "badge-warn" },
  confirmed: { label: "Confirmed", tone: "badge-ready" },
  "awaiting settlement": { label: "Confirmed · payout on its way", tone: "badge-warn" },
  settled: { label: "Settled", tone: "badge-ready" },
};

const timeFormat = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });

export function HistoryPanel({ owner }: { owner: string }) {
  const engine = useEngine();
  const network = useSettings((s) => s.network);
  const esploraUrl = useEsploraUrl();
  const custody = useAccountCustody(owner, network);
  const events = useQuery({
    queryKey: ["data", "history", owner],
    queryFn: () => engine.events({ account: owner, order: "desc", limit: 500 }),
    retry: 0,
    refetchInterval: 30_000,
  });
  const pending = useQuery({
    queryKey: ["data", "pending"],
    queryFn: () => engine.pending(),
    refetchInterval: 15_000,
    retry: 0,
  });
  const entries = events.data
    ? buildHistory(events.data.events, owner, pending.data ?? [], custody.data)
    : null;
  const link = (txid: string) => explorerTxUrl(network, esploraUrl, txid);

  const exportCsv = () => {
    if (!entries) return;
    const blob = new Blob([historyCsv(entries, link)], { type: "text/csv" });
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `zkusd-history-${owner.slice(0, 12)}.csv`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
  };

  return (
    <section className="card history" aria-labelledby="history-title" data-testid="history">
      <header className="history-header">
        <h2 id="history-title">Your history</h2>
        <button
          type="button"
          className="button button-ghost button-small"
          disabled={!entries || entries.length === 0}
          onClick={exportCsv}
          data-testid="history-csv"
        >
          Export CSV
        </button>
      </header>
      {events.isError ? (
        <p className="notice notice-danger" role="alert">
          Your history could not be read ({(events.error as Error).message}). Reload the page to try again.
        </p>
      ) : !entries ? (
        <p className="loading" role="status">
          Reading your transactions…
        </p>
      ) : entries.length === 0 ? (
        <p className="muted">No transactions of yours yet.</p>
      ) : (
        <ol className="history-list">
          {entries.map((e) => (
            <Entry
              key={e.txid}
              entry={e}
              href={link(e.txid)}
              settledHref={e.settledBy ? link(e.settledBy) : null}
            />
          ))}
        </ol>
      )}
    </section>
  );
}

function Entry({
  entry: e,
  href,
  settledHref,
}: {
  entry: HistoryEntry;
  href: string;
  settledHref: string | null;
}) {
  const badge = BADGE[e.status];
  return (
    <li className="history-entry" data-testid="history-entry" data-txid={e.txid} data-status={e.status}>
      <div className="history-line">
        <strong>{e.title}</strong>
        <span className={`badge ${badge.tone}`}>{badge.label}</span>
      </div>
      {e.lines.map((line) => (
        <p key={line} className="history-detail">
          {line}
        </p>
      ))}
      <p className="history-meta muted small">
        <time dateTime={new Date(e.time * 1000).toISOString()}>
          {timeFormat.format(new Date(e.time * 1000))}
        </time>
        {e.height !== null ? ` · block ${formatCount(e.height)}` : " · sent, not in a block yet"} ·{" "}
        <a href={href} target="_blank" rel="noreferrer" data-testid="history-link">
          transaction <code>{shortHex(e.txid, 6)}</code>
        </a>
        {settledHref && e.settledBy ? (
          <>
            {" "}
            · paid by{" "}
            <a href={settledHref} target="_blank" rel="noreferrer">
              settlement <code>{shortHex(e.settledBy, 6)}</code>
            </a>
          </>
        ) : null}
      </p>
    </li>
  );
}
