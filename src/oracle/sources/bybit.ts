/**
 * Bybit spot BTCUSDT (quotes USDT). REST `GET /v5/market/tickers?category=spot&symbol=BTCUSDT`
 * (600 requests per 5 s per IP): `{retCode: 0, retMsg, result: {category, list: [{symbol, lastPrice,
 * volume24h (BTC), turnover24h (USDT), ...}]}, retExtInfo, time (ms)}`. US and some other regions
 * get a CloudFront 403. Stream `wss://stream.bybit.com/v5/public/spot`, topic `tickers.BTCUSDT`:
 * `{topic, ts, type, data: {symbol, lastPrice, volume24h, turnover24h, ...}}`; ping every 20 s.
 */
import { OracleError } from "../errors.ts";
import { array, decimal, epochMs, isRecord, parseJson, record, text } from "../parse.ts";
import type { SourceDefinition } from "../types.ts";

/** Bybit's "Too many visits" codes. */
const RATE_LIMIT_CODES = new Set([10006, 10018]);

export const bybit: SourceDefinition = {
  id: "bybit",
  name: "Bybit",
  quoteCurrency: "USDT",
  rest: {
    symbol: "BTCUSDT",
    baseUrl: "https://api.bybit.com",
    path: "/v5/market/tickers?category=spot&symbol=BTCUSDT",
    parse(body) {
      const answer = record("bybit", body, "body");
      if (answer.retCode !== 0) {
        const code = Number(answer.retCode);
        throw new OracleError(
          RATE_LIMIT_CODES.has(code) ? "rateLimited" : "exchangeError",
          `bybit: retCode ${String(answer.retCode)}: ${String(answer.retMsg)}`,
          { source: "bybit" },
        );
      }
      const result = record("bybit", answer.result, "result");
      const ticker = record("bybit", array("bybit", result.list, "result.list")[0], "result.list[0]");
      return {
        symbol: text("bybit", ticker.symbol, "result.list[0].symbol"),
        price: decimal("bybit", ticker.lastPrice, "result.list[0].lastPrice"),
        volume: decimal("bybit", ticker.volume24h, "result.list[0].volume24h"),
        timestamp: epochMs("bybit", answer.time, "time", "ms"),
      };
    },
    errorText(body) {
      return isRecord(body) && typeof body.retMsg === "string"
        ? `retCode ${String(body.retCode)}: ${body.retMsg}`
        : undefined;
    },
  },
  stream: {
    symbol: "BTCUSDT",
    url: "wss://stream.bybit.com/v5/public/spot",
    subscribe: [JSON.stringify({ op: "subscribe", args: ["tickers.BTCUSDT"] })],
    heartbeat: { intervalMs: 20_000, message: JSON.stringify({ op: "ping" }) },
    parse(raw) {
      const message = record("bybit", parseJson("bybit", raw), "message");
      if (message.op === "subscribe" && message.success === false) {
        return { type: "error", message: String(message.ret_msg) };
      }
      if (message.topic !== "tickers.BTCUSDT") return { type: "ignore" };
      const data = record("bybit", message.data, "data");
      return {
        type: "ticker",
        fields: {
          symbol: text("bybit", data.symbol, "data.symbol"),
          price: decimal("bybit", data.lastPrice, "data.lastPrice"),
          volume: decimal("bybit", data.volume24h, "data.volume24h"),
          timestamp: epochMs("bybit", message.ts, "ts", "ms"),
        },
      };
    },
  },
  limits: { requestsPerSecond: 5, burst: 10 },
  browser: { preferred: "websocket", cors: "absent" },
};
