import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  DEFAULT_PRICES,
  DEFAULT_VOLUMES,
  type ExchangeServer,
  STALE_BY_MS,
  startExchangeServer,
} from "../../test/support/exchange-server.ts";
import { parseDecimal } from "../protocol/decimal.ts";
import { OracleError } from "./errors.ts";
import { toQuote } from "./quote.ts";
import { fetchRestQuote, restUrl } from "./rest.ts";
import { SOURCES } from "./sources/index.ts";
import { TickerStream } from "./stream.ts";
import { type Quote, SOURCE_IDS, type SourceId } from "./types.ts";

let server: ExchangeServer;
beforeAll(async () => {
  server = await startExchangeServer({ tickIntervalMs: 40 });
});
afterAll(async () => {
  await server.close();
});

const rest = (source: SourceId, timeoutMs = 2_000) =>
  fetchRestQuote(SOURCES[source], { baseUrl: server.baseUrls[source], timeoutMs });

async function restError(source: SourceId, timeoutMs = 2_000): Promise<OracleError> {
  try {
    await rest(source, timeoutMs);
  } catch (error) {
    expect(error).toBeInstanceOf(OracleError);
    return error as OracleError;
  }
  throw new Error(`${source}: expected the request to fail`);
}

const CURRENCY: Record<SourceId, "USD" | "USDT"> = {
  binance: "USDT",
  coinbase: "USD",
  kraken: "USD",
  bitstamp: "USD",
  okx: "USDT",
  bybit: "USDT",
};

