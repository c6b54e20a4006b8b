/**
 * The chain indexer (docs/storage.md): follows the chain through Esplora from the protocol's start
 * height, finds spells (the first OP_RETURN carrying the spell magic), checks and applies them in chain
 * order (height, then position in the block), records rejections with their reason, and handles
 * reorgs by rolling back to the fork point from undo snapshots and replaying. One store transaction
 * per block. The state lives in memory here; the store holds the same state after every block.
 */
// Modules, not src/btc/index.ts: the index also exports the wallets (sats-connect), which the engine
// worker never needs.
import {
  type BlockHeader,
  type ChainBlock,
  ChainDataError,
  type ChainTx,
  type ChainTxOutput,
} from "../btc/block.ts";
import type { EsploraTx } from "../btc/esplora.ts";
import { CACHE_DEPTH } from "../btc/esplora-cache.ts";
import { type BtcNetworkName, scriptToAddress } from "../btc/network.ts";
import { spellPayloadOf } from "../btc/psbt-preview.ts";
import { lenientHexBytes, toHex } from "../btc/scripts.ts";
import { SPELL_SCHEMAS, tryDecodeSpell } from "../btc/spell.ts";
import {
  checkGuardianSet,
  createGenesisState,
  deserializeState,
  type Params,
  type ProtocolEvent,
  type SerializedState,
  type State,
  serializeState,
  stateRoot,
} from "../protocol/index.ts";
import {
  belowMinPayout,
  type CustodyConfig,
  checkInflow,
  DEFAULT_FINALITY_DEPTH,
  hasStrayOutputs,
  isSettlePayload,
  payoutOf,
  readActor,
  recordInflow,
  recordStrays,
} from "../settlement/index.ts";
import {
  type BlockRecord,
  type DataStore,
  type Head,
  historyPoint,
  type PendingRecord,
  type PriceRecord,
  plain,
  type RejectedRecord,
  readBackup,
  recordChainIdentity,
  type SpellRecord,
  type StoredEvent,
  storedEvent,
} from "../storage/index.ts";
import {
  type CustodyStepConfig,
  endOfBlock,
  foreignSpends,
  fundOrRefuse,
  keyEpochEvent,
  noteKeyRotation,
  obligationsOf,
  settleOrTrack,
} from "./custody.ts";
import { FORGET_AFTER_MS, type PendingState, pendingSentence, pendingState } from "./pending.ts";
import { BlockProofs } from "./proofs.ts";
import { BLOCKS_AHEAD, type ChainSource, VerifiedChain } from "./source.ts";
import { applySpell, type VerifierConfig } from "./verify.ts";

export type { ChainSource } from "./source.ts";

/**
 * The output a transaction input spends, read from the previous transaction's raw bytes after they
 * hashed to its txid (never a server's prevout JSON). Rejects with ChainDataError when the source
 * fails or lies: the block is then retried, never indexed without it.
 */
export type PrevoutLookup = (txid: string, vout: number) => Promise<ChainTxOutput>;

export interface IndexerOptions {
  store: DataStore;
  chain: ChainSource;
  /** A second Esplora asked for every block hash too; the sync stops when the two disagree. */
  secondChain?: ChainSource;
  /** The network (proof-of-work limit, addresses); when absent, the one whose block 0 the source serves. */
  network?: BtcNetworkName;
  /** First block whose spells count; the genesis state is built at the block before it. */
  startHeight: number;
  params: Params;
  verifier: VerifierConfig;
  /** Network, the vault scripts' escape timelock and the genesis custody key set (docs/decisions.md §2a). */
  custody: IndexerCustody;
  /** Blocks kept with undo snapshots (deepest reorg handled without a resync); default 12. */
  undoDepth?: number;
  /** Blocks asked for ahead of the one applied while far behind (source.ts); default BLOCKS_AHEAD, 0: none. */
  blocksAhead?: number;
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
  /** Blocks a settlement's basis must be buried (default 6; the dev network may set 1). */
  finality?: number;
}

