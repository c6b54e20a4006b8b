/**
 * The UI's handle on the engine: starts `workers/engine.worker.ts` (the state of record, with the
 * data layer: IndexedDB, chain sync, event store, backups) as a module worker and wraps it with
 * comlink. One client per app (created by main.tsx), disposed on unmount.
 *
 * Reads of one account and what-if previews run in `state.worker.ts` on a copy of the engine
 * worker's canonical state (`snapshot()`); the copy is used only if its state root equals the
 * snapshot's, and is reloaded when the engine reports a new block (`refresh()`).
 */
import * as Comlink from "comlink";
import type {
  DataNotice,
  DataStatus,
  EngineApi,
  EngineInfo,
  EngineSummary,
} from "../../../workers/engine.worker.ts";
import type { AtRiskVault, StateWorkerApi } from "../../../workers/state.worker.ts";
import type { GovernanceOverview } from "../../governance/index.ts";
import type { PendingSpell } from "../../indexer/index.ts";
import type { AccountId, Operation, SerializedState } from "../../protocol/index.ts";
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
} from "../../storage/index.ts";
import type { AccountCustody } from "./custody.ts";
import type { AccountPosition, Meet, OperationPreview } from "./preview.ts";

export type { DataNotice, DataStatus, EngineInfo, EngineSummary } from "../../../workers/engine.worker.ts";
export type { AtRiskVault } from "../../../workers/state.worker.ts";
export type {
  BackupHeader,
  BackupInfo,
  EventPage,
  EventQuery,
  EventStats,
  HistoryPoint,
  HistoryQuery,
} from "../../storage/index.ts";
export type { AccountPosition, Meet, OperationPreview } from "./preview.ts";

export type EngineStartOptions = NonNullable<Parameters<EngineApi["init"]>[0]>;

export interface BorrowChange {
  /** Open: the vault's collateral. */
  collateral?: bigint;
  depositCollateral?: bigint;
  withdrawCollateral?: bigint;
  maxFee?: bigint;
}

export interface EngineClient {
  /**
   * Starts the worker, once, from the app's entry point: following the chain with `sync`
   * (src/ui/engine/sync.ts resolves it from Settings and the guardians), or on the genesis state.
   */
  start(options?: EngineStartOptions): Promise<EngineInfo>;
  /** Resolves once the worker has started (every other call waits for `start` too). */
  init(): Promise<EngineInfo>;
  summary(): Promise<EngineSummary>;
  /** An account's vault, zkUSD balance and pool deposit. */
  position(owner: AccountId): Promise<AccountPosition>;
  /** Active vaults from the riskiest up. */
  atRisk(limit: number): Promise<AtRiskVault[]>;
  /**
   * The engine's outcome of `op` on a copy of the state (nothing changes), at the price and time the
   * transaction will meet (`meet`: the guardians' attested price, which the flow puts on chain first).
   */
  preview(op: Operation, meet?: Meet): Promise<OperationPreview>;
  /** The largest borrow the engine accepts for this open or adjustment, or null. */
  maxBorrow(owner: AccountId, change: BorrowChange, meet?: Meet): Promise<bigint | null>;
  /** Proposals, governable parameters and the account's voting power (src/governance views). */
  governance(account?: AccountId): Promise<GovernanceOverview>;
  /** The account's vault coins and its payouts owed (confirmed, not yet settled) and settled. */
  custody(owner: AccountId, payoutScripts: string[]): Promise<AccountCustody>;
  /** Sync role and progress. */
  status(): Promise<DataStatus>;
  /** Events, filtered and paged (`EventQuery.after` = the previous page's `next`). */
  events(query: EventQuery): Promise<EventPage>;
  eventStats(): Promise<EventStats>;
  /** The backup file (docs/decisions.md §7) of the current state, and what it holds. */
  backup(): Promise<{ bytes: Uint8Array; header: BackupHeader }>;
  /** Checks the file's checksum and state root, then replaces the state. */
  restore(bytes: Uint8Array): Promise<BackupHeader>;
  listBackups(): Promise<BackupInfo[]>;
  getBackup(id: string): Promise<Uint8Array | undefined>;
  /** Live notices (new blocks, reorgs, status); returns an unsubscribe function. */
  subscribe(fn: (notice: DataNotice) => void): Promise<() => void>;
  /** The engine worker's canonical state (what proofs are made against). */
  snapshot(): Promise<{ height: number; root: string; state: SerializedState }>;
  /** Applied and refused spells by height (each carries its txid). */
  spells(range?: { fromHeight?: number; toHeight?: number }): Promise<SpellRecord[]>;
  rejected(range?: { fromHeight?: number; toHeight?: number }): Promise<RejectedRecord[]>;
  /** TCR, supply and debt after each block that changed the state, oldest first (the history charts). */
  history(query?: HistoryQuery): Promise<HistoryPoint[]>;
  /** Shows a broadcast spell of this user as pending until it confirms. */
  trackPending(txid: string): Promise<void>;
  /** This user's broadcast spells and what became of each (waiting, confirmed, replaced, dropped). */
  pending(): Promise<PendingSpell[]>;
  /** Reloads the preview copy from the engine's state (after a new block or a restore). */
  refresh(): void;
  /** Stops the workers; later calls reject. */
  dispose(): void;
}

