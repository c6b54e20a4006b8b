/**
 * Metrics: named readings taken from the engine state, the oracle's price reading, the indexer's
 * sync status and the app's own timings. Every value is a bigint in its metric's unit: 18-decimal
 * fixed point for amounts, prices and ratios (docs/decisions.md §3), plain integers for counts, basis points,
 * seconds, blocks and milliseconds. `toChartNumber` is the one place a value becomes a JS number.
 */
import {
  computeCR,
  MAX_UINT256,
  ONE,
  type Params,
  RISK_MARGIN,
  riskiestVaults,
  type State,
  type SystemSummary,
  systemSummary,
  type VaultView,
} from "../protocol/index.ts";

/** How a metric's bigint is scaled. */
export type MetricUnit =
  | "ratio" // 18 decimals, 1.5 = 1.5e18
  | "btc" // 18 decimals
  | "zkusd" // 18 decimals
  | "usd" // 18 decimals, USD per BTC
  | "count"
  | "flag" // 0 or 1
  | "bps"
  | "seconds"
  | "blocks"
  | "ms";

export const DECIMAL_UNITS: ReadonlySet<MetricUnit> = new Set(["ratio", "btc", "zkusd", "usd"]);

export interface MetricDefinition {
  readonly unit: MetricUnit;
  readonly description: string;
}

/** Every metric the monitor knows, with its unit and a sentence for operators. */
export const METRICS = {
  tcr: { unit: "ratio", description: "total collateral ratio (TCR) at the engine's price" },
  recoveryMode: { unit: "flag", description: "1 while TCR is below CCR (recovery mode)" },
  totalCollateral: { unit: "btc", description: "BTC held by active vaults, pending rewards included" },
  totalDebt: { unit: "zkusd", description: "debt of active vaults, pending rewards included" },
  zkusdSupply: { unit: "zkusd", description: "zkUSD in circulation" },
  activeVaults: { unit: "count", description: "active vaults" },
  poolSize: { unit: "zkusd", description: "zkUSD in the stability pool" },
  poolCoverage: {
    unit: "ratio",
    description: "stability pool size / debt of vaults at risk (max when nothing is at risk)",
  },
  vaultsAtRisk: { unit: "count", description: "active vaults with ICR below the at-risk ratio" },
  debtAtRisk: { unit: "zkusd", description: "debt of the vaults at risk" },
  liquidatableVaults: {
    unit: "count",
    description: "vaults that can be liquidated now (ICR < MCR, or < TCR under CCR in recovery mode)",
  },
  minIcr: { unit: "ratio", description: "lowest ICR of an active vault (max when none)" },
  price: { unit: "usd", description: "BTC/USD price the engine uses" },
  baseRate: { unit: "ratio", description: "base rate decayed to the engine's time" },
  priceSources: { unit: "count", description: "exchange sources whose quote the oracle accepted" },
  priceAvailable: { unit: "flag", description: "1 when the oracle has a price (enough sources agree)" },
  priceAge: { unit: "seconds", description: "age of the newest accepted quote" },
  priceDeviation: { unit: "bps", description: "largest distance of an accepted quote from the median" },
  syncLag: { unit: "blocks", description: "blocks between the chain tip and the indexer's height" },
  syncStalled: { unit: "seconds", description: "seconds since the indexer last advanced while behind" },
  proofLatency: { unit: "ms", description: "time to make the last Groth16 proof" },
  guardianLatency: { unit: "ms", description: "round trip of the last guardian request" },
} as const satisfies Record<string, MetricDefinition>;

export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

export function isMetricName(name: unknown): name is MetricName {
  return typeof name === "string" && Object.hasOwn(METRICS, name);
}

/** One reading of one metric; `at` is milliseconds since the epoch (block time × 1000 for replays). */
export interface MetricSample {
  readonly metric: MetricName;
  readonly at: number;
  readonly value: bigint;
}

export interface EngineMetricOptions {
  /** A vault is "at risk" below this ICR (18 decimals). Default: MCR + RISK_MARGIN (0.1; the seed's 120%). */
  atRiskRatio?: bigint;
}

/** System-wide readings from the engine state (TCR, totals, pool, vaults at risk, base rate). */
export function engineMetrics(state: State, at: number, options: EngineMetricOptions = {}): MetricSample[] {
  return systemMetrics(systemSummary(state), riskiestVaults(state), state.params, at, options);
}

/**
 * The same readings from views (a guardian's API answers with these): the summary, the active vaults
 * riskiest first, and the parameters.
 */
