/**
 * From per-source reports to one price, or to a refusal with its reason (never a stale fallback).
 * A quote is rejected when its source failed (timeout, HTTP error, unreadable answer…), when its
 * price is not positive, when it is older than `maxAgeMs` (or ahead of this device's clock by more
 * than `maxFutureSkewMs`), or when it lies more than `maxDeviationBps` from the median of the fresh
 * quotes. With fewer than `minSources` accepted quotes the price is "unavailable". Otherwise the
 * price is the median of the accepted quotes (even count: mean of the middle two, rounded down), or
 * their 24 h volume-weighted median. USDT quotes count as USD; each verdict keeps its currency.
 */
import { formatDecimal } from "../protocol/decimal.ts";
import { describeError, OracleError } from "./errors.ts";
import type { Quote, QuoteCurrency, SourceId, Transport } from "./types.ts";

export type AggregationMethod = "median" | "volumeWeightedMedian";

export interface AggregationRules {
  /** (G) Accepted sources needed for a price. */
  readonly minSources: number;
  /** (G) Largest distance from the median, in basis points (500 = 5%). */
  readonly maxDeviationBps: number;
  /** (G) Oldest acceptable quote, ms. */
  readonly maxAgeMs: number;
  /** Largest tolerated lead of a quote's time over this device's clock, ms. */
  readonly maxFutureSkewMs: number;
  readonly method: AggregationMethod;
}

export const DEFAULT_RULES: AggregationRules = {
  minSources: 3,
  maxDeviationBps: 500,
  maxAgeMs: 5 * 60_000,
  maxFutureSkewMs: 60_000,
  method: "median",
};

/** What the oracle learned from one source in one round. */
export type SourceReport = {
  readonly source: SourceId;
  readonly quoteCurrency: QuoteCurrency;
  readonly transport: Transport;
} & (
  | { readonly quote: Quote; readonly error?: undefined }
  | { readonly quote?: undefined; readonly error: unknown }
);

export type RejectionCode =
  | "nonPositive"
  | "stale"
  | "future"
  | "outlier"
  // a failed source keeps its OracleError code (timeout, blocked, rateLimited, malformedResponse…)
  | OracleError["code"]
  | "error";

export interface SourceVerdict {
  readonly source: SourceId;
  readonly quoteCurrency: QuoteCurrency;
  readonly transport: Transport;
  readonly price: bigint | null;
  readonly volume: bigint | null;
  readonly timestamp: number | null;
  readonly accepted: boolean;
  readonly rejection: { readonly code: RejectionCode; readonly reason: string } | null;
}

export interface PriceReading {
  readonly status: "ok" | "unavailable";
  /** USD per BTC, 18 decimals; null when unavailable. */
  readonly price: bigint | null;
  /** Why the price is unavailable; null when ok. */
  readonly reason: string | null;
  readonly method: AggregationMethod;
  /** When the reading was aggregated (ms, this device's clock). */
  readonly at: number;
  readonly sources: readonly SourceVerdict[];
}

export function aggregate(
  reports: readonly SourceReport[],
  now: number,
  rules: AggregationRules = DEFAULT_RULES,
): PriceReading {
  validateRules(rules);
  const verdicts = new Map<SourceReport, SourceVerdict>();
  const fresh: Array<{ report: SourceReport; quote: Quote }> = [];
  for (const report of reports) {
    const rejection = firstRejection(report, now, rules);
    if (rejection) verdicts.set(report, verdict(report, false, rejection));
    else if (report.quote) fresh.push({ report, quote: report.quote });
  }

  const accepted: Quote[] = [];
  if (fresh.length > 0) {
    const reference = median(fresh.map(({ quote }) => quote.price));
    for (const { report, quote } of fresh) {
      const distance = quote.price > reference ? quote.price - reference : reference - quote.price;
      if (distance * 10_000n > BigInt(rules.maxDeviationBps) * reference) {
        const reason =
          `${formatBps((distance * 10_000n) / reference)} from the median ${formatDecimal(reference)}, ` +
          `limit ${formatBps(BigInt(rules.maxDeviationBps))}`;
        verdicts.set(report, verdict(report, false, { code: "outlier", reason }));
      } else {
        verdicts.set(report, verdict(report, true, null));
        accepted.push(quote);
      }
    }
  }

  const sources = reports.map((report) => verdicts.get(report) as SourceVerdict);
  if (accepted.length < rules.minSources) {
    const names = accepted.map((q) => q.source).join(", ");
    const reason =
      `only ${accepted.length} valid source${accepted.length === 1 ? "" : "s"}` +
      `${names ? ` (${names})` : ""}; at least ${rules.minSources} are required`;
    return { status: "unavailable", price: null, reason, method: rules.method, at: now, sources };
  }
  const price =
    rules.method === "volumeWeightedMedian"
      ? volumeWeightedMedian(accepted)
      : median(accepted.map((q) => q.price));
  return { status: "ok", price, reason: null, method: rules.method, at: now, sources };
}

