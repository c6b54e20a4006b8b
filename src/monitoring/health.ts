/**
 * A health score per component with the seed's weights (§10): collateralization 30, oracle 25,
 * stability pool 15, liquidation 15, performance 10, governance 5. Each component scores 0–100 from
 * the latest metrics; a component without data is left out and the weights of the others are
 * renormalized. Firing alerts subtract the seed's penalty (at most 50). Bands: ≥ 90 healthy,
 * ≥ 70 degraded, ≥ 50 warning, ≥ 25 critical, else emergency. Scores are small integers, not money,
 * so plain numbers are fine here; the inputs stay bigint.
 */
import { ONE, type Params } from "../protocol/index.ts";
import type { MetricName } from "./metrics.ts";
import type { Alert } from "./rules.ts";

export const COMPONENTS = [
  "collateralization",
  "oracle",
  "pool",
  "liquidation",
  "performance",
  "governance",
] as const;
export type Component = (typeof COMPONENTS)[number];

export const WEIGHTS: Readonly<Record<Component, number>> = {
  collateralization: 30,
  oracle: 25,
  pool: 15,
  liquidation: 15,
  performance: 10,
  governance: 5,
};

export type Band = "healthy" | "degraded" | "warning" | "critical" | "emergency";

export function band(score: number): Band {
  if (score >= 90) return "healthy";
  if (score >= 70) return "degraded";
  if (score >= 50) return "warning";
  if (score >= 25) return "critical";
  return "emergency";
}

export interface ComponentHealth {
  readonly component: Component;
  readonly weight: number;
  /** 0–100, or null when there is no data for it. */
  readonly score: number | null;
  readonly band: Band | null;
  /** What the score means and what to do, in plain words. */
  readonly recommendations: readonly string[];
}

export interface HealthReport {
  readonly score: number;
  readonly band: Band;
  readonly components: readonly ComponentHealth[];
  readonly alertPenalty: number;
}

/** Governance facts the score uses (from src/governance when available). */
export interface GovernanceStatus {
  readonly paused: boolean;
  readonly shutdown: boolean;
  /** Queued proposals that change parameters, keys or pause state. */
  readonly queuedProposals: number;
  /** Proposals in their voting period (absent: not known to the source). */
  readonly activeProposals?: number;
}

/** The governance facts the score uses, from the proposal list (src/governance listProposals) and flags. */
export function governanceStatusOf(g: {
  paused: boolean;
  shutdown: boolean;
  proposals: readonly { state: string }[];
}): GovernanceStatus {
  return {
    paused: g.paused,
    shutdown: g.shutdown,
    queuedProposals: g.proposals.filter((p) => p.state === "queued").length,
    activeProposals: g.proposals.filter((p) => p.state === "active").length,
  };
}

export interface HealthInput {
  /** Latest value of each metric that has one. */
  readonly metrics: Partial<Record<MetricName, bigint>>;
  readonly params: Params;
  readonly alerts?: readonly Alert[];
  readonly governance?: GovernanceStatus | null;
}

/** The seed's alert penalty, capped at 50. */
export function alertPenalty(alerts: readonly Alert[]): number {
  const n = (s: Alert["severity"]) => alerts.filter((a) => a.severity === s).length;
  const unacknowledged = alerts.filter((a) => !a.acknowledged).length;
  const p =
    Math.min(30 * n("emergency"), 50) +
    Math.min(15 * n("critical"), 30) +
    Math.min(5 * n("warning"), 15) +
    Math.min(2 * unacknowledged, 10);
  return Math.min(p, 50);
}

/** `part / whole` as a percentage 0–100 (floored), from bigints. */
const pct = (part: bigint, whole: bigint): number =>
  whole <= 0n ? 100 : Number(((part < 0n ? 0n : part) * 100n) / whole);
const clamp = (x: number) => Math.max(0, Math.min(100, Math.round(x)));

function collateralization(m: HealthInput["metrics"], p: Params): [number | null, string[]] {
  const tcr = m.tcr;
  if (tcr === undefined) return [null, ["No engine state: the collateral ratio is unknown."]];
  if ((m.totalDebt ?? 1n) === 0n) return [100, ["No debt in the system."]];
  const buffer = ONE / 2n;
  if (tcr >= p.CCR + buffer) return [100, ["TCR is comfortably above CCR."]];
  if (tcr >= p.CCR)
    return [
      60 + (40 * pct(tcr - p.CCR, buffer)) / 100,
      [
        "TCR is close to CCR. Borrowers near the bottom should add collateral or repay to keep the system out of recovery mode.",
      ],
    ];
  if (tcr >= p.MCR)
    return [
      20 + (40 * pct(tcr - p.MCR, p.CCR - p.MCR)) / 100,
      [
        "Recovery mode: vaults below CCR can be liquidated and new debt must raise the TCR. Add collateral or repay now; depositing to the stability pool helps absorb liquidations.",
      ],
    ];
  return [
    0,
    [
      "TCR is below MCR: the system is undercollateralized as a whole. Guardians and governance should consider emergency measures.",
    ],
  ];
}

