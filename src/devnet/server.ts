/**
 * An Esplora-compatible HTTP API over the in-process regtest chain, on loopback, with CORS for the
 * app's origin, plus dev endpoints: POST /regtest/faucet {address, sats} and POST /regtest/mine
 * {blocks, address?}. Only the endpoints the app's EsploraClient uses are served.
 *
 * Where the public servers differ in ways a client must handle, the devnet can behave like them
 * (`esplora` options, docs/bitcoin.md): 10 block transactions per page (a self-hosted mempool
 * backend) instead of 25 (electrs), a per-client rate limit answered with 429 and no CORS headers
 * (blockstream.info), the 500-UTXO cap. Always, as the real ones: 200 {"confirmed":false} for an
 * unknown transaction's status, no `witness` on an input without one.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type ChainOptions, RegtestChain } from "./regtestChain.ts";
import { Html, HttpError, type RouteContext, route, toScript } from "./routes.ts";

export interface DevnetOptions extends ChainOptions {
  /** TCP port on 127.0.0.1 (0 = any free port). */
  port?: number;
  host?: string;
  /** Origins allowed by CORS; default: any http://localhost or http://127.0.0.1 origin. */
  corsOrigins?: string[];
  /**
   * Mine a block whenever transactions have waited this long in the mempool (ms), so pending →
   * confirmed happens on its own as on a real chain. Off by default: tests mine when they choose.
   */
  automineMs?: number;
  /** How the Esplora API behaves where the public servers differ. */
  esplora?: EsploraBehaviour;
}

export interface EsploraBehaviour {
  /** Block transactions per page: 25 as electrs (start a multiple of 25), 10 as a mempool backend. */
  pageSize?: 10 | 25;
  /** Requests per second (and burst) per client address; above it 429 without CORS headers. Off by default. */
  rateLimit?: { rps: number; burst: number };
  /** Most UTXOs `/address/:a/utxo` lists; above it HTTP 400 as electrs answers (default 500). */
  utxoCap?: number;
}

/** What the API served (for the bench: requests and bytes per synced block). */
export interface DevnetStats {
  requests: number;
  bytes: number;
  limited: number;
}

export interface Devnet {
  url: string;
  port: number;
  chain: RegtestChain;
  /** Sends sats from the faucet (output 0; `data`: an OP_RETURN after it); returns the txid (unconfirmed until `mine`). */
  faucet(address: string, sats: bigint, data?: Uint8Array): Promise<string>;
  mine(blocks?: number, address?: string): Promise<string[]>;
  /** Requests and bytes served since the start (or the last reset). */
  stats: DevnetStats;
  resetStats(): void;
  close(): Promise<void>;
}
export async function startDevnet(opts: DevnetOptions = {}): Promise<Devnet> {
  const chain = new RegtestChain(opts);
  await chain.open();
  const routes: RouteContext = {
    chain,
    pageSize: opts.esplora?.pageSize ?? 25,
    utxoCap: opts.esplora?.utxoCap ?? 500,
  };
  const stats: DevnetStats = { requests: 0, bytes: 0, limited: 0 };
  const limiter = opts.esplora?.rateLimit ? new ClientLimiter(opts.esplora.rateLimit) : undefined;
  const host = opts.host ?? "127.0.0.1";
  const allowOrigin = (origin: string | undefined) => corsOrigin(origin, opts.corsOrigins);

  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    stats.requests++;
    if (limiter && req.method !== "OPTIONS" && !limiter.take(req.socket.remoteAddress ?? "")) {
      // As blockstream.info's nginx: 429, no Retry-After, no CORS headers (a browser sees a network error).
      stats.limited++;
      res.writeHead(429, { "content-type": "text/plain" }).end("Too Many Requests");
      return;
    }
    const origin = allowOrigin(req.headers.origin);
    if (origin) {
      res.setHeader("Access-Control-Allow-Origin", origin);
      res.setHeader("Vary", "Origin");
      res.setHeader("Access-Control-Allow-Methods", "GET, POST, OPTIONS");
      res.setHeader("Access-Control-Allow-Headers", "content-type");
    }
    if (req.method === "OPTIONS") {
      res.writeHead(204).end();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > 2_000_000) req.destroy();
      else chunks.push(c);
    });
    req.on("end", () => {
      const path = (req.url ?? "/").split("?")[0]!.replace(/\/+$/, "") || "/";
      route(routes, req.method ?? "GET", path, Buffer.concat(chunks).toString("utf8")).then(
        (result) => sendResult(res, result, stats),
        (e: unknown) => {
          const status = e instanceof HttpError ? e.status : 500;
          res.writeHead(status, { "content-type": "text/plain" }).end((e as Error).message ?? String(e));
        },
      );
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const automine = opts.automineMs ? startAutomine(chain, opts.automineMs) : undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    chain,
    faucet: (address, sats, data) => chain.faucet(address, sats, 2, data),
    mine: (blocks = 1, address) => chain.mine(blocks, address ? toScript(address) : undefined),
    stats,
    resetStats: () => {
      stats.requests = 0;
      stats.bytes = 0;
      stats.limited = 0;
    },
    close: async () => {
      clearInterval(automine);
      await new Promise<void>((r) => server.close(() => r()));
      server.closeAllConnections?.();
      await chain.close();
    },
  };
}

/** Mines a block every `ms` while the mempool holds a transaction (one round at a time). */
function startAutomine(chain: RegtestChain, ms: number): ReturnType<typeof setInterval> {
  let mining = false;
  return setInterval(() => {
    if (mining || chain.node.mempool.getSnapshot().length === 0) return;
    mining = true;
    chain
      .mine(1)
      .catch(() => undefined) // a failed round is retried on the next tick
      .finally(() => {
        mining = false;
      });
  }, ms);
}

/** The origin to allow (CORS): the configured ones, else a loopback page; undefined for any other. */
function corsOrigin(origin: string | undefined, allowed: readonly string[] | undefined): string | undefined {
  if (!origin) return undefined;
  if (allowed) return allowed.includes(origin) || allowed.includes("*") ? origin : undefined;
  return /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(origin) ? origin : undefined;
}

/** Writes a route's answer: a page, bytes, text or JSON, counted in the served bytes. */
function sendResult(res: ServerResponse, result: unknown, stats: DevnetStats): void {
  if (result instanceof Html) {
    res.writeHead(200, { "content-type": "text/html; charset=utf-8" }).end(result.text);
    return;
  }
  if (result instanceof Uint8Array) {
    stats.bytes += result.length;
    res.writeHead(200, { "content-type": "application/octet-stream" }).end(result);
    return;
  }
  const text = typeof result === "string" ? result : JSON.stringify(result);
  stats.bytes += Buffer.byteLength(text);
  res
    .writeHead(200, { "content-type": typeof result === "string" ? "text/plain" : "application/json" })
    .end(text);
}

/** A token bucket per client address (the devnet's optional rate limit). */
class ClientLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly limit: { rps: number; burst: number }) {}

  take(client: string, now = Date.now()): boolean {
    const b = this.buckets.get(client) ?? { tokens: this.limit.burst, at: now };
    b.tokens = Math.min(this.limit.burst, b.tokens + ((now - b.at) / 1000) * this.limit.rps);
    b.at = now;
    this.buckets.set(client, b);
    if (b.tokens < 1) return false;
    b.tokens--;
    return true;
  }
}
