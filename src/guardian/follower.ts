/**
 * Follows the chain and keeps the guardian's engine state: blocks in order from Esplora, each
 * transaction's spell decoded, its actor read from the first input, its attestation and proof
 * checked (verify.ts), then applied with the engine; an invalid spell is recorded as rejected and
 * changes nothing (SPEC §2). A reorg rolls back to the last snapshot below the fork and replays.
 *
 * The state, the recent block hashes, per-block snapshots for reorgs and the event log are kept in
 * one JSON file in the data directory, written atomically (temp file + rename) after each block.
 *
 * This is the guardian's own follower while the shared indexer (src/indexer) is being written; it
 * uses only public faces (btc, protocol, oracle, zk) so it can be swapped for the indexer unchanged.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type EsploraClient, type EsploraTx, spellOfTransaction, toOperation } from "../btc/index.ts";
import type { OracleKeySet } from "../oracle/index.ts";
import {
  apply,
  createGenesisState,
  deserializeState,
  type EventEnvelope,
  eventToJson,
  type Params,
  type SerializedState,
  type State,
  serializeState,
  stateRoot,
} from "../protocol/index.ts";
import type { Logger } from "./log.ts";
import {
  checkAttestation,
  checkAttestedPrice,
  checkProof,
  declaredTime,
  type VerificationKeys,
} from "./verify.ts";

/** A spell seen on chain, applied or rejected. */
export interface SpellRecord {
  height: number;
  txid: string;
  index: number;
  op: string;
  actor: string;
  ok: boolean;
  reason?: string;
}

export interface FollowerOptions {
  esplora: EsploraClient;
  oracles: () => OracleKeySet;
  verificationKeys: VerificationKeys;
  params: Params;
  /** First block scanned; the genesis state is the state before it. */
  genesis: { height: number; time: bigint; price?: bigint };
  dataDir: string;
  log: Logger;
  /** Blocks kept for reorgs (snapshots). Default 12. */
  reorgDepth?: number;
  /** Events kept in the file and served by the API. Default 10,000. */
  maxEvents?: number;
  /** A declared time may run ahead of its block's time by this much (seconds). Default 7,200. */
  futureToleranceSec?: number;
}

interface Snapshot {
  height: number;
  hash: string;
  state: SerializedState;
}

interface FileShape {
  version: 1;
  height: number;
  hashes: [number, string][];
  snapshots: Snapshot[];
  state: SerializedState;
  events: unknown[];
  spells: SpellRecord[];
}

/** Events as JSON (bigints as strings) with where they happened. */
export type EventJson = Record<string, unknown> & {
  height: number;
  txid?: string;
  index?: number;
  type: string;
};