export type BlockNotice =
  | { type: "block"; height: number; hash: string; root: string; spells: number; rejected: number }
  | {
      type: "reorg";
      from: number;
      to: number;
      /**
       * Set when the fork was below the blocks kept for undo: the indexer restarted from a stored
       * checkpoint at or below the fork, or from the start height, and replays from there.
       */
      recovered?: "checkpoint" | "start";
      /** What happened, in a sentence (shown to users and logged by guardians). */
      message?: string;
    };

export interface SyncProgress {
  height: number;
  tip: number;
  /** Blocks indexed since the start height, and blocks left to the tip. */
  done: number;
  todo: number;
  syncing: boolean;
  /**
   * The chain has been asked for its tip at least once. Before, `tip` is only the stored head: the
   * index is not known to be at the tip (a fresh browser would otherwise look caught up on genesis).
   */
  tipKnown: boolean;
}

/** A spell of this user seen in a transaction that is not confirmed yet: shown, never applied. */
export interface PendingSpell extends PendingRecord {
  confirmed: boolean;
  /** Waiting, confirmed, replaced (by which transaction) or dropped. */
  status: PendingState;
  /** What the app shows for it, plainly. */
  note: string;
}

/** The spell of an Esplora transaction: none, bytes that fail to decode, or the spell and its actor. */
export function spellOfEsploraTx(tx: EsploraTx) {
  // Only OP_RETURN scripts are parsed (the others cannot carry a spell).
  const scripts = tx.vout.map((o) =>
    o.scriptpubkey.startsWith("6a") ? lenientHexBytes(o.scriptpubkey) : new Uint8Array(0),
  );
  const payload = spellPayloadOf(scripts)?.payload;
  if (!payload) return null;
  const decoded = tryDecodeSpell(payload);
  const actor = tx.vin[0]?.is_coinbase ? null : (tx.vin[0]?.prevout?.scriptpubkey_address ?? null);
  // A settle spell is custody's (src/settlement), not an engine operation.
  return { decoded, actor, payload, settle: isSettlePayload(payload) };
}

/** The spell payload of a verified transaction, if any: the first OP_RETURN output whose payload has the magic. */
export function spellPayloadOfChainTx(tx: ChainTx): Uint8Array | null {
  return spellPayloadOf(tx.outputs.map((o) => o.script))?.payload ?? null;
}

/** The spell of a verified transaction, if any (a settle spell decodes as an error here: it is custody's). */
export function spellOfChainTx(tx: ChainTx) {
  const payload = spellPayloadOfChainTx(tx);
  return payload ? tryDecodeSpell(payload) : null;
}

export class Indexer {
  private current!: State;
  /**
   * `state` serialized, kept while nothing changes it: a block that changes nothing (most of a
   * long replay) serializes no state, and one that does serializes it once (it used to twice).
   */
  private serialized: SerializedState | undefined;
  head!: Omit<Head, "state">;
  private readonly chain: VerifiedChain;
  /** The head's header, once read (difficulty continuity). */
  private headHeader?: BlockHeader;
  private tip = 0;
  private tipKnown = false;
  private syncing = false;
  private stopped = false;
  private readonly undoDepth: number;
  /** The block's proofs as one batch (null: the WebAssembly verifier could not load). */
  private proofs?: BlockProofs | null;
  private readonly custody: CustodyStepConfig;
  /**
   * Settlements this client applied and then rolled back in a reorg deeper than D (txid → depth):
   * if one confirms again where it no longer settles anything, its spends are a `ReorgLoss`, not a
   * breach. Held in memory: a client that never saw the old branch cannot tell, and says breach.
   */
  private readonly undoneSettlements = new Map<string, number>();
  private readonly listeners = new Set<(e: BlockNotice) => void>();

  /** The replayed state at the head (a new one set from outside is serialized afresh when needed). */
  get state(): State {
    return this.current;
  }
  set state(state: State) {
    this.current = state;
    this.serialized = undefined;
  }

  /** Sets the state from its serialized form, which is kept (it is the state's until a block changes it). */
  private restore(serialized: SerializedState): void {
    this.state = deserializeState(serialized);
    this.serialized = serialized;
  }

