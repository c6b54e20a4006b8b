/**
 * The protocol engine in a Web Worker, exposed with comlink, so replaying, syncing and computing the
 * state root never block the UI. The worker owns the one in-memory `State` (src/client/data-layer.ts):
 * loaded once from IndexedDB, moved forward by the chain indexer (when this tab leads) or reloaded
 * after the leading tab writes a block (when it follows). Without sync settings it holds the genesis
 * state with the given parameters (development).
 *
 * Everything crossing the boundary is structured-cloneable (bigint included); errors thrown here
 * reach the caller as rejected promises. Live updates: `subscribe(Comlink.proxy(fn))`.
 */
import * as Comlink from "comlink";
import { DataLayer, type DataNotice, type DataStatus, type SyncSettings } from "../src/client/data-layer.ts";
import type { PendingSpell } from "../src/indexer/index.ts";
import {
  DEFAULT_PARAMS,
  type Params,
  type SerializedState,
  type SystemSummary,
  systemSummary,
} from "../src/protocol/index.ts";
import type {
  BackupHeader,
  BackupInfo,
  EventPage,
  EventQuery,
  EventStats,
  HistoryPoint,
  HistoryQuery,
  RejectedRecord,
  SpellRecord,
} from "../src/storage/index.ts";

export type { DataNotice, DataStatus, SyncSettings } from "../src/client/data-layer.ts";

/** Where the engine's history starts: block height and block time (seconds) of the genesis. */
export interface Genesis {
  height: bigint;
  time: bigint;
}

/** The development genesis: height 0, time 0. A network's real genesis comes with the indexer. */
export const DEV_GENESIS: Readonly<Genesis> = Object.freeze({ height: 0n, time: 0n });

export interface EngineInfo {
  params: Params;
  genesis: Genesis;
}

/** The protocol's `systemSummary` plus where the engine stands in the chain. */
export type EngineSummary = SystemSummary & {
  /** Last block applied (the genesis height while nothing is synced). */
  height: bigint;
  /** Poseidon state root over the whole state, hex. */
  stateRoot: string;
};

export interface EngineApi {
  /**
   * Opens the store and, with `sync` (or stored sync settings), follows the chain; idempotent (a
   * second call returns the same info).
   */
  init(options?: {
    params?: Params;
    genesis?: Genesis;
    sync?: SyncSettings;
    /** false: stay on the genesis state even if sync settings were stored earlier. */
    follow?: boolean;
    dbName?: string;
  }): Promise<EngineInfo>;
  /** System totals for the dashboard. Rejects if `init` has not completed. */
  summary(): Promise<EngineSummary>;
  /** Role (leader/follower), sync progress (blocks done / to do), last error. */
  status(): Promise<DataStatus>;
  /** Events with filters and cursor pagination (docs/decisions.md §6). */
  events(query?: EventQuery): Promise<EventPage>;
  eventStats(): Promise<EventStats>;
  spells(range?: { fromHeight?: number; toHeight?: number }): Promise<SpellRecord[]>;
  rejected(range?: { fromHeight?: number; toHeight?: number }): Promise<RejectedRecord[]>;
  /** TCR, supply and debt after each block that changed the state: the latest `limit`, oldest first. */
  history(query?: HistoryQuery): Promise<HistoryPoint[]>;
  /** This user's broadcast spells not yet confirmed (shown as pending, never applied). */
  pending(): Promise<PendingSpell[]>;
  trackPending(txid: string): Promise<void>;
  /** The page was hidden or shown (the chain is polled rarely while hidden). */
  setHidden(hidden: boolean): Promise<void>;
  /** The canonical state, for a worker that previews operations on a copy. */
  snapshot(): Promise<{ height: number; root: string; state: SerializedState }>;
  /** Backup file bytes (docs/decisions.md §7); verify without touching anything; restore or start from a checkpoint. */
  backup(): Promise<Uint8Array>;
  verifyBackup(bytes: Uint8Array): Promise<BackupHeader>;
  restore(bytes: Uint8Array, trustedRoot?: string): Promise<BackupHeader>;
  listBackups(): Promise<BackupInfo[]>;
  getBackup(id: string): Promise<Uint8Array | undefined>;
  /** Live updates (blocks, reorgs, status); pass `Comlink.proxy(fn)`; returns an unsubscribe proxy. */
  subscribe(fn: (notice: DataNotice) => void): Promise<() => void>;
}

interface Engine {
  info: EngineInfo;
  data: DataLayer;
}

let engine: Promise<Engine> | undefined;

async function start(
  params: Params,
  genesis: Genesis,
  sync: SyncSettings | undefined,
  dbName: string | undefined,
  follow: boolean | undefined,
): Promise<Engine> {
  const data = await DataLayer.open({
    params,
    genesis,
    ...(sync ? { sync } : {}),
    ...(follow === false ? { follow } : {}),
    ...(dbName ? { dbName } : {}),
  });
  return { info: { params, genesis }, data };
}

async function ready(): Promise<DataLayer> {
  if (!engine) throw new Error("The engine has not been started: call init() first.");
  return (await engine).data;
}

const api: EngineApi = {
  async init(options) {
    engine ??= start(
      options?.params ?? { ...DEFAULT_PARAMS },
      options?.genesis ?? { ...DEV_GENESIS },
      options?.sync,
      options?.dbName,
      options?.follow,
    );
    try {
      return (await engine).info;
    } catch (error) {
      engine = undefined; // let the caller retry after a failed start
      throw error;
    }
  },
  async summary() {
    const data = await ready();
    return { ...systemSummary(data.state), height: data.height, stateRoot: data.root() };
  },
  status: async () => (await ready()).status(),
  events: async (q) => (await ready()).events(q),
  eventStats: async () => (await ready()).eventStats(),
  spells: async (r) => (await ready()).spells(r),
  rejected: async (r) => (await ready()).rejected(r),
  history: async (q) => (await ready()).history(q),
  pending: async () => (await ready()).pending(),
  trackPending: async (txid) => (await ready()).trackPending(txid),
  setHidden: async (hidden) => (await ready()).setHidden(hidden),
  snapshot: async () => (await ready()).snapshot(),
  backup: async () => (await ready()).backup(),
  verifyBackup: async (bytes) => (await ready()).verifyBackup(bytes),
  restore: async (bytes, root) => (await ready()).restore(bytes, root),
  listBackups: async () => (await ready()).listBackups(),
  getBackup: async (id) => (await ready()).getBackup(id),
  async subscribe(fn) {
    return Comlink.proxy((await ready()).subscribe(fn));
  },
};

Comlink.expose(api);