function oracle(m: HealthInput["metrics"]): [number | null, string[]] {
  if (m.priceAvailable === undefined && m.priceSources === undefined)
    return [null, ["No oracle reading yet."]];
  if (m.priceAvailable === 0n)
    return [
      0,
      [
        "The oracle has no price (too few exchanges agree). Operations that need a price wait; check the sources and the network.",
      ],
    ];
  const sources = Number(m.priceSources ?? 0n);
  let score = sources >= 5 ? 100 : sources === 4 ? 90 : sources === 3 ? 75 : 0;
  const recs: string[] = [];
  if (sources < 5)
    recs.push(`Only ${sources} exchange sources answer; more sources make the price harder to move.`);
  const deviation = m.priceDeviation ?? 0n;
  if (deviation > 500n) {
    score -= 25;
    recs.push("An accepted quote is more than 5% from the median: check for a faulty or manipulated source.");
  } else if (deviation > 200n) {
    score -= 10;
    recs.push("Sources disagree by more than 2%.");
  }
  if ((m.priceAge ?? 0n) > 300n) {
    score = Math.min(score, 20);
    recs.push("The newest quote is older than 5 minutes: the price is stale.");
  }
  if (recs.length === 0) recs.push("Prices are fresh and the sources agree.");
  return [score, recs];
}

function pool(m: HealthInput["metrics"]): [number | null, string[]] {
  if (m.poolCoverage === undefined) return [null, ["No stability pool data."]];
  if ((m.debtAtRisk ?? 0n) === 0n) return [100, ["No vault is at risk; the pool has nothing to absorb."]];
  const coverage = pct(m.poolCoverage, ONE);
  if (coverage >= 100) return [100, ["The stability pool covers all debt at risk."]];
  return [
    coverage,
    [
      `The stability pool covers ${coverage}% of the debt at risk; the rest would be redistributed to other vaults. Deposits to the pool raise coverage and earn liquidation gains.`,
    ],
  ];
}

function liquidation(m: HealthInput["metrics"]): [number | null, string[]] {
  if (m.vaultsAtRisk === undefined) return [null, ["No vault data."]];
  // With no debt in the system nothing can be at risk (pct() reads an empty whole as 100%).
  const share = (m.totalDebt ?? 0n) > 0n ? pct(m.debtAtRisk ?? 0n, m.totalDebt ?? 0n) : 0;
  let score = 100 - 2 * share;
  const recs: string[] = [];
  if ((m.liquidatableVaults ?? 0n) > 0n) {
    score = Math.min(score, 60);
    recs.push(
      `${m.liquidatableVaults} vault(s) can be liquidated now: liquidators should act before losses grow.`,
    );
  }
  if ((m.vaultsAtRisk ?? 0n) > 0n)
    recs.push(
      `${m.vaultsAtRisk} vault(s) hold ${share}% of the debt close to MCR; their owners should add collateral.`,
    );
  if (recs.length === 0) recs.push("No vault is close to liquidation.");
  return [score, recs];
}

function performance(m: HealthInput["metrics"]): [number | null, string[]] {
  if (m.syncLag === undefined && m.guardianLatency === undefined && m.proofLatency === undefined)
    return [null, ["No sync or latency data."]];
  let score = 100;
  const recs: string[] = [];
  const lag = m.syncLag ?? 0n;
  if ((m.syncStalled ?? 0n) > 1800n) {
    score = 0;
    recs.push("The indexer is stalled: check the Esplora URL and the node.");
  } else if (lag > 6n) {
    score -= 60;
    recs.push(`The indexer is ${lag} blocks behind: what you see is out of date.`);
  } else if (lag > 1n) {
    score -= 20;
    recs.push(`The indexer is ${lag} blocks behind.`);
  }
  if ((m.guardianLatency ?? 0n) > 5_000n) {
    score -= 30;
    recs.push("Guardians answer slowly (over 5 s): price attestations and settlements will be slow.");
  }
  if ((m.proofLatency ?? 0n) > 120_000n) {
    score -= 20;
    recs.push("Proofs take over 2 minutes on this device; a faster device or a desktop browser helps.");
  }
  if (recs.length === 0) recs.push("Sync and response times are normal.");
  return [score, recs];
}

function governance(g: GovernanceStatus | null | undefined): [number | null, string[]] {
  if (!g) return [null, ["No governance data."]];
  if (g.shutdown) return [0, ["The protocol is shut down by governance: only closing and withdrawing work."]];
  if (g.paused) return [30, ["The protocol is paused by governance."]];
  if (g.queuedProposals > 0)
    return [
      80,
      [`${g.queuedProposals} proposal(s) are queued in the timelock: review them before they execute.`],
    ];
  if (g.activeProposals)
    return [
      90,
      [
        `${g.activeProposals} proposal(s) are being voted on: read them and vote before the voting period ends.`,
      ],
    ];
  return [100, ["No pending governance changes."]];
}

export function healthScore(input: HealthInput): HealthReport {
  const m = input.metrics;
  const parts: Record<Component, [number | null, string[]]> = {
    collateralization: collateralization(m, input.params),
    oracle: oracle(m),
    pool: pool(m),
    liquidation: liquidation(m),
    performance: performance(m),
    governance: governance(input.governance),
  };
  const components = COMPONENTS.map((component): ComponentHealth => {
    const [raw, recommendations] = parts[component];
    const score = raw === null ? null : clamp(raw);
    return {
      component,
      weight: WEIGHTS[component],
      score,
      band: score === null ? null : band(score),
      recommendations,
    };
  });
  const known = components.filter((c) => c.score !== null);
  const weight = known.reduce((s, c) => s + c.weight, 0);
  const weighted =
    weight === 0 ? 100 : known.reduce((s, c) => s + (c.score as number) * c.weight, 0) / weight;
  const penalty = alertPenalty(input.alerts ?? []);
  const score = clamp(weighted - penalty);
  return { score, band: band(score), components, alertPenalty: penalty };
}