/** The preview engine and the engine of record hold different states: previews are refused. */
export class EngineMismatchError extends Error {
  override readonly name = "EngineMismatchError";
}

export function createEngineClient(): EngineClient {
  const worker = new Worker(new URL("../../../workers/engine.worker.ts", import.meta.url), {
    type: "module",
    name: "zkusd-engine",
  });
  const remote = Comlink.wrap<EngineApi>(worker);
  // Calls made before the entry point's start (components mount while the guardians are asked)
  // wait for it, so the worker is always started with the sync settings, never without.
  let started: Promise<EngineInfo> | undefined;
  let release!: (info: Promise<EngineInfo>) => void;
  const gate = new Promise<EngineInfo>((resolve) => {
    release = resolve;
  });
  const after = <T>(call: () => Promise<T>): Promise<T> => gate.then(call);
  // A hidden tab polls the chain rarely; shown again, it catches up at once.
  if (typeof document !== "undefined") {
    const tell = () =>
      void after(() => remote.setHidden(document.visibilityState === "hidden")).catch(() => undefined);
    document.addEventListener("visibilitychange", tell);
    tell();
  }

  const copy = previewCopy(remote, gate);
  const reads = copy.reads;

  return {
    start: (options) => {
      started ??= remote.init(options);
      release(started);
      return started;
    },
    init: () => gate,
    summary: () => after(() => remote.summary()),
    position: async (owner) => (await reads()).position(owner),
    atRisk: async (limit) => (await reads()).atRisk(limit),
    preview: async (op, meet) => (await reads()).preview(op, meet),
    maxBorrow: async (owner, change, meet) => (await reads()).maxBorrow(owner, change, meet),
    governance: async (account) => (await reads()).governance(account),
    custody: async (owner, scripts) => (await reads()).custody(owner, scripts),
    status: () => after(() => remote.status()),
    events: (query) => after(() => remote.events(query)),
    eventStats: () => after(() => remote.eventStats()),
    backup: async () => {
      await gate;
      const bytes = await remote.backup();
      return { bytes, header: await remote.verifyBackup(bytes) };
    },
    restore: async (bytes) => {
      await gate;
      await remote.verifyBackup(bytes); // checksum and root, before anything is replaced
      const header = await remote.restore(bytes);
      copy.reset();
      return header;
    },
    listBackups: () => after(() => remote.listBackups()),
    getBackup: (id) => after(() => remote.getBackup(id)),
    subscribe: async (fn) => {
      await gate;
      const unsubscribe = await remote.subscribe(Comlink.proxy(fn));
      return () => void unsubscribe();
    },
    snapshot: () => after(() => remote.snapshot()),
    spells: (range) => after(() => remote.spells(range)),
    rejected: (range) => after(() => remote.rejected(range)),
    history: (query) => after(() => remote.history(query)),
    trackPending: (txid) => after(() => remote.trackPending(txid)),
    pending: () => after(() => remote.pending()),
    refresh: copy.reset,
    dispose: () => {
      remote[Comlink.releaseProxy]();
      worker.terminate();
      copy.dispose();
    },
  };
}

/**
 * The preview copy: a state worker loaded from the engine's snapshot, used only once its root equals
 * the engine's (else EngineMismatchError); `reset` makes the next read load a fresh snapshot.
 */
function previewCopy(remote: Comlink.Remote<EngineApi>, gate: Promise<EngineInfo>) {
  let stateWorker: Worker | undefined;
  let stateRemote: Comlink.Remote<StateWorkerApi> | undefined;
  let agreed: Promise<Comlink.Remote<StateWorkerApi>> | undefined;
  const reads = (): Promise<Comlink.Remote<StateWorkerApi>> => {
    agreed ??= (async () => {
      if (!stateRemote) {
        stateWorker = new Worker(new URL("../../../workers/state.worker.ts", import.meta.url), {
          type: "module",
          name: "zkusd-state",
        });
        stateRemote = Comlink.wrap<StateWorkerApi>(stateWorker);
      }
      await gate;
      const snapshot = await remote.snapshot();
      const mine = await stateRemote.load(snapshot.state, snapshot.height);
      if (mine.stateRoot !== snapshot.root) {
        throw new EngineMismatchError(
          `Previews are unavailable: the copy's state root ${mine.stateRoot} differs from the engine's ${snapshot.root}.`,
        );
      }
      return stateRemote;
    })();
    agreed.catch(() => {
      agreed = undefined;
    });
    return agreed;
  };
  return {
    reads,
    reset: (): void => {
      agreed = undefined;
    },
    dispose: (): void => {
      stateRemote?.[Comlink.releaseProxy]();
      stateWorker?.terminate();
    },
  };
}
