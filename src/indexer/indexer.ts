/**
 * The chain indexer (docs/storage.md): follows the chain through Esplora from the protocol's start
 * height, finds spells (the first OP_RETURN carrying the spell magic), checks and applies them in chain
 * order (height, then position in the block), records rejections with their reason, and handles
 * reorgs by rolling back to the fork point from undo snapshots and replaying. One store transaction
 * per block. The state lives in memory here; the store holds the same state after every block.
 */
// Modules, not src/btc/index.ts: the index also exports the wallets (sats-connect), which the engine
// worker never needs.
import type { ChainTxOutput } from "../btc/block.ts";
import type { EsploraClient, EsploraTx } from "../btc/esplora.ts";
import { opReturnPayload } from "../btc/psbt.ts";
import { hasSpellMagic, tryDecodeSpell } from "../btc/spell.ts";
import {
  checkGuardianSet,
  createGenesisState,
  deserializeState,
  type Params,
  type State,
  serializeState,
  stateRoot,
} from "../protocol/index.ts";
import { type CustodyConfig, checkInflow, readActor, recordInflow } from "../settlement/index.ts";
import {
  type BlockRecord,
  type DataStore,
  type Head,
  historyPoint,
  type PendingRecord,
  type PriceRecord,
  plain,
  type RejectedRecord,
  recordChainIdentity,
  type SpellRecord,
  type StoredEvent,
  storedEvent,
} from "../storage/index.ts";
import { chainTxOfEsplora } from "./chaintx.ts";
import { FORGET_AFTER_MS, type PendingState, pendingSentence, pendingState } from "./pending.ts";
import { applySpell, type VerifierConfig } from "./verify.ts";

/** The part of the Esplora client the indexer uses (the guardian may pass its own). */
export type ChainSource = Pick<
  EsploraClient,
  "tipHeight" | "blockHash" | "block" | "blockTxsAll" | "tx" | "txState" | "outspends"
>;

/**
 * The output a transaction input spends, read from the previous transaction's raw bytes after they
 * hashed to its txid (never a server's prevout JSON). Rejects with ChainDataError when the source
 * fails or lies: the block is then retried, never indexed without it.
 */
export type PrevoutLookup = (txid: string, vout: number) => Promise<ChainTxOutput>;

export interface IndexerOptions {
  store: DataStore;
  chain: ChainSource;
  /** First block whose spells count; the genesis state is built at the block before it. */
  startHeight: number;
  params: Params;
  verifier: VerifierConfig;
  /** Network, the vault scripts' escape timelock and the genesis custody key set (SPEC §2a). */
  custody: IndexerCustody;
  /** Blocks kept with undo snapshots (deepest reorg handled without a resync); default 12. */
  undoDepth?: number;
  /** Called after each block is written and on every reorg. */
  onBlock?: (e: BlockNotice) => void;
  onProgress?: (p: SyncProgress) => void;
}

/**
 * What the custody rules derive vault scripts from: the network and escape timelock (settlement
 * config) and the custody key set the protocol starts with (the federation's; put in the genesis
 * state's governance, committed in the root, rotated only by governance afterwards).
 */
export interface IndexerCustody extends CustodyConfig {
  guardians: { keys: string[]; threshold: number };
}

export type BlockNotice =
  | { type: "block"; height: number; hash: string; root: string; spells: number; rejected: number }
  | { type: "reorg"; from: number; to: number };

export interface SyncProgress {
  height: number;
  tip: number;
  /** Blocks indexed since the start height, and blocks left to the tip. */
  done: number;
  todo: number;
  syncing: boolean;
}

/** A spell of this user seen in a transaction that is not confirmed yet: shown, never applied. */
export interface PendingSpell extends PendingRecord {
  confirmed: boolean;
  /** Waiting, confirmed, replaced (by which transaction) or dropped. */
  status: PendingState;
  /** What the app shows for it, plainly. */
  note: string;
}

export class ReorgTooDeepError extends Error {
  constructor(readonly depth: number) {
    super(
      `the chain reorganised deeper than the ${depth} blocks kept for undo: restore a checkpoint and resync`,
    );
    this.name = "ReorgTooDeepError";
  }
}

const bytesOfHex = (hex: string): Uint8Array =>
  Uint8Array.from({ length: hex.length >> 1 }, (_, i) => Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16));

/** The spell of an Esplora transaction: none, bytes that fail to decode, or the spell and its actor. */
export function spellOfEsploraTx(tx: EsploraTx) {
  for (const out of tx.vout) {
    if (!out.scriptpubkey.startsWith("6a")) continue;
    const payload = opReturnPayload(bytesOfHex(out.scriptpubkey));
    if (!payload || !hasSpellMagic(payload)) continue;
    const decoded = tryDecodeSpell(payload);
    const actor = tx.vin[0]?.is_coinbase ? null : (tx.vin[0]?.prevout?.scriptpubkey_address ?? null);
    return { decoded, actor };
  }
  return null;
}

