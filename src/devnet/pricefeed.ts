/**
 * Dev price feed (Node, dev tooling): serves the six exchanges' real REST ticker paths and formats
 * under `/<exchange>` (point ZKUSD_ORACLE_URL_* or a guardian's oracleSources at it) with one price
 * that can be set over HTTP, so a local stack runs with no internet and e2e tests can drop the price:
 *
 *   POST /admin/price {"price": "58000.5"}             every exchange (small fixed spreads keep a median)
 *   POST /admin/price {"price": "58000", "source": "okx"}  one exchange
 *   GET  /admin/price                                   current prices
 *
 * `tsx src/devnet/pricefeed.ts [--port 18480] [--price 97000]` prints {"priceFeed": url, ...} when ready.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { SOURCE_IDS, type SourceId } from "../oracle/index.ts";
import { formatDecimal, parseDecimal } from "../protocol/index.ts";
import { tickerAnswer } from "./exchange-formats.ts";
import { DEFAULT_LOCAL_STACK_PORTS } from "./local-stack.ts";
import { arg, runAsScript } from "./script.ts";

export interface PriceFeed {
  url: string;
  baseUrls: Record<SourceId, string>;
  setPrice(price: string, source?: SourceId): void;
  prices(): Record<SourceId, string>;
  close(): Promise<void>;
}

/** Per-exchange offsets in basis points around the set price (real venues differ a little). */
const SPREAD_BPS: Record<SourceId, bigint> = {
  binance: 1n,
  coinbase: 0n,
  kraken: -1n,
  bitstamp: 0n,
  okx: 2n,
  bybit: 1n,
};

function around(price: string, source: SourceId): string {
  const p = parseDecimal(price);
  if (p <= 0n) throw new Error(`price must be positive, got ${price}`);
  const v = p + (p * SPREAD_BPS[source]) / 10_000n;
  return formatDecimal(v - (v % 10n ** 16n)); // two decimals, as the venues print USD
}

const LOOPBACK_ORIGIN = /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/;

export async function startPriceFeed(
  opts: { port?: number; host?: string; price?: string; now?: () => number } = {},
): Promise<PriceFeed> {
  const now = opts.now ?? Date.now;
  const current = new Map<SourceId, string>(SOURCE_IDS.map((id) => [id, around(opts.price ?? "97000", id)]));
  const setPrice = (price: string, source?: SourceId) => {
    for (const id of source ? [source] : SOURCE_IDS)
      current.set(id, source ? formatDecimal(parseDecimal(price)) : around(price, id));
  };
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://feed");
    // The app reads the feed from the browser: any loopback origin may (dev only, like the devnet).
    const origin = req.headers.origin;
    if (origin && LOOPBACK_ORIGIN.test(origin)) {
      res.setHeader("access-control-allow-origin", origin);
      res.setHeader("vary", "origin");
    }
    if (req.method === "OPTIONS") {
      res.setHeader("access-control-allow-methods", "GET, POST");
      res.setHeader("access-control-allow-headers", "content-type");
      res.writeHead(204);
      return res.end();
    }
    const reply = (status: number, value: unknown) => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(value));
    };
    if (url.pathname === "/admin/price") {
      if (req.method === "GET") return reply(200, Object.fromEntries(current));
      if (req.method !== "POST") return reply(405, { error: "GET or POST" });
      let body = "";
      req.on("data", (c: Buffer) => {
        body += c.toString();
        if (body.length > 4096) req.destroy();
      });
      req.on("end", () => {
        try {
          const b = JSON.parse(body) as { price?: unknown; source?: unknown };
          if (typeof b.price !== "string" || !/^\d+(\.\d+)?$/.test(b.price))
            throw new Error('expected {"price": "58000.5"}');
          if (b.source !== undefined && !SOURCE_IDS.includes(b.source as SourceId))
            throw new Error(`unknown source ${String(b.source)}`);
          setPrice(b.price, b.source as SourceId | undefined);
          reply(200, Object.fromEntries(current));
        } catch (error) {
          reply(400, { error: (error as Error).message });
        }
      });
      return;
    }
    const m = /^\/([a-z]+)(\/.*)$/.exec(url.pathname);
    const source = m?.[1] as SourceId | undefined;
    if (!source || !SOURCE_IDS.includes(source)) return reply(404, { error: "unknown exchange" });
    const a = tickerAnswer(source, m![2]!, url.searchParams, { price: current.get(source)!, time: now() });
    res.writeHead(a.status, { date: new Date(now()).toUTCString(), ...a.headers });
    res.end(a.body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, opts.host ?? "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${opts.host ?? "127.0.0.1"}:${port}`;
  return {
    url,
    baseUrls: Object.fromEntries(SOURCE_IDS.map((id) => [id, `${url}/${id}`])) as Record<SourceId, string>,
    setPrice,
    prices: () => Object.fromEntries(current) as Record<SourceId, string>,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

runAsScript(import.meta.url, {
  start() {
    const port = Number(arg("port") ?? process.env.PRICE_FEED_PORT ?? DEFAULT_LOCAL_STACK_PORTS.priceFeed);
    return startPriceFeed({ port, price: arg("price") ?? "97000" });
  },
  ready: (feed) => ({ priceFeed: feed.url, prices: feed.prices() }),
  stop: (feed) => feed.close(),
});
