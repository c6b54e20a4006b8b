import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseDecimal } from "../protocol/decimal.ts";
import { aggregate, DEFAULT_RULES, median, type SourceReport, volumeWeightedMedian } from "./aggregate.ts";
import { OracleError } from "./errors.ts";
import { SOURCES } from "./sources/index.ts";
import { type Quote, SOURCE_IDS, type SourceId } from "./types.ts";

const NOW = 1_750_000_000_000;

function quote(
  source: SourceId,
  price: string,
  options: { ageMs?: number; volume?: string | null } = {},
): SourceReport {
  const q: Quote = {
    source,
    symbol: SOURCES[source].rest.symbol,
    quoteCurrency: SOURCES[source].quoteCurrency,
    price: price.startsWith("-") ? -parseDecimal(price.slice(1)) : parseDecimal(price),
    volume: options.volume === null ? null : parseDecimal(options.volume ?? "100"),
    timestamp: NOW - (options.ageMs ?? 1_000),
    timestampSource: "exchange",
    receivedAt: NOW,
    transport: "rest",
  };
  return { source, quoteCurrency: q.quoteCurrency, transport: "rest", quote: q };
}

const failed = (source: SourceId, error: unknown): SourceReport => ({
  source,
  quoteCurrency: SOURCES[source].quoteCurrency,
  transport: "rest",
  error,
});