export class Indexer {
  state!: State;
  head!: Omit<Head, "state">;
  private tip = 0;
  private syncing = false;
  private stopped = false;
  private readonly undoDepth: number;
  private readonly listeners = new Set<(e: BlockNotice) => void>();

  private constructor(private readonly o: IndexerOptions) {
    this.undoDepth = o.undoDepth ?? 12;
  }

  get store(): DataStore {
    return this.o.store;
  }

  /** Calls `fn` after every block written and every reorg; returns the unsubscribe function. */
  subscribe(fn: (e: BlockNotice) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private notify(e: BlockNotice): void {
    this.o.onBlock?.(e);
    for (const fn of this.listeners) fn(e);
  }

  /** Loads the stored head, or writes the genesis head (state at startHeight − 1) into an empty store. */
  static async open(o: IndexerOptions): Promise<Indexer> {
    const ix = new Indexer(o);
    // Which chain the stored data is of (backups carry it and restores compare it).
    await recordChainIdentity(o.store, o.chain, o.startHeight);
    let head = await o.store.head();
    if (!head) {
      const height = o.startHeight - 1;
      const hash = await o.chain.blockHash(height);
      const time = (await o.chain.block(hash)).timestamp;
      checkGuardianSet(o.custody.guardians.keys, o.custody.guardians.threshold);
      const state = createGenesisState(o.params, {
        time: BigInt(time),
        height: BigInt(height),
        governance: {
          guardians: {
            keys: [...o.custody.guardians.keys],
            threshold: BigInt(o.custody.guardians.threshold),
          },
        },
      });
      head = { height, hash, time, root: stateRoot(state), state: serializeState(state) };
      await o.store.initHead(head);
      ix.state = state;
    } else {
      ix.state = deserializeState(head.state);
    }
    const { state: _s, ...rest } = head;
    ix.head = rest;
    ix.tip = head.height;
    return ix;
  }

  /** Reloads the state from the store (a follower tab after the leader wrote a block). */
  async reload(): Promise<void> {
    const head = await this.o.store.head();
    if (!head || head.hash === this.head.hash) return;
    this.state = deserializeState(head.state);
    const { state: _s, ...rest } = head;
    this.head = rest;
  }

  progress(): SyncProgress {
    return {
      height: this.head.height,
      tip: Math.max(this.tip, this.head.height),
      done: this.head.height - (this.o.startHeight - 1),
      todo: Math.max(0, this.tip - this.head.height),
      syncing: this.syncing,
    };
  }

  stop(): void {
    this.stopped = true;
  }

  /** Indexes up to the chain tip (or `maxBlocks` blocks). Returns the number of blocks applied. */
  async sync(options: { maxBlocks?: number } = {}): Promise<number> {
    if (this.syncing) throw new Error("sync is already running");
    this.syncing = true;
    this.stopped = false;
    let applied = 0;
    try {
      this.tip = await this.o.chain.tipHeight();
      await this.checkHead();
      while (this.head.height < this.tip && !this.stopped && applied < (options.maxBlocks ?? Infinity)) {
        if (await this.indexBlock(this.head.height + 1)) applied++;
        this.o.onProgress?.(this.progress());
      }
      return applied;
    } finally {
      this.syncing = false;
      this.o.onProgress?.(this.progress());
    }
  }

  /** Is our head still on the chain? If not, roll back to the fork point. */
  private async checkHead(): Promise<void> {
    if (this.head.height < this.o.startHeight) return;
    const onChain = this.head.height <= this.tip ? await this.o.chain.blockHash(this.head.height) : undefined;
    if (onChain !== this.head.hash) await this.rollbackToFork();
  }

  private async storedHash(height: number): Promise<string | undefined> {
    if (height === this.head.height) return this.head.hash;
    const b = await this.o.store.block(height);
    if (b) return b.hash;
    return (await this.o.store.block(height + 1))?.prev.hash;
  }

  /** Finds the highest stored block still on the chain and rolls the store and the state back to it. */
  private async rollbackToFork(): Promise<void> {
    const from = this.head.height;
    const floor = Math.max(this.o.startHeight - 1, from - this.undoDepth);
    for (let h = Math.min(from, this.tip); h >= floor; h--) {
      const ours = await this.storedHash(h);
      if (ours !== undefined && ours === (await this.o.chain.blockHash(h))) {
        if (h === from) return;
        const head = await this.o.store.rollback(h);
        this.state = deserializeState(head.state);
        const { state: _s, ...rest } = head;
        this.head = rest;
        this.notify({ type: "reorg", from, to: h });
        return;
      }
    }
    throw new ReorgTooDeepError(this.undoDepth);
  }

  /** Indexes one block; false when it turned out to be on another branch (rolled back instead). */
  private async indexBlock(height: number): Promise<boolean> {
    const hash = await this.o.chain.blockHash(height);
    const header = await this.o.chain.block(hash);
    if ((header.previousblockhash ?? "") !== this.head.hash) {
      await this.rollbackToFork();
      return false;
    }
    // Pages advance by what the server returned (10 or 25), checked against the header's count.
    const txs = await this.o.chain.blockTxsAll(hash, header.tx_count);
    const undo = serializeState(this.state);
    const spells: SpellRecord[] = [];
    const rejected: RejectedRecord[] = [];
    const events: StoredEvent[] = [];
    const prices: PriceRecord[] = [];
    txs.forEach((tx, position) => {
      const found = spellOfEsploraTx(tx);
      if (!found) return;
      const where = { height, position, txid: tx.txid };
      if (!found.decoded.ok) {
        const e = found.decoded.error;
        rejected.push({
          ...where,
          actor: found.actor,
          opType: null,
          reason: { code: "malformedSpell", detail: e.code, message: e.message },
        });
        return;
      }
      const spell = found.decoded.spell;
      // Who acts and what BTC comes in are read from the transaction itself (SPEC §2a rules 1, 4).
      const { tx: chainTx, actorPrevout } = chainTxOfEsplora(tx);
      const who = readActor(chainTx, actorPrevout, this.o.custody.network);
      if (!who.ok) {
        rejected.push({ ...where, actor: found.actor, opType: spell.op.type, reason: who.reason });
        return;
      }
      const actor = who.actor.account;
      const inflow = checkInflow(this.state, spell.op, who.actor, chainTx, this.o.custody);
      if (!inflow.ok) {
        rejected.push({ ...where, actor, opType: spell.op.type, reason: inflow.reason });
        return;
      }
      const out = applySpell(
        this.state,
        spell,
        actor,
        { ...where, blockTime: header.timestamp },
        this.o.verifier,
      );
      if (!out.ok) {
        rejected.push({ ...where, actor, opType: out.op.type, reason: out.reason });
        return;
      }
      if (inflow.inflow) recordInflow(this.state, inflow.inflow, { txid: tx.txid, height });
      spells.push({
        ...where,
        actor,
        op: plain(out.op) as Record<string, unknown>,
        proof: out.proof,
        time: Number(out.time),
      });
      out.events.forEach((event, n) => {
        events.push(storedEvent(event, { ...where, n, time: header.timestamp, actor }));
        if (event.type === "PriceUpdated")
          prices.push({ height, position, time: Number(out.time), price: event.price });
      });
    });
    const changed = spells.length > 0;
    const root = changed ? stateRoot(this.state) : this.head.root;
    const block: BlockRecord = {
      height,
      hash,
      time: header.timestamp,
      root,
      spells: spells.length,
      rejected: rejected.length,
      events: events.length,
      changed,
      prev: { hash: this.head.hash, time: this.head.time, root: this.head.root },
      undo: changed ? undo : null,
      // The dashboard's history: only blocks that changed the state get a point (O(1) totals).
      ...(changed ? { point: historyPoint(this.state, { height, time: header.timestamp }) } : {}),
    };
    try {
      await this.o.store.commitBlock({
        block,
        state: changed ? serializeState(this.state) : undo,
        spells,
        rejected,
        events,
        prices,
        pruneUndoBelow: height - this.undoDepth,
      });
    } catch (error) {
      // Nothing was written: go back to what the store holds.
      this.state = deserializeState(undo);
      throw error;
    }
    this.head = { height, hash, time: header.timestamp, root };
    this.notify({ type: "block", height, hash, root, spells: spells.length, rejected: rejected.length });
    return true;
  }

  /** Remembers a transaction this user broadcast; it stays pending until it confirms. */
  async trackPending(txid: string, now = Date.now()): Promise<void> {
    const tx = await this.o.chain.tx(txid);
    const found = spellOfEsploraTx(tx);
    const opType = found?.decoded.ok ? found.decoded.spell.op.type : null;
    const inputs = tx.vin.filter((i) => !i.is_coinbase).map((i) => `${i.txid}:${i.vout}`);
    await this.o.store.putPending({ txid, addedAt: now, opType, inputs });
  }

  /**
   * The user's pending spells and what became of each (src/indexer/pending.ts): confirmed ones the
   * indexer has passed leave the list; replaced and dropped ones stay a day, said plainly.
   */
  async pending(now = Date.now()): Promise<PendingSpell[]> {
    const out: PendingSpell[] = [];
    for (const p of await this.o.store.pending()) {
      const s = await pendingState(this.o.chain, p, now);
      const over = s.state === "replaced" || s.state === "dropped";
      if (
        (s.state === "confirmed" && s.height <= this.head.height) ||
        (over && now - p.addedAt >= FORGET_AFTER_MS)
      ) {
        await this.o.store.deletePending(p.txid);
        continue;
      }
      out.push({ ...p, confirmed: s.state === "confirmed", status: s, note: pendingSentence(s, p.txid) });
    }
    return out;
  }
}
