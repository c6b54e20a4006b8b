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
import bcoin from "bcoin";
import { addressToScript, scriptToAddress, scriptType } from "../btc/network.ts";
import { type ExplorerTx, explorerTxPage } from "./explorer-page.ts";
import { type ChainOptions, RegtestChain, RejectedError, revHex } from "./regtestChain.ts";

/** An HTML answer (the readable explorer page), served as text/html. */
class Html {
  constructor(readonly text: string) {}
}

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
  /** Sends sats from the faucet; returns the txid (unconfirmed until `mine`). */
  faucet(address: string, sats: bigint): Promise<string>;
  mine(blocks?: number, address?: string): Promise<string[]>;
  /** Requests and bytes served since the start (or the last reset). */
  stats: DevnetStats;
  resetStats(): void;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const NET = "regtest" as const;
const isHash = (s: string | undefined): s is string => !!s && /^[0-9a-f]{64}$/.test(s);

function txOut(o: { script: { toRaw(): Buffer }; value: number }) {
  const script = new Uint8Array(o.script.toRaw());
  const address = scriptToAddress(script, NET);
  return {
    scriptpubkey: Buffer.from(script).toString("hex"),
    scriptpubkey_type: scriptType(script),
    ...(address ? { scriptpubkey_address: address } : {}),
    value: o.value,
  };
}

async function txJson(chain: RegtestChain, meta: Bcoin) {
  const tx = meta.tx;
  const view = await chain.node.getMetaView(meta);
  const coinbase = tx.isCoinbase();
  const status = await txStatus(chain, meta);
  return {
    txid: tx.txid(),
    version: tx.version,
    locktime: tx.locktime,
    vin: tx.inputs.map((input: Bcoin) => {
      const prev = coinbase ? null : view.getOutputFor(input);
      return {
        txid: input.prevout.txid(),
        vout: input.prevout.index,
        prevout: prev ? txOut(prev) : null,
        scriptsig: input.script.toRaw().toString("hex"),
        // As electrs: no `witness` field at all on an input without one.
        ...(input.witness.items.length > 0
          ? { witness: input.witness.items.map((w: Buffer) => w.toString("hex")) }
          : {}),
        is_coinbase: coinbase,
        sequence: input.sequence,
      };
    }),
    vout: tx.outputs.map(txOut),
    size: tx.getSize(),
    weight: tx.getWeight(),
    fee: coinbase ? 0 : tx.getFee(view),
    status,
  };
}

async function txStatus(_chain: RegtestChain, meta: Bcoin) {
  if (meta.height === -1) return { confirmed: false };
  return {
    confirmed: true,
    block_height: meta.height,
    block_hash: revHex(meta.block),
    block_time: meta.time,
  };
}

async function blockAt(chain: RegtestChain, hash: string) {
  const entry = await chain.node.chain.getEntry(revHex(hash));
  if (!entry) throw new HttpError(404, "Block not found");
  return entry;
}

