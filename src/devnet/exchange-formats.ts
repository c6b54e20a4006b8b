/**
 * The six exchanges' REST ticker answers — real paths, query parameters, headers and field names, as
 * src/oracle/sources reads them — shared by the dev price feed (src/devnet/pricefeed.ts) and the
 * loopback exchange server of the tests (test/support/exchange-server.ts, which adds each exchange's
 * failure answers). `TICKER_BODIES` are the good answers' JSON bodies for a last price (the exchange's
 * own decimal string) quoted at a time (ms).
 */
import { SOURCE_IDS, type SourceId } from "../oracle/index.ts";

export interface RestAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** A last price as the exchange writes it, and when it was quoted (ms). */
export interface Quoted {
  price: string;
  time: number;
}

export const DEFAULT_VOLUMES: Record<SourceId, string> = {
  binance: "18234.51230000",
  coinbase: "9876.54321000",
  kraken: "3456.78901234",
  bitstamp: "1234.56780000",
  okx: "7654.321",
  bybit: "5432.109876",
};

/** REST path (under each exchange's base URL) of its BTC ticker. */
export const TICKER_PATHS: Readonly<Record<SourceId, string>> = {
  binance: "/api/v3/ticker/24hr",
  coinbase: "/products/BTC-USD/ticker",
  kraken: "/0/public/Ticker",
  bitstamp: "/api/v2/ticker/btcusd/",
  okx: "/api/v5/market/ticker",
  bybit: "/v5/market/tickers",
};

/** Each exchange's ticker body, as its REST API answers it. */
export const TICKER_BODIES: Readonly<Record<SourceId, (q: Quoted) => unknown>> = {
  binance: (q) => ({
    symbol: "BTCUSDT",
    priceChange: "512.34000000",
    priceChangePercent: "0.531",
    weightedAvgPrice: "96800.12345678",
    prevClosePrice: "96500.00000000",
    lastPrice: q.price,
    lastQty: "0.00150000",
    bidPrice: q.price,
    bidQty: "1.20000000",
    askPrice: q.price,
    askQty: "0.80000000",
    openPrice: "96500.00000000",
    highPrice: "97500.00000000",
    lowPrice: "95800.00000000",
    volume: DEFAULT_VOLUMES.binance,
    quoteVolume: "1765432109.12345678",
    openTime: q.time - 86_400_000,
    closeTime: q.time,
    firstId: 4_123_456_789,
    lastId: 4_124_456_789,
    count: 1_000_001,
  }),
  coinbase: (q) => ({
    ask: q.price,
    bid: q.price,
    volume: DEFAULT_VOLUMES.coinbase,
    trade_id: 712_345_678,
    price: q.price,
    size: "0.00123456",
    time: new Date(q.time).toISOString(),
    rfq_volume: "123.456789",
    conversions_volume: "0",
  }),
  kraken: (q) => ({
    error: [],
    result: {
      XXBTZUSD: {
        a: [q.price, "1", "1.000"],
        b: [q.price, "2", "2.000"],
        c: [q.price, "0.00067643"],
        v: ["1234.56789012", DEFAULT_VOLUMES.kraken],
        p: ["96900.12345", "96800.54321"],
        t: [23_456, 45_678],
        l: ["95800.00000", "95700.00000"],
        h: ["97500.00000", "97600.00000"],
        o: "96500.00000",
      },
    },
  }),
  bitstamp: (q) => ({
    timestamp: String(Math.floor(q.time / 1000)),
    open: "96500",
    high: "97500",
    low: "95800",
    last: q.price,
    volume: DEFAULT_VOLUMES.bitstamp,
    vwap: "96812",
    bid: q.price,
    ask: q.price,
    side: "0",
    open_24: "96400",
    percent_change_24: "0.62",
  }),
  okx: (q) => ({
    code: "0",
    msg: "",
    data: [
      {
        instType: "SPOT",
        instId: "BTC-USDT",
        last: q.price,
        lastSz: "0.0012",
        askPx: q.price,
        askSz: "0.5",
        bidPx: q.price,
        bidSz: "0.7",
        open24h: "96500",
        high24h: "97500",
        low24h: "95800",
        volCcy24h: "740812345.123",
        vol24h: DEFAULT_VOLUMES.okx,
        ts: String(q.time),
        sodUtc0: "96600",
        sodUtc8: "96700",
      },
    ],
  }),
  bybit: (q) => ({
    retCode: 0,
    retMsg: "OK",
    result: {
      category: "spot",
      list: [
        {
          symbol: "BTCUSDT",
          bid1Price: q.price,
          bid1Size: "0.5",
          ask1Price: q.price,
          ask1Size: "0.4",
          lastPrice: q.price,
          prevPrice24h: "96500",
          price24hPcnt: "0.0053",
          highPrice24h: "97500",
          lowPrice24h: "95800",
          turnover24h: "526912345.6789",
          volume24h: DEFAULT_VOLUMES.bybit,
          usdIndexPrice: q.price,
        },
      ],
    },
    retExtInfo: {},
    time: q.time,
  }),
};

const JSON_UTF8 = "application/json;charset=UTF-8";
/** Binance and Coinbase answer browsers with `Access-Control-Allow-Origin: *`; the others send none. */
export const CORS_ANY: Readonly<Record<string, string>> = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, OPTIONS",
};
const json = (status: number, headers: Record<string, string>, value: unknown): RestAnswer => ({
  status,
  headers: { "content-type": JSON_UTF8, ...headers },
  body: JSON.stringify(value),
});

/** The exchange's good answer to GET `path`?`query` (its not-found and bad-symbol answers otherwise). */
export function tickerAnswer(source: SourceId, path: string, query: URLSearchParams, q: Quoted): RestAnswer {
  if (path !== TICKER_PATHS[source]) return json(404, {}, { error: "not found" });
  const body = TICKER_BODIES[source](q);
  switch (source) {
    case "binance":
      if (query.get("symbol") !== "BTCUSDT")
        return json(400, CORS_ANY, { code: -1121, msg: "Invalid symbol." });
      return json(200, { ...CORS_ANY, "x-mbx-used-weight": "2", "x-mbx-used-weight-1m": "2" }, body);
    case "coinbase":
      return json(200, CORS_ANY, body);
    case "kraken":
      if (query.get("pair") !== "XBTUSD") return json(200, {}, { error: ["EQuery:Unknown asset pair"] });
      // Kraken's ticker carries no time; its Date header does.
      return json(200, { date: new Date(q.time).toUTCString() }, body);
    case "bitstamp":
      return json(200, {}, body);
    case "okx":
      if (query.get("instId") !== "BTC-USDT")
        return json(200, {}, { code: "51001", msg: "Instrument ID does not exist", data: [] });
      return json(200, {}, body);
    case "bybit":
      if (query.get("category") !== "spot" || query.get("symbol") !== "BTCUSDT")
        return json(
          200,
          {},
          { retCode: 10001, retMsg: "Not supported symbols", result: {}, retExtInfo: {}, time: q.time },
        );
      return json(200, {}, body);
  }
}

export { SOURCE_IDS };
