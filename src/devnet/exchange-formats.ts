/**
 * The six exchanges' REST ticker answers (real paths, query parameters, headers and field names, as
 * src/oracle/sources reads them), for the dev price feed. The shapes are those of
 * test/support/exchange-server.ts (which also models each exchange's failure answers for tests).
 */
import { SOURCE_IDS, type SourceId } from "../oracle/index.ts";

export interface RestAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export const DEFAULT_VOLUMES: Readonly<Record<SourceId, string>> = {
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

const JSON_UTF8 = "application/json;charset=UTF-8";
const CORS_ANY = { "access-control-allow-origin": "*", "access-control-allow-methods": "GET, HEAD, OPTIONS" };
const json = (status: number, headers: Record<string, string>, value: unknown): RestAnswer => ({
  status,
  headers: { "content-type": JSON_UTF8, ...headers },
  body: JSON.stringify(value),
});

/** The exchange's answer to GET `path`?`query` with last price `price` (its own decimal string) at `timeMs`. */
export function tickerAnswer(
  source: SourceId,
  path: string,
  query: URLSearchParams,
  price: string,
  timeMs: number,
): RestAnswer {
  if (path !== TICKER_PATHS[source]) return json(404, {}, { error: "not found" });
  const v = DEFAULT_VOLUMES[source];
  switch (source) {
    case "binance":
      if (query.get("symbol") !== "BTCUSDT")
        return json(400, CORS_ANY, { code: -1121, msg: "Invalid symbol." });
      return json(
        200,
        { ...CORS_ANY, "x-mbx-used-weight": "2", "x-mbx-used-weight-1m": "2" },
        {
          symbol: "BTCUSDT",
          lastPrice: price,
          bidPrice: price,
          askPrice: price,
          volume: v,
          openTime: timeMs - 86_400_000,
          closeTime: timeMs,
          count: 1_000_001,
        },
      );
    case "coinbase":
      return json(200, CORS_ANY, {
        ask: price,
        bid: price,
        volume: v,
        trade_id: 712_345_678,
        price,
        size: "0.001",
        time: new Date(timeMs).toISOString(),
      });
    case "kraken":
      if (query.get("pair") !== "XBTUSD") return json(200, {}, { error: ["EQuery:Unknown asset pair"] });
      return json(
        200,
        { date: new Date(timeMs).toUTCString() },
        {
          error: [],
          result: {
            XXBTZUSD: {
              a: [price, "1", "1.000"],
              b: [price, "2", "2.000"],
              c: [price, "0.001"],
              v: ["1234.5", v],
              o: price,
            },
          },
        },
      );
    case "bitstamp":
      return json(
        200,
        {},
        { timestamp: String(Math.floor(timeMs / 1000)), last: price, volume: v, bid: price, ask: price },
      );
    case "okx":
      if (query.get("instId") !== "BTC-USDT")
        return json(200, {}, { code: "51001", msg: "Instrument ID does not exist", data: [] });
      return json(
        200,
        {},
        {
          code: "0",
          msg: "",
          data: [
            {
              instType: "SPOT",
              instId: "BTC-USDT",
              last: price,
              askPx: price,
              bidPx: price,
              vol24h: v,
              ts: String(timeMs),
            },
          ],
        },
      );
    case "bybit":
      if (query.get("category") !== "spot" || query.get("symbol") !== "BTCUSDT")
        return json(
          200,
          {},
          { retCode: 10001, retMsg: "Not supported symbols", result: {}, retExtInfo: {}, time: timeMs },
        );
      return json(
        200,
        {},
        {
          retCode: 0,
          retMsg: "OK",
          result: {
            category: "spot",
            list: [{ symbol: "BTCUSDT", lastPrice: price, bid1Price: price, ask1Price: price, volume24h: v }],
          },
          retExtInfo: {},
          time: timeMs,
        },
      );
  }
}

export { SOURCE_IDS };
