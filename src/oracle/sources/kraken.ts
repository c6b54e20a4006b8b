/**
 * Kraken XBT/USD (quotes USD). REST `GET /0/public/Ticker?pair=XBTUSD`:
 * `{error: [], result: {XXBTZUSD: {c: [last, lot], v: [today, last 24 h], ...}}}`; it carries no
 * time, so the quote is stamped with the HTTP Date header when readable, else on receipt. Kraken
 * reports throttling inside an HTTP 200: `{"error":["EGeneral:Too many requests"]}`. Stream
 * `wss://ws.kraken.com/v2`, channel `ticker`: `{channel, type, data: [{symbol, last, volume, ...}]}`
 * with JSON numbers.
 */
import { OracleError } from "../errors.ts";
import { array, decimal, isoMs, isRecord, parseJson, record, text } from "../parse.ts";
import type { SourceDefinition } from "../types.ts";

const RATE_LIMIT_ERRORS = new Set(["EGeneral:Too many requests", "EAPI:Rate limit exceeded"]);

export const kraken: SourceDefinition = {
  id: "kraken",
  name: "Kraken",
  quoteCurrency: "USD",
  rest: {
    symbol: "XXBTZUSD",
    baseUrl: "https://api.kraken.com",
    path: "/0/public/Ticker?pair=XBTUSD",
    parse(body) {
      const answer = record("kraken", body, "body");
      const errors = array("kraken", answer.error, "error").map(String);
      if (errors.length > 0) {
        const rateLimited = errors.some((e) => RATE_LIMIT_ERRORS.has(e));
        throw new OracleError(rateLimited ? "rateLimited" : "exchangeError", `kraken: ${errors.join("; ")}`, {
          source: "kraken",
          status: 200,
        });
      }
      const result = record("kraken", answer.result, "result");
      const [symbol, value] = Object.entries(result)[0] ?? [];
      if (symbol === undefined) throw new OracleError("malformedResponse", "kraken: result is empty");
      const ticker = record("kraken", value, `result.${symbol}`);
      const last = array("kraken", ticker.c, `result.${symbol}.c`);
      const volume = array("kraken", ticker.v, `result.${symbol}.v`);
      return {
        symbol,
        price: decimal("kraken", last[0], `result.${symbol}.c[0]`),
        volume: decimal("kraken", volume[1], `result.${symbol}.v[1]`),
        timestamp: null,
      };
    },
    errorText(body) {
      return isRecord(body) && Array.isArray(body.error) && body.error.length > 0
        ? body.error.join("; ")
        : undefined;
    },
  },
  stream: {
    symbol: "BTC/USD",
    url: "wss://ws.kraken.com/v2",
    subscribe: [JSON.stringify({ method: "subscribe", params: { channel: "ticker", symbol: ["BTC/USD"] } })],
    parse(raw) {
      const message = record("kraken", parseJson("kraken", raw), "message");
      if (message.method === "subscribe" && message.success === false) {
        return { type: "error", message: String(message.error) };
      }
      if (message.channel !== "ticker") return { type: "ignore" };
      const data = record("kraken", array("kraken", message.data, "data")[0], "data[0]");
      return {
        type: "ticker",
        fields: {
          symbol: text("kraken", data.symbol, "data[0].symbol"),
          price: decimal("kraken", data.last, "data[0].last"),
          volume: decimal("kraken", data.volume, "data[0].volume"),
          timestamp:
            data.timestamp === undefined ? null : isoMs("kraken", data.timestamp, "data[0].timestamp"),
        },
      };
    },
  },
  limits: { requestsPerSecond: 1, burst: 3 },
  browser: { preferred: "websocket", cors: "unverified" },
};
