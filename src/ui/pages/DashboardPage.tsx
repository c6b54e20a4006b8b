/**
 * The system at a glance: price, total collateral ratio, recovery mode and the protocol's totals.
 * `data-value` attributes carry the engine's exact values, so tests compare the screen to the engine.
 */

import { lazy, Suspense } from "react";
import {
  type EngineInfo,
  type EngineSummary,
  exactDecimal,
  formatBtc,
  formatCount,
  formatPercent,
  formatUsd,
  formatZkusd,
  isInfiniteRatio,
} from "../../client/index.ts";
import { ErrorPanel } from "../components/ErrorPanel.tsx";
import { PriceCard } from "../components/PriceCard.tsx";
import { RecoveryModeBanner } from "../components/RecoveryModeBanner.tsx";
import { StatTile } from "../components/StatTile.tsx";
import { SyncStatus } from "../components/SyncStatus.tsx";
import { Current } from "../components/SyncWait.tsx";
import { TcrGauge } from "../components/TcrGauge.tsx";
import { useEngineInfo, useSystemSummary } from "../queries/engine.ts";
import { useHistory } from "../queries/history.ts";
import { useSyncGate } from "../queries/readiness.ts";

// recharts is its own chunk, fetched only when there is a history to draw.
const HistoryCharts = lazy(() => import("../components/charts/HistoryCharts.tsx"));

export function DashboardPage() {
  const info = useEngineInfo();
  const summary = useSystemSummary();
  const error = info.error ?? summary.error;
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Dashboard</h1>
        <EngineStatus summary={summary.data} failed={Boolean(error)} />
      </header>
      {error ? (
        <ErrorPanel
          title="The protocol engine could not start"
          error={error}
          advice="Your browser runs the zkUSD engine itself, and it failed to start. Reload the page; if this keeps happening, try another up-to-date browser."
          onRetry={() => {
            void info.refetch();
            void summary.refetch();
          }}
        />
      ) : info.data && summary.data ? (
        <SystemOverview info={info.data} summary={summary.data} />
      ) : (
        <p className="card loading" role="status">
          Starting the protocol engine in your browser…
        </p>
      )}
    </section>
  );
}

function EngineStatus({ summary, failed }: { summary: EngineSummary | undefined; failed: boolean }) {
  // "Ready" only once the engine has caught up with the chain: before, its figures are an older state's.
  const gate = useSyncGate();
  const behind = summary && !failed && !gate.ready;
  const state = failed ? "error" : behind ? "syncing" : summary ? "ready" : "starting";
  const label = failed
    ? "Engine stopped"
    : behind
      ? gate.reason === "behind"
        ? `Catching up: block ${formatCount(gate.height ?? 0)} of ${formatCount(gate.tip ?? 0)}`
        : "Engine catching up"
      : summary
        ? "Engine ready"
        : "Engine starting";
  return (
    <span className={`badge badge-${state}`} data-testid="engine-status" data-state={state}>
      {label}
    </span>
  );
}

function SystemOverview({ info, summary }: { info: EngineInfo; summary: EngineSummary }) {
  const { MCR, CCR } = info.params;
  const noDebt = isInfiniteRatio(summary.tcr);
  const current = useSyncGate().ready;
  return (
    <>
      {/* Behind the tip these are an older state's figures (the genesis price, its fee): not shown. */}
      <Current>
        {summary.recoveryMode ? <RecoveryModeBanner tcr={summary.tcr} ccr={CCR} /> : null}
        <div className="overview">
          <dl className="card headline" data-stat="price" data-value={exactDecimal(summary.price)}>
            <dt className="stat-label">BTC price used by the engine</dt>
            <dd className="headline-value">{formatUsd(summary.price)}</dd>
            <dd className="stat-hint">
              {summary.price === info.params.initialPrice
                ? "The genesis price: no guardian-attested price has been applied on chain yet."
                : "The last guardian-attested price applied on chain."}
            </dd>
          </dl>
          <dl
            className="card headline"
            data-stat="tcr"
            data-value={noDebt ? "infinite" : exactDecimal(summary.tcr)}
          >
            <dt className="stat-label">Total collateral ratio</dt>
            <dd className="headline-value">
              {formatPercent(summary.tcr)}{" "}
              <span className={summary.recoveryMode ? "badge badge-error" : "badge badge-ready"}>
                {summary.recoveryMode ? "Recovery mode" : "Normal mode"}
              </span>
            </dd>
            <dd>
              <TcrGauge tcr={summary.tcr} mcr={MCR} ccr={CCR} />
            </dd>
            <dd className="stat-hint">
              {noDebt
                ? "No vault has debt yet, so the ratio is infinite."
                : `Below ${formatPercent(CCR, 0)} the system enters recovery mode.`}
            </dd>
          </dl>
        </div>
        <SystemTotals info={info} summary={summary} />
      </Current>
      <PriceCard enginePrice={current ? summary.price : null} />
      <HistoryCard mcr={MCR} ccr={CCR} />
      <SyncStatus stateRoot={summary.stateRoot} />
    </>
  );
}

