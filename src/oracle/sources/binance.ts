/**
 * Binance spot BTCUSDT (quotes USDT). REST `GET /api/v3/ticker/24hr?symbol=BTCUSDT` (weight 2 of
 * 6,000 per minute per IP): `lastPrice`, `volume` (BTC), `closeTime` (ms). Stream
 * `wss://stream.binance.com:9443/ws/btcusdt@ticker`: `24hrTicker` events `{e, E, s, c, v, q}`.
 * Errors come as `{code, msg}` (429 `-1003`, 418 IP ban, 451 restricted location).
 */
import { decimal, epochMs, isRecord, parseJson, record, text } from "../parse.ts";
import type { SourceDefinition } from "../types.ts";

export const binance: SourceDefinition = {
  id: "binance",
  name: "Binance",
  quoteCurrency: "USDT",
  rest: {
    symbol: "BTCUSDT",
    baseUrl: "https://api.binance.com",
    path: "/api/v3/ticker/24hr?symbol=BTCUSDT",
    parse(body) {
      const ticker = record("binance", body, "body");
      return {
        symbol: text("binance", ticker.symbol, "symbol"),
        price: decimal("binance", ticker.lastPrice, "lastPrice"),
        volume: decimal("binance", ticker.volume, "volume"),
        timestamp: epochMs("binance", ticker.closeTime, "closeTime", "ms"),
      };
    },
    errorText(body) {
      return isRecord(body) && typeof body.msg === "string"
        ? `code ${String(body.code)}: ${body.msg}`
        : undefined;
    },
  },
  stream: {
    symbol: "BTCUSDT",
    url: "wss://stream.binance.com:9443/ws/btcusdt@ticker",
    subscribe: [],
    parse(raw) {
      const message = record("binance", parseJson("binance", raw), "message");
      if (message.e !== "24hrTicker") {
        if (typeof message.msg === "string") return { type: "error", message: message.msg };
        return { type: "ignore" };
      }
      return {
        type: "ticker",
        fields: {
          symbol: text("binance", message.s, "s"),
          price: decimal("binance", message.c, "c"),
          volume: decimal("binance", message.v, "v"),
          timestamp: epochMs("binance", message.E, "E", "ms"),
        },
      };
    },
  },
  limits: { requestsPerSecond: 2, burst: 5 },
  browser: { preferred: "rest", cors: "likely" },
};
