/**
 * Health and alerts: the monitoring part's health score and alert rules (src/monitoring) fed with
 * what this browser sees — the engine's totals and riskiest vaults, the exchanges' price reading
 * and how far the engine is behind the chain tip. Alerts are evaluated at each refresh while the
 * screen is open.
 */

import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import {
  type Alert,
  type AtRiskVault,
  defaultRules,
  type EngineInfo,
  type EngineSummary,
  type GovernanceStatus,
  governanceStatusOf,
  type HealthReport,
  healthScore,
  Monitor,
  oracleMetrics,
  syncMetrics,
  systemMetrics,
} from "../../client/index.ts";
import { AlertsToggle } from "../components/AlertWatcher.tsx";
import { CustodyPanel } from "../components/CustodyPanel.tsx";
import { ErrorPanel } from "../components/ErrorPanel.tsx";
import { useDataStatus } from "../components/SyncStatus.tsx";
import { useTipHeight } from "../queries/bitcoin.ts";
import { useAtRisk, useEngineInfo, useSystemSummary } from "../queries/engine.ts";
import { useGovernance } from "../queries/governance-overview.ts";
import { usePriceFeed, usePriceReading } from "../queries/prices.ts";

const BAND_LABEL: Record<string, string> = {
  healthy: "Healthy",
  degraded: "Degraded",
  warning: "Warning",
  critical: "Critical",
  emergency: "Emergency",
};

export default function HealthPage() {
  const info = useEngineInfo();
  const summary = useSystemSummary();
  const atRisk = useAtRisk(200);
  const feed = usePriceFeed();
  const reading = usePriceReading(feed);
  const tip = useTipHeight();
  const status = useDataStatus(15_000);
  const gov = useGovernance(undefined);
  const error = info.error ?? summary.error ?? atRisk.error;
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Health</h1>
      </header>
      <section className="card" aria-labelledby="alerts-title">
        <h2 id="alerts-title">Alerts in this browser</h2>
        <AlertsToggle />
      </section>
      {error ? (
        <ErrorPanel
          title="Health cannot be computed"
          error={error}
          advice="The engine in your browser did not answer. Reload the page."
        />
      ) : !info.data || !summary.data || !atRisk.data ? (
        <p className="card loading" role="status">
          Reading the engine…
        </p>
      ) : (
        <HealthReportView
          info={info.data}
          summary={summary.data}
          atRisk={atRisk.data}
          reading={reading.data ?? null}
          tipHeight={tip.data ?? null}
          tipError={tip.isError}
          role={status.data?.role ?? null}
          syncError={status.data?.lastError ?? null}
          governance={gov.data ? governanceStatusOf(gov.data) : null}
          stamp={Math.max(reading.dataUpdatedAt, tip.dataUpdatedAt, summary.dataUpdatedAt)}
        />
      )}
      {summary.data ? <CustodyPanel height={Number(summary.data.height)} /> : null}
    </section>
  );
}

function HealthReportView(props: {
  info: EngineInfo;
  summary: EngineSummary;
  atRisk: AtRiskVault[];
  reading: Parameters<typeof oracleMetrics>[0] | null;
  tipHeight: number | null;
  tipError: boolean;
  role: string | null;
  syncError: string | null;
  governance: GovernanceStatus | null;
  stamp: number;
}) {
  const { info, summary, atRisk, reading, tipHeight, tipError, role, syncError, governance, stamp } = props;
  const monitor = useMemo(() => new Monitor({ rules: defaultRules(info.params) }), [info.params]);
  const [, setTick] = useState(0);
  const report = useQuery({
    queryKey: ["health", stamp, summary.stateRoot, governance],
    queryFn: async (): Promise<{ report: HealthReport; alerts: Alert[] }> => {
      const at = Date.now();
      const samples = [
        ...systemMetrics(summary, atRisk, info.params, at),
        ...(reading ? oracleMetrics(reading, at) : []),
        ...(tipHeight !== null
          ? syncMetrics({ tipHeight, syncedHeight: Number(summary.height), lastAdvanceAt: at }, at)
          : []),
      ];
      await monitor.record(samples, at);
      const alerts = monitor.alerts.active();
      return {
        report: healthScore({ metrics: await monitor.latest(), params: info.params, alerts, governance }),
        alerts,
      };
    },
    staleTime: Number.POSITIVE_INFINITY,
  });
  if (!report.data) return <p className="card loading">Computing the health score…</p>;
  const { report: r, alerts } = report.data;
  return (
    <>
      <div className="overview">
        <ScoreHeadline report={r} />
        <ChainSyncCard tipError={tipError} tipHeight={tipHeight} height={summary.height} />
      </div>
      <PartsTable components={r.components} />
      <ActiveAlerts
        alerts={alerts}
        onAcknowledge={(ruleId) => {
          monitor.alerts.acknowledge(ruleId);
          setTick((t) => t + 1);
        }}
      />
    </>
  );
}