/** Starts the regtest chain and its Esplora API. */
export async function startDevnet(opts: DevnetOptions = {}): Promise<Devnet> {
  const chain = new RegtestChain(opts);
  await chain.open();
  const pageSize = opts.esplora?.pageSize ?? 25;
  const utxoCap = opts.esplora?.utxoCap ?? 500;
  const stats: DevnetStats = { requests: 0, bytes: 0, limited: 0 };
  const limiter = opts.esplora?.rateLimit ? new ClientLimiter(opts.esplora.rateLimit) : undefined;
  const host = opts.host ?? "127.0.0.1";
  const allowOrigin = (origin: string | undefined) => {
    if (!origin) return undefined;
    if (opts.corsOrigins)
      return opts.corsOrigins.includes(origin) || opts.corsOrigins.includes("*") ? origin : undefined;
    return /^http:\/\/(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(origin) ? origin : undefined;
  };

  const route = async (method: string, path: string, body: string): Promise<unknown> => {
    const p = path.split("/").filter(Boolean);
    const node = chain.node;
    if (method === "GET") {
      if (path === "/blocks/tip/height") return String(chain.height);
      if (path === "/blocks/tip/hash") return node.chain.tip.rhash();
      if (p[0] === "block-height" && p.length === 2) {
        const h = Number(p[1]);
        const hash = Number.isInteger(h) && h >= 0 ? await node.chain.getHash(h) : null;
        if (!hash) throw new HttpError(404, "Block not found");
        return revHex(hash);
      }
      if (p[0] === "block" && isHash(p[1])) {
        const entry = await blockAt(chain, p[1]);
        const block = await node.chain.getBlock(entry.hash);
        if (p.length === 2) {
          return {
            id: entry.rhash(),
            height: entry.height,
            version: entry.version,
            timestamp: entry.time,
            tx_count: block.txs.length,
            size: block.getSize(),
            weight: block.getWeight(),
            merkle_root: revHex(entry.merkleRoot),
            previousblockhash: revHex(entry.prevBlock),
            nonce: entry.nonce,
            bits: entry.bits,
          };
        }
        if (p[2] === "txids" && p.length === 3) return block.txs.map((t: Bcoin) => t.txid());
        if (p[2] === "txs" && p.length <= 4) {
          const start = Number(p[3] ?? 0);
          // electrs wants a multiple of its page size; a mempool backend serves 10 from any index.
          if (!Number.isInteger(start) || start < 0 || (pageSize === 25 && start % 25 !== 0))
            throw new HttpError(400, "start index must be a multiple of 25");
          const out = [];
          for (const t of block.txs.slice(start, start + pageSize))
            out.push(await txJson(chain, await chain.txMeta(t.txid())));
          return out;
        }
        if (p[2] === "status" && p.length === 3) return { in_best_chain: true, height: entry.height };
        // As electrs: the block's bytes, and its 80-byte header as hex.
        if (p[2] === "raw" && p.length === 3) return new Uint8Array(block.toRaw());
        if (p[2] === "header" && p.length === 3) return block.toHead().toString("hex");
      }
      const history = p[2] === "txs" && (p.length === 3 || p[3] === "mempool" || p[3] === "chain");
      if (p[0] === "address" && p[1] && (p[2] === "utxo" || history) && p.length <= 5) {
        let script: Uint8Array;
        try {
          script = addressToScript(p[1], NET);
        } catch (e) {
          throw new HttpError(400, (e as Error).message);
        }
        const address = bcoin.Script.fromRaw(Buffer.from(script)).getAddress();
        if (p[2] === "utxo") {
          const coins = await node.getCoinsByAddress([address]);
          if (coins.length > utxoCap)
            throw new HttpError(
              400,
              `Too many unspent transaction outputs (>${utxoCap}). Contact support to raise limits.`,
            );
          const tip = chain.height;
          return coins.map((c: Bcoin) => ({
            txid: c.txid(),
            vout: c.index,
            value: c.value,
            status:
              c.height === -1
                ? { confirmed: false }
                : {
                    confirmed: true,
                    block_height: c.height,
                    block_hash: undefined,
                    confirmations: tip - c.height + 1,
                  },
          }));
        }
        const metas = await node.getMetaByAddress([address]);
        metas.sort(
          (a: Bcoin, b: Bcoin) => (b.height === -1 ? 1e12 : b.height) - (a.height === -1 ? 1e12 : a.height),
        );
        let list = metas.slice(0, 50);
        if (p[3] === "mempool") list = metas.filter((m: Bcoin) => m.height === -1).slice(0, 50);
        if (p[3] === "chain") {
          // Confirmed, newest first, 25 a page after the last txid seen (electrs' paging).
          const confirmed = metas.filter((m: Bcoin) => m.height !== -1);
          const after = p[4] ? confirmed.findIndex((m: Bcoin) => m.tx.txid() === p[4]) + 1 : 0;
          if (p[4] && after === 0) return [];
          list = confirmed.slice(after, after + 25);
        }
        const out = [];
        for (const m of list) out.push(await txJson(chain, m));
        return out;
      }
      if (p[0] === "explorer" && p[1] === "tx" && isHash(p[2]) && p.length === 3) {
        const meta = await chain.txMeta(p[2]);
        if (!meta) throw new HttpError(404, "Transaction not found");
        return new Html(explorerTxPage((await txJson(chain, meta)) as ExplorerTx, chain.height));
      }
      if (p[0] === "tx" && isHash(p[1])) {
        const meta = await chain.txMeta(p[1]);
        // As electrs and mempool: a transaction never seen is "not confirmed", not "not found".
        if (!meta && p[2] === "status" && p.length === 3) return { confirmed: false };
        if (!meta) throw new HttpError(404, "Transaction not found");
        if (p.length === 2) return txJson(chain, meta);
        if (p[2] === "hex" && p.length === 3) return meta.tx.toRaw().toString("hex");
        if (p[2] === "raw" && p.length === 3) return new Uint8Array(meta.tx.toRaw());
        if (p[2] === "status" && p.length === 3) return txStatus(chain, meta);
        if (p[2] === "outspends" && p.length === 3) {
          return meta.tx.outputs.map((_: unknown, i: number) => outspend(p[1]!, i));
        }
        if (p[2] === "outspend" && p.length === 4) {
          const vout = Number(p[3]);
          if (!Number.isInteger(vout) || vout < 0 || vout >= meta.tx.outputs.length)
            throw new HttpError(400, "bad vout");
          return outspend(p[1], vout);
        }
      }
      if (path === "/fee-estimates") {
        const out: Record<string, number> = {};
        for (const t of [1, 2, 3, 4, 5, 6, 10, 20, 144, 504, 1008]) out[String(t)] = chain.feeEstimate(t);
        return out;
      }
      if (path === "/v1/fees/recommended") {
        const at = (t: number) => chain.feeEstimate(t);
        return {
          fastestFee: at(1),
          halfHourFee: at(3),
          hourFee: at(6),
          economyFee: at(144),
          minimumFee: at(1008),
        };
      }
      if (path === "/mempool/txids") return node.mempool.getSnapshot().map((h: string) => revHex(h));
    }
    if (method === "POST") {
      if (path === "/tx") {
        const hex = body.trim();
        if (!/^([0-9a-f]{2})+$/i.test(hex))
          throw new HttpError(400, "sendrawtransaction RPC error: TX decode failed");
        try {
          return await chain.broadcast(hex);
        } catch (e) {
          if (e instanceof RejectedError)
            throw new HttpError(400, `sendrawtransaction RPC error: ${e.message}`);
          throw e;
        }
      }
      if (path === "/regtest/mine") {
        const req = parseJson(body) as { blocks?: unknown; address?: unknown };
        const n = req.blocks ?? 1;
        if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 1000)
          throw new HttpError(400, "blocks: 1 to 1000");
        const script = typeof req.address === "string" ? toScript(req.address) : undefined;
        return { hashes: await chain.mine(n, script) };
      }
      if (path === "/regtest/faucet") {
        const req = parseJson(body) as { address?: unknown; sats?: unknown };
        if (typeof req.address !== "string") throw new HttpError(400, "address: expected a regtest address");
        const sats =
          typeof req.sats === "number" || typeof req.sats === "string" ? BigInt(req.sats) : 100_000_000n;
        if (sats < 1000n || sats > 50n * 100_000_000n) throw new HttpError(400, "sats: 1000 to 50 BTC");
        toScript(req.address);
        return { txid: await chain.faucet(req.address, sats) };
      }
    }
    throw new HttpError(404, `no route for ${method} ${path}`);
  };

  const outspend = (txid: string, vout: number) => {
    const s = chain.spender(txid, vout);
    return s ? { spent: true, txid: s.txid, vin: s.vin } : { spent: false };
  };

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
      route(req.method ?? "GET", path, Buffer.concat(chunks).toString("utf8")).then(
        (result) => {
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
            .writeHead(200, {
              "content-type": typeof result === "string" ? "text/plain" : "application/json",
            })
            .end(text);
        },
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
  let mining = false;
  const automine = opts.automineMs
    ? setInterval(() => {
        if (mining || chain.node.mempool.getSnapshot().length === 0) return;
        mining = true;
        chain
          .mine(1)
          .catch(() => undefined) // a failed round is retried on the next tick
          .finally(() => {
            mining = false;
          });
      }, opts.automineMs)
    : undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    chain,
    faucet: (address, sats) => chain.faucet(address, sats),
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

function parseJson(body: string): Record<string, unknown> {
  try {
    const v = JSON.parse(body || "{}");
    if (v && typeof v === "object") return v as Record<string, unknown>;
  } catch {
    /* fall through */
  }
  throw new HttpError(400, "expected a JSON object body");
}

function toScript(address: string): Uint8Array {
  try {
    return addressToScript(address, NET);
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
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
