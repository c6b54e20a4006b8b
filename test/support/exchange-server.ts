/**
 * A loopback stand-in for the six exchanges, for tests and e2e runs. Each exchange lives under its
 * own path prefix (`http://127.0.0.1:PORT/binance`, …) and answers its REAL REST path, status codes,
 * headers (CORS headers only where the exchange sends them), field names and error bodies, and its
 * REAL WebSocket ticker stream (subscribe handshake, acknowledgements, pings, message shapes).
 *
 * Each exchange's behaviour is set per test: good, stale (quoted 10 minutes ago), outlier (+8%),
 * rateLimited (its own throttling answer), malformed (truncated JSON), hang (never answers),
 * geoblock (its 451/403 page, no CORS headers), serverError (5xx page), nonPositive (price 0);
 * `failTimes` serves the bad behaviour that many times, then answers good.
 *
 * Where an exchange's exact answer could not be checked live, the shape follows its documentation
 * and is marked "modelled" below.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { type WebSocket, WebSocketServer } from "ws";
import { DEFAULT_VOLUMES, TICKER_BODIES } from "../../src/devnet/exchange-formats.ts";
import { SOURCE_IDS, type SourceId } from "../../src/oracle/types.ts";
import { formatDecimal, parseDecimal } from "../../src/protocol/decimal.ts";

export type ExchangeMode =
  | "good"
  | "stale"
  | "outlier"
  | "rateLimited"
  | "malformed"
  | "hang"
  | "geoblock"
  | "serverError"
  | "nonPositive";

export interface ExchangeBehaviour {
  mode: ExchangeMode;
  /** Last price as the exchange writes it (default per exchange, see DEFAULT_PRICES). */
  price?: string;
  /** Serve `mode` this many times (REST requests or WS connections), then behave "good". */
  failTimes?: number;
}

/** Default last prices: close together (well inside 5%), with a known median. */
export const DEFAULT_PRICES: Record<SourceId, string> = {
  binance: "97012.34",
  coinbase: "97000.01",
  kraken: "96995.5",
  bitstamp: "97003.25",
  okx: "97020",
  bybit: "97015.75",
};

export { DEFAULT_VOLUMES };

/** How long ago a "stale" exchange quotes. */
export const STALE_BY_MS = 10 * 60_000;

export const ORACLE_URL_ENV: Record<SourceId, string> = {
  binance: "ZKUSD_ORACLE_URL_BINANCE",
  coinbase: "ZKUSD_ORACLE_URL_COINBASE",
  kraken: "ZKUSD_ORACLE_URL_KRAKEN",
  bitstamp: "ZKUSD_ORACLE_URL_BITSTAMP",
  okx: "ZKUSD_ORACLE_URL_OKX",
  bybit: "ZKUSD_ORACLE_URL_BYBIT",
};

/** Path of each exchange's stream under its prefix. */
const STREAM_PATHS: Record<SourceId, string> = {
  binance: "/ws/btcusdt@ticker",
  coinbase: "",
  kraken: "/v2",
  bitstamp: "",
  okx: "/ws/v5/public",
  bybit: "/v5/public/spot",
};

export interface ExchangeServerOptions {
  /** The exchanges' clock (ms). Default Date.now. */
  now?: () => number;
  /** Interval between stream ticker messages. Default 50 ms. */
  tickIntervalMs?: number;
}

export interface ExchangeServer {
  readonly origin: string;
  /** REST base URL per exchange (what ZKUSD_ORACLE_URL_* point at). */
  readonly baseUrls: Record<SourceId, string>;
  readonly streamUrls: Record<SourceId, string>;
  set(source: SourceId, behaviour: ExchangeMode | ExchangeBehaviour): void;
  setAll(behaviour: ExchangeMode | ExchangeBehaviour): void;
  /** REST requests received per exchange. */
  requests(source: SourceId): number;
  /** Text messages the exchange's stream received from clients. */
  received(source: SourceId): string[];
  /** Stream connections accepted per exchange. */
  connections(source: SourceId): number;
  /** ZKUSD_ORACLE_URL_* variables pointing at this server. */
  env(): Record<string, string>;
  close(): Promise<void>;
}

type Headers = Record<string, string>;

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

const JSON_UTF8 = "application/json;charset=UTF-8";
/** Binance and Coinbase answer browsers with `Access-Control-Allow-Origin: *`; the others send none. */
const CORS_ANY: Headers = {
  "access-control-allow-origin": "*",
  "access-control-allow-methods": "GET, HEAD, OPTIONS",
};

