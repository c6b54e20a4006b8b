/**
 * The guardian's view of the chain: the shared indexer (src/indexer) over a file-backed store
 * (src/storage, one JSON file in the data directory, written atomically per block). The indexer
 * decodes spells, checks attestations and proofs, applies valid spells with the engine, records
 * rejections and handles reorgs; this wrapper serialises syncs and answers the API's questions.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { BtcNetworkName, EsploraClient } from "../btc/index.ts";
import { Indexer, type IndexerCustody, type VerifierConfig } from "../indexer/index.ts";
import type { Params, ProtocolEventType, State } from "../protocol/index.ts";
import { openFileStore } from "../storage/file.ts";
import type { DataStore, EventPage, RejectedRecord, SpellRecord } from "../storage/index.ts";
import type { Logger } from "./log.ts";

export interface ChainOptions {
  esplora: EsploraClient;
  /** A second Esplora, cross-checked block by block. */
  secondEsplora?: EsploraClient;
  network?: BtcNetworkName;
  dataDir: string;
  /** First block whose spells count. */
  startHeight: number;
  params: Params;
  verifier: VerifierConfig;
  /** The federation's network, escape timelock and custody key set (vault scripts, docs/decisions.md §2a). */
  custody: IndexerCustody;
  log: Logger;
}

export type SpellOutcomeRecord = ({ ok: true } & SpellRecord) | ({ ok: false } & RejectedRecord);

export class GuardianChain {
  lastSyncAt = 0;
  lastError: string | null = null;
  private syncing: Promise<void> | null = null;

  private constructor(
    readonly indexer: Indexer,
    readonly store: DataStore,
    private readonly log: Logger,
  ) {}

  static async open(o: ChainOptions): Promise<GuardianChain> {
    mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
    const store = await openFileStore(join(o.dataDir, "chain-store.json"));
    const indexer = await Indexer.open({
      store,
      chain: o.esplora,
      ...(o.secondEsplora ? { secondChain: o.secondEsplora } : {}),
      ...(o.network ? { network: o.network } : {}),
      startHeight: o.startHeight,
      params: o.params,
      verifier: o.verifier,
      custody: o.custody,
    });
    // A reorg deeper than the undo window is recovered from by the indexer itself; say so in the log.
    indexer.subscribe((n) => {
      if (n.type === "reorg") o.log.warn(n.message ?? "chain reorganisation", { from: n.from, to: n.to });
    });
    return new GuardianChain(indexer, store, o.log);
  }

  get state(): State {
    return this.indexer.state;
  }

  get height(): number {
    return this.indexer.head.height;
  }

  get tip(): number {
    return this.indexer.progress().tip;
  }

  /** State root after the last block (computed once per block by the indexer). */
  root(): string {
    return this.indexer.head.root;
  }

  /** Catches up with the tip; concurrent callers share one sync. Errors are kept for /v1/status. */
  sync(): Promise<void> {
    this.syncing ??= this.indexer
      .sync()
      .then(() => {
        this.lastSyncAt = Date.now();
        this.lastError = null;
      })
      .catch((error: unknown) => {
        this.lastError = (error as Error).message;
        this.log.warn("chain sync failed", { error: this.lastError, height: this.height });
      })
      .finally(() => {
        this.syncing = null;
      });
    return this.syncing;
  }

  /** What became of a confirmed spell transaction (applied or rejected), if this guardian has seen it. */
  async spellOf(txid: string): Promise<SpellOutcomeRecord | undefined> {
    const applied = (await this.store.spells()).find((s) => s.txid === txid);
    if (applied) return { ok: true, ...applied };
    const rejected = (await this.store.rejected()).find((s) => s.txid === txid);
    return rejected ? { ok: false, ...rejected } : undefined;
  }

  async recentSpells(limit: number): Promise<SpellOutcomeRecord[]> {
    const applied = (await this.store.spells()).map((s) => ({ ok: true as const, ...s }));
    const rejected = (await this.store.rejected()).map((s) => ({ ok: false as const, ...s }));
    return [...applied, ...rejected]
      .sort((a, b) => a.height - b.height || a.position - b.position)
      .slice(-limit);
  }

  events(q: {
    type?: string;
    account?: string;
    fromHeight?: number;
    toHeight?: number;
    after?: string;
    limit?: number;
    order?: "asc" | "desc";
  }): Promise<EventPage> {
    return this.store.events({
      ...(q.type ? { types: [q.type as ProtocolEventType] } : {}),
      ...(q.account ? { account: q.account } : {}),
      ...(q.fromHeight !== undefined ? { fromHeight: q.fromHeight } : {}),
      ...(q.toHeight !== undefined ? { toHeight: q.toHeight } : {}),
      ...(q.after ? { after: q.after } : {}),
      ...(q.limit !== undefined ? { limit: q.limit } : {}),
      ...(q.order ? { order: q.order } : {}),
    });
  }

  async close(): Promise<void> {
    this.indexer.stop();
    await this.syncing;
    await this.store.close();
  }
}
