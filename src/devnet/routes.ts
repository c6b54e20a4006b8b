/**
 * The devnet's Esplora API (and its dev endpoints), one function per group of routes; `startDevnet`
 * (server.ts) builds the chain and the HTTP server and hands each request here. Each group answers
 * `NO_ROUTE` for a path it does not serve; a path no group serves is a 404.
 */
import bcoin from "bcoin";
import { addressToScript, scriptToAddress, scriptType } from "../btc/network.ts";
import { type ExplorerTx, explorerTxPage } from "./explorer-page.ts";
import { type RegtestChain, RejectedError, revHex } from "./regtestChain.ts";

/** What the routes read: the running chain and how the API pages and caps (server.ts builds it). */
export interface RouteContext {
  chain: RegtestChain;
  pageSize: number;
  utxoCap: number;
}

/** An HTML answer (the readable explorer page), served as text/html. */
export class Html {
  constructor(readonly text: string) {}
}

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const NET = "regtest" as const;
const isHash = (s: string | undefined): s is string => !!s && /^[0-9a-f]{64}$/.test(s);

const NO_ROUTE = Symbol("no route");
type Answer = unknown | typeof NO_ROUTE;

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

function outspend(chain: RegtestChain, txid: string, vout: number) {
  const s = chain.spender(txid, vout);
  return s ? { spent: true, txid: s.txid, vin: s.vin } : { spent: false };
}

/** GET /blocks/tip/height, /blocks/tip/hash, /block-height/:h. */
async function tipRoutes({ chain }: RouteContext, path: string, p: string[]): Promise<Answer> {
  const node = chain.node;
  if (path === "/blocks/tip/height") return String(chain.height);
  if (path === "/blocks/tip/hash") return node.chain.tip.rhash();
  if (p[0] === "block-height" && p.length === 2) {
    const h = Number(p[1]);
    const hash = Number.isInteger(h) && h >= 0 ? await node.chain.getHash(h) : null;
    if (!hash) throw new HttpError(404, "Block not found");
    return revHex(hash);
  }
  return NO_ROUTE;
}

/** GET /block/:hash and its /txids, /txs[/:start], /status, /raw, /header. */
async function blockRoutes({ chain, pageSize }: RouteContext, p: string[]): Promise<Answer> {
  const node = chain.node;
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
  return NO_ROUTE;
}

/** GET /address/:a/utxo and /address/:a/txs[/mempool|/chain[/:after]]. */
async function addressRoutes({ chain, utxoCap }: RouteContext, p: string[]): Promise<Answer> {
  const node = chain.node;
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
  return NO_ROUTE;
}

/** GET /tx/:txid and its /hex, /raw, /status, /outspends, /outspend/:vout; /explorer/tx/:txid. */
async function txRoutes({ chain }: RouteContext, p: string[]): Promise<Answer> {
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
      return meta.tx.outputs.map((_: unknown, i: number) => outspend(chain, p[1]!, i));
    }
    if (p[2] === "outspend" && p.length === 4) {
      const vout = Number(p[3]);
      if (!Number.isInteger(vout) || vout < 0 || vout >= meta.tx.outputs.length)
        throw new HttpError(400, "bad vout");
      return outspend(chain, p[1], vout);
    }
  }
  return NO_ROUTE;
}

/** GET /fee-estimates, /v1/fees/recommended, /mempool/txids. */
function feeRoutes({ chain }: RouteContext, path: string): Answer {
  const node = chain.node;
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
  return NO_ROUTE;
}

/** POST /tx (broadcast) and the dev endpoints /regtest/mine, /regtest/faucet. */
async function postRoutes({ chain }: RouteContext, path: string, body: string): Promise<Answer> {
  if (path === "/tx") {
    const hex = body.trim();
    if (!/^([0-9a-f]{2})+$/i.test(hex))
      throw new HttpError(400, "sendrawtransaction RPC error: TX decode failed");
    try {
      return await chain.broadcast(hex);
    } catch (e) {
      if (e instanceof RejectedError) throw new HttpError(400, `sendrawtransaction RPC error: ${e.message}`);
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
    const req = parseJson(body) as { address?: unknown; sats?: unknown; data?: unknown };
    if (typeof req.address !== "string") throw new HttpError(400, "address: expected a regtest address");
    const sats =
      typeof req.sats === "number" || typeof req.sats === "string" ? BigInt(req.sats) : 100_000_000n;
    if (sats < 1000n || sats > 50n * 100_000_000n) throw new HttpError(400, "sats: 1000 to 50 BTC");
    // Optional OP_RETURN payload after the payment (a spell naming output 0), hex, at most 80 bytes.
    if (req.data !== undefined && (typeof req.data !== "string" || !/^([0-9a-f]{2}){1,80}$/i.test(req.data)))
      throw new HttpError(400, "data: 1 to 80 bytes of hex");
    toScript(req.address);
    const data = typeof req.data === "string" ? Uint8Array.from(Buffer.from(req.data, "hex")) : undefined;
    return { txid: await chain.faucet(req.address, sats, 2, data) };
  }
  return NO_ROUTE;
}

/** One request's answer: JSON-able value, text, bytes or `Html`; throws `HttpError` (404 if no route). */
export async function route(ctx: RouteContext, method: string, path: string, body: string): Promise<unknown> {
  const p = path.split("/").filter(Boolean);
  const groups: (() => Answer | Promise<Answer>)[] =
    method === "GET"
      ? [
          () => tipRoutes(ctx, path, p),
          () => blockRoutes(ctx, p),
          () => addressRoutes(ctx, p),
          () => txRoutes(ctx, p),
          () => feeRoutes(ctx, path),
        ]
      : method === "POST"
        ? [() => postRoutes(ctx, path, body)]
        : [];
  for (const group of groups) {
    const answer = await group();
    if (answer !== NO_ROUTE) return answer;
  }
  throw new HttpError(404, `no route for ${method} ${path}`);
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

export function toScript(address: string): Uint8Array {
  try {
    return addressToScript(address, NET);
  } catch (e) {
    throw new HttpError(400, (e as Error).message);
  }
}