export function systemMetrics(
  s: SystemSummary,
  riskiestFirst: readonly VaultView[],
  params: Params,
  at: number,
  options: EngineMetricOptions = {},
): MetricSample[] {
  const atRiskRatio = options.atRiskRatio ?? params.MCR + RISK_MARGIN;
  let vaultsAtRisk = 0n;
  let debtAtRisk = 0n;
  let liquidatable = 0n;
  let minIcr = MAX_UINT256;
  // Riskiest first: stop at the first vault above both thresholds (both only grow with ICR).
  for (const v of riskiestFirst) {
    if (v.icr < minIcr) minIcr = v.icr;
    const canLiquidate = v.icr < params.MCR || (s.recoveryMode && v.icr < params.CCR && v.icr < s.tcr);
    if (canLiquidate) liquidatable++;
    if (v.icr < atRiskRatio) {
      vaultsAtRisk++;
      debtAtRisk += v.debt;
    }
    if (!canLiquidate && v.icr >= atRiskRatio) break;
  }
  // Coverage: pool / debt at risk, 18 decimals; "infinite" when nothing is at risk.
  const poolCoverage = computeCR(s.poolTotal, debtAtRisk, ONE);
  const sample = (metric: MetricName, value: bigint): MetricSample => ({ metric, at, value });
  return [
    sample("tcr", s.tcr),
    sample("recoveryMode", s.recoveryMode ? 1n : 0n),
    sample("totalCollateral", s.totalCollateral),
    sample("totalDebt", s.totalDebt),
    sample("zkusdSupply", s.zkusdSupply),
    sample("activeVaults", s.activeVaults),
    sample("poolSize", s.poolTotal),
    sample("poolCoverage", poolCoverage),
    sample("vaultsAtRisk", vaultsAtRisk),
    sample("debtAtRisk", debtAtRisk),
    sample("liquidatableVaults", liquidatable),
    sample("minIcr", minIcr),
    sample("price", s.price),
    sample("baseRate", s.decayedBaseRate),
  ];
}

/** The part of an oracle reading (src/oracle PriceReading) the monitor needs. */
export interface OracleReadingLike {
  readonly status: "ok" | "unavailable";
  readonly price: bigint | null;
  readonly at: number;
  readonly sources: readonly { accepted: boolean; price: bigint | null; timestamp: number | null }[];
}

/** Source health from one oracle reading: accepted sources, availability, age and spread. */
export function oracleMetrics(reading: OracleReadingLike, at = reading.at): MetricSample[] {
  const accepted = reading.sources.filter((s) => s.accepted && s.price !== null);
  const newest = accepted.reduce<number | null>(
    (m, s) => (s.timestamp !== null && (m === null || s.timestamp > m) ? s.timestamp : m),
    null,
  );
  let deviation = 0n;
  if (reading.price !== null && reading.price > 0n) {
    for (const s of accepted) {
      const p = s.price as bigint;
      const d = ((p > reading.price ? p - reading.price : reading.price - p) * 10_000n) / reading.price;
      if (d > deviation) deviation = d;
    }
  }
  const out: MetricSample[] = [
    { metric: "priceSources", at, value: BigInt(accepted.length) },
    { metric: "priceAvailable", at, value: reading.status === "ok" ? 1n : 0n },
    { metric: "priceDeviation", at, value: deviation },
  ];
  if (newest !== null) {
    out.push({ metric: "priceAge", at, value: BigInt(Math.max(0, Math.floor((at - newest) / 1000))) });
  }
  return out;
}

/** The indexer's progress as the monitor sees it (src/indexer reports it; tests build it directly). */
export interface SyncStatus {
  /** Height of the chain tip as the chain source reports it. */
  readonly tipHeight: number;
  /** Last block the indexer applied. */
  readonly syncedHeight: number;
  /** When `syncedHeight` last changed (ms). */
  readonly lastAdvanceAt: number;
}

export function syncMetrics(status: SyncStatus, at: number): MetricSample[] {
  const lag = Math.max(0, status.tipHeight - status.syncedHeight);
  // Stalled only counts while behind: a caught-up indexer waiting for the next block is fine.
  const stalled = lag > 0 ? Math.max(0, Math.floor((at - status.lastAdvanceAt) / 1000)) : 0;
  return [
    { metric: "syncLag", at, value: BigInt(lag) },
    { metric: "syncStalled", at, value: BigInt(stalled) },
  ];
}

/** A timing measured by the app (proof or guardian round trip), in whole milliseconds. */
export function latencyMetric(
  metric: "proofLatency" | "guardianLatency",
  ms: number,
  at: number,
): MetricSample {
  if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`${metric}: expected a duration ≥ 0, got ${ms}`);
  return { metric, at, value: BigInt(Math.round(ms)) };
}

/** Values of 18-decimal units above this are shown as "∞" and plotted at the cap. */
const CHART_CAP = 1_000_000_000n * ONE;

/**
 * The one boundary where a metric becomes a JS number: chart coordinates. Decimal units are
 * divided by 1e18 (precision beyond a double's 15–16 digits is irrelevant on a chart); "infinite"
 * ratios (no debt) are capped at 1e9.
 */
export function toChartNumber(metric: MetricName, value: bigint): number {
  if (!DECIMAL_UNITS.has(METRICS[metric].unit)) return Number(value);
  const capped = value > CHART_CAP ? CHART_CAP : value;
  return Number(capped / 10n ** 9n) / 1e9;
}

/** A value for people: decimals in full precision, "∞" for the no-debt sentinel, units for the rest. */
export function formatMetric(metric: MetricName, value: bigint): string {
  const unit = METRICS[metric].unit;
  if (DECIMAL_UNITS.has(unit)) return value >= MAX_UINT256 ? "∞" : formatDecimalTrimmed(value);
  switch (unit) {
    case "flag":
      return value === 0n ? "no" : "yes";
    case "bps":
      return `${value} bps`;
    case "seconds":
      return `${value} s`;
    case "ms":
      return `${value} ms`;
    case "blocks":
      return `${value} blocks`;
    default:
      return value.toString();
  }
}

/** 18-decimal value with at most 6 decimals (truncated), for messages; exact values stay in JSON. */
function formatDecimalTrimmed(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / ONE;
  const frac = ((abs % ONE) / 10n ** 12n).toString().padStart(6, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}