const cloudflareBlock = (host: string) =>
  `<!DOCTYPE html><html><head><title>Attention Required! | Cloudflare</title></head><body>` +
  `<h1>Sorry, you have been blocked</h1><h2>You are unable to access ${host}</h2>` +
  `<p>Cloudflare Ray ID: 8f1c2d3e4a5b6c7d</p></body></html>`;

const CLOUDFRONT_BLOCK =
  `<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">` +
  `<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">` +
  `<TITLE>ERROR: The request could not be satisfied</TITLE></HEAD><BODY><H1>403 ERROR</H1>` +
  `<H2>The request could not be satisfied.</H2><HR noshade size="1px">` +
  `The Amazon CloudFront distribution is configured to block access from your country.</BODY></HTML>`;

const cloudflare520 = (host: string) =>
  `<!DOCTYPE html><html><head><title>${host} | 520: Web server is returning an unknown error</title></head>` +
  `<body><h1>Web server is returning an unknown error</h1></body></html>`;

/** price × 1.08, as the exchange would print it (same number of decimals). */
function outlierPrice(price: string): string {
  return formatDecimal((parseDecimal(price) * 108n) / 100n);
}

export async function startExchangeServer(options: ExchangeServerOptions = {}): Promise<ExchangeServer> {
  const now = options.now ?? Date.now;
  const tickIntervalMs = options.tickIntervalMs ?? 50;
  const behaviours = new Map<SourceId, ExchangeBehaviour>(SOURCE_IDS.map((id) => [id, { mode: "good" }]));
  const requestCounts = new Map<SourceId, number>(SOURCE_IDS.map((id) => [id, 0]));
  const connectionCounts = new Map<SourceId, number>(SOURCE_IDS.map((id) => [id, 0]));
  const messages = new Map<SourceId, string[]>(SOURCE_IDS.map((id) => [id, []]));
  const sockets = new Set<Socket>();
  const timers = new Set<ReturnType<typeof setInterval>>();

  /** The behaviour for this request/connection, consuming one `failTimes`. */
  const take = (source: SourceId): { mode: ExchangeMode; price: string } => {
    const b = behaviours.get(source) as ExchangeBehaviour;
    const price = b.price ?? DEFAULT_PRICES[source];
    if (b.failTimes !== undefined) {
      if (b.failTimes <= 0) return { mode: "good", price };
      b.failTimes--;
    }
    return { mode: b.mode, price };
  };

  const quoted = (mode: ExchangeMode, price: string) => ({
    price: mode === "outlier" ? outlierPrice(price) : mode === "nonPositive" ? "0" : price,
    time: mode === "stale" ? now() - STALE_BY_MS : now(),
  });

  const server = createServer((req, res) => {
    const match = /^\/([a-z]+)(\/.*)?$/.exec((req.url ?? "/").split("?")[0] ?? "/");
    const source = match?.[1] as SourceId | undefined;
    if (!source || !SOURCE_IDS.includes(source)) {
      send(res, { status: 404, headers: { "content-type": "text/plain" }, body: "unknown exchange" });
      return;
    }
    requestCounts.set(source, (requestCounts.get(source) ?? 0) + 1);
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const path = url.pathname.slice(source.length + 1);
    const { mode, price } = take(source);
    if (mode === "hang") return; // never answer; the socket is destroyed when the server closes
    const answer = REST[source](mode, path, url.searchParams, quoted(mode, price), now(), req);
    send(res, answer);
  });
  server.on("connection", (socket) => {
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
  });

  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const path = (req.url ?? "/").split("?")[0] ?? "/";
    const source = SOURCE_IDS.find(
      (id) => path === `/${id}${STREAM_PATHS[id]}` || path === `/${id}${STREAM_PATHS[id]}/`,
    );
    if (!source) {
      socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
      return;
    }
    const { mode, price } = take(source);
    if (mode === "geoblock" || mode === "rateLimited") {
      const status =
        mode === "rateLimited"
          ? "429 Too Many Requests"
          : source === "binance"
            ? "451 Unavailable For Legal Reasons"
            : "403 Forbidden";
      socket.end(`HTTP/1.1 ${status}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      connectionCounts.set(source, (connectionCounts.get(source) ?? 0) + 1);
      STREAMS[source](ws, {
        mode,
        price,
        now,
        quoted: () => quoted(mode, price),
        record: (text) => messages.get(source)?.push(text),
        every: (fn) => {
          const timer = setInterval(() => {
            if (ws.readyState === ws.OPEN) fn();
          }, tickIntervalMs);
          timers.add(timer);
          ws.on("close", () => {
            clearInterval(timer);
            timers.delete(timer);
          });
        },
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  const baseUrls = Object.fromEntries(SOURCE_IDS.map((id) => [id, `${origin}/${id}`])) as Record<
    SourceId,
    string
  >;
  const streamUrls = Object.fromEntries(
    SOURCE_IDS.map((id) => [id, `ws://127.0.0.1:${port}/${id}${STREAM_PATHS[id]}`]),
  ) as Record<SourceId, string>;

  const normalize = (b: ExchangeMode | ExchangeBehaviour): ExchangeBehaviour =>
    typeof b === "string" ? { mode: b } : { ...b };
  return {
    origin,
    baseUrls,
    streamUrls,
    set: (source, b) => behaviours.set(source, normalize(b)),
    setAll: (b) => {
      for (const id of SOURCE_IDS) behaviours.set(id, normalize(b));
    },
    requests: (source) => requestCounts.get(source) ?? 0,
    received: (source) => [...(messages.get(source) ?? [])],
    connections: (source) => connectionCounts.get(source) ?? 0,
    env: () => Object.fromEntries(SOURCE_IDS.map((id) => [ORACLE_URL_ENV[id], baseUrls[id]])),
    close: async () => {
      for (const timer of timers) clearInterval(timer);
      for (const client of wss.clients) client.terminate();
      wss.close();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function send(res: ServerResponse, answer: Answer): void {
  res.writeHead(answer.status, { date: new Date().toUTCString(), ...answer.headers });
  res.end(answer.body);
}

type Quoted = { price: string; time: number };
type RestHandler = (
  mode: ExchangeMode,
  path: string,
  query: URLSearchParams,
  q: Quoted,
  now: number,
  req: IncomingMessage,
) => Answer;

const json = (status: number, headers: Headers, value: unknown): Answer => ({
  status,
  headers: { "content-type": JSON_UTF8, ...headers },
  body: JSON.stringify(value),
});
const truncated = (headers: Headers, value: unknown): Answer => {
  const text = JSON.stringify(value);
  return {
    status: 200,
    headers: { "content-type": JSON_UTF8, ...headers },
    body: text.slice(0, Math.floor(text.length / 2)),
  };
};
const html = (status: number, body: string, headers: Headers = {}): Answer => ({
  status,
  headers: { "content-type": "text/html; charset=UTF-8", ...headers },
  body,
});

const REST: Record<SourceId, RestHandler> = {
  binance(mode, path, query, q) {
    const weight = { "x-mbx-used-weight": "2", "x-mbx-used-weight-1m": "2" };
    if (path !== "/api/v3/ticker/24hr") return json(404, CORS_ANY, { code: -1000, msg: "Not found." });
    if (query.get("symbol") !== "BTCUSDT")
      return json(400, { ...CORS_ANY, ...weight }, { code: -1121, msg: "Invalid symbol." });
    const ticker = TICKER_BODIES.binance(q);
    switch (mode) {
      case "rateLimited":
        return json(
          429,
          { ...CORS_ANY, "retry-after": "60" },
          {
            code: -1003,
            msg: "Too many requests; current limit of IP(127.0.0.1) request weight per 1 MINUTE is 6000. Please use WebSocket Streams for live updates to avoid bans.",
          },
        );
      case "geoblock":
        // The 451 page carries no CORS header, so a browser sees only a failed fetch.
        return json(
          451,
          {},
          {
            code: 0,
            msg: "Service unavailable from a restricted location according to 'b. Eligibility' in https://www.binance.com/en/terms. Please contact customer service if you believe you received this message in error.",
          },
        );
      case "serverError":
        return json(503, CORS_ANY, {
          code: -1001,
          msg: "Internal error; unable to process your request. Please try again.",
        });
      case "malformed":
        return truncated({ ...CORS_ANY, ...weight }, ticker);
      default:
        return json(200, { ...CORS_ANY, ...weight }, ticker);
    }
  },

  coinbase(mode, path, _query, q) {
    if (path !== "/products/BTC-USD/ticker") return json(404, CORS_ANY, { message: "NotFound" });
    const ticker = TICKER_BODIES.coinbase(q);
    switch (mode) {
      case "rateLimited":
        return json(429, CORS_ANY, { message: "Public rate limit exceeded" });
      case "geoblock":
        return html(403, cloudflareBlock("api.exchange.coinbase.com"));
      case "serverError":
        return json(503, CORS_ANY, { message: "service unavailable" }); // modelled
      case "malformed":
        return truncated(CORS_ANY, ticker);
      default:
        return json(200, CORS_ANY, ticker);
    }
  },

  kraken(mode, path, query, q) {
    if (path !== "/0/public/Ticker") return json(404, {}, { error: ["EGeneral:Unknown method"] });
    if (query.get("pair") !== "XBTUSD") return json(200, {}, { error: ["EQuery:Unknown asset pair"] });
    const answer = TICKER_BODIES.kraken(q);
    // Kraken's ticker carries no time; its Date header does (stale: an old Date).
    const date = { date: new Date(q.time).toUTCString() };
    switch (mode) {
      case "rateLimited":
        // Kraken throttles with HTTP 200 and an error array, not 429.
        return json(200, date, { error: ["EGeneral:Too many requests"] });
      case "geoblock":
        return html(403, cloudflareBlock("api.kraken.com"));
      case "serverError":
        return html(520, cloudflare520("api.kraken.com"));
      case "malformed":
        return truncated(date, answer);
      default:
        return json(200, date, answer);
    }
  },

  bitstamp(mode, path, _query, q) {
    if (path !== "/api/v2/ticker/btcusd/") return html(404, "<h1>Not Found</h1>");
    const ticker = TICKER_BODIES.bitstamp(q);
    switch (mode) {
      case "rateLimited":
        // modelled on Bitstamp's documented response code 400.002
        return json(
          429,
          {},
          { response_code: "400.002", response_explanation: "Request rejected due to exceeded rate limit." },
        );
      case "geoblock":
        return html(403, cloudflareBlock("www.bitstamp.net"));
      case "serverError":
        return html(502, "<html><body><h1>502 Bad Gateway</h1></body></html>");
      case "malformed":
        return truncated({}, ticker);
      default:
        return json(200, {}, ticker);
    }
  },

  okx(mode, path, query, q) {
    if (path !== "/api/v5/market/ticker") return json(404, {}, { msg: "", code: "404" });
    if (query.get("instId") !== "BTC-USDT")
      return json(200, {}, { code: "51001", msg: "Instrument ID does not exist", data: [] });
    const answer = TICKER_BODIES.okx(q);
    switch (mode) {
      case "rateLimited":
        return json(429, {}, { code: "50011", msg: "Too Many Requests", data: [] });
      case "geoblock":
        return html(403, cloudflareBlock("www.okx.com"));
      case "serverError":
        return json(
          503,
          {},
          { code: "50001", msg: "Service temporarily unavailable. Try again later", data: [] },
        );
      case "malformed":
        return truncated({}, answer);
      default:
        return json(200, {}, answer);
    }
  },

  bybit(mode, path, query, q, now) {
    if (path !== "/v5/market/tickers") return json(404, {}, { retCode: 404, retMsg: "Not Found" });
    if (query.get("category") !== "spot" || query.get("symbol") !== "BTCUSDT") {
      return json(
        200,
        {},
        { retCode: 10001, retMsg: "Not supported symbols", result: {}, retExtInfo: {}, time: now },
      );
    }
    const answer = TICKER_BODIES.bybit(q);
    switch (mode) {
      case "rateLimited":
        // modelled: HTTP 429 with Bybit's "Too many visits" code
        return json(
          429,
          {},
          { retCode: 10006, retMsg: "Too many visits!", result: {}, retExtInfo: {}, time: now },
        );
      case "geoblock":
        return html(403, CLOUDFRONT_BLOCK, { "x-cache": "Error from cloudfront" });
      case "serverError":
        return html(502, "<html><body><h1>502 Bad Gateway</h1></body></html>");
      case "malformed":
        return truncated({}, answer);
      default:
        return json(200, {}, answer);
    }
  },
};

interface StreamContext {
  mode: ExchangeMode;
  price: string;
  now: () => number;
  quoted: () => Quoted;
  record: (text: string) => void;
  every: (fn: () => void) => void;
}

type StreamHandler = (ws: WebSocket, ctx: StreamContext) => void;

/** Sends a ticker now and then every tick, unless hanging; malformed sends broken JSON. */
function tick(ws: WebSocket, ctx: StreamContext, message: () => unknown): void {
  if (ctx.mode === "hang") return;
  const sendOne = () => {
    if (ctx.mode === "malformed") ws.send('{"truncated": ');
    else ws.send(JSON.stringify(message()));
  };
  sendOne();
  ctx.every(sendOne);
}

function onText(ws: WebSocket, ctx: StreamContext, handle: (text: string, parsed: unknown) => void): void {
  ws.on("message", (data, isBinary) => {
    if (isBinary) return;
    const text = data.toString();
    ctx.record(text);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    handle(text, parsed);
  });
}

const connId = () => randomBytes(4).toString("hex");

const STREAMS: Record<SourceId, StreamHandler> = {
  // Raw stream /ws/btcusdt@ticker: no subscription; the server pings at the protocol level.
  binance(ws, ctx) {
    onText(ws, ctx, () => {});
    tick(ws, ctx, () => {
      const q = ctx.quoted();
      return {
        e: "24hrTicker",
        E: q.time,
        s: "BTCUSDT",
        p: "512.34000000",
        P: "0.531",
        w: "96800.12345678",
        x: "96500.00000000",
        c: q.price,
        Q: "0.00150000",
        b: q.price,
        B: "1.20000000",
        a: q.price,
        A: "0.80000000",
        o: "96500.00000000",
        h: "97500.00000000",
        l: "95800.00000000",
        v: DEFAULT_VOLUMES.binance,
        q: "1765432109.12345678",
        O: q.time - 86_400_000,
        C: q.time,
        F: 4_123_456_789,
        L: 4_124_456_789,
        n: 1_000_001,
      };
    });
  },

  coinbase(ws, ctx) {
    let sequence = 90_000_000_000;
    onText(ws, ctx, (_text, msg) => {
      const m = msg as { type?: string; product_ids?: string[]; channels?: unknown[] } | undefined;
      if (m?.type !== "subscribe") {
        ws.send(
          JSON.stringify({ type: "error", message: "Failed to subscribe", reason: "type is required" }),
        );
        return;
      }
      ws.send(
        JSON.stringify({
          type: "subscriptions",
          channels: [{ name: "ticker", product_ids: ["BTC-USD"], account_ids: null }],
        }),
      );
      tick(ws, ctx, () => {
        const q = ctx.quoted();
        return {
          type: "ticker",
          sequence: sequence++,
          product_id: "BTC-USD",
          price: q.price,
          open_24h: "96500",
          volume_24h: DEFAULT_VOLUMES.coinbase,
          low_24h: "95800",
          high_24h: "97500",
          volume_30d: "312345.67890123",
          best_bid: q.price,
          best_bid_size: "0.12345678",
          best_ask: q.price,
          best_ask_size: "0.23456789",
          side: "buy",
          time: new Date(q.time).toISOString(),
          trade_id: 712_345_678,
          last_size: "0.00123456",
        };
      });
    });
  },

  // WebSocket v2: a status message on connect, then subscribe → ack → snapshot → updates (JSON numbers).
  kraken(ws, ctx) {
    ws.send(
      JSON.stringify({
        channel: "status",
        data: [{ api_version: "v2", connection_id: 12_345_678_901_234, system: "online", version: "2.0.10" }],
        type: "update",
      }),
    );
    onText(ws, ctx, (_text, msg) => {
      const m = msg as
        | { method?: string; params?: { channel?: string; symbol?: string[] }; req_id?: number }
        | undefined;
      if (m?.method === "ping") {
        ws.send(
          JSON.stringify({
            method: "pong",
            req_id: m.req_id,
            time_in: new Date().toISOString(),
            time_out: new Date().toISOString(),
          }),
        );
        return;
      }
      if (m?.method !== "subscribe" || m.params?.channel !== "ticker") return;
      const stamp = new Date(ctx.now()).toISOString();
      ws.send(
        JSON.stringify({
          method: "subscribe",
          result: { channel: "ticker", event_trigger: "trades", snapshot: true, symbol: "BTC/USD" },
          success: true,
          time_in: stamp,
          time_out: stamp,
        }),
      );
      let first = true;
      tick(ws, ctx, () => {
        const q = ctx.quoted();
        const data: Record<string, unknown> = {
          symbol: "BTC/USD",
          bid: Number(q.price),
          bid_qty: 0.5,
          ask: Number(q.price),
          ask_qty: 0.25,
          last: Number(q.price),
          volume: Number(DEFAULT_VOLUMES.kraken),
          vwap: 96_800.5,
          low: 95_800,
          high: 97_500,
          change: 512.3,
          change_pct: 0.53,
        };
        // Recent v2 versions stamp the ticker; the stale mode relies on it.
        if (ctx.mode === "stale") data.timestamp = new Date(q.time).toISOString();
        const type = first ? "snapshot" : "update";
        first = false;
        return { channel: "ticker", type, data: [data] };
      });
    });
  },

  bitstamp(ws, ctx) {
    let id = 380_000_000;
    onText(ws, ctx, (_text, msg) => {
      const m = msg as { event?: string; data?: { channel?: string } } | undefined;
      if (m?.event === "bts:heartbeat") {
        ws.send(JSON.stringify({ event: "bts:heartbeat", channel: "", data: { status: "success" } }));
        return;
      }
      if (m?.event !== "bts:subscribe" || m.data?.channel !== "live_trades_btcusd") {
        ws.send(
          JSON.stringify({
            event: "bts:error",
            channel: "",
            data: { code: null, message: "Bad subscription string." },
          }),
        );
        return;
      }
      ws.send(
        JSON.stringify({ event: "bts:subscription_succeeded", channel: "live_trades_btcusd", data: {} }),
      );
      tick(ws, ctx, () => {
        const q = ctx.quoted();
        return {
          data: {
            id: id++,
            timestamp: String(Math.floor(q.time / 1000)),
            amount: 0.0123,
            amount_str: "0.01230000",
            price: Number(q.price),
            price_str: q.price,
            type: 0,
            microtimestamp: String(q.time * 1000),
            buy_order_id: 1_800_000_000_000_000,
            sell_order_id: 1_800_000_000_000_001,
          },
          channel: "live_trades_btcusd",
          event: "trade",
        };
      });
    });
  },

  okx(ws, ctx) {
    const conn = connId();
    onText(ws, ctx, (text, msg) => {
      if (text === "ping") {
        ws.send("pong");
        return;
      }
      const m = msg as { op?: string; args?: Array<{ channel?: string; instId?: string }> } | undefined;
      const arg = m?.args?.[0];
      if (m?.op !== "subscribe" || arg?.channel !== "tickers") {
        ws.send(
          JSON.stringify({ event: "error", code: "60012", msg: `Invalid request: ${text}`, connId: conn }),
        );
        return;
      }
      ws.send(
        JSON.stringify({ event: "subscribe", arg: { channel: "tickers", instId: "BTC-USDT" }, connId: conn }),
      );
      tick(ws, ctx, () => {
        const q = ctx.quoted();
        return {
          arg: { channel: "tickers", instId: "BTC-USDT" },
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
              sodUtc0: "96600",
              sodUtc8: "96700",
              volCcy24h: "740812345.123",
              vol24h: DEFAULT_VOLUMES.okx,
              ts: String(q.time),
            },
          ],
        };
      });
    });
  },

  bybit(ws, ctx) {
    const conn = connId();
    let cs = 44_000_000_000;
    onText(ws, ctx, (_text, msg) => {
      const m = msg as { op?: string; args?: string[]; req_id?: string } | undefined;
      if (m?.op === "ping") {
        ws.send(JSON.stringify({ success: true, ret_msg: "pong", conn_id: conn, op: "ping" }));
        return;
      }
      if (m?.op !== "subscribe" || m.args?.[0] !== "tickers.BTCUSDT") {
        ws.send(
          JSON.stringify({
            success: false,
            ret_msg: `error:handler not found,topic:${m?.args?.[0]}`,
            conn_id: conn,
            op: "subscribe",
          }),
        );
        return;
      }
      ws.send(
        JSON.stringify({
          success: true,
          ret_msg: "subscribe",
          conn_id: conn,
          req_id: m.req_id ?? "",
          op: "subscribe",
        }),
      );
      tick(ws, ctx, () => {
        const q = ctx.quoted();
        return {
          topic: "tickers.BTCUSDT",
          ts: q.time,
          type: "snapshot",
          cs: cs++,
          data: {
            symbol: "BTCUSDT",
            lastPrice: q.price,
            highPrice24h: "97500",
            lowPrice24h: "95800",
            prevPrice24h: "96500",
            volume24h: DEFAULT_VOLUMES.bybit,
            turnover24h: "526912345.6789",
            price24hPcnt: "0.0053",
            usdIndexPrice: q.price,
          },
        };
      });
    });
  },
};
