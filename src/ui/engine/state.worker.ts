/**
 * The UI's read-and-preview worker: holds a copy of the engine state and answers the screens'
 * questions about accounts and what-if operations (src/ui/engine/preview.ts), off the main thread.
 *
 * Why a second worker: workers/engine.worker.ts (owned by the data layer) exposes only `init` and
 * `summary` today. Until it exposes these reads itself, this worker builds the same genesis state,
 * and the client (client.ts) refuses to use it unless its state root equals the engine worker's, so
 * a preview can never be computed on a different state than the one the dashboard shows.
 */
import * as Comlink from "comlink";
import {
  type AccountId,
  createGenesisState,
  DEFAULT_PARAMS,
  initStateRoot,
  type Operation,
  type Params,
  type State,
  stateRoot,
} from "../../protocol/index.ts";
import {
  type AccountPosition,
  accountPosition,
  atRiskVaults,
  maxBorrow,
  nextContext,
  type OperationPreview,
  previewOperation,
} from "./preview.ts";

export type AtRiskVault = ReturnType<typeof atRiskVaults>[number];

export interface StateWorkerApi {
  init(options?: {
    params?: Params;
    genesis?: { height: bigint; time: bigint };
  }): Promise<{ stateRoot: string }>;
  stateRoot(): Promise<string>;
  position(owner: AccountId): Promise<AccountPosition>;
  atRisk(limit: number): Promise<AtRiskVault[]>;
  preview(op: Operation, time?: bigint): Promise<OperationPreview>;
  maxBorrow(
    owner: AccountId,
    change: { depositCollateral?: bigint; withdrawCollateral?: bigint; collateral?: bigint; maxFee?: bigint },
    time?: bigint,
  ): Promise<bigint | null>;
}

let ready: Promise<State> | undefined;

async function current(): Promise<State> {
  if (!ready) throw new Error("The preview engine has not been started: call init() first.");
  return ready;
}

const api: StateWorkerApi = {
  async init(options) {
    ready ??= (async () => {
      await initStateRoot();
      const genesis = options?.genesis ?? { height: 0n, time: 0n };
      return createGenesisState(options?.params ?? { ...DEFAULT_PARAMS }, genesis);
    })();
    try {
      return { stateRoot: stateRoot(await ready) };
    } catch (error) {
      ready = undefined;
      throw error;
    }
  },
  async stateRoot() {
    return stateRoot(await current());
  },
  async position(owner) {
    return accountPosition(await current(), owner);
  },
  async atRisk(limit) {
    return atRiskVaults(await current(), limit);
  },
  async preview(op, time) {
    const state = await current();
    return previewOperation(state, op, nextContext(state, time));
  },
  async maxBorrow(owner, change, time) {
    const state = await current();
    return maxBorrow(state, owner, change, nextContext(state, time));
  },
};

Comlink.expose(api);
