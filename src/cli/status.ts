/** `zkusd status`: the system at a glance (TCR, recovery mode, totals, pool, price, chain) with the health score. */
import type { Command } from "commander";
import { defaultRules, healthScore, Monitor, mergeRules } from "../monitoring/index.ts";
import { formatDecimal } from "../protocol/index.ts";
import { action, EXIT, emit } from "./output.ts";
import { open, type SourceOptions, withSource } from "./source.ts";
import { dec, governanceStatus, percent, short } from "./views.ts";

export function registerStatus(status: Command): void {
  withSource(status).action(action("status", showStatus));
}

type Snapshot = Awaited<ReturnType<typeof open>>["snap"];
type Metrics = Record<string, bigint>;
type Health = ReturnType<typeof healthScore>;
type Alerts = ReturnType<Monitor["alerts"]["active"]>;

async function showStatus(o: SourceOptions): Promise<number> {
  const { config, snap, format } = await open(o);
  const s = snap.summary;
  const m: Metrics = Object.fromEntries(snap.metrics.map((x) => [x.metric, x.value]));
  // Evaluate the threshold rules on this one snapshot, for the alert penalty.
  const monitor = new Monitor({ rules: mergeRules(defaultRules(snap.params), config.rules) });
  await monitor.record(snap.metrics, snap.at);
  const alerts = monitor.alerts.active();
  const health = healthScore({
    metrics: m,
    params: snap.params,
    alerts,
    governance: governanceStatus(snap.state),
  });
  const json = statusJson(snap, m, health, alerts);
  const rows = statusRows(snap, m, health);
  emit(
    {
      json,
      table: { columns: ["field", "value"], rows },
      minimal: `${json.tcr ?? "inf"} ${s.recoveryMode ? 1 : 0} ${health.score}`,
      text: (c) => {
        const value = (k: string, v: string) => {
          if (k === "recovery mode" && s.recoveryMode) return c.red(c.bold(v));
          if (k === "health")
            return health.score >= 90 ? c.green(v) : health.score >= 50 ? c.yellow(v) : c.red(v);
          return v;
        };
        const lines = rows.map(([k, v]) => `${k.padEnd(15)} ${value(k, v)}`);
        const head = c.dim(`${snap.source}${snap.paramsKnown ? "" : " (parameters: defaults)"}`);
        const alertLines = alerts.map(
          (a) =>
            `${a.severity === "warning" || a.severity === "info" ? c.yellow("!") : c.red("!")} ${a.ruleId}: ${a.message}`,
        );
        return [head, ...lines, ...alertLines].join("\n");
      },
    },
    format,
  );
  return EXIT.ok;
}

function statusJson(snap: Snapshot, m: Metrics, health: Health, alerts: Alerts) {
  const s = snap.summary;
  return {
    source: snap.source,
    at: new Date(snap.at).toISOString(),
    price: formatDecimal(s.price),
    tcr: dec(s.tcr),
    recoveryMode: s.recoveryMode,
    ccr: formatDecimal(snap.params.CCR),
    mcr: formatDecimal(snap.params.MCR),
    paramsKnown: snap.paramsKnown,
    totalCollateral: formatDecimal(s.totalCollateral),
    totalDebt: formatDecimal(s.totalDebt),
    zkusdSupply: formatDecimal(s.zkusdSupply),
    activeVaults: s.activeVaults.toString(),
    vaultsAtRisk: (m.vaultsAtRisk ?? 0n).toString(),
    debtAtRisk: formatDecimal(m.debtAtRisk ?? 0n),
    liquidatableVaults: (m.liquidatableVaults ?? 0n).toString(),
    pool: {
      total: formatDecimal(s.poolTotal),
      collateral: formatDecimal(s.poolCollateral),
      coverage: dec(m.poolCoverage ?? 0n),
    },
    baseRate: formatDecimal(s.decayedBaseRate),
    borrowingRate: formatDecimal(s.borrowingRate),
    chain: snap.chain,
    governance: governanceStatus(snap.state),
    health: { score: health.score, band: health.band },
    alerts: alerts.map((a) => ({ rule: a.ruleId, severity: a.severity, message: a.message })),
  };
}

function statusRows(snap: Snapshot, m: Metrics, health: Health): [string, string][] {
  const s = snap.summary;
  const rows: [string, string][] = [
    ["price", `${short(s.price, 2)} USD/BTC`],
    ["TCR", `${percent(s.tcr)} (CCR ${percent(snap.params.CCR)})`],
    ["recovery mode", s.recoveryMode ? "YES" : "no"],
    ["collateral", `${short(s.totalCollateral, 8)} BTC`],
    ["debt", `${short(s.totalDebt, 2)} zkUSD`],
    ["active vaults", s.activeVaults.toString()],
    ["at risk", `${(m.vaultsAtRisk ?? 0n).toString()} vaults, ${short(m.debtAtRisk ?? 0n, 2)} zkUSD`],
    [
      "stability pool",
      `${short(s.poolTotal, 2)} zkUSD (covers ${percent(m.poolCoverage ?? 0n)} of debt at risk)`,
    ],
    ["base rate", percent(s.decayedBaseRate)],
    ["health", `${health.score}/100 ${health.band}`],
  ];
  const gov = governanceStatus(snap.state);
  if (gov)
    rows.splice(rows.length - 1, 0, [
      "governance",
      gov.shutdown ? "SHUT DOWN" : gov.paused ? "PAUSED" : `${gov.queuedProposals} proposal(s) queued`,
    ]);
  return rows;
}