describe("REST fetchers read each exchange's real ticker answer", () => {
  it.each(SOURCE_IDS)("%s: price, 24 h volume, time and quote currency", async (source) => {
    server.set(source, "good");
    const before = Date.now();
    const quote = await rest(source);
    expect(quote.source).toBe(source);
    expect(quote.transport).toBe("rest");
    expect(quote.quoteCurrency).toBe(CURRENCY[source]);
    expect(quote.price).toBe(parseDecimal(DEFAULT_PRICES[source]));
    expect(quote.volume).toBe(parseDecimal(DEFAULT_VOLUMES[source]));
    // Bitstamp stamps whole seconds, Kraken only has the HTTP Date header (whole seconds too).
    expect(quote.timestamp).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(quote.timestamp).toBeLessThanOrEqual(Date.now());
    expect(quote.timestampSource).toBe("exchange");
  });

  it("requests each exchange's public path and query", () => {
    expect(SOURCE_IDS.map((id) => restUrl(SOURCES[id]))).toEqual([
      "https://api.binance.com/api/v3/ticker/24hr?symbol=BTCUSDT",
      "https://api.exchange.coinbase.com/products/BTC-USD/ticker",
      "https://api.kraken.com/0/public/Ticker?pair=XBTUSD",
      "https://www.bitstamp.net/api/v2/ticker/btcusd/",
      "https://www.okx.com/api/v5/market/ticker?instId=BTC-USDT",
      "https://api.bybit.com/v5/market/tickers?category=spot&symbol=BTCUSDT",
    ]);
    expect(restUrl(SOURCES.okx, "https://proxy.example/okx/")).toBe(
      "https://proxy.example/okx/api/v5/market/ticker?instId=BTC-USDT",
    );
  });

  it.each(SOURCE_IDS)("%s: a stale answer keeps the exchange's old time", async (source) => {
    server.set(source, "stale");
    const quote = await rest(source);
    expect(Date.now() - quote.timestamp).toBeGreaterThanOrEqual(STALE_BY_MS - 1_000);
  });

  it.each([
    ["binance", 429, "code -1003: Too many requests", 60_000],
    ["coinbase", 429, "Public rate limit exceeded", undefined],
    ["kraken", undefined, "EGeneral:Too many requests", undefined],
    ["bitstamp", 429, "Request rejected due to exceeded rate limit.", undefined],
    ["okx", 429, "code 50011: Too Many Requests", undefined],
    ["bybit", 429, "retCode 10006: Too many visits!", undefined],
  ] as const)(
    "%s: throttling is read as rateLimited with the exchange's words",
    async (source, status, words, retryAfterMs) => {
      server.set(source, "rateLimited");
      const error = await restError(source);
      expect(error.code).toBe("rateLimited");
      expect(error.message).toContain(words);
      if (status) expect(error.status).toBe(status);
      expect(error.retryAfterMs).toBe(retryAfterMs);
    },
  );

  it.each([
    ["binance", 451, "restricted location"],
    ["coinbase", 403, "Sorry, you have been blocked"],
    ["kraken", 403, "Sorry, you have been blocked"],
    ["bitstamp", 403, "Sorry, you have been blocked"],
    ["okx", 403, "Sorry, you have been blocked"],
    ["bybit", 403, "CloudFront distribution is configured to block access from your country"],
  ] as const)("%s: a regional block (HTTP %i) is read as blocked", async (source, status, words) => {
    server.set(source, "geoblock");
    const error = await restError(source);
    expect(error.code).toBe("blocked");
    expect(error.status).toBe(status);
    expect(error.message).toContain(words);
    expect(error.retryable).toBe(false);
  });

  it.each(SOURCE_IDS)("%s: a 5xx answer is a retryable httpError", async (source) => {
    server.set(source, "serverError");
    const error = await restError(source);
    expect(error.code).toBe("httpError");
    expect(error.status).toBeGreaterThanOrEqual(500);
    expect(error.retryable).toBe(true);
  });

  it.each(SOURCE_IDS)("%s: truncated JSON is a malformedResponse", async (source) => {
    server.set(source, "malformed");
    const error = await restError(source);
    expect(error.code).toBe("malformedResponse");
    expect(error.message).toContain("not JSON");
  });

  it.each(SOURCE_IDS)("%s: an exchange that never answers times out", async (source) => {
    server.set(source, "hang");
    const started = Date.now();
    const error = await restError(source, 200);
    expect(error.code).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it("an unreachable host is a retryable network error", async () => {
    const error = await fetchRestQuote(SOURCES.kraken, {
      baseUrl: "http://127.0.0.1:9",
      timeoutMs: 2_000,
    }).catch((e: unknown) => e as OracleError);
    expect(error).toBeInstanceOf(OracleError);
    expect((error as OracleError).code).toBe("network");
    expect((error as OracleError).retryable).toBe(true);
  });

  it("an answer for another market is rejected", () => {
    const fields = SOURCES.binance.rest.parse({
      symbol: "ETHUSDT",
      lastPrice: "3000",
      volume: "1",
      closeTime: 1,
    });
    expect(() => toQuote(SOURCES.binance, fields, "rest", 1)).toThrow(
      /answered for market "ETHUSDT", expected BTCUSDT/,
    );
  });

  it("OKX and Bybit errors inside a 200 are exchange errors", () => {
    expect(() =>
      SOURCES.okx.rest.parse({ code: "51001", msg: "Instrument ID does not exist", data: [] }),
    ).toThrow(/code 51001: Instrument ID does not exist/);
    expect(() =>
      SOURCES.bybit.rest.parse({ retCode: 10001, retMsg: "Not supported symbols", result: {} }),
    ).toThrow(/retCode 10001/);
    expect(() => SOURCES.kraken.rest.parse({ error: ["EQuery:Unknown asset pair"] })).toThrow(
      /EQuery:Unknown asset pair/,
    );
  });
});

function collect(source: SourceId, options: { heartbeatIntervalMs?: number } = {}) {
  const quotes: Quote[] = [];
  const stream = new TickerStream(SOURCES[source], {
    url: server.streamUrls[source],
    WebSocket,
    reconnectBaseMs: 40,
    reconnectMaxMs: 200,
    onQuote: (q) => quotes.push(q),
    ...options,
  });
  return { stream, quotes };
}

async function until(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe("WebSocket streams speak each exchange's real protocol", () => {
  it.each(SOURCE_IDS)("%s: subscribes and reads ticker messages", async (source) => {
    server.set(source, "good");
    const { stream, quotes } = collect(source);
    stream.start();
    try {
      await until(() => quotes.length >= 2);
      const quote = stream.latest() as Quote;
      expect(quote.transport).toBe("websocket");
      expect(quote.price).toBe(parseDecimal(DEFAULT_PRICES[source]));
      expect(quote.quoteCurrency).toBe(CURRENCY[source]);
      // Bitstamp's trade channel has no 24 h volume.
      expect(quote.volume).toBe(source === "bitstamp" ? null : parseDecimal(DEFAULT_VOLUMES[source]));
      expect(stream.status().state).toBe("open");
      const expected = SOURCES[source].stream.subscribe;
      expect(server.received(source).slice(0, expected.length)).toEqual([...expected]);
    } finally {
      stream.stop();
    }
  });

  it("sends the application pings OKX and Bybit require and ignores the pongs", async () => {
    server.set("okx", "good");
    server.set("bybit", "good");
    const okx = collect("okx", { heartbeatIntervalMs: 30 });
    const bybit = collect("bybit", { heartbeatIntervalMs: 30 });
    okx.stream.start();
    bybit.stream.start();
    try {
      await until(
        () => server.received("okx").includes("ping") && server.received("bybit").includes('{"op":"ping"}'),
      );
      await until(() => okx.quotes.length > 2 && bybit.quotes.length > 2);
      expect(okx.stream.status().lastError).toBeNull();
      expect(bybit.stream.status().lastError).toBeNull();
    } finally {
      okx.stream.stop();
      bybit.stream.stop();
    }
  });

  it("keeps no quote from malformed messages and says why", async () => {
    server.set("bybit", "malformed");
    const { stream } = collect("bybit");
    stream.start();
    try {
      await until(() => stream.status().lastError !== null);
      expect(stream.latest()).toBeNull();
      expect(stream.noQuoteError().message).toMatch(/bybit: no ticker received .* not JSON/);
    } finally {
      stream.stop();
    }
  });

  it("reconnects with backoff after refused upgrades (429, 451) and then reads", async () => {
    server.set("binance", { mode: "geoblock", failTimes: 2 });
    const { stream, quotes } = collect("binance");
    stream.start();
    try {
      await until(() => quotes.length > 0);
      expect(server.connections("binance")).toBeGreaterThanOrEqual(1);
    } finally {
      stream.stop();
    }
    server.set("okx", { mode: "rateLimited", failTimes: 1 });
    const okx = collect("okx");
    okx.stream.start();
    try {
      await until(() => okx.stream.status().lastError?.includes("429") === true);
      await until(() => okx.quotes.length > 0);
    } finally {
      okx.stream.stop();
    }
  });

  it("reads Bitstamp's reconnect request and the exchanges' stream errors", () => {
    const parse = (source: SourceId, value: unknown) => SOURCES[source].stream.parse(JSON.stringify(value));
    expect(parse("bitstamp", { event: "bts:request_reconnect", channel: "", data: "" })).toEqual({
      type: "reconnect",
    });
    expect(
      parse("bitstamp", {
        event: "bts:error",
        channel: "",
        data: { code: null, message: "Bad subscription string." },
      }),
    ).toEqual({ type: "error", message: "Bad subscription string." });
    expect(parse("okx", { event: "error", code: "60012", msg: "Invalid request" })).toEqual({
      type: "error",
      message: "code 60012: Invalid request",
    });
    expect(
      parse("coinbase", { type: "error", message: "Failed to subscribe", reason: "type is required" }),
    ).toEqual({
      type: "error",
      message: "Failed to subscribe: type is required",
    });
    expect(parse("bybit", { success: false, ret_msg: "error:handler not found", op: "subscribe" })).toEqual({
      type: "error",
      message: "error:handler not found",
    });
    expect(
      parse("kraken", { method: "subscribe", success: false, error: "Currency pair not supported" }),
    ).toEqual({
      type: "error",
      message: "Currency pair not supported",
    });
    expect(parse("kraken", { channel: "heartbeat" })).toEqual({ type: "ignore" });
    expect(SOURCES.okx.stream.parse("pong")).toEqual({ type: "ignore" });
  });

  it("a silent (hanging) stream is closed as idle and retried", async () => {
    server.set("coinbase", { mode: "hang", failTimes: 1 });
    const quotes: Quote[] = [];
    const idle = new TickerStream(SOURCES.coinbase, {
      url: server.streamUrls.coinbase,
      WebSocket,
      idleTimeoutMs: 100,
      reconnectBaseMs: 40,
      onQuote: (q) => quotes.push(q),
    });
    idle.start();
    try {
      await until(() => quotes.length > 0);
      expect(server.connections("coinbase")).toBeGreaterThanOrEqual(2);
    } finally {
      idle.stop();
    }
  });
});
