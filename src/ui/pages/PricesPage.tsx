/**
 * Prices: the exchanges' BTC/USD as this browser reads it (PriceCard: median, sources, deviation from
 * the engine's attested price) and the accepted readings kept in this browser's IndexedDB
 * (src/ui/queries/price-history.ts) as a chart over a chosen range, so the history survives
 * navigation and reloads. Display only: a stored price is never used as a price.
 */

import { lazy, Suspense, useState } from "react";
import { formatCount, formatUsd } from "../../client/index.ts";
import { Figure } from "../components/forms.tsx";
import { PriceCard } from "../components/PriceCard.tsx";
import { Current } from "../components/SyncWait.tsx";
import { useSystemSummary } from "../queries/engine.ts";
import { keptPriceHistory, usePriceHistoryLoaded } from "../queries/price-history.ts";
import { usePriceFeed, usePriceReading } from "../queries/prices.ts";
import { useSyncGate } from "../queries/readiness.ts";
import { useSettings } from "../state/settings-store.ts";

const PriceChart = lazy(() => import("../components/charts/PriceChart.tsx"));

const RANGES = [
  { id: "1h", label: "1 hour", ms: 3_600_000 },
  { id: "24h", label: "24 hours", ms: 86_400_000 },
  { id: "7d", label: "7 days", ms: 7 * 86_400_000 },
  { id: "all", label: "All", ms: Number.POSITIVE_INFINITY },
] as const;

export default function PricesPage() {
  const summary = useSystemSummary();
  const current = useSyncGate().ready;
  const network = useSettings((s) => s.network);
  const loaded = usePriceHistoryLoaded(network);
  // Each accepted reading re-renders the page (the history grows with the reading's query).
  usePriceReading(usePriceFeed());
  const [range, setRange] = useState<(typeof RANGES)[number]["id"]>("24h");
  const history = keptPriceHistory(network).history;
  const span = RANGES.find((r) => r.id === range)!.ms;
  const now = Date.now();
  const points = history.points(Number.isFinite(span) ? now - span : Number.NEGATIVE_INFINITY);
  const oldest = history.points()[0];
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Prices</h1>
      </header>
      {summary.data ? (
        <Current>
          <dl className="card inline-figures" aria-label="The engine's price">
            <Figure
              id="engine-price"
              label="The engine's price (attested, on chain)"
              raw={summary.data.price}
            >
              {formatUsd(summary.data.price)}
            </Figure>
          </dl>
        </Current>
      ) : null}
      <PriceCard enginePrice={current ? (summary.data?.price ?? null) : null} chart={false} />
      <section className="card" aria-labelledby="history-title" data-testid="price-history">
        <header className="card-header">
          <h2 id="history-title">BTC/USD kept in this browser</h2>
        </header>
        <fieldset className="segmented small">
          <legend className="visually-hidden">Range</legend>
          {RANGES.map((r) => (
            <button key={r.id} type="button" aria-pressed={range === r.id} onClick={() => setRange(r.id)}>
              {r.label}
            </button>
          ))}
        </fieldset>
        <RangeFigures points={points} />
        {!loaded.data && loaded.isFetching ? (
          <p className="loading">Reading the stored prices…</p>
        ) : points.length < 2 ? (
          <p className="muted small" data-testid="history-empty">
            The chart appears after two accepted readings in this range (one every 30 seconds while the app is
            open).
          </p>
        ) : (
          <Suspense fallback={<p className="loading">Loading the chart…</p>}>
            <PriceChart points={points} />
          </Suspense>
        )}
        <p className="muted small">
          {formatCount(history.size)} readings stored in this browser (IndexedDB, at most a week's worth)
          {oldest ? `, the oldest from ${new Date(oldest.at).toLocaleString()}` : ""}. They are for looking
          back only: the protocol uses the guardians' attested price, never these.
        </p>
      </section>
    </section>
  );
}

/** How many readings the range holds, and their low and high. */
function RangeFigures({
  points,
}: {
  points: ReturnType<ReturnType<typeof keptPriceHistory>["history"]["points"]>;
}) {
  let low: bigint | null = null;
  let high: bigint | null = null;
  for (const p of points) {
    if (low === null || p.price < low) low = p.price;
    if (high === null || p.price > high) high = p.price;
  }
  return (
    <dl className="inline-figures">
      <Figure id="history-points" label="Readings in range" raw={BigInt(points.length).toString()}>
        {formatCount(points.length)}
      </Figure>
      <Figure id="history-low" label="Low" raw={low}>
        {low === null ? "—" : formatUsd(low)}
      </Figure>
      <Figure id="history-high" label="High" raw={high}>
        {high === null ? "—" : formatUsd(high)}
      </Figure>
    </dl>
  );
}
