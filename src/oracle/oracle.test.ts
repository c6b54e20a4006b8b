import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { browserLikeFetch } from "../../test/support/browser-fetch.ts";
import {
  DEFAULT_PRICES,
  type ExchangeServer,
  startExchangeServer,
} from "../../test/support/exchange-server.ts";
import { parseDecimal } from "../protocol/decimal.ts";
import { ProtocolError } from "../protocol/errors.ts";
import type { PriceReading, SourceVerdict } from "./aggregate.ts";
import { PriceHistory } from "./history.ts";
import { type OracleDeps, type OracleSettings, PriceOracle, requirePrice } from "./oracle.ts";
import { readingToJson } from "./report.ts";
import { SOURCE_IDS, type SourceId } from "./types.ts";

let server: ExchangeServer;
const oracles: PriceOracle[] = [];

beforeAll(async () => {
  server = await startExchangeServer({ tickIntervalMs: 40 });
});
afterEach(() => {
  for (const oracle of oracles.splice(0)) oracle.close();
  server.setAll("good");
});
afterAll(async () => {
  await server.close();
});

function makeOracle(settings: OracleSettings = {}, deps: OracleDeps = {}): PriceOracle {
  const sources = Object.fromEntries(
    SOURCE_IDS.map((id) => [
      id,
      { baseUrl: server.baseUrls[id], streamUrl: server.streamUrls[id], ...settings.sources?.[id] },
    ]),
  );
  const oracle = new PriceOracle(
    { timeoutMs: 400, retry: { baseDelayMs: 20, maxDelayMs: 100 }, ...settings, sources },
    deps,
  );
  oracles.push(oracle);
  return oracle;
}

const price = (source: SourceId) => parseDecimal(DEFAULT_PRICES[source]);
const verdict = (reading: PriceReading, source: SourceId) =>
  reading.sources.find((s) => s.source === source) as SourceVerdict;
const medianOf = (...sources: SourceId[]) => {
  const sorted = sources.map(price).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const mid = sorted.length >> 1;
  return sorted.length % 2
    ? (sorted[mid] as bigint)
    : ((sorted[mid - 1] as bigint) + (sorted[mid] as bigint)) / 2n;
};