function firstRejection(
  report: SourceReport,
  now: number,
  rules: AggregationRules,
): { code: RejectionCode; reason: string } | null {
  if (!report.quote) {
    const error = report.error;
    return { code: error instanceof OracleError ? error.code : "error", reason: describeError(error) };
  }
  const quote = report.quote;
  if (quote.price <= 0n)
    return { code: "nonPositive", reason: `price ${formatDecimal(quote.price)} is not positive` };
  const age = now - quote.timestamp;
  if (age > rules.maxAgeMs) {
    return {
      code: "stale",
      reason: `quoted ${Math.floor(age / 1000)} s ago, limit ${Math.floor(rules.maxAgeMs / 1000)} s`,
    };
  }
  if (-age > rules.maxFutureSkewMs) {
    return { code: "future", reason: `time is ${Math.ceil(-age / 1000)} s ahead of this device's clock` };
  }
  return null;
}

function verdict(
  report: SourceReport,
  accepted: boolean,
  rejection: { code: RejectionCode; reason: string } | null,
): SourceVerdict {
  return {
    source: report.source,
    quoteCurrency: report.quoteCurrency,
    transport: report.transport,
    price: report.quote?.price ?? null,
    volume: report.quote?.volume ?? null,
    timestamp: report.quote?.timestamp ?? null,
    accepted,
    rejection,
  };
}

/** Median of a non-empty list; even length: mean of the middle two, rounded down. */
export function median(values: readonly bigint[]): bigint {
  if (values.length === 0) throw new RangeError("median of an empty list");
  const sorted = [...values].sort(compare);
  const mid = sorted.length >> 1;
  const upper = sorted[mid] as bigint;
  return sorted.length % 2 === 1 ? upper : ((sorted[mid - 1] as bigint) + upper) / 2n;
}

/**
 * Weighted median by 24 h BTC volume: the price where cumulative volume first reaches half the total
 * (exactly half: mean of it and the next price, rounded down, so equal weights give the plain
 * median). Quotes without volume weigh nothing; if no quote has volume, the plain median.
 */
export function volumeWeightedMedian(quotes: readonly Quote[]): bigint {
  const sorted = [...quotes].sort((a, b) => compare(a.price, b.price));
  const weight = (q: Quote) => (q.volume !== null && q.volume > 0n ? q.volume : 0n);
  const total = sorted.reduce((sum, q) => sum + weight(q), 0n);
  if (total === 0n) return median(sorted.map((q) => q.price));
  let cumulative = 0n;
  for (let i = 0; i < sorted.length; i++) {
    const quote = sorted[i] as Quote;
    cumulative += weight(quote);
    if (cumulative * 2n > total) return quote.price;
    if (cumulative * 2n === total) {
      const next = sorted.slice(i + 1).find((q) => weight(q) > 0n) ?? quote;
      return (quote.price + next.price) / 2n;
    }
  }
  return (sorted[sorted.length - 1] as Quote).price;
}

const compare = (a: bigint, b: bigint): number => (a < b ? -1 : a > b ? 1 : 0);

/** Basis points as a percentage with two decimals ("512" → "5.12%"). */
export function formatBps(bps: bigint): string {
  return `${bps / 100n}.${(bps % 100n).toString().padStart(2, "0")}%`;
}

function validateRules(rules: AggregationRules): void {
  if (!Number.isInteger(rules.minSources) || rules.minSources < 1) {
    throw new OracleError(
      "invalidSettings",
      `aggregation: minSources must be an integer ≥ 1, got ${rules.minSources}`,
    );
  }
  if (!Number.isInteger(rules.maxDeviationBps) || rules.maxDeviationBps < 0) {
    throw new OracleError(
      "invalidSettings",
      `aggregation: maxDeviationBps must be an integer ≥ 0, got ${rules.maxDeviationBps}`,
    );
  }
  if (!(rules.maxAgeMs > 0) || !(rules.maxFutureSkewMs >= 0)) {
    throw new OracleError("invalidSettings", "aggregation: maxAgeMs must be > 0 and maxFutureSkewMs ≥ 0");
  }
}
