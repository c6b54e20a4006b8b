/**
 * BTC/USD as this browser reads it from the exchanges: the aggregated price, each source's quote or
 * why it was set aside, and how far the engine's (attested) price is from it. The chart of the
 * session's accepted prices is code-split (recharts loads only with this card).
 */

import { lazy, Suspense, useSyncExternalStore } from "react";
import { checkDeviation, formatUsd, type PriceReading, SOURCES } from "../../client/index.ts";
import { usePriceHistoryLoaded } from "../queries/price-history.ts";
import { type PriceFeed, usePriceFeed, usePriceReading } from "../queries/prices.ts";
import { useSettings } from "../state/settings-store.ts";

const PriceChart = lazy(() => import("./charts/PriceChart.tsx"));

/**
 * `chart: false` leaves the chart to the caller (the Prices screen draws its own, with a range).
 * `enginePrice` null: the engine's state is not current (behind the tip), so no deviation is said.
 */
export function PriceCard({ enginePrice, chart = true }: { enginePrice: bigint | null; chart?: boolean }) {
  const feed = usePriceFeed();
  const reading = usePriceReading(feed);
  const r = reading.data;
  const deviation = r && enginePrice !== null ? checkDeviation(enginePrice, r) : null;
  return (
    <section
      className="card price-card"
      aria-labelledby="price-title"
      data-testid="price-card"
      data-status={r?.status ?? (reading.isError ? "error" : "loading")}
      data-value={r?.price?.toString()}
    >
      <header className="card-header">
        <h2 id="price-title">BTC/USD from the exchanges</h2>
        <button
          type="button"
          className="button button-ghost button-small"
          onClick={() => void reading.refetch()}
          disabled={reading.isFetching}
        >
          {reading.isFetching ? "Reading…" : "Refresh"}
        </button>
      </header>
      {reading.isError ? (
        <p className="notice notice-danger" role="alert">
          Price unavailable: {(reading.error as Error).message}. Check the price sources in Settings.
        </p>
      ) : !r ? (
        <p className="loading" role="status">
          Asking {Object.keys(SOURCES).length} exchanges…
        </p>
      ) : (
        <>
          {r.status === "ok" && r.price !== null ? (
            <p className="headline-value" data-testid="exchange-price">
              {formatUsd(r.price)}{" "}
              <span className="muted small">
                {r.method === "median" ? "median" : "volume-weighted median"} of{" "}
                {r.sources.filter((s) => s.accepted).length} sources
              </span>
            </p>
          ) : (
            <p className="notice notice-warn" role="status" data-testid="price-unavailable">
              <strong>Price unavailable from the exchanges:</strong> {r.reason}. The engine keeps using its
              last attested price; operations that need a fresh price are refused until at least 3 sources
              agree.
            </p>
          )}
          {deviation && enginePrice !== null && deviation.status === "warning" ? (
            <p className="notice notice-warn" role="alert" data-testid="price-deviation">
              The engine's price {formatUsd(enginePrice)} differs from the exchanges by{" "}
              {Number(deviation.deviationBps) / 100}%. Guardians may be lagging or wrong; be careful with
              operations near the liquidation line.
            </p>
          ) : null}
          <SourceTable reading={r} />
          {chart ? <PriceHistory feed={feed} /> : null}
        </>
      )}
    </section>
  );
}

function SourceTable({ reading }: { reading: PriceReading }) {
  return (
    <details className="sources-detail">
      <summary>
        Sources ({reading.sources.filter((s) => s.accepted).length} of {reading.sources.length} accepted)
      </summary>
      <table className="table compact">
        <thead>
          <tr>
            <th scope="col">Exchange</th>
            <th scope="col">Price</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {reading.sources.map((s) => (
            <tr key={s.source} data-source={s.source} data-accepted={s.accepted ? "yes" : "no"}>
              <td>
                {SOURCES[s.source].name}{" "}
                <span className="muted small">
                  {s.quoteCurrency}, {s.transport}
                </span>
              </td>
              <td>{s.price !== null ? formatUsd(s.price) : "—"}</td>
              <td>{s.accepted ? "accepted" : (s.rejection?.reason ?? "rejected")}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}

function PriceHistory({ feed }: { feed: PriceFeed }) {
  // Re-render once the stored readings are loaded (src/ui/queries/price-history.ts).
  usePriceHistoryLoaded(useSettings((s) => s.network));
  const count = useSyncExternalStore(
    () => () => {},
    () => feed.history.size,
  );
  if (count < 2) {
    return (
      <p className="muted small">
        The price chart appears after two accepted readings (one every 30 seconds).
      </p>
    );
  }
  return (
    <Suspense fallback={<p className="loading">Loading the chart…</p>}>
      <PriceChart points={feed.history.points()} />
    </Suspense>
  );
}
