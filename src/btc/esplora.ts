/**
 * Esplora REST client (Blockstream/esplora API.md; mempool.space serves the same paths): tip, blocks,
 * address UTXOs, transactions, broadcast and fee estimates, with per-request timeouts, retries with
 * exponential backoff on 429/5xx and network errors, and typed errors. Broadcast is a "simple"
 * request (plain-text body, no custom headers) so browsers send it without a CORS preflight.
 */

export type EsploraErrorKind = "timeout" | "network" | "http" | "rejected" | "notFound" | "parse";

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
  /** Retries after the first attempt on 429, 5xx, timeouts and network errors (default 3). */
  retries?: number;
  /** First backoff delay, ms; doubles each retry, honours Retry-After (default 500). */
  backoffMs?: number;
  fetch?: typeof fetch;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class EsploraClient {
  readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(opts: EsploraOptions) {
    this.baseUrl = opts.baseUrl.replace(/\/+$/, "");
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retries = opts.retries ?? 3;
    this.backoffMs = opts.backoffMs ?? 500;
    this.fetchFn = opts.fetch ?? ((...a) => globalThis.fetch(...a));
  }

  private async request(path: string, init?: { method: "POST"; body: string }): Promise<string>;
  private async request<T>(path: string, init: undefined, read: (res: Response) => Promise<T>): Promise<T>;
  private async request(
    path: string,
    init?: { method: "POST"; body: string },
    read: (res: Response) => Promise<unknown> = (res) => res.text(),
  ): Promise<unknown> {
    let lastError: EsploraError | undefined;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (attempt > 0) await sleep(this.backoffMs * 2 ** (attempt - 1));
      const ctrl = new AbortController();
      const timer = setTimeout(() => ctrl.abort(), this.timeoutMs);
      let res: Response;
      try {
        res = await this.fetchFn(`${this.baseUrl}${path}`, { ...init, signal: ctrl.signal });
      } catch (e) {
        clearTimeout(timer);
        lastError = ctrl.signal.aborted
          ? new EsploraError("timeout", `${path}: no answer within ${this.timeoutMs} ms`)
          : new EsploraError("network", `${path}: ${(e as Error).message}`);
        continue;
      }
      let text: string;
      try {
        if (res.ok) {
          const body = await read(res);
          clearTimeout(timer);
          return body;
        }
        text = await res.text();
      } catch (e) {
        clearTimeout(timer);
        lastError = new EsploraError(
          ctrl.signal.aborted ? "timeout" : "network",
          `${path}: ${(e as Error).message}`,
        );
        continue;
      }
      clearTimeout(timer);
      if (res.status === 429 || res.status >= 500) {
        lastError = new EsploraError("http", `${path}: HTTP ${res.status}`, res.status, text);
        const after = Number(res.headers.get("retry-after"));
        if (Number.isFinite(after) && after > 0 && attempt < this.retries)
          await sleep(Math.min(after * 1000, 30_000));
        continue;
      }
      if (res.status === 404) throw new EsploraError("notFound", `${path}: not found`, 404, text);
      if (init?.method === "POST")
        throw new EsploraError("rejected", `broadcast rejected: ${text}`, res.status, text);
      throw new EsploraError("http", `${path}: HTTP ${res.status} ${text}`, res.status, text);
    }
    throw lastError ?? new EsploraError("network", `${path}: failed`);
  }

  private async json<T>(path: string): Promise<T> {
    const text = await this.request(path);
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new EsploraError("parse", `${path}: expected JSON, got ${text.slice(0, 80)}`);
    }
  }

  private async int(path: string): Promise<number> {
    const text = (await this.request(path)).trim();
    if (!/^\d+$/.test(text))
      throw new EsploraError("parse", `${path}: expected an integer, got ${text.slice(0, 80)}`);
    return Number(text);
  }

  private async hash(path: string): Promise<string> {
    const text = (await this.request(path)).trim();
    if (!/^[0-9a-f]{64}$/.test(text))
      throw new EsploraError("parse", `${path}: expected a hash, got ${text.slice(0, 80)}`);
    return text;
  }

  tipHeight(): Promise<number> {
    return this.int("/blocks/tip/height");
  }
  tipHash(): Promise<string> {
    return this.hash("/blocks/tip/hash");
  }
  blockHash(height: number): Promise<string> {
    return this.hash(`/block-height/${height}`);
  }
  block(hash: string): Promise<{
    id: string;
    height: number;
    timestamp: number;
    tx_count: number;
    previousblockhash?: string;
  }> {
    return this.json(`/block/${hash}`);
  }
  blockTxids(hash: string): Promise<string[]> {
    return this.json(`/block/${hash}/txids`);
  }
  /** Transactions of a block, 25 per page from `start` (a multiple of 25). */
  blockTxs(hash: string, start = 0): Promise<EsploraTx[]> {
    return this.json(`/block/${hash}/txs${start ? `/${start}` : ""}`);
  }
  addressUtxos(address: string): Promise<EsploraUtxo[]> {
    return this.json(`/address/${address}/utxo`);
  }
  /** The address's transactions, newest first (mempool, then the last 25 confirmed). */
  addressTxs(address: string): Promise<EsploraTx[]> {
    return this.json(`/address/${address}/txs`);
  }
  /** The block's bytes (header and every transaction with witnesses); src/btc/block.ts checks them. */
  blockRaw(hash: string): Promise<Uint8Array> {
    return this.request(
      `/block/${hash}/raw`,
      undefined,
      async (res) => new Uint8Array(await res.arrayBuffer()),
    );
  }
  /** The block's 80-byte header as hex. */
  async blockHeader(hash: string): Promise<string> {
    const text = (await this.request(`/block/${hash}/header`)).trim();
    if (!/^[0-9a-f]{160}$/.test(text))
      throw new EsploraError(
        "parse",
        `/block/${hash}/header: expected 80 bytes of hex, got ${text.slice(0, 80)}`,
      );
    return text;
  }
  /** The transaction's bytes (with witnesses); src/btc/block.ts `parseTx` checks they hash to `txid`. */
  txRaw(txid: string): Promise<Uint8Array> {
    return this.request(`/tx/${txid}/raw`, undefined, async (res) => new Uint8Array(await res.arrayBuffer()));
  }
  tx(txid: string): Promise<EsploraTx> {
    return this.json(`/tx/${txid}`);
  }
  async txHex(txid: string): Promise<string> {
    return (await this.request(`/tx/${txid}/hex`)).trim();
  }
  txStatus(txid: string): Promise<TxStatus> {
    return this.json(`/tx/${txid}/status`);
  }
  outspend(txid: string, vout: number): Promise<Outspend> {
    return this.json(`/tx/${txid}/outspend/${vout}`);
  }
  /** Broadcasts a raw transaction (hex) and returns its txid; EsploraError "rejected" carries the node's reason. */
  async broadcast(hex: string): Promise<string> {
    return (await this.request("/tx", { method: "POST", body: hex })).trim();
  }
  /** Confirmation target (blocks) → sat/vB. */
  feeEstimates(): Promise<Record<string, number>> {
    return this.json("/fee-estimates");
  }
}
