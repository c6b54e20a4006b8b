/**
 * The engine worker's data layer (docs/storage.md): IndexedDB store, chain indexer, multi-tab
 * leadership, event queries, backups. Context-free (a dedicated worker in the app; a page in the e2e
 * tests): it needs IndexedDB, and for syncing Web Locks, BroadcastChannel and fetch.
 */
import { EsploraClient, type HostLimits, setPersistentCache } from "../btc/esplora.ts";
import type { BtcNetworkName } from "../btc/network.ts";
import { nextPollMs } from "../btc/poll.ts";
import {
  type BlockNotice,
  Indexer,
  type IndexerCustody,
  loadVerificationKeys,
  type PendingSpell,
  type SyncMessage,
  type SyncProgress,
  TabLeader,
  type VerifierConfig,
} from "../indexer/index.ts";
import type { BabyJubPoint } from "../oracle/index.ts";
import {
  createGenesisState,
  initStateRoot,
  type Params,
  type SerializedState,
  type State,
  serializeState,
  stateRoot,
} from "../protocol/index.ts";
import {
  type AutoBackupPolicy,
  autoBackup,
  type BackupHeader,
  type BackupInfo,
  createBackup,
  type DataStore,
  type EventPage,
  type EventQuery,
  type EventStats,
  type HistoryPoint,
  type HistoryQuery,
  type IdbStore,
  openIdbEsploraCache,
  openIdbStore,
  type RejectedRecord,
  readBackup,
  restoreBackup,
  type SpellRecord,
  StaleWriteError,
} from "../storage/index.ts";
// Not src/zk/index.ts: it also exports the prover (snarkjs), which this worker never needs.
import { ArtifactLoader, cacheStorageStore, fetchSource } from "../zk/artifacts.ts";

/** How this client follows the chain (stored in the `sync` setting). */
export interface SyncSettings {
  esploraUrl: string;
  /** A second Esplora, cross-checked: every block hash is asked of both and the sync stops when they differ. */
  secondEsploraUrl?: string;
  /** Request caps the user set for the Esplora host and the second one (Settings; unset: the host's defaults). */
  esploraLimits?: Partial<HostLimits>;
  secondEsploraLimits?: Partial<HostLimits>;
  /** The network (proof-of-work limit, addresses); absent: the one whose block 0 the Esplora serves. */
  network?: BtcNetworkName;
  /** First block whose spells count. */
  startHeight: number;
  /** Registered oracle keys: BabyJubjub points as decimal strings, and the quorum. */
  oracleKeys: { keys: [string, string][]; threshold: number };
  /** Verify Groth16 proofs (default true). */
  proofs?: boolean;
  /**
   * Milliseconds between polls of the chain tip while blocks come (default 5000); the wait grows to a
   * minute while none does (two while the tab is hidden) and stays short while a transaction of
   * this user is pending (src/btc/poll.ts).
   */
  pollMs?: number;
  /** The longest wait between polls while no block comes (default a minute). */
  maxPollMs?: number;
  /** The least wait between polls while the tab is hidden (default two minutes; src/btc/poll.ts). */
  hiddenPollMs?: number;
  /** Automatic backups (default: daily, keep 7); `false` turns them off. */
  autoBackup?: AutoBackupPolicy | false;
  /** Network, escape timelock and custody key set the vault scripts derive from (the federation's). */
  custody: IndexerCustody;
}

export interface DataLayerOptions {
  /** IndexedDB database name (default "zkusd"). */
  dbName?: string;
  params: Params;
  /** Genesis used when there is no chain to follow (development, no sync settings). */
  genesis: { height: bigint; time: bigint };
  /** Follow the chain; when absent, the stored `sync` setting is used, if any. */
  sync?: SyncSettings;
  /** This tab's id for multi-tab messages. */
  tab?: string;
  /** Where the app serves public/ (verification keys), default "/". */
  artifactsBase?: string;
  /** false: do not follow the stored sync settings either (default true). */
  follow?: boolean;
}

export interface DataStatus {
  role: "leader" | "follower" | "offline";
  progress: SyncProgress | null;
  height: number;
  root: string;
  /** Blocks this tab wrote itself (the leader's work; followers only read). */
  blocksWritten: number;
  lastError: string | null;
}

export type DataNotice = BlockNotice | { type: "status"; status: DataStatus };

const sleep = (ms: number, signal: AbortSignal, wake?: (fn: () => void) => void) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    signal.addEventListener("abort", done);
    wake?.(done);
  });

export class DataLayer {
  private indexer?: Indexer;
  private leader?: TabLeader;
  private offlineState?: State;
  private offlineHeight = 0n;
  private blocksWritten = 0;
  private lastError: string | null = null;
  private verificationKeysReady: () => Promise<void> = async () => {};
  private readonly listeners = new Set<(n: DataNotice) => void>();
  /** The page is hidden (it says so through `setHidden`): poll rarely. */
  private hidden = false;
  /** Ends the leader's current wait (the page became visible, the user broadcast). */
  private wakeUp: (() => void) | undefined;

  private constructor(
    readonly store: IdbStore,
    private readonly o: DataLayerOptions,
  ) {}

