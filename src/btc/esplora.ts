/**
 * Esplora REST client (Blockstream/esplora API.md; mempool.space and a self-hosted mempool backend
 * serve the same paths): tip, blocks, address UTXOs, transactions, broadcast and fee estimates, with
 * per-request timeouts, typed errors, and the public servers' ways handled (docs/bitcoin.md,
 * "Talking to Esplora"): every request goes through its host's scheduler (rate and concurrency caps,
 * a host-wide pause on 429/503 honouring Retry-After), immutable answers are cached, block pages
 * advance by what was returned and are checked against the block's count, an unknown transaction is
 * told from a pending one, fee estimates fall back to `/v1/fees/recommended`, and an address over
 * the server's UTXO cap is listed from its history. Broadcast is a "simple" request (plain-text body,
 * no custom headers) so browsers send it without a CORS preflight.
 */
import { hexToBytes } from "@noble/hashes/utils.js";
import { displayHex, MAX_BLOCK_BYTES, parseTx, sha256d } from "./block.ts";
import {
  type BytesCache,
  CACHE_DEPTH,
  type MemoryCache,
  memoryCacheFor,
  type PersistentCache,
  persistentCache,
  rawBlockCacheFor,
} from "./esplora-cache.ts";
import { type HostLimits, type HostScheduler, retryAfterMs, schedulerFor } from "./esplora-scheduler.ts";

/** Most transactions a block can hold: 4 MB over the smallest transaction with an output (60 bytes). */
export const MAX_BLOCK_TXS = Math.floor(4_000_000 / 60);

/**
 * Largest answer read, in bytes: a raw block is at most MAX_BLOCK_BYTES; a text answer (a block or a
 * transaction as hex, a page of transactions as JSON) at most twice that plus room for JSON. A lying
 * server that streams more is cut off, so it can cost a client memory no larger than one real block.
 */
const MAX_BINARY_ANSWER = MAX_BLOCK_BYTES;
const MAX_TEXT_ANSWER = 2 * MAX_BLOCK_BYTES + (1 << 20);

