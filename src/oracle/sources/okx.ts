/**
 * OKX BTC-USDT (quotes USDT). REST `GET /api/v5/market/ticker?instId=BTC-USDT` (20 requests per
 * 2 s): `{code: "0", msg, data: [{instId, last, vol24h (BTC), volCcy24h (USDT), ts (ms)}]}`; errors
 * `{code, msg, data: []}`, e.g. 429 `{"code":"50011","msg":"Too Many Requests","data":[]}`. Stream
 * `wss://ws.okx.com:8443/ws/v5/public`, channel `tickers`: `{arg, data: [{instId, last, vol24h,
 * volCcy24h, ts}]}`; the socket wants a text "ping" within 30 s.
 */
import { OracleError } from "../errors.ts";
import { array, decimal, epochMs, isRecord, parseJson, record, text } from "../parse.ts";
import type { SourceDefinition, TickerFields } from "../types.ts";

function tickerFields(value: unknown, where: string): TickerFields {
  const ticker = record("okx", value, where);
  return {
    symbol: text("okx", ticker.instId, `${where}.instId`),
    price: decimal("okx", ticker.last, `${where}.last`),
    volume: decimal("okx", ticker.vol24h, `${where}.vol24h`),
    timestamp: epochMs("okx", ticker.ts, `${where}.ts`, "ms"),
  };
}

export const okx: SourceDefinition = {
  id: "okx",
  name: "OKX",
  quoteCurrency: "USDT",
  rest: {
    symbol: "BTC-USDT",
    baseUrl: "https://www.okx.com",
    path: "/api/v5/market/ticker?instId=BTC-USDT",
    parse(body) {
      const answer = record("okx", body, "body");
      if (answer.code !== "0") {
        const code = String(answer.code);
        throw new OracleError(
          code === "50011" ? "rateLimited" : "exchangeError",
          `okx: code ${code}: ${String(answer.msg)}`,
          {
            source: "okx",
          },
        );
      }
      return tickerFields(array("okx", answer.data, "data")[0], "data[0]");
    },
    errorText(body) {
      return isRecord(body) && typeof body.msg === "string"
        ? `code ${String(body.code)}: ${body.msg}`
        : undefined;
    },
  },
  stream: {
    symbol: "BTC-USDT",
    url: "wss://ws.okx.com:8443/ws/v5/public",
    subscribe: [JSON.stringify({ op: "subscribe", args: [{ channel: "tickers", instId: "BTC-USDT" }] })],
    heartbeat: { intervalMs: 25_000, message: "ping" },
    parse(raw) {
      if (raw === "pong") return { type: "ignore" };
      const message = record("okx", parseJson("okx", raw), "message");
      if (message.event === "error")
        return { type: "error", message: `code ${String(message.code)}: ${String(message.msg)}` };
      const arg = isRecord(message.arg) ? message.arg : {};
      if (message.event !== undefined || arg.channel !== "tickers") return { type: "ignore" };
      return { type: "ticker", fields: tickerFields(array("okx", message.data, "data")[0], "data[0]") };
    },
  },
  limits: { requestsPerSecond: 5, burst: 10 },
  browser: { preferred: "websocket", cors: "absent" },
};