  static async open(o: DataLayerOptions): Promise<DataLayer> {
    await initStateRoot();
    const store = await openIdbStore({ name: o.dbName ?? "zkusd" });
    // Immutable Esplora answers survive reloads (a cache that fails to open only costs requests).
    await openIdbEsploraCache().then(setPersistentCache, () => undefined);
    const layer = new DataLayer(store, o);
    // `follow: false` (guardians publishing keys that differ from the pinned ones): stay on genesis,
    // even if an earlier session stored sync settings.
    const sync = o.sync ?? (o.follow === false ? undefined : await store.getSetting<SyncSettings>("sync"));
    if (o.sync) await store.setSetting("sync", o.sync);
    // Settings stored before custody existed cannot check inflows: stay on genesis until re-discovered.
    if (sync?.custody) await layer.follow(sync);
    else {
      layer.offlineState = createGenesisState(o.params, o.genesis);
      layer.offlineHeight = o.genesis.height;
    }
    return layer;
  }

  private async follow(sync: SyncSettings): Promise<void> {
    const proofs = sync.proofs ?? true;
    const verifier: VerifierConfig = {
      proofs,
      oracleKeys: {
        keys: sync.oracleKeys.keys.map(([x, y]) => [BigInt(x), BigInt(y)] as unknown as BabyJubPoint),
        threshold: sync.oracleKeys.threshold,
      },
      // Filled before the first block is indexed (`verificationKeysReady`), in place: the indexer
      // holds this object.
      verificationKeys: {},
    };
    let loaded = !proofs;
    this.verificationKeysReady = async () => {
      if (loaded) return;
      try {
        Object.assign(
          verifier.verificationKeys,
          await loadVerificationKeys(
            new ArtifactLoader(fetchSource(this.o.artifactsBase ?? "/"), cacheStorageStore()),
          ),
        );
        loaded = true;
      } catch (error) {
        // Never index without them: every proof-carrying spell would be rejected and the wrong state
        // stored. The leader's loop retries on its next poll.
        throw new Error(
          `the proof verification keys could not be loaded (${(error as Error).message}); the chain is not indexed until they are`,
        );
      }
    };
    const chain = new EsploraClient({
      baseUrl: sync.esploraUrl,
      ...(sync.esploraLimits ? { limits: sync.esploraLimits } : {}),
    });
    await this.forgetAnotherChain(chain, sync);
    this.indexer = await Indexer.open({
      store: this.store,
      chain,
      ...(sync.secondEsploraUrl
        ? {
            secondChain: new EsploraClient({
              baseUrl: sync.secondEsploraUrl,
              ...(sync.secondEsploraLimits ? { limits: sync.secondEsploraLimits } : {}),
            }),
          }
        : {}),
      ...(sync.network ? { network: sync.network } : {}),
      startHeight: sync.startHeight,
      params: this.o.params,
      verifier,
      custody: sync.custody,
      onProgress: (progress) => this.emit({ type: "status", status: this.statusNow(progress) }),
    });
    this.indexer.subscribe((notice) => {
      if (notice.type === "block") this.blocksWritten++;
      this.leader?.post(notice);
      this.emit(notice);
    });
    const tab = this.o.tab ?? Math.random().toString(36).slice(2);
    this.leader = new TabLeader({
      tab,
      name: `zkusd-indexer:${this.o.dbName ?? "zkusd"}`,
      lead: (signal) => this.lead(sync, signal),
      onMessage: (m) => void this.onMessage(m),
    });
    void this.leader.start();
  }

  /**
   * What is stored belongs to one chain: the Esplora URL, the start height and the hash of the block
   * the genesis state is taken at. When any of them changed (another network, or a regtest devnet
   * started afresh, which no 12-block reorg can bridge), the chain data is dropped and replayed;
   * settings and backups stay. Without an answer from the chain nothing is dropped.
   */
  private async forgetAnotherChain(chain: EsploraClient, sync: SyncSettings): Promise<void> {
    let anchor: string;
    try {
      anchor = await chain.blockHash(sync.startHeight - 1);
    } catch {
      return;
    }
    // The custody key set is in the genesis state: another set is another chain's state.
    const custody = `${sync.custody.guardians.threshold}:${sync.custody.guardians.keys.join(",")}:${sync.custody.csvBlocks}`;
    const identity = `${sync.esploraUrl}|${sync.startHeight}|${anchor}|${custody}`;
    const stored = await this.store.getSetting<string>("chainIdentity");
    if (stored !== undefined && stored !== identity) await this.store.clearChain();
    if (stored !== identity) await this.store.setSetting("chainIdentity", identity);
  }