  private constructor(private readonly o: IndexerOptions) {
    this.undoDepth = o.undoDepth ?? 12;
    this.chain = new VerifiedChain(
      o.secondChain ? [o.chain, o.secondChain] : [o.chain],
      o.network ?? o.custody.network,
    );
    this.custody = { ...o.custody, finality: o.custody.finality ?? DEFAULT_FINALITY_DEPTH };
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
      head = await ix.genesisHead();
      await o.store.initHead(head);
    }
    ix.restore(head.state);
    const { state: _s, ...rest } = head;
    ix.head = rest;
    ix.tip = head.height;
    return ix;
  }

  /** The genesis head: the protocol's state at block startHeight − 1, with that block's header time. */
  private async genesisHead(): Promise<Head> {
    const height = this.o.startHeight - 1;
    const hash = await this.chain.blockHash(height);
    const time = (await this.chain.header(hash)).time;
    const { guardians } = this.o.custody;
    checkGuardianSet(guardians.keys, guardians.threshold);
    const state = createGenesisState(this.o.params, {
      time: BigInt(time),
      height: BigInt(height),
      governance: { guardians: { keys: [...guardians.keys], threshold: BigInt(guardians.threshold) } },
    });
    return { height, hash, time, root: stateRoot(state), state: serializeState(state) };
  }

  /** Reloads the state from the store (a follower tab after the leader wrote a block). */
  async reload(): Promise<void> {
    const head = await this.o.store.head();
    if (!head || head.hash === this.head.hash) return;
    this.restore(head.state);
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
      tipKnown: this.tipKnown,
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
      this.tip = await this.chain.tipHeight();
      this.tipKnown = true;
      await this.checkHead();
      const last = Math.min(this.tip, this.head.height + (options.maxBlocks ?? Infinity));
      const ahead = this.o.blocksAhead ?? BLOCKS_AHEAD;
      while (this.head.height < this.tip && !this.stopped && applied < (options.maxBlocks ?? Infinity)) {
        // The next blocks are asked for while this one is applied (final heights only: source.ts).
        const next = this.head.height + 1;
        if (ahead > 0) this.chain.prefetch(next, Math.min(next + ahead, last, this.tip - CACHE_DEPTH));
        if (await this.indexBlock(next)) applied++;
        this.o.onProgress?.(this.progress());
      }
      return applied;
    } finally {
      this.chain.dropAhead();
      this.syncing = false;
      this.o.onProgress?.(this.progress());
    }
  }

  /** Is our head still on the chain? If not, roll back to the fork point. */
  private async checkHead(): Promise<void> {
    // A source whose tip is below our head (a lagging second server) is waited for, not followed back,
    // unless the block at its tip is not ours.
    const height = Math.min(this.head.height, this.tip);
    if (height < this.o.startHeight) return;
    const onChain = await this.chain.blockHash(height);
    if ((await this.storedHash(height)) === onChain) return;
    // The other branch's block must be a whole verified block (proof of work, signet's block
    // signature, its height in its coinbase) before anything is rolled back: a header alone is cheap
    // to forge on signet and testnet4 (red team). The other path here, `linkedBlock`, verified its
    // block already.
    await this.chain
      .block(onChain, height)
      .then(() => this.rollbackToFork(onChain, height))
      .catch((error: unknown) => {
        this.chain.forget(height);
        throw error;
      });
  }

  private async storedHash(height: number): Promise<string | undefined> {
    if (height === this.head.height) return this.head.hash;
    const b = await this.o.store.block(height);
    if (b) return b.hash;
    return (await this.o.store.block(height + 1))?.prev.hash;
  }

  /**
   * Finds where the chain that `hash` (at `height`) ends leaves our stored blocks and rolls the store
   * and the state back to there. The fork is found by walking that chain's headers back (each one
   * checked: it hashes to the hash its child names, with valid proof of work), never by trusting
   * the source's hash-per-height answers: a source that lies about a block can stop the sync, not
   * make it roll back. Within the undo window that is one store transaction; deeper, the indexer
   * restarts from the newest stored checkpoint at or below the fork, or from the start height, and
   * says so. Returns false when `hash` is already ours (nothing to roll back).
   */
  private async rollbackToFork(hash: string, height: number): Promise<boolean> {
    const from = this.head.height;
    let fork: number | undefined;
    // Our blocks by hash (from `height` up) and the served chain's hashes walked: a served header whose
    // parent is one of our blocks at another height is a forgery, not a fork. Unchecked, one such
    // header (one header's work: free on regtest, cheap on testnet4 and signet) sent the walk below
    // every stored block and the client replayed from the start height.
    const oursAt = new Map<string, number>();
    for (let h = height + 1; h <= from; h++) {
      const ours = await this.storedHash(h);
      if (ours !== undefined) oursAt.set(ours, h);
    }
    const served = new Set<string>();
    for (let h = height; h >= this.o.startHeight - 1; h--) {
      const ours = await this.storedHash(h);
      if (ours === undefined) break;
      if (ours === hash) {
        fork = h;
        break;
      }
      oursAt.set(ours, h);
      const at = served.has(ours) ? h : oursAt.get(hash);
      if (at !== undefined)
        throw new ChainDataError(
          "brokenLink",
          `the headers served as blocks ${height} and below lead to our block ${at} at another height: a forged header, not a reorg; syncing stops until the source agrees with its own chain`,
        );
      served.add(hash);
      hash = (await this.chain.header(hash)).prevHash;
    }
    if (fork === from) return false;
    await this.rememberUndoneSettlements(fork ?? this.o.startHeight - 1, from);
    this.headHeader = undefined;
    // Hashes the client cached as final above the fork belong to the old branch: ask again.
    for (let h = (fork ?? this.o.startHeight - 1) + 1; h <= Math.max(from, this.tip); h++)
      this.chain.forget(h);
    if (fork !== undefined && from - fork <= this.undoDepth) {
      try {
        this.setHead(await this.o.store.rollback(fork));
        this.notify({ type: "reorg", from, to: fork });
        return true;
      } catch {
        // No undo data for it (a store restored from a checkpoint): recover below.
      }
    }
    await this.recoverBelow(fork, from);
    return true;
  }

  /** Before a reorg deeper than D rolls blocks above `fork` back: the settlements applied in them. */
  private async rememberUndoneSettlements(fork: number, from: number): Promise<void> {
    const depth = from - fork;
    if (depth <= this.custody.finality) return;
    try {
      for (let after: string | undefined; ; ) {
        const page = await this.o.store.events({
          types: ["SettlementApplied"],
          fromHeight: fork + 1,
          limit: 500,
          ...(after ? { after } : {}),
        });
        for (const e of page.events) this.undoneSettlements.set(e.txid, depth);
        if (!page.next || page.events.length === 0) break;
        after = page.next;
      }
    } catch {
      // A store that cannot list them: those spends are reported as breaches, as by a fresh client.
    }
  }

  private setHead(head: Head): void {
    this.restore(head.state);
    const { state: _s, ...rest } = head;
    this.head = rest;
  }

  /** A fork deeper than the undo window: restart from a checkpoint still on the chain, or from the start. */
  private async recoverBelow(fork: number | undefined, from: number): Promise<void> {
    const depth = fork === undefined ? "below every stored block" : `${from - fork} blocks deep`;
    const checkpoints = (await this.o.store.listBackups())
      .filter((b) => fork !== undefined && b.height <= fork && b.height >= this.o.startHeight - 1)
      .sort((a, b) => b.height - a.height);
    for (const info of checkpoints) {
      const bytes = await this.o.store.getBackup(info.id);
      if (!bytes) continue;
      let snapshot: ReturnType<typeof readBackup>["snapshot"];
      try {
        snapshot = readBackup(bytes).snapshot;
      } catch {
        continue; // a damaged checkpoint: try an older one
      }
      if (snapshot.head.hash !== (await this.chain.blockHash(snapshot.head.height))) continue;
      // The chain data only: this store's own settings stay as they are.
      await this.o.store.replaceAll({ ...snapshot, settings: {} });
      this.setHead(snapshot.head);
      this.notify({
        type: "reorg",
        from,
        to: snapshot.head.height,
        recovered: "checkpoint",
        message: `The chain reorganised ${depth}, more than the ${this.undoDepth} blocks kept for undo: restarted from the checkpoint at block ${snapshot.head.height} and replaying from there.`,
      });
      return;
    }
    const head = await this.genesisHead();
    await this.o.store.replaceAll({
      head,
      blocks: [],
      spells: [],
      rejected: [],
      events: [],
      prices: [],
      settings: {},
    });
    this.setHead(head);
    this.notify({
      type: "reorg",
      from,
      to: head.height,
      recovered: "start",
      message: `The chain reorganised ${depth}, more than the ${this.undoDepth} blocks kept for undo, and no stored checkpoint is below the fork: replaying from the start height ${this.o.startHeight}.`,
    });
  }

  /** Indexes one block; false when it turned out to be on another branch (rolled back instead). */
  private async indexBlock(height: number): Promise<boolean> {
    const hash = await this.chain.blockHash(height);
    const verified = await this.linkedBlock(hash, height);
    if (!verified) return false;
    // The block's proofs are checked as one batch when the WebAssembly verifier loads (proofs.ts).
    if (this.o.verifier.proofs && this.proofs === undefined) this.proofs = await BlockProofs.load();
    this.proofs?.begin();
    const work = newBlockWork(height, verified.header.time, await this.chain.network());
    const undo = this.serialized ?? serializeState(this.state);
    this.serialized = undefined; // the block's transactions may change the state from here
    // Every previous output the block's spells need, fetched before anything is applied: a source
    // that fails or lies here leaves the state untouched (the block is retried).
    const actorPrevouts = new Map<string, ChainTxOutput>();
    for (const tx of verified.txs) {
      if (tx.coinbase || !spellPayloadOfChainTx(tx)) continue;
      const first = tx.inputs[0]!;
      actorPrevouts.set(tx.txid, await this.chain.prevout(first.prevTxid, first.vout));
    }
    // A source failing mid-block (a stray output's refund script) leaves the state as it was.
    try {
      for (const tx of verified.txs) await this.applyBlockTx(work, tx, actorPrevouts.get(tx.txid));
    } catch (error) {
      this.restore(undo);
      throw error;
    }
    if (this.proofs && !this.proofs.settle()) {
      // Some proof failed: apply the block again, its failed checks now refused (proofs.ts).
      this.restore(undo);
      return this.indexBlock(height);
    }
    recordCustodyEvents(work, endOfBlock(this.state, height), { position: verified.txs.length, txid: "" });
    await this.commitIndexedBlock(work, hash, verified.header, undo);
    return true;
  }

  /** The verified block `hash` at `height`, linked to the head; null when the head was on another branch (rolled back). */
  private async linkedBlock(hash: string, height: number): Promise<ChainBlock | null> {
    try {
      const verified = await this.chain.block(hash, height, this.headHeader);
      if (verified.header.prevHash === this.head.hash) return verified;
      if (await this.rollbackToFork(verified.header.prevHash, height - 1)) return null;
      throw new ChainDataError(
        "brokenLink",
        `block ${hash}, served as block ${height}, does not link to block ${this.head.hash}, which the source still reports at ${height - 1}`,
      );
    } catch (error) {
      // The hash at this height may have been the lie: ask for it again next time.
      this.chain.forget(height);
      throw error;
    }
  }

  /** One transaction of the block: custody first (settlements, fundings), then its spell, then escapes, breaches and strays. */
  private async applyBlockTx(
    work: BlockWork,
    tx: ChainTx,
    actorPrevout: ChainTxOutput | undefined,
  ): Promise<void> {
    const { height } = work;
    const payload = spellPayloadOfChainTx(tx);
    const where = { height, position: tx.position, txid: tx.txid };
    // Custody first, for every transaction: settlements, escapes and breaches (docs/decisions.md §2a rule 3).
    const custody = settleOrTrack(
      this.state,
      tx,
      payload ?? undefined,
      height,
      this.custody,
      this.undoneSettlements,
    );
    // The actor: the address of the output the first input spends (read from its verified bytes).
    const actorAddress = actorPrevout ? (scriptToAddress(actorPrevout.script, work.network) ?? null) : null;
    if (custody.kind !== "none") recordCustodyEvents(work, custody.events, where);
    if (custody.kind === "rejected")
      work.rejected.push({
        ...where,
        actor: actorAddress,
        opType: "settle",
        reason: { code: "settlementRefused", detail: custody.reason.code, message: custody.reason.message },
      });
    // A settle spell is custody's (src/settlement), not an engine operation. A refused one that spent
    // no protocol coin is a stranger's transaction: its outputs at protocol scripts are strays (below).
    const settle = payload !== null && payload !== undefined && isSettlePayload(payload);
    if (settle && !(custody.kind === "rejected" && custody.events.length === 0)) return;
    // So is a fund spell (the fee account's funding); a refused one leaves its output to the stray rule.
    const funding = settle
      ? ({ kind: "none" } as const)
      : fundOrRefuse(this.state, tx, payload ?? undefined, height);
    if (funding.kind === "applied") recordCustodyEvents(work, funding.events, where);
    if (funding.kind === "refused")
      work.rejected.push({ ...where, actor: actorAddress, opType: "fund", reason: funding.reason });
    // Spends of protocol coins by anything but a settlement (escapes or breaches) are tracked after
    // the transaction's spell, so the spell's proof is checked against the state it was made on.
    if (payload && !settle && funding.kind === "none")
      this.applyTxSpell(work, tx, payload, actorPrevout, actorAddress);
    const spent = foreignSpends(this.state, tx, height, this.custody);
    recordCustodyEvents(work, spent, where, 1000);
    // BTC at a protocol script that no spell claimed is owed back to the sender or kept as stray;
    // not in a transaction that spends protocol coins (docs/custody.md "Stray outputs").
    if (spent.length === 0 && !tx.coinbase && hasStrayOutputs(this.state, tx, this.o.custody)) {
      const first = tx.inputs[0]!;
      const refund = actorPrevout ?? (await this.chain.prevout(first.prevTxid, first.vout));
      const place = { txid: tx.txid, height };
      recordCustodyEvents(
        work,
        recordStrays(this.state, tx, toHex(refund.script), place, this.o.custody),
        where,
        2000,
      );
    }
  }

  /** A transaction's spell through the engine: who acts and what BTC comes in are read from the transaction itself. */
  private applyTxSpell(
    work: BlockWork,
    tx: ChainTx,
    bytes: Uint8Array,
    actorPrevout: ChainTxOutput | undefined,
    actorAddress: string | null,
  ): void {
    const { height, time } = work;
    const where = { height, position: tx.position, txid: tx.txid };
    const decoded = tryDecodeSpell(bytes);
    if (!decoded.ok) {
      const e = decoded.error;
      work.rejected.push({
        ...where,
        actor: actorAddress,
        opType: null,
        reason: { code: "malformedSpell", detail: e.code, message: e.message },
      });
      return;
    }
    const spell = decoded.spell;
    // Who acts and what BTC comes in are read from the transaction itself (docs/decisions.md §2a rules 1, 4).
    const who = readActor(tx, actorPrevout, this.o.custody.network);
    if (!who.ok) {
      work.rejected.push({ ...where, actor: actorAddress, opType: spell.op.type, reason: who.reason });
      return;
    }
    // A guardian operation (veto, rotation approval) is signed by a guardian key: its actor is the
    // key in the first input's witness, which Bitcoin checked (docs/governance.md), not the address.
    const actor =
      SPELL_SCHEMAS[spell.op.type].actor === "guardian" && who.actor.witnessKey
        ? toHex(who.actor.witnessKey)
        : who.actor.account;
    const inflow = checkInflow(this.state, spell.op, who.actor, tx, this.o.custody, height);
    const guardiansBefore = this.state.gov.guardians;
    if (!inflow.ok) {
      work.rejected.push({ ...where, actor, opType: spell.op.type, reason: inflow.reason });
      return;
    }
    // Where its BTC out goes: the spell's payout script or the actor's own (§2a rule 2), checked before the engine.
    const payout = payoutOf(this.state, spell.op, actorPrevout!.script, this.o.custody);
    if (!payout.ok) {
      work.rejected.push({ ...where, actor, opType: spell.op.type, reason: payout.reason });
      return;
    }
    const out = applySpell(
      this.state,
      spell,
      actor,
      { ...where, blockTime: time },
      this.proofs ? this.proofs.config(this.o.verifier) : this.o.verifier,
      (events) => belowMinPayout(events, payout.payout),
    );
    if (!out.ok) {
      work.rejected.push({ ...where, actor, opType: out.op.type, reason: out.reason });
      return;
    }
    if (inflow.inflow) recordInflow(this.state, inflow.inflow, { txid: tx.txid, height });
    // A rotation of the custody key set begins a key epoch (docs/custody.md "Key epochs").
    if (noteKeyRotation(this.state, guardiansBefore, height)) out.events.push(keyEpochEvent(this.state));
    work.spells.push({
      ...where,
      actor,
      op: plain(out.op) as Record<string, unknown>,
      proof: out.proof,
      time: Number(out.time),
    });
    out.events.forEach((event, n) => {
      work.events.push(storedEvent(event, { ...where, n, time, actor }));
      if (event.type === "PriceUpdated")
        work.prices.push({ height, position: tx.position, time: Number(out.time), price: event.price });
    });
    // BTC out: what the spell granted becomes obligations, paid to its payout script.
    const owed = obligationsOf(this.state, out.events, { txid: tx.txid, height }, payout.payout);
    recordCustodyEvents(work, owed, where, out.events.length);
  }

  /** Writes the indexed block (its records, the state and the undo) as one store transaction, then moves the head. */
  private async commitIndexedBlock(
    work: BlockWork,
    hash: string,
    header: BlockHeader,
    undo: SerializedState,
  ): Promise<void> {
    const { height, time, spells, rejected, events, prices } = work;
    const changed = spells.length > 0 || work.custodyChanged;
    const root = changed ? stateRoot(this.state) : this.head.root;
    const block: BlockRecord = {
      height,
      hash,
      time,
      root,
      spells: spells.length,
      rejected: rejected.length,
      events: events.length,
      changed,
      prev: { hash: this.head.hash, time: this.head.time, root: this.head.root },
      undo: changed ? undo : null,
      // The dashboard's history: only blocks that changed the state get a point (O(1) totals).
      ...(changed ? { point: historyPoint(this.state, { height, time }) } : {}),
    };
    // Nothing changed: the state is the one before the block, already serialized (and stored).
    const state = changed ? serializeState(this.state) : undo;
    try {
      await this.o.store.commitBlock({
        block,
        state,
        unchanged: !changed,
        spells,
        rejected,
        events,
        prices,
        pruneUndoBelow: height - this.undoDepth,
      });
    } catch (error) {
      // Nothing was written: go back to what the store holds.
      this.restore(undo);
      throw error;
    }
    this.serialized = state;
    this.head = { height, hash, time, root };
    this.headHeader = header;
    this.notify({ type: "block", height, hash, root, spells: spells.length, rejected: rejected.length });
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

/** What one block's transactions produce, gathered for the store. */
interface BlockWork {
  height: number;
  /** The block's timestamp (the engine's clock for its spells). */
  time: number;
  network: BtcNetworkName;
  spells: SpellRecord[];
  rejected: RejectedRecord[];
  events: StoredEvent[];
  prices: PriceRecord[];
  /** Whether custody recorded anything (the state changed even without an applied spell). */
  custodyChanged: boolean;
}

const newBlockWork = (height: number, time: number, network: BtcNetworkName): BlockWork => ({
  height,
  time,
  network,
  spells: [],
  rejected: [],
  events: [],
  prices: [],
  custodyChanged: false,
});

/** Stores custody's events at `where`, numbered from `from`; any event means the state changed. */
function recordCustodyEvents(
  work: BlockWork,
  list: ProtocolEvent[],
  where: { position: number; txid: string },
  from = 0,
): void {
  list.forEach((event, i) => {
    work.events.push(storedEvent(event, { height: work.height, ...where, n: from + i, time: work.time }));
  });
  if (list.length > 0) work.custodyChanged = true;
}