function ScoreHeadline({ report: r }: { report: HealthReport }) {
  return (
    <dl className="card headline" data-testid="health-score" data-value={r.score} data-band={r.band}>
      <dt className="stat-label">Health score</dt>
      <dd className="headline-value">
        {r.score} / 100{" "}
        <span
          className={`badge badge-${r.band === "healthy" ? "ready" : r.band === "degraded" ? "warn" : "error"}`}
        >
          {BAND_LABEL[r.band]}
        </span>
      </dd>
      <dd className="stat-hint">
        Weighted from the parts below; parts without data are left out, not guessed.
        {r.alertPenalty ? ` Active alerts subtract ${r.alertPenalty} points.` : ""}
      </dd>
    </dl>
  );
}

function ChainSyncCard(props: {
  tipError: boolean;
  tipHeight: number | null;
  height: EngineSummary["height"];
}) {
  const { tipError, tipHeight, height } = props;
  return (
    <div className="card" data-testid="sync-status">
      <h2 className="stat-label">Chain sync</h2>
      {tipError ? (
        <p className="notice notice-danger">The Esplora API does not answer: check its URL in Settings.</p>
      ) : tipHeight === null ? (
        <p className="loading">Reading the chain tip…</p>
      ) : (
        <p>
          Chain tip {tipHeight.toLocaleString("en-US")}; the engine has applied up to block{" "}
          {height.toString()}.{" "}
          {Number(height) < tipHeight
            ? "The chain indexer (data layer) is not connected yet, so the engine does not follow the chain."
            : "Up to date."}
        </p>
      )}
    </div>
  );
}

function PartsTable({ components }: { components: HealthReport["components"] }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls sideways on a phone must be reachable by keyboard (axe scrollable-region-focusable)
    <section className="card table-card" aria-labelledby="components-title" tabIndex={0}>
      <h2 id="components-title">Parts</h2>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Part</th>
            <th scope="col">Weight</th>
            <th scope="col">Score</th>
            <th scope="col">What it means</th>
          </tr>
        </thead>
        <tbody>
          {components.map((c) => (
            <tr key={c.component} data-component={c.component} data-score={c.score ?? "none"}>
              <td>{c.component[0]!.toUpperCase() + c.component.slice(1)}</td>
              <td>{c.weight}</td>
              <td>{c.score === null ? "no data" : `${c.score} (${BAND_LABEL[c.band!]})`}</td>
              <td className="small">{c.recommendations.join(" ") || "—"}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ActiveAlerts({
  alerts,
  onAcknowledge,
}: {
  alerts: Alert[];
  onAcknowledge: (ruleId: string) => void;
}) {
  return (
    <section className="card" aria-labelledby="alerts-title" data-testid="alerts">
      <h2 id="alerts-title">Active alerts</h2>
      {alerts.length === 0 ? (
        <p className="muted">
          No alert is active. Rules are checked every time this screen refreshes (prices every 30 s).
        </p>
      ) : (
        <ul className="plain-list">
          {alerts.map((a) => (
            <li
              key={a.id}
              className={`notice ${a.severity === "info" ? "" : "notice-warn"}`}
              data-rule={a.ruleId}
              data-severity={a.severity}
            >
              <strong>{a.title}</strong> <span className="badge">{a.severity}</span>
              <p>{a.message}</p>
              <p className="muted small">{a.description}</p>
              {!a.acknowledged ? (
                <button
                  type="button"
                  className="button button-ghost button-small"
                  onClick={() => onAcknowledge(a.ruleId)}
                >
                  Acknowledge
                </button>
              ) : (
                <span className="muted small">Acknowledged</span>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