  /** The leader's loop: take over from the stored head, sync, poll, until the lock is given up. */
  private async lead(sync: SyncSettings, signal: AbortSignal): Promise<void> {
    const ix = this.indexer!;
    const policy = {
      baseMs: sync.pollMs ?? 5000,
      maxMs: sync.maxPollMs ?? 60_000,
      hiddenMs: sync.hiddenPollMs ?? 120_000,
    };
    let idlePolls = 0;
    while (!signal.aborted) {
      try {
        await this.verificationKeysReady();
        await ix.reload();
        const before = ix.head.height;
        await ix.sync();
        // A new block, or a transaction of this user waiting for one: keep polling at the base rate.
        idlePolls = ix.head.height > before || (await this.store.pending()).length > 0 ? 0 : idlePolls + 1;
        this.lastError = null;
        if (sync.autoBackup !== false) await autoBackup(this.store, sync.autoBackup ?? {});
      } catch (error) {
        // Another writer got there first (a handover overlap): reload and carry on.
        if (!(error instanceof StaleWriteError)) this.lastError = (error as Error).message;
      }
      this.emit({ type: "status", status: this.statusNow() });
      await sleep(nextPollMs(policy, idlePolls, this.hidden), signal, (done) => {
        this.wakeUp = done;
      });
      this.wakeUp = undefined;
    }
    ix.stop();
  }

  private async onMessage(m: SyncMessage): Promise<void> {
    if (m.type !== "block" && m.type !== "reorg") return;
    if (this.leader?.isLeader) return;
    await this.indexer?.reload();
    this.emit(m);
  }

  private emit(n: DataNotice): void {
    for (const fn of this.listeners) fn(n);
  }

  /** Live updates: blocks, reorgs, status; returns the unsubscribe function. */
  subscribe(fn: (n: DataNotice) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private statusNow(progress?: SyncProgress): DataStatus {
    const ix = this.indexer;
    return {
      role: ix ? (this.leader?.isLeader ? "leader" : "follower") : "offline",
      progress: ix ? (progress ?? ix.progress()) : null,
      height: ix ? ix.head.height : Number(this.offlineHeight),
      root: ix ? ix.head.root : stateRoot(this.offlineState!),
      blocksWritten: this.blocksWritten,
      lastError: this.lastError,
    };
  }

  status(): DataStatus {
    return this.statusNow();
  }

  /** The in-memory state (the worker's one copy). */
  get state(): State {
    return this.indexer ? this.indexer.state : this.offlineState!;
  }

  get height(): bigint {
    return this.indexer ? BigInt(this.indexer.head.height) : this.offlineHeight;
  }

  /** The state root; the stored root when following the chain (no rehash). */
  root(): string {
    return this.indexer ? this.indexer.head.root : stateRoot(this.offlineState!);
  }

  /** The canonical state (for a UI worker that previews operations on a copy). */
  snapshot(): { height: number; root: string; state: SerializedState } {
    return { height: Number(this.height), root: this.root(), state: serializeState(this.state) };
  }

  events(q?: EventQuery): Promise<EventPage> {
    return this.store.events(q);
  }
  eventStats(): Promise<EventStats> {
    return this.store.eventStats();
  }
  spells(range?: { fromHeight?: number; toHeight?: number }): Promise<SpellRecord[]> {
    return this.store.spells(range);
  }
  rejected(range?: { fromHeight?: number; toHeight?: number }): Promise<RejectedRecord[]> {
    return this.store.rejected(range);
  }
  /** The system after each block that changed the state (empty while not following a chain). */
  history(q?: HistoryQuery): Promise<HistoryPoint[]> {
    return this.store.history(q);
  }
  pending(): Promise<PendingSpell[]> {
    return this.indexer ? this.indexer.pending() : Promise.resolve([]);
  }
  async trackPending(txid: string): Promise<void> {
    if (!this.indexer) throw new Error("not following a chain");
    await this.indexer.trackPending(txid);
    this.wakeUp?.();
  }
  /** The page was hidden or shown: a hidden tab polls rarely (`hiddenPollMs`); shown, at once. */
  setHidden(hidden: boolean): void {
    const shown = this.hidden && !hidden;
    this.hidden = hidden;
    if (shown) this.wakeUp?.();
  }

  /** A backup file of the whole store (docs/decisions.md §7). */
  backup(): Promise<Uint8Array> {
    return createBackup(this.store);
  }
  /** Checks a backup file completely without touching anything. */
  verifyBackup(bytes: Uint8Array): BackupHeader {
    return readBackup(bytes).header;
  }
  /**
   * Restores a backup (or starts from a checkpoint when `trustedRoot` is given); only the leader may
   * write, so a follower tab refuses. The other tabs reload on the next block.
   */
  async restore(bytes: Uint8Array, trustedRoot?: string): Promise<BackupHeader> {
    if (this.indexer && !this.leader?.isLeader)
      throw new Error("another tab is syncing: restore from that tab");
    const header = await restoreBackup(this.store, bytes, trustedRoot);
    await this.indexer?.reload();
    this.leader?.post({ type: "reorg", from: header.height, to: header.height });
    return header;
  }
  listBackups(): Promise<BackupInfo[]> {
    return this.store.listBackups();
  }
  getBackup(id: string): Promise<Uint8Array | undefined> {
    return this.store.getBackup(id);
  }

  /** Stops leading (another tab takes over) and closes the database. */
  async close(): Promise<void> {
    this.leader?.stop();
    this.indexer?.stop();
    this.listeners.clear();
    await this.store.close();
  }
}

export type { DataStore };