function SystemTotals({ info, summary }: { info: EngineInfo; summary: EngineSummary }) {
  return (
    <dl className="stats" aria-label="System totals">
      <StatTile
        id="total-collateral"
        label="Total collateral"
        value={formatBtc(summary.totalCollateral)}
        raw={summary.totalCollateral}
      />
      <StatTile
        id="total-debt"
        label="Total debt"
        value={formatZkusd(summary.totalDebt)}
        raw={summary.totalDebt}
      />
      <StatTile
        id="zkusd-supply"
        label="zkUSD supply"
        value={formatZkusd(summary.zkusdSupply)}
        raw={summary.zkusdSupply}
      />
      <StatTile
        id="pool-total"
        label="Stability pool"
        value={formatZkusd(summary.poolTotal)}
        raw={summary.poolTotal}
      />
      <StatTile
        id="active-vaults"
        label="Active vaults"
        value={formatCount(summary.activeVaults)}
        raw={BigInt(summary.activeVaults)}
        rawIsCount
      />
      <StatTile
        id="borrowing-fee"
        label="Borrowing fee"
        value={formatPercent(summary.borrowingRate, 2)}
        raw={summary.borrowingRate}
        hint={
          summary.recoveryMode
            ? "No borrowing fee in recovery mode."
            : `One-off, added to the debt: ${formatPercent(info.params.borrowingFeeFloor, 1)} plus the base rate.`
        }
      />
      <StatTile
        id="base-rate"
        label="Base rate"
        value={formatPercent(summary.decayedBaseRate, 2)}
        raw={summary.decayedBaseRate}
        hint="Rises with redemptions and decays over time."
      />
    </dl>
  );
}

/** TCR and supply after each block that changed the state, from the engine worker's store. */
function HistoryCard({ mcr, ccr }: { mcr: bigint; ccr: bigint }) {
  const history = useHistory();
  const points = history.data ?? [];
  return (
    <section className="card" aria-labelledby="history-title" data-testid="history-card">
      <h2 id="history-title">TCR and supply history</h2>
      {history.isError ? (
        <p className="notice notice-warn" role="alert" data-testid="history-error">
          The history could not be read from this browser's store ({(history.error as Error).message}). Reload
          the page; if it keeps failing, restore a backup in Settings.
        </p>
      ) : history.isPending ? (
        <p className="loading" role="status">
          Reading the history…
        </p>
      ) : points.length < 2 ? (
        <p className="muted small" data-testid="history-empty" data-points={points.length}>
          The history starts with the first spell on chain. A point is recorded for every block that changes
          the system, and the charts appear with the second point (
          {points.length === 0 ? "none so far" : `one so far, at block ${formatCount(points[0]!.height)}`}).
          Nothing is drawn before that, and nothing is invented.
        </p>
      ) : (
        <Suspense fallback={<p className="loading">Loading the charts…</p>}>
          <HistoryCharts points={points} mcr={mcr} ccr={ccr} />
        </Suspense>
      )}
    </section>
  );
}