describe("aggregation rules", () => {
  it("defaults: ≥ 3 sources, 5% from the median, 5 minutes", () => {
    expect(DEFAULT_RULES).toEqual({
      minSources: 3,
      maxDeviationBps: 500,
      maxAgeMs: 300_000,
      maxFutureSkewMs: 60_000,
      method: "median",
    });
  });

  it("median of an odd count is the middle; of an even count the mean of the middle two, rounded down", () => {
    expect(median([3n, 1n, 2n])).toBe(2n);
    expect(median([4n, 1n, 2n, 3n])).toBe(2n);
    expect(median([1n, 2n])).toBe(1n);
    expect(() => median([])).toThrow(RangeError);
  });

  it("a quote exactly 5% from the median is kept; one unit further is rejected", () => {
    const reading = aggregate(
      [
        quote("binance", "100000"),
        quote("coinbase", "100000"),
        quote("kraken", "105000"),
        quote("okx", "94999.999999999999999999"),
      ],
      NOW,
    );
    expect(reading.sources.map((s) => s.accepted)).toEqual([true, true, true, false]);
    expect(reading.sources[3]?.rejection?.code).toBe("outlier");
  });

  it("a quote exactly 5 minutes old is kept; one millisecond older is stale", () => {
    const reading = aggregate(
      [
        quote("binance", "100"),
        quote("coinbase", "100", { ageMs: 300_000 }),
        quote("kraken", "100", { ageMs: 300_001 }),
      ],
      NOW,
    );
    expect(reading.sources.map((s) => s.rejection?.code ?? "accepted")).toEqual([
      "accepted",
      "accepted",
      "stale",
    ]);
    expect(reading.sources[2]?.rejection?.reason).toBe("quoted 300 s ago, limit 300 s");
    expect(reading.status).toBe("unavailable");
  });

  it("rejects zero and negative prices, quotes from the future, and failed sources with their reason", () => {
    const reading = aggregate(
      [
        quote("binance", "0"),
        quote("coinbase", "-5"),
        quote("kraken", "100", { ageMs: -120_000 }),
        failed(
          "bitstamp",
          new OracleError("malformedResponse", 'bitstamp: expected a decimal at last, got "n/a"'),
        ),
        failed("okx", new Error("boom")),
        quote("bybit", "100"),
      ],
      NOW,
    );
    expect(
      reading.sources.map((s) => [s.source, s.rejection?.code ?? null, s.rejection?.reason ?? null]),
    ).toEqual([
      ["binance", "nonPositive", "price 0 is not positive"],
      ["coinbase", "nonPositive", "price -5 is not positive"],
      ["kraken", "future", "time is 120 s ahead of this device's clock"],
      ["bitstamp", "malformedResponse", 'bitstamp: expected a decimal at last, got "n/a"'],
      ["okx", "error", "boom"],
      ["bybit", null, null],
    ]);
    expect(reading.reason).toBe("only 1 valid source (bybit); at least 3 are required");
  });

  it("says unavailable with no source at all", () => {
    const reading = aggregate([], NOW);
    expect(reading).toMatchObject({
      status: "unavailable",
      price: null,
      reason: "only 0 valid sources; at least 3 are required",
    });
  });

  it("outliers are judged against the median of all fresh quotes, stale ones excluded", () => {
    const reading = aggregate(
      [
        quote("binance", "100"),
        quote("coinbase", "101"),
        quote("kraken", "102"),
        quote("okx", "50", { ageMs: 600_000 }),
      ],
      NOW,
    );
    expect(reading.price).toBe(parseDecimal("101"));
    expect(reading.sources.filter((s) => s.accepted)).toHaveLength(3);
  });

  it("volume-weighted median: the price where cumulative volume passes half", () => {
    const q = (source: SourceId, price: string, volume: string | null) =>
      quote(source, price, { volume }).quote as Quote;
    expect(
      volumeWeightedMedian([q("binance", "100", "1"), q("coinbase", "101", "1"), q("kraken", "102", "10")]),
    ).toBe(parseDecimal("102"));
    // Equal weights give the plain median (even count: mean of the middle two).
    expect(
      volumeWeightedMedian([
        q("binance", "100", "1"),
        q("coinbase", "101", "1"),
        q("kraken", "102", "1"),
        q("okx", "103", "1"),
      ]),
    ).toBe(parseDecimal("101.5"));
    // No volumes at all: the plain median.
    expect(
      volumeWeightedMedian([q("binance", "100", null), q("bitstamp", "101", null), q("kraken", "105", null)]),
    ).toBe(parseDecimal("101"));
  });

  it("properties: the price lies within the accepted quotes and ignores their order", () => {
    const price = fc.bigInt({ min: 90_000n * 10n ** 18n, max: 100_000n * 10n ** 18n });
    fc.assert(
      fc.property(
        fc.array(fc.record({ price, volume: fc.bigInt({ min: 0n, max: 10n ** 24n }) }), {
          minLength: 3,
          maxLength: 6,
        }),
        fc.constantFrom("median" as const, "volumeWeightedMedian" as const),
        fc.nat(),
        (quotes, method, seed) => {
          const reports = quotes.map(({ price: p, volume }, i): SourceReport => {
            const source = SOURCE_IDS[i] as SourceId;
            const base = quote(source, "1").quote as Quote;
            return {
              source,
              quoteCurrency: base.quoteCurrency,
              transport: "rest",
              quote: { ...base, price: p, volume },
            };
          });
          const rules = { ...DEFAULT_RULES, method };
          const reading = aggregate(reports, NOW, rules);
          const shuffled = [...reports].sort(
            (a, b) => ((a.source.charCodeAt(0) * 31 + seed) % 7) - ((b.source.charCodeAt(0) * 31 + seed) % 7),
          );
          const again = aggregate(shuffled, NOW, rules);
          if (reading.price !== again.price) return false;
          if (reading.status === "unavailable") return reading.price === null;
          const accepted = reading.sources.filter((s) => s.accepted).map((s) => s.price as bigint);
          const lo = accepted.reduce((a, b) => (a < b ? a : b));
          const hi = accepted.reduce((a, b) => (a > b ? a : b));
          return (reading.price as bigint) >= lo && (reading.price as bigint) <= hi;
        },
      ),
    );
  });

  it("refuses rules that make no sense", () => {
    expect(() => aggregate([], NOW, { ...DEFAULT_RULES, minSources: 0 })).toThrow(
      /minSources must be an integer ≥ 1/,
    );
  });
});
