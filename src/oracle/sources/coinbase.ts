/**
 * Coinbase Exchange BTC-USD (quotes USD). REST `GET /products/BTC-USD/ticker`: `{ask, bid, volume,
 * trade_id, price, size, time}` (public limit 10 requests/s per IP; errors `{message}`). Stream
 * `wss://ws-feed.exchange.coinbase.com`, channel `ticker` (public, no authentication):
 * `{type: "ticker", product_id, price, volume_24h, time, ...}`.
 */
import { decimal, isoMs, isRecord, parseJson, record, text } from "../parse.ts";
import type { SourceDefinition } from "../types.ts";

export const coinbase: SourceDefinition = {
  id: "coinbase",
  name: "Coinbase",
  quoteCurrency: "USD",
  rest: {
    symbol: "BTC-USD",
    baseUrl: "https://api.exchange.coinbase.com",
    path: "/products/BTC-USD/ticker",
    parse(body) {
      const ticker = record("coinbase", body, "body");
      return {
        // The answer does not repeat the product; the path names it.
        symbol: "BTC-USD",
        price: decimal("coinbase", ticker.price, "price"),
        volume: decimal("coinbase", ticker.volume, "volume"),
        timestamp: isoMs("coinbase", ticker.time, "time"),
      };
    },
    errorText(body) {
      return isRecord(body) && typeof body.message === "string" ? body.message : undefined;
    },
  },
  stream: {
    symbol: "BTC-USD",
    url: "wss://ws-feed.exchange.coinbase.com",
    subscribe: [JSON.stringify({ type: "subscribe", product_ids: ["BTC-USD"], channels: ["ticker"] })],
    parse(raw) {
      const message = record("coinbase", parseJson("coinbase", raw), "message");
      if (message.type === "error") {
        const reason = typeof message.reason === "string" ? `: ${message.reason}` : "";
        return { type: "error", message: `${String(message.message)}${reason}` };
      }
      if (message.type !== "ticker") return { type: "ignore" };
      return {
        type: "ticker",
        fields: {
          symbol: text("coinbase", message.product_id, "product_id"),
          price: decimal("coinbase", message.price, "price"),
          volume: decimal("coinbase", message.volume_24h, "volume_24h"),
          timestamp: isoMs("coinbase", message.time, "time"),
        },
      };
    },
  },
  limits: { requestsPerSecond: 3, burst: 6 },
  browser: { preferred: "rest", cors: "likely" },
};
