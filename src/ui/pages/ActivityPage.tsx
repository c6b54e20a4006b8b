/**
 * The event explorer: every protocol event from the data layer's event store (engine worker),
 * filtered by type, account or vault and block range, newest first, a page at a time (cursor
 * pagination). Refreshed when the engine reports a new block.
 */

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { type FormEvent, useId, useState } from "react";
import { type EventQuery, formatCount, type StoredEvent, shortHex } from "../../client/index.ts";
import type { ProtocolEventType } from "../../protocol/index.ts";
import { ErrorPanel } from "../components/ErrorPanel.tsx";
import { HistoryPanel } from "../components/HistoryPanel.tsx";
import { PayoutsPanel } from "../components/PayoutsPanel.tsx";
import { PendingTransactions } from "../components/PendingTransactions.tsx";
import { useEngine } from "../engine/EngineProvider.tsx";
import { keyOf } from "../queries/keys.ts";
import { useAccountId } from "../wallet/wallet-store.ts";

const PAGE = 25;

type Filters = { type: string; who: string; from: string; to: string };

export default function ActivityPage() {
  const owner = useAccountId();
  const engine = useEngine();
  const [filters, setFilters] = useState<Filters>({ type: "", who: "", from: "", to: "" });
  const [cursors, setCursors] = useState<string[]>([]); // stack of `after` cursors, one per page
  const query: EventQuery = {
    order: "desc",
    limit: PAGE,
    ...(filters.type ? { types: [filters.type as ProtocolEventType] } : {}),
    ...(filters.who ? { account: filters.who } : {}),
    ...(filters.from ? { fromHeight: Number(filters.from) } : {}),
    ...(filters.to ? { toHeight: Number(filters.to) } : {}),
    ...(cursors.length ? { after: cursors.at(-1)! } : {}),
  };
  const stats = useQuery({
    queryKey: ["data", "eventStats"],
    queryFn: () => engine.eventStats(),
    retry: 0,
  });
  const page = useQuery({
    queryKey: ["data", "events", keyOf(query)],
    queryFn: () => engine.events(query),
    placeholderData: keepPreviousData,
    retry: 0,
    refetchInterval: 30_000,
  });
  const apply = (next: Filters) => {
    setFilters(next);
    setCursors([]);
  };

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Activity</h1>
        {stats.data ? (
          <span className="badge badge-muted">{formatCount(stats.data.total)} events</span>
        ) : null}
      </header>
      {owner ? <HistoryPanel owner={owner} /> : null}
      <PayoutsPanel owner={owner} />
      <PendingTransactions />
      <EventFilters types={Object.keys(stats.data?.byType ?? {})} onApply={apply} />
      {page.isError ? (
        <ErrorPanel
          title="Events could not be read"
          error={page.error}
          advice="Try again; if it keeps failing, reload the page."
          onRetry={() => void page.refetch()}
        />
      ) : !page.data ? (
        <p className="card loading" role="status">
          Reading events…
        </p>
      ) : page.data.events.length === 0 ? (
        <p className="card muted">No events match these filters.</p>
      ) : (
        <EventTable
          events={page.data.events}
          onNewer={cursors.length === 0 ? null : () => setCursors(cursors.slice(0, -1))}
          onOlder={page.data.next ? () => setCursors([...cursors, page.data.next!]) : null}
        />
      )}
    </section>
  );
}

/** The filter form: what is typed applies only on submit (and goes back to the newest page). */
function EventFilters({ types, onApply }: { types: string[]; onApply: (filters: Filters) => void }) {
  const ids = { type: useId(), who: useId(), from: useId(), to: useId() };
  const [draft, setDraft] = useState<Filters>({ type: "", who: "", from: "", to: "" });
  const apply = (e: FormEvent) => {
    e.preventDefault();
    onApply(draft);
  };
  return (
    <form className="card filters" onSubmit={apply} aria-label="Filters">
      <div className="field">
        <label htmlFor={ids.type}>Event type</label>
        <select
          id={ids.type}
          value={draft.type}
          onChange={(e) => setDraft({ ...draft, type: e.target.value })}
        >
          <option value="">All types</option>
          {types.map((t) => (
            <option key={t} value={t}>
              {t}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor={ids.who}>Account or vault</label>
        <input
          id={ids.who}
          value={draft.who}
          placeholder="bcrt1q…"
          onChange={(e) => setDraft({ ...draft, who: e.target.value.trim() })}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.from}>From block</label>
        <input
          id={ids.from}
          inputMode="numeric"
          value={draft.from}
          onChange={(e) => setDraft({ ...draft, from: e.target.value.replace(/\D/g, "") })}
        />
      </div>
      <div className="field">
        <label htmlFor={ids.to}>To block</label>
        <input
          id={ids.to}
          inputMode="numeric"
          value={draft.to}
          onChange={(e) => setDraft({ ...draft, to: e.target.value.replace(/\D/g, "") })}
        />
      </div>
      <div className="actions">
        <button type="submit" className="button">
          Apply filters
        </button>
      </div>
    </form>
  );
}

/** A page of events, newest first, with the cursor buttons (null: no page that way). */
function EventTable(props: {
  events: readonly StoredEvent[];
  onNewer: (() => void) | null;
  onOlder: (() => void) | null;
}) {
  const { events, onNewer, onOlder } = props;
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls sideways on a phone must be reachable by keyboard (axe scrollable-region-focusable)
    <section className="card table-card" tabIndex={0} aria-labelledby="events-title">
      <h2 id="events-title">All protocol events (the engine's raw log, every account)</h2>
      <table className="table" data-testid="events">
        <thead>
          <tr>
            <th scope="col">Block</th>
            <th scope="col">Event</th>
            <th scope="col">Account</th>
            <th scope="col">Transaction</th>
          </tr>
        </thead>
        <tbody>
          {events.map((e) => (
            <tr key={e.key.join(":")}>
              <td>{formatCount(e.height)}</td>
              <td>{e.type}</td>
              <td>{e.accounts.map((a) => shortHex(a, 8)).join(", ") || "—"}</td>
              <td>
                <code title={e.txid}>{shortHex(e.txid, 8)}</code>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <div className="actions">
        <button type="button" className="button button-ghost" disabled={!onNewer} onClick={() => onNewer?.()}>
          Newer
        </button>
        <button type="button" className="button button-ghost" disabled={!onOlder} onClick={() => onOlder?.()}>
          Older
        </button>
      </div>
    </section>
  );
}
