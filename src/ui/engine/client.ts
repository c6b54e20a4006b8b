/**
 * The UI's handle on the engine: starts `workers/engine.worker.ts` (the state of record) as a module
 * worker and wraps it with comlink. One client per app (created by main.tsx), disposed on unmount.
 *
 * Reads of one account and what-if previews go to `state.worker.ts` until the engine worker exposes
 * them (see that file): it must agree with the engine worker's state root first, or every preview
 * call fails with `EngineMismatchError` instead of answering from another state.
 */
import * as Comlink from "comlink";
import type { EngineApi, EngineInfo, EngineSummary } from "../../../workers/engine.worker.ts";
import type { AccountId, Operation } from "../../protocol/index.ts";
import type { BackupInfo, EventPage, EventQuery, EventStats, PriceRecord } from "../../storage/types.ts";
import type { AccountPosition, OperationPreview } from "./preview.ts";
import type { AtRiskVault, StateWorkerApi } from "./state.worker.ts";

export type { EngineInfo, EngineSummary } from "../../../workers/engine.worker.ts";
export type { AccountPosition, OperationPreview } from "./preview.ts";
export type { AtRiskVault } from "./state.worker.ts";

export interface BorrowChange {
  /** Open: the vault's collateral. */
  collateral?: bigint;
  depositCollateral?: bigint;
  withdrawCollateral?: bigint;
  maxFee?: bigint;
}

export interface EngineClient {
  /** Resolves once the worker has built its state (genesis for now). */
  init(): Promise<EngineInfo>;
  summary(): Promise<EngineSummary>;
  /** An account's vault, zkUSD balance and pool deposit. */
  position(owner: AccountId): Promise<AccountPosition>;
  /** Active vaults from the riskiest up. */
  atRisk(limit: number): Promise<AtRiskVault[]>;
  /** The engine's outcome of `op` on a copy of the state (nothing changes). */
  preview(op: Operation): Promise<OperationPreview>;
  /** The largest borrow the engine accepts for this open or adjustment, or null. */
  maxBorrow(owner: AccountId, change: BorrowChange): Promise<bigint | null>;
  /** The data layer's reads and actions (event store, history, backup). */
  data: DataLayerClient;
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
  let stateWorker: Worker | undefined;
  let stateRemote: Comlink.Remote<StateWorkerApi> | undefined;
  let agreed: Promise<Comlink.Remote<StateWorkerApi>> | undefined;

  const reads = (): Promise<Comlink.Remote<StateWorkerApi>> => {
    agreed ??= (async () => {
      stateWorker = new Worker(new URL("./state.worker.ts", import.meta.url), {
        type: "module",
        name: "zkusd-state",
      });
      stateRemote = Comlink.wrap<StateWorkerApi>(stateWorker);
      const info = await remote.init();
      const [mine, summary] = await Promise.all([
        stateRemote.init({ params: info.params, genesis: info.genesis }),
        remote.summary(),
      ]);
      if (mine.stateRoot !== summary.stateRoot) {
        throw new EngineMismatchError(
          `Previews are unavailable: the preview engine's state root ${mine.stateRoot} differs from the engine's ${summary.stateRoot}.`,
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
    init: () => remote.init(),
    summary: () => remote.summary(),
    position: async (owner) => (await reads()).position(owner),
    atRisk: async (limit) => (await reads()).atRisk(limit),
    preview: async (op) => (await reads()).preview(op),
    maxBorrow: async (owner, change) => (await reads()).maxBorrow(owner, change),
    data: createDataLayerClient(remote),
    dispose: () => {
      remote[Comlink.releaseProxy]();
      worker.terminate();
      stateRemote?.[Comlink.releaseProxy]();
      stateWorker?.terminate();
    },
  };
}

/**
 * Reads and actions the UI needs from the data layer (workers/engine.worker.ts, owned by the data
 * layer): the event store, history for charts, backup and restore. Each is a call on the engine
 * worker under the name given here; until the worker provides it, the call fails with
 * `NotAvailableError` and the screen says what is missing (no stand-in data).
 */

export type { EventPage, EventQuery, EventStats, PriceRecord } from "../../storage/types.ts";

export class NotAvailableError extends Error {
  override readonly name = "NotAvailableError";
}

export interface DataLayerClient {
  /** Events, filtered and paged (`EventQuery.after` = the previous page's `next`). */
  events(query: EventQuery): Promise<EventPage>;
  eventStats(): Promise<EventStats>;
  /** Attested prices applied on chain, for the dashboard's charts. */
  prices(range?: { fromHeight?: number; toHeight?: number }): Promise<PriceRecord[]>;
  /** The backup file (SPEC §7) of the current state. */
  exportBackup(): Promise<{ bytes: Uint8Array; info: BackupInfo }>;
  /** Verifies checksum and state root, then replaces the state; returns where it now stands. */
  restoreBackup(bytes: Uint8Array): Promise<{ height: number; root: string }>;
}

const WORKER_METHODS = ["events", "eventStats", "prices", "exportBackup", "restoreBackup"] as const;

/** The data-layer calls on the engine worker; a missing method becomes NotAvailableError. */
export function createDataLayerClient(worker: unknown): DataLayerClient {
  const remote = worker as Record<(typeof WORKER_METHODS)[number], (...args: unknown[]) => Promise<unknown>>;
  const call =
    <T>(name: (typeof WORKER_METHODS)[number], what: string) =>
    async (...args: unknown[]): Promise<T> => {
      try {
        return (await remote[name](...args)) as T;
      } catch (error) {
        const message = (error as Error)?.message ?? "";
        if (/is not a function|undefined is not|Cannot read properties of undefined/.test(message)) {
          throw new NotAvailableError(
            `${what} is not available yet: the engine worker does not provide \`${name}\`.`,
          );
        }
        throw error;
      }
    };
  return {
    events: call("events", "The event store"),
    eventStats: call("eventStats", "Event statistics"),
    prices: call("prices", "Price history"),
    exportBackup: call("exportBackup", "Backup"),
    restoreBackup: call("restoreBackup", "Restore"),
  };
}