describe("reading the six exchanges over REST (loopback server, real fetch)", () => {
  it("all sources good: the median of all six, every quote accepted", async () => {
    const reading = await makeOracle().readPrice();
    expect(reading.status).toBe("ok");
    expect(reading.price).toBe(medianOf(...SOURCE_IDS));
    expect(reading.price).toBe(parseDecimal("97007.795"));
    expect(reading.sources.map((s) => [s.source, s.accepted, s.quoteCurrency])).toEqual([
      ["binance", true, "USDT"],
      ["coinbase", true, "USD"],
      ["kraken", true, "USD"],
      ["bitstamp", true, "USD"],
      ["okx", true, "USDT"],
      ["bybit", true, "USDT"],
    ]);
    expect(reading.reason).toBeNull();
  });

  it("one stale, one outlier, one HTTP 429: the median of the other three, each drop explained", async () => {
    server.set("bitstamp", "stale");
    server.set("okx", "outlier");
    server.set("binance", "rateLimited");
    const reading = await makeOracle().readPrice();
    expect(reading.status).toBe("ok");
    expect(reading.price).toBe(medianOf("coinbase", "kraken", "bybit"));
    expect(reading.price).toBe(price("coinbase"));
    expect(verdict(reading, "bitstamp").rejection).toEqual({
      code: "stale",
      reason: expect.stringMatching(/^quoted 6\d\d s ago, limit 300 s$/),
    });
    expect(verdict(reading, "okx").rejection?.code).toBe("outlier");
    // Median of the four fresh quotes (okx at 97020 × 1.08 = 104781.6 among them): 97007.88.
    expect(verdict(reading, "okx").rejection?.reason).toBe("8.01% from the median 97007.88, limit 5.00%");
    expect(verdict(reading, "binance").rejection?.code).toBe("rateLimited");
    expect(verdict(reading, "binance").rejection?.reason).toContain(
      "HTTP 429: code -1003: Too many requests",
    );
    expect(verdict(reading, "binance").rejection?.reason).toContain("retry after 60 s");
    expect(reading.sources.filter((s) => s.accepted).map((s) => s.source)).toEqual([
      "coinbase",
      "kraken",
      "bybit",
    ]);
  });

  it("one malformed JSON, one hanging past the timeout: the other four, each drop explained", async () => {
    server.set("kraken", "malformed");
    server.set("bybit", "hang");
    const started = Date.now();
    const reading = await makeOracle({ timeoutMs: 300 }).readPrice();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(reading.status).toBe("ok");
    expect(reading.price).toBe(medianOf("binance", "coinbase", "bitstamp", "okx"));
    expect(verdict(reading, "kraken").rejection).toEqual({
      code: "malformedResponse",
      reason: expect.stringContaining("kraken: answer is not JSON"),
    });
    expect(verdict(reading, "bybit").rejection).toEqual({
      code: "timeout",
      reason: "bybit: no answer within 300 ms",
    });
  });

  it("a non-positive price is dropped as such", async () => {
    server.set("coinbase", "nonPositive");
    const reading = await makeOracle().readPrice();
    expect(verdict(reading, "coinbase").rejection).toEqual({
      code: "nonPositive",
      reason: "price 0 is not positive",
    });
    expect(reading.status).toBe("ok");
  });

  it("two sources left: unavailable, with the reason, and operations are refused", async () => {
    server.set("bitstamp", "stale");
    server.set("okx", "outlier");
    server.set("binance", "rateLimited");
    server.set("kraken", "malformed");
    const history = new PriceHistory();
    const reading = await makeOracle({}, { history }).readPrice();
    expect(reading.status).toBe("unavailable");
    expect(reading.price).toBeNull();
    expect(reading.reason).toBe("only 2 valid sources (coinbase, bybit); at least 3 are required");
    expect(() => requirePrice(reading)).toThrow(ProtocolError);
    expect(() => requirePrice(reading)).toThrow(/No valid BTC price: only 2 valid sources/);
    expect(history.size).toBe(0);
    expect(readingToJson(reading)).toMatchObject({ status: "unavailable", price: null });
  });

  it("never falls back to an earlier price", async () => {
    const history = new PriceHistory();
    const oracle = makeOracle({}, { history });
    const first = await oracle.readPrice();
    expect(first.status).toBe("ok");
    expect(history.size).toBe(1);
    server.set("coinbase", "hang");
    server.set("kraken", "hang");
    server.set("bitstamp", "hang");
    server.set("okx", "hang");
    const second = await oracle.readPrice();
    expect(second.status).toBe("unavailable");
    expect(second.price).toBeNull();
    expect(history.size).toBe(1);
  });

  it("the volume-weighted median follows the heaviest volume", async () => {
    const reading = await makeOracle({ rules: { method: "volumeWeightedMedian" } }).readPrice();
    // Volumes: binance 18234.5, okx 7654.3, bybit 5432.1, coinbase 9876.5, kraken 3456.8, bitstamp 1234.6
    // (total 45888.8). Sorted by price, the cumulative volume passes half at binance's 97012.34.
    expect(reading.method).toBe("volumeWeightedMedian");
    expect(reading.price).toBe(price("binance"));
  });

  it("retries a 5xx with backoff and then reads the price", async () => {
    server.set("kraken", { mode: "serverError", failTimes: 2 });
    const before = server.requests("kraken");
    const reading = await makeOracle().readPrice();
    expect(verdict(reading, "kraken").accepted).toBe(true);
    expect(server.requests("kraken") - before).toBe(3);
  });

  it("a 429 pauses the host: the next round does not ask the exchange", async () => {
    server.set("binance", "rateLimited");
    const oracle = makeOracle();
    await oracle.readPrice();
    const asked = server.requests("binance");
    server.set("binance", "good");
    const reading = await oracle.readPrice();
    expect(server.requests("binance")).toBe(asked);
    expect(verdict(reading, "binance").rejection?.code).toBe("throttled");
    expect(verdict(reading, "binance").rejection?.reason).toMatch(
      /the exchange asked us to wait; next request allowed in \d+ s/,
    );
  });

  it("the circuit breaker opens after repeated failures and then stops calling the exchange", async () => {
    server.set("okx", "malformed");
    // Kraken and Bitstamp are left out only to keep their 1 request/s limits from slowing the test.
    const oracle = makeOracle({
      breaker: "strict",
      sources: { kraken: { enabled: false }, bitstamp: { enabled: false } },
    });
    for (let round = 0; round < 3; round++) await oracle.readPrice();
    expect(oracle.health().find((h) => h.source === "okx")?.breaker.state).toBe("open");
    const asked = server.requests("okx");
    const reading = await oracle.readPrice();
    expect(server.requests("okx")).toBe(asked);
    expect(verdict(reading, "okx").rejection?.code).toBe("circuitOpen");
    expect(verdict(reading, "okx").rejection?.reason).toMatch(
      /okx: paused after repeated failures \(last: okx: answer is not JSON.*next try in 60 s/,
    );
  });

  it("a geoblocked source (Node sees the 451) is set aside, not retried every round", async () => {
    server.set("binance", "geoblock");
    const oracle = makeOracle();
    const first = await oracle.readPrice();
    expect(verdict(first, "binance").rejection?.code).toBe("blocked");
    expect(verdict(first, "binance").rejection?.reason).toContain("HTTP 451");
    const asked = server.requests("binance");
    const second = await oracle.readPrice();
    expect(server.requests("binance")).toBe(asked);
    expect(verdict(second, "binance").rejection?.reason).toMatch(
      /restricted location.*not asked again for 30 min/,
    );
    expect(oracle.health().find((h) => h.source === "binance")?.blocked?.reason).toContain("HTTP 451");
  });
});

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("reading the exchanges as a browser does (CORS enforced, WebSocket streams)", () => {
  const browser = (settings: OracleSettings = {}) =>
    makeOracle(
      { stream: { reconnectBaseMs: 40, reconnectMaxMs: 200 }, ...settings },
      { fetch: browserLikeFetch(), WebSocket },
    );

  it("uses REST where CORS allows it and streams elsewhere", async () => {
    const oracle = browser();
    oracle.startStreams();
    await until(() => oracle.health().every((h) => h.transport === "rest" || h.stream?.state === "open"));
    await until(() => oracle.health().every((h) => h.transport === "rest" || h.stream?.lastError === null));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const reading = await oracle.readPrice();
    expect(reading.status).toBe("ok");
    expect(reading.sources.map((s) => [s.source, s.transport, s.accepted])).toEqual([
      ["binance", "rest", true],
      ["coinbase", "rest", true],
      ["kraken", "websocket", true],
      ["bitstamp", "websocket", true],
      ["okx", "websocket", true],
      ["bybit", "websocket", true],
    ]);
    expect(reading.price).toBe(medianOf(...SOURCE_IDS));
  });

  it("REST without CORS headers fails to fetch: marked blocked and not asked again", async () => {
    // Kraken sends no CORS headers; forced to REST, the browser only sees "Failed to fetch".
    const oracle = browser({ sources: { kraken: { transport: "rest" } } });
    const before = server.requests("kraken");
    const first = await oracle.readPrice();
    const kraken = verdict(first, "kraken");
    expect(kraken.transport).toBe("rest");
    expect(kraken.rejection?.code).toBe("blocked");
    expect(kraken.rejection?.reason).toContain("the browser refused the request (Failed to fetch)");
    expect(server.requests("kraken") - before).toBe(1);
    // Forced to REST, it stays on REST, set aside: the next round does not ask again.
    await oracle.readPrice();
    expect(server.requests("kraken") - before).toBe(1);
    expect(oracle.health().find((h) => h.source === "kraken")).toMatchObject({
      transport: "rest",
      stream: null,
    });
  });

  it("Binance's 451 page has no CORS header: blocked in the browser, then read over the stream", async () => {
    server.set("binance", { mode: "geoblock", failTimes: 1 });
    const oracle = browser();
    oracle.startStreams();
    const first = await oracle.readPrice();
    expect(verdict(first, "binance").rejection?.code).toBe("blocked");
    expect(verdict(first, "binance").rejection?.reason).toContain("Failed to fetch");
    const health = oracle.health().find((h) => h.source === "binance");
    expect(health?.transport).toBe("websocket");
    expect(health?.blocked?.reason).toContain("Failed to fetch");
    await until(() => oracle.health().every((h) => h.transport === "rest" || h.stream?.lastError === null));
    await until(() => oracle.health().every((h) => h.stream === null || h.stream.state === "open"));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const second = await oracle.readPrice();
    expect(verdict(second, "binance")).toMatchObject({
      transport: "websocket",
      accepted: true,
      price: price("binance"),
    });
    expect(second.status).toBe("ok");
  });

  it("stream problems are reported per source: stale, outlier, malformed, hanging, refused upgrade", async () => {
    server.set("okx", "stale");
    server.set("bybit", "outlier");
    server.set("bitstamp", "malformed");
    server.set("kraken", "hang");
    const oracle = browser();
    oracle.startStreams();
    await until(() => oracle.health().find((h) => h.source === "okx")?.stream?.lastError === null);
    await until(
      () => (oracle.health().find((h) => h.source === "bitstamp")?.stream?.lastError ?? null) !== null,
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    const reading = await oracle.readPrice();
    expect(verdict(reading, "okx").rejection?.code).toBe("stale");
    expect(verdict(reading, "bybit").rejection?.code).toBe("outlier");
    expect(verdict(reading, "bitstamp").rejection?.code).toBe("noQuote");
    expect(verdict(reading, "bitstamp").rejection?.reason).toContain("not JSON");
    expect(verdict(reading, "kraken").rejection?.code).toBe("noQuote");
    expect(reading.status).toBe("unavailable");
    expect(reading.reason).toBe("only 2 valid sources (binance, coinbase); at least 3 are required");
  });
});

describe("settings are checked at the boundary", () => {
  it("rejects a base URL that is not http(s) and a stream transport without a WebSocket", () => {
    expect(() => new PriceOracle({ sources: { okx: { baseUrl: "ftp://x" } } })).toThrow(
      /okx baseUrl: expected http: or https: URL/,
    );
    expect(() => new PriceOracle({ sources: { okx: { baseUrl: "not a url" } } })).toThrow(/is not a URL/);
    expect(() => new PriceOracle({ sources: { okx: { transport: "websocket" } } })).toThrow(
      /needs a WebSocket/,
    );
    expect(() => new PriceOracle({ timeoutMs: 0 })).toThrow(/timeoutMs must be a positive number/);
  });

  it("disabled sources are not read", async () => {
    const oracle = makeOracle({ sources: { okx: { enabled: false }, bybit: { enabled: false } } });
    const reading = await oracle.readPrice();
    expect(reading.sources.map((s) => s.source)).toEqual(["binance", "coinbase", "kraken", "bitstamp"]);
  });
});