export class ChainFollower {
  state: State;
  /** Last block applied (genesis.height − 1 before the first). */
  height: number;
  /** Chain tip seen at the last sync. */
  tip = 0;
  lastSyncAt = 0;
  lastError: string | null = null;
  private hashes = new Map<number, string>();
  private snapshots: Snapshot[] = [];
  private events: EventJson[] = [];
  private spells: SpellRecord[] = [];
  private readonly file: string;
  private readonly depth: number;
  private readonly maxEvents: number;
  private syncing: Promise<void> | null = null;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly opts: FollowerOptions) {
    this.depth = opts.reorgDepth ?? 12;
    this.maxEvents = opts.maxEvents ?? 10_000;
    mkdirSync(opts.dataDir, { recursive: true });
    this.file = join(opts.dataDir, "chain-state.json");
    const loaded = this.load();
    if (loaded) {
      this.state = deserializeState(loaded.state);
      this.height = loaded.height;
      this.hashes = new Map(loaded.hashes);
      this.snapshots = loaded.snapshots;
      this.events = loaded.events as EventJson[];
      this.spells = loaded.spells;
    } else {
      this.state = this.genesis();
      this.height = opts.genesis.height - 1;
    }
  }

  private genesis(): State {
    const g = this.opts.genesis;
    return createGenesisState(this.opts.params, {
      time: g.time,
      height: BigInt(g.height),
      ...(g.price !== undefined ? { price: g.price } : {}),
    });
  }

  private load(): FileShape | null {
    try {
      const data = JSON.parse(readFileSync(this.file, "utf8")) as FileShape;
      return data.version === 1 ? data : null;
    } catch {
      return null;
    }
  }

  private save(): void {
    const data: FileShape = {
      version: 1,
      height: this.height,
      hashes: [...this.hashes],
      snapshots: this.snapshots,
      state: serializeState(this.state),
      events: this.events,
      spells: this.spells,
    };
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify(data));
    renameSync(tmp, this.file);
  }

  /** Called after every sync that applied blocks. */
  onChange(fn: () => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Catches up with the chain tip (one sync at a time; concurrent callers share it). */
  sync(): Promise<void> {
    this.syncing ??= this.doSync().finally(() => {
      this.syncing = null;
    });
    return this.syncing;
  }

  private async doSync(): Promise<void> {
    const { esplora, log } = this.opts;
    let changed = false;
    try {
      this.tip = await esplora.tipHeight();
      while (this.height < this.tip) {
        const h = this.height + 1;
        const hash = await esplora.blockHash(h);
        const block = await esplora.block(hash);
        const parent = this.hashes.get(this.height);
        if (parent && block.previousblockhash && block.previousblockhash !== parent) {
          this.rollback(log);
          changed = true;
          continue;
        }
        const txs: EsploraTx[] = [];
        for (let start = 0; start < block.tx_count; start += 25)
          txs.push(...(await esplora.blockTxs(hash, start)));
        let index = 0;
        for (const tx of txs) {
          if (tx.vin[0]?.is_coinbase) continue;
          if (await this.applyTx(tx, h, BigInt(block.timestamp), index)) index++;
        }
        this.height = h;
        this.hashes.set(h, hash);
        for (const k of this.hashes.keys()) if (k <= h - this.depth * 4) this.hashes.delete(k);
        this.snapshots.push({ height: h, hash, state: serializeState(this.state) });
        if (this.snapshots.length > this.depth) this.snapshots.shift();
        this.save();
        changed = true;
      }
      this.lastSyncAt = Date.now();
      this.lastError = null;
    } catch (error) {
      this.lastError = (error as Error).message;
      log.warn("chain sync failed", { error: this.lastError, height: this.height });
    }
    if (changed) for (const fn of this.listeners) fn();
  }

  /** Drops the last block: back to the snapshot before it (or genesis when none is left). */
  private rollback(log: Logger): void {
    const dropped = this.snapshots.pop();
    const previous = this.snapshots.at(-1);
    if (previous) {
      this.state = deserializeState(previous.state);
      this.height = previous.height;
    } else {
      this.state = this.genesis();
      this.height = this.opts.genesis.height - 1;
      this.snapshots = [];
    }
    if (dropped) this.hashes.delete(dropped.height);
    this.events = this.events.filter((e) => e.height <= this.height);
    this.spells = this.spells.filter((s) => s.height <= this.height);
    log.warn("reorg: rolled back one block", { to: this.height, dropped: dropped?.hash });
  }

  /** Applies one transaction's spell, if it has one; true when a spell was found (valid or not). */
  private async applyTx(tx: EsploraTx, height: number, blockTime: bigint, index: number): Promise<boolean> {
    const found = spellOfTransaction(await this.opts.esplora.txHex(tx.txid));
    if (!found.ok) {
      if (found.reason === "no spell output" || found.reason.startsWith("not a transaction")) return false;
    }
    const actor = tx.vin[0]?.prevout?.scriptpubkey_address;
    const record = (op: string, ok: boolean, reason?: string) => {
      this.spells.push({
        height,
        txid: tx.txid,
        index,
        op,
        actor: actor ?? "",
        ok,
        ...(reason ? { reason } : {}),
      });
      if (this.spells.length > this.maxEvents) this.spells.shift();
      if (!ok) {
        this.pushEvent({ height, txid: tx.txid, index, type: "SpellRejected", op, reason: reason ?? "" });
        this.opts.log.info("spell rejected", { height, txid: tx.txid, op, reason });
      }
    };
    if (!found.ok) {
      record("?", false, found.reason);
      return true;
    }
    if (!actor) {
      record(found.spell.op.type, false, "the first input has no address (the actor is unknown)");
      return true;
    }
    const op = toOperation(found.spell.op, actor);
    const att = checkAttestation(found.spell.attestation, this.opts.oracles());
    if (!att.ok) {
      record(op.type, false, att.reason);
      return true;
    }
    const priced = checkAttestedPrice(op, att.value, this.state);
    if (!priced.ok) {
      record(op.type, false, priced.reason);
      return true;
    }
    const time = declaredTime(att.value, this.state);
    if (time > blockTime + BigInt(this.opts.futureToleranceSec ?? 7_200)) {
      record(op.type, false, `declared time ${time} is too far ahead of its block's time ${blockTime}`);
      return true;
    }
    const proof = checkProof(this.state, op, found.spell, att.value, time, this.opts.verificationKeys);
    if (!proof.ok) {
      record(op.type, false, proof.reason);
      return true;
    }
    const result = apply(this.state, op, { height: BigInt(height), time, txid: tx.txid, index });
    if (!result.ok) {
      record(op.type, false, `${result.error.code}: ${result.error.message}`);
      return true;
    }
    record(op.type, true);
    for (const event of result.events) {
      this.pushEvent({
        height,
        txid: tx.txid,
        index,
        ...(eventToJson(event) as Record<string, unknown>),
      } as EventJson);
    }
    return true;
  }

  private pushEvent(e: EventJson): void {
    this.events.push(e);
    if (this.events.length > this.maxEvents) this.events.shift();
  }

  /** Events, newest last, filtered and paginated. */
  queryEvents(f: {
    type?: string;
    owner?: string;
    fromHeight?: number;
    toHeight?: number;
    offset?: number;
    limit?: number;
  }): {
    total: number;
    events: EventJson[];
  } {
    const all = this.events.filter(
      (e) =>
        (!f.type || e.type === f.type) &&
        (!f.owner || Object.values(e).includes(f.owner)) &&
        (f.fromHeight === undefined || e.height >= f.fromHeight) &&
        (f.toHeight === undefined || e.height <= f.toHeight),
    );
    const offset = f.offset ?? 0;
    return { total: all.length, events: all.slice(offset, offset + (f.limit ?? 50)) };
  }

  recentSpells(limit = 50): SpellRecord[] {
    return this.spells.slice(-limit);
  }

  /** The spell recorded for a txid (applied or rejected), if this guardian has seen it confirmed. */
  spellOf(txid: string): SpellRecord | undefined {
    return this.spells.find((s) => s.txid === txid);
  }

  root(): string {
    return stateRoot(this.state);
  }
}

export type { EventEnvelope };