/** The body of `res`, or null once it grows past `limit` bytes (the rest is never read). */
async function readCapped(res: Response, limit: number): Promise<Uint8Array | null> {
  const declared = Number(res.headers.get("content-length") ?? Number.NaN);
  if (declared > limit || res.body === null) {
    if (declared > limit) {
      await res.body?.cancel().catch(() => undefined);
      return null;
    }
    const whole = new Uint8Array(await res.arrayBuffer());
    return whole.length > limit ? null : whole;
  }
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return null;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export { type PersistentCache, setPersistentCache } from "./esplora-cache.ts";
export type { HostLimits } from "./esplora-scheduler.ts";
export { hostLimitsProblems, setHostLimits } from "./esplora-scheduler.ts";

export type EsploraErrorKind =
  | "timeout"
  | "network"
  | "http"
  | "rateLimited"
  | "rejected"
  | "notFound"
  | "parse"
  | "incomplete"
  | "tooManyUtxos"
  | "tooLarge";

export class EsploraError extends Error {
  override readonly name = "EsploraError";
  constructor(
    readonly kind: EsploraErrorKind,
    message: string,
    readonly status?: number,
    readonly body?: string,
  ) {
    super(message);
  }
}

export interface TxStatus {
  confirmed: boolean;
  block_height?: number;
  block_hash?: string;
  block_time?: number;
}

export interface EsploraUtxo {
  txid: string;
  vout: number;
  value: number;
  status: TxStatus;
}

export interface EsploraTx {
  txid: string;
  version: number;
  locktime: number;
  vin: {
    txid: string;
    vout: number;
    is_coinbase: boolean;
    sequence: number;
    /** Hex; empty for native segwit inputs. */
    scriptsig?: string;
    witness?: string[];
    prevout?: EsploraTxOut | null;
  }[];
  vout: EsploraTxOut[];
  size: number;
  weight: number;
  fee?: number;
  status: TxStatus;
}

export interface EsploraTxOut {
  scriptpubkey: string;
  scriptpubkey_type: string;
  scriptpubkey_address?: string;
  value: number;
}

export interface Outspend {
  spent: boolean;
  txid?: string;
  vin?: number;
  status?: TxStatus;
}

export interface EsploraOptions {
  /** Base URL, e.g. https://mempool.space/api (no trailing slash needed). */
  baseUrl: string;
  /** Per-attempt timeout, ms (default 10 s). */
  timeoutMs?: number;
  /** Retries after the first attempt on 5xx, timeouts and network errors (default 3). */
  retries?: number;
  /** First backoff delay for those, ms; doubles each retry (default 500). */
  backoffMs?: number;
  /**
   * Rate-limit answers (429, 503) waited out before giving up (default 6); each pauses the whole host
   * for Retry-After, or 1 s doubling up to a minute without it.
   */
  rateLimitRetries?: number;
  /** This host's caps (shared by every client of the host); default: below the public limits. */
  limits?: Partial<HostLimits>;
  /** Persistent cache of immutable answers; default the one set by `setPersistentCache`, null: none. */
  cache?: PersistentCache | null;
  fetch?: typeof fetch;
}

/** What a transaction is to the server: in a block, in its mempool, or unknown (never seen, dropped, replaced). */
export type TxState = { state: "confirmed"; status: TxStatus } | { state: "mempool" } | { state: "unknown" };

export interface EsploraBlock {
  id: string;
  height: number;
  timestamp: number;
  tx_count: number;
  previousblockhash?: string;
  merkle_root?: string;
}

/** The mempool backend's `/v1/fees/recommended` (sat/vB). */
export interface RecommendedFees {
  fastestFee: number;
  halfHourFee: number;
  hourFee: number;
  economyFee?: number;
  minimumFee?: number;
}

/** The most history pages read to list an address over the server's UTXO cap (25 transactions each). */
export const MAX_HISTORY_PAGES = 400;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tips = new Map<string, number>();

interface Answer {
  status: number;
  text: string;
  /** The body's bytes, for binary routes (raw blocks and transactions); `text` is then "". */
  bytes?: Uint8Array;
}

type Attempt =
  | { ok: true; answer: Answer }
  | { ok: false; error: EsploraError; retry: "no" | "yes" | "rateLimit"; retryAfter?: number | undefined };

export class EsploraClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly rateLimitRetries: number;
  private readonly fetchFn: typeof fetch;
  private readonly scheduler: HostScheduler;
  private readonly memory: MemoryCache;
  private readonly cache: PersistentCache | null | undefined;
  private readonly rawBlocks: BytesCache;

  constructor(opts: EsploraOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 500;
    this.rateLimitRetries = opts.rateLimitRetries ?? 6;
    this.fetchFn = opts.fetch ?? ((...a) => globalThis.fetch(...a));
    this.scheduler = schedulerFor(this.baseUrl);
    if (opts.limits) this.scheduler.setLimits(opts.limits);
    this.memory = memoryCacheFor(this.baseUrl);
    this.rawBlocks = rawBlockCacheFor(this.baseUrl);
    this.cache = opts.cache;
  }

  /** Requests, bytes, rate-limit answers and cache hits of this host so far (every client of it). */
  stats(): Readonly<HostScheduler["stats"]> {
    return { ...this.scheduler.stats };
  }

  private async once(
    path: string,
    init?: { method: "POST"; body: string },
    binary = false,
  ): Promise<Attempt> {
    const ctrl = new AbortController();
    const timer = setTimeout(() => ctrl.abort(), this.timeoutMs);
    try {
      let res: Response;
      try {
        res = await this.fetchFn(`${this.baseUrl}${path}`, { ...init, signal: ctrl.signal });
      } catch (e) {
        if (ctrl.signal.aborted)
          return {
            ok: false,
            retry: "yes",
            error: new EsploraError("timeout", `${path}: no answer within ${this.timeoutMs} ms`),
          };
        // A browser that knows it is offline reached no server: neither a rate limit nor worth waiting
        // for, so the caller hears it at once (the app shows its sync error and the offline banner).
        if (globalThis.navigator?.onLine === false)
          return {
            ok: false,
            retry: "no",
            error: new EsploraError("network", `${path}: this browser is offline`),
          };
        // A browser shows a 429 without CORS headers (blockstream.info, mempool.space under load) as
        // a network failure: it may be a rate limit, so it pauses the host as one would.
        this.scheduler.backOff(undefined);
        return {
          ok: false,
          retry: "yes",
          error: new EsploraError("network", `${path}: ${(e as Error).message}`),
        };
      }
      let text: string;
      try {
        const limit = res.ok && binary ? MAX_BINARY_ANSWER : MAX_TEXT_ANSWER;
        const body = await readCapped(res, limit);
        if (body === null)
          return {
            ok: false,
            retry: "no",
            error: new EsploraError(
              "tooLarge",
              `${path}: the answer exceeds ${limit} bytes, more than any block or transaction; not read further`,
            ),
          };
        if (res.ok && binary) return { ok: true, answer: { status: res.status, text: "", bytes: body } };
        text = new TextDecoder().decode(body);
      } catch (e) {
        return {
          ok: false,
          retry: "yes",
          error: new EsploraError(
            ctrl.signal.aborted ? "timeout" : "network",
            `${path}: ${(e as Error).message}`,
          ),
        };
      }
      if (res.ok) return { ok: true, answer: { status: res.status, text } };
      if (res.status === 429 || res.status === 503)
        return {
          ok: false,
          retry: "rateLimit",
          retryAfter: retryAfterMs(res.headers.get("retry-after")),
          error: new EsploraError(
            "rateLimited",
            `${path}: the Esplora server limits requests (HTTP ${res.status}); the app slows down and retries`,
            res.status,
            text,
          ),
        };
      if (res.status >= 500)
        return {
          ok: false,
          retry: "yes",
          error: new EsploraError("http", `${path}: HTTP ${res.status}`, res.status, text),
        };
      if (res.status === 404)
        return {
          ok: false,
          retry: "no",
          error: new EsploraError("notFound", `${path}: not found`, 404, text),
        };
      if (init?.method === "POST")
        return {
          ok: false,
          retry: "no",
          error: new EsploraError("rejected", `broadcast rejected: ${text}`, res.status, text),
        };
      if (res.status === 400 && /too many unspent/i.test(text))
        return {
          ok: false,
          retry: "no",
          error: new EsploraError("tooManyUtxos", `${path}: ${text.trim().slice(0, 200)}`, 400, text),
        };
      return {
        ok: false,
        retry: "no",
        error: new EsploraError(
          "http",
          `${path}: HTTP ${res.status} ${text.slice(0, 200)}`,
          res.status,
          text,
        ),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  private async request(
    path: string,
    init?: { method: "POST"; body: string },
    binary = false,
  ): Promise<Answer> {
    let failures = 0;
    let limited = 0;
    for (;;) {
      const a = await this.scheduler.run(() => this.once(path, init, binary));
      if (a.ok) {
        this.scheduler.ok(a.answer.bytes?.length ?? a.answer.text.length);
        return a.answer;
      }
      if (a.retry === "no") throw a.error;
      if (a.retry === "rateLimit") {
        if (++limited > this.rateLimitRetries) throw a.error;
        this.scheduler.backOff(a.retryAfter);
        continue;
      }
      if (++failures > this.retries) throw a.error;
      await sleep(this.backoffMs * 2 ** (failures - 1));
    }
  }

  /**
   * A GET through the caches: memory, then the persistent cache (`persist`), then the server; the
   * answer is kept when `keep(text)` says it is immutable.
   */
  private async get(path: string, keep?: (text: string) => boolean, persist = false): Promise<string> {
    const key = `${this.baseUrl}${path}`;
    const store = persist ? (this.cache === undefined ? persistentCache() : this.cache) : null;
    if (keep) {
      const hit = this.memory.get(key) ?? (await store?.get(key).catch(() => undefined));
      if (hit !== undefined) {
        this.scheduler.stats.cacheHits++;
        this.memory.put(key, hit);
        return hit;
      }
    }
    const { text } = await this.request(path);
    if (keep?.(text)) {
      this.memory.put(key, text);
      await store?.put(key, text).catch(() => undefined);
    }
    return text;
  }

  private parse<T>(path: string, text: string): T {
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new EsploraError("parse", `${path}: expected JSON, got ${text.slice(0, 80)}`);
    }
  }

  private async json<T>(path: string, keep?: (text: string) => boolean, persist = false): Promise<T> {
    return this.parse<T>(path, await this.get(path, keep, persist));
  }

  private async int(path: string): Promise<number> {
    const text = (await this.get(path)).trim();
    if (!/^\d+$/.test(text))
      throw new EsploraError("parse", `${path}: expected an integer, got ${text.slice(0, 80)}`);
    return Number(text);
  }

  private async hash(path: string, keep?: (text: string) => boolean): Promise<string> {
    const text = (await this.get(path, keep)).trim();
    if (!/^[0-9a-f]{64}$/.test(text))
      throw new EsploraError("parse", `${path}: expected a hash, got ${text.slice(0, 80)}`);
    return text;
  }

  /** Is a block at this height deep enough under the last tip seen to be cached as final? */
  private final(height: number | undefined): boolean {
    const tip = tips.get(this.baseUrl);
    return height !== undefined && tip !== undefined && height <= tip - CACHE_DEPTH;
  }

  async tipHeight(): Promise<number> {
    const h = await this.int("/blocks/tip/height");
    tips.set(this.baseUrl, h);
    return h;
  }
  tipHash(): Promise<string> {
    return this.hash("/blocks/tip/hash");
  }
  /** The hash at a height; cached once it is CACHE_DEPTH blocks under the last tip seen. */
  blockHash(height: number): Promise<string> {
    return this.hash(`/block-height/${height}`, () => this.final(height));
  }
  /** Forgets a cached hash at a height whose block failed verification (it may have been a lie). */
  forgetBlockHash(height: number): void {
    this.memory.delete(`${this.baseUrl}/block-height/${height}`);
  }
  /** A block's header fields (cached: a hash names one block forever). */
  block(hash: string): Promise<EsploraBlock> {
    return this.json(`/block/${hash}`, () => /^[0-9a-f]{64}$/.test(hash));
  }
  blockTxids(hash: string): Promise<string[]> {
    return this.json(`/block/${hash}/txids`, () => /^[0-9a-f]{64}$/.test(hash));
  }
  /** One page of a block's transactions from `start` (electrs pages 25, a mempool backend 10). */
  blockTxs(hash: string, start = 0): Promise<EsploraTx[]> {
    return this.json(`/block/${hash}/txs${start ? `/${start}` : ""}`, () => /^[0-9a-f]{64}$/.test(hash));
  }
  /**
   * Every transaction of a block, paging by what each page returned (whatever the server's page
   * size), checked against the block's count: a short, empty or overlong answer is an error, never
   * a silently shorter block.
   */
  async blockTxsAll(hash: string, count: number): Promise<EsploraTx[]> {
    // A count no block can have is a lie: refused before paging (a liar could serve pages forever).
    if (!Number.isSafeInteger(count) || count < 1 || count > MAX_BLOCK_TXS)
      throw new EsploraError("incomplete", `block ${hash}: a block cannot hold ${count} transactions`);
    const txs: EsploraTx[] = [];
    let first: number | undefined;
    while (txs.length < count) {
      const page = await this.blockTxs(hash, txs.length);
      if (!Array.isArray(page) || page.length === 0)
        throw new EsploraError(
          "incomplete",
          `block ${hash}: the server returned ${txs.length} of its ${count} transactions`,
        );
      txs.push(...page);
      // A page shorter than the first one before the count is reached: the server's list ends early.
      first ??= page.length;
      if (txs.length < count && page.length < first)
        throw new EsploraError(
          "incomplete",
          `block ${hash}: the server returned ${txs.length} of its ${count} transactions`,
        );
    }
    if (txs.length !== count)
      throw new EsploraError(
        "incomplete",
        `block ${hash}: the server returned ${txs.length} transactions, its header says ${count}`,
      );
    return txs;
  }
  /**
   * The address's unspent outputs. Over the server's cap (electrs and mempool answer 400 "Too many
   * unspent transaction outputs (>500)"), they are worked out from the address's history instead.
   */
  async addressUtxos(address: string): Promise<EsploraUtxo[]> {
    try {
      return await this.json<EsploraUtxo[]>(`/address/${address}/utxo`);
    } catch (e) {
      if (!(e instanceof EsploraError) || e.kind !== "tooManyUtxos") throw e;
      return this.utxosFromHistory(address);
    }
  }
  /**
   * Every output paying the address that no transaction of its history spends: a transaction that
   * spends one of the address's outputs has that address in its inputs, so it is in the history.
   */
  private async utxosFromHistory(address: string): Promise<EsploraUtxo[]> {
    const history = await this.json<EsploraTx[]>(`/address/${address}/txs/mempool`);
    let last: string | undefined;
    for (let page = 0; ; page++) {
      if (page >= MAX_HISTORY_PAGES)
        throw new EsploraError(
          "tooManyUtxos",
          `${address} has more than 500 unspent outputs and more than ${MAX_HISTORY_PAGES * 25} transactions; this Esplora server cannot list them. Use your own Esplora (Settings) or consolidate the address.`,
        );
      const txs = await this.json<EsploraTx[]>(`/address/${address}/txs/chain${last ? `/${last}` : ""}`);
      if (!Array.isArray(txs) || txs.length === 0) break;
      history.push(...txs);
      last = txs.at(-1)!.txid;
    }
    const spent = new Set(history.flatMap((t) => t.vin.map((i) => `${i.txid}:${i.vout}`)));
    const out: EsploraUtxo[] = [];
    const seen = new Set<string>();
    for (const t of history) {
      if (seen.has(t.txid)) continue;
      seen.add(t.txid);
      t.vout.forEach((o, vout) => {
        if (o.scriptpubkey_address === address && !spent.has(`${t.txid}:${vout}`))
          out.push({ txid: t.txid, vout, value: o.value, status: t.status });
      });
    }
    return out;
  }
  /**
   * The block's bytes (header and every transaction with witnesses); src/btc/block.ts checks them.
   * Cached in memory (a hash names one block forever), only once `check` (src/btc/block.ts) accepted
   * the bytes: a lying answer is never kept.
   */
  async blockRaw(hash: string, check?: (bytes: Uint8Array) => void): Promise<Uint8Array> {
    const path = `/block/${hash}/raw`;
    const key = `${this.baseUrl}${path}`;
    const hit = this.rawBlocks.get(key);
    if (hit) {
      this.scheduler.stats.cacheHits++;
      return hit;
    }
    const bytes = (await this.request(path, undefined, true)).bytes!;
    if (check === undefined) return bytes; // unchecked bytes are never kept
    check(bytes);
    if (/^[0-9a-f]{64}$/.test(hash)) this.rawBlocks.put(key, bytes);
    return bytes;
  }
  /** The block's 80-byte header as hex; cached only when it hashes to `hash`. */
  async blockHeader(hash: string): Promise<string> {
    const hashesTo = (text: string) =>
      /^[0-9a-f]{160}$/.test(text.trim()) && displayHex(sha256d(hexToBytes(text.trim()))) === hash;
    const text = (await this.get(`/block/${hash}/header`, hashesTo)).trim();
    if (!/^[0-9a-f]{160}$/.test(text))
      throw new EsploraError(
        "parse",
        `/block/${hash}/header: expected 80 bytes of hex, got ${text.slice(0, 80)}`,
      );
    return text;
  }
  /** The transaction's bytes (with witnesses); src/btc/block.ts `parseTx` checks they hash to `txid`. */
  async txRaw(txid: string): Promise<Uint8Array> {
    return (await this.request(`/tx/${txid}/raw`, undefined, true)).bytes!;
  }
  /** The address's transactions, newest first (mempool, then the last 25 confirmed). */
  addressTxs(address: string): Promise<EsploraTx[]> {
    return this.json(`/address/${address}/txs`);
  }
  /**
   * A transaction; cached once confirmed CACHE_DEPTH blocks deep. An answer that is not a transaction
   * (no input and output lists) is a typed `parse` error, never another kind of throw (red team).
   */
  async tx(txid: string): Promise<EsploraTx> {
    const path = `/tx/${txid}`;
    const shaped = (t: unknown): t is EsploraTx =>
      typeof t === "object" &&
      t !== null &&
      Array.isArray((t as EsploraTx).vin) &&
      Array.isArray((t as EsploraTx).vout);
    const t = await this.json<unknown>(
      path,
      (text) => {
        try {
          const tx: unknown = JSON.parse(text);
          const status = shaped(tx) ? tx.status : undefined;
          return status?.confirmed === true && this.final(status.block_height);
        } catch {
          return false;
        }
      },
      true,
    );
    if (!shaped(t)) throw new EsploraError("parse", `${path}: the answer is not a transaction`);
    return t;
  }
  /**
   * A transaction's bytes, checked to hash to `txid` (the txid fixes every input, output and amount:
   * all anyone reads the hex for, e.g. a wallet checking a funding output). Cached once checked; only
   * a witness could differ between two honest copies.
   */
  async txHex(txid: string): Promise<string> {
    const hashesTo = (text: string) => {
      const hex = text.trim();
      if (!/^([0-9a-f]{2})+$/.test(hex)) return false;
      try {
        parseTx(hexToBytes(hex), txid);
        return true;
      } catch {
        return false;
      }
    };
    const text = await this.get(`/tx/${txid}/hex`, hashesTo, true);
    if (!hashesTo(text))
      throw new EsploraError(
        "parse",
        `/tx/${txid}/hex: the bytes served are not transaction ${txid} (a lying or broken server)`,
      );
    return text.trim();
  }
  /**
   * A transaction's status. Public servers answer `{"confirmed":false}` for a transaction they have
   * never seen (as for one in their mempool): use `txState` to tell them apart.
   */
  txStatus(txid: string): Promise<TxStatus> {
    return this.json(`/tx/${txid}/status`);
  }
  /** Confirmed, in the mempool, or unknown to the server (dropped, replaced, or never received). */
  async txState(txid: string): Promise<TxState> {
    let status: TxStatus;
    try {
      status = await this.txStatus(txid);
    } catch (e) {
      if (e instanceof EsploraError && e.kind === "notFound") return { state: "unknown" };
      throw e;
    }
    if (status.confirmed) return { state: "confirmed", status };
    try {
      await this.tx(txid);
      return { state: "mempool" };
    } catch (e) {
      if (e instanceof EsploraError && e.kind === "notFound") return { state: "unknown" };
      throw e;
    }
  }
  /** Who spends each output of a transaction (one request; a mempool backend has no per-output route). */
  outspends(txid: string): Promise<Outspend[]> {
    return this.json(`/tx/${txid}/outspends`);
  }
  /** Who spends one output (through `/outspends`). */
  async outspend(txid: string, vout: number): Promise<Outspend> {
    const all = await this.outspends(txid);
    const one = Array.isArray(all) ? all[vout] : undefined;
    if (!one) throw new EsploraError("notFound", `/tx/${txid}/outspends: no output ${vout}`);
    return one;
  }
  /** Broadcasts a raw transaction (hex) and returns its txid; EsploraError "rejected" carries the node's reason. */
  async broadcast(hex: string): Promise<string> {
    return (await this.request("/tx", { method: "POST", body: hex })).text.trim();
  }
  /**
   * Confirmation target (blocks) → sat/vB. `/fee-estimates` first; when it is deprecated (mempool.space
   * answers HTTP 203), missing, empty or unreadable, the mempool backend's `/v1/fees/recommended`.
   */
  async feeEstimates(): Promise<Record<string, number>> {
    let deprecated: Record<string, number> | undefined;
    let firstError: unknown;
    try {
      const { status, text } = await this.request("/fee-estimates");
      const map = feeMap(text);
      if (!map)
        throw new EsploraError("parse", `/fee-estimates: expected fee estimates, got ${text.slice(0, 80)}`);
      if (status === 200) return map;
      deprecated = map;
    } catch (e) {
      firstError = e;
    }
    try {
      const r = await this.json<RecommendedFees>("/v1/fees/recommended");
      const map = feeMap(
        JSON.stringify({
          "1": r.fastestFee,
          "3": r.halfHourFee,
          "6": r.hourFee,
          ...(r.economyFee !== undefined ? { "144": r.economyFee } : {}),
          ...(r.minimumFee !== undefined ? { "1008": r.minimumFee } : {}),
        }),
      );
      if (map) return map;
      throw new EsploraError("parse", "/v1/fees/recommended: expected fastestFee, halfHourFee and hourFee");
    } catch (e) {
      if (deprecated) return deprecated;
      throw firstError ?? e;
    }
  }
}

/** A fee map with at least one positive rate at a whole-number target, or undefined. */
function feeMap(text: string): Record<string, number> | undefined {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== "object" || Array.isArray(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, rate] of Object.entries(v))
    if (/^\d+$/.test(k) && typeof rate === "number" && Number.isFinite(rate) && rate > 0) out[k] = rate;
  return Object.keys(out).length > 0 ? out : undefined;
}
