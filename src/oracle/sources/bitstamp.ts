/**
 * Bitstamp BTC/USD (quotes USD). REST `GET /api/v2/ticker/btcusd/`: `{timestamp (s), last, volume
 * (BTC, 24 h), vwap, bid, ask, open_24, percent_change_24, ...}`. Stream `wss://ws.bitstamp.net`,
 * channel `live_trades_btcusd`: trade events `{data: {price, price_str, timestamp, microtimestamp,
 * ...}, channel, event: "trade"}`; trades carry no 24 h volume, so stream quotes have none.
 */
import { decimal, epochMs, isRecord, parseJson, record } from "../parse.ts";
import type { SourceDefinition } from "../types.ts";

export const bitstamp: SourceDefinition = {
  id: "bitstamp",
  name: "Bitstamp",
  quoteCurrency: "USD",
  rest: {
    symbol: "btcusd",
    baseUrl: "https://www.bitstamp.net",
    path: "/api/v2/ticker/btcusd/",
    parse(body) {
      const ticker = record("bitstamp", body, "body");
      return {
        // The answer does not repeat the pair; the path names it.
        symbol: "btcusd",
        price: decimal("bitstamp", ticker.last, "last"),
        volume: decimal("bitstamp", ticker.volume, "volume"),
        timestamp: epochMs("bitstamp", ticker.timestamp, "timestamp", "s"),
      };
    },
    errorText(body) {
      if (!isRecord(body)) return undefined;
      for (const key of ["response_explanation", "reason", "message"]) {
        const value = body[key];
        if (typeof value === "string") return value;
        if (value !== undefined) return JSON.stringify(value);
      }
      return undefined;
    },
  },
  stream: {
    symbol: "btcusd",
    url: "wss://ws.bitstamp.net",
    subscribe: [JSON.stringify({ event: "bts:subscribe", data: { channel: "live_trades_btcusd" } })],
    heartbeat: { intervalMs: 25_000, message: JSON.stringify({ event: "bts:heartbeat" }) },
    parse(raw) {
      const message = record("bitstamp", parseJson("bitstamp", raw), "message");
      if (message.event === "bts:request_reconnect") return { type: "reconnect" };
      if (message.event === "bts:error") {
        const data = isRecord(message.data) ? message.data : {};
        return { type: "error", message: String(data.message ?? "bts:error") };
      }
      if (message.event !== "trade" || message.channel !== "live_trades_btcusd") return { type: "ignore" };
      const trade = record("bitstamp", message.data, "data");
      const timestamp =
        trade.microtimestamp !== undefined
          ? epochMs("bitstamp", trade.microtimestamp, "data.microtimestamp", "us")
          : epochMs("bitstamp", trade.timestamp, "data.timestamp", "s");
      return {
        type: "ticker",
        fields: {
          symbol: "btcusd",
          price: decimal("bitstamp", trade.price_str ?? trade.price, "data.price_str"),
          volume: null,
          timestamp,
        },
      };
    },
  },
  limits: { requestsPerSecond: 1, burst: 2 },
  browser: { preferred: "websocket", cors: "absent" },
};
