/**
 * The protocol engine in a Web Worker, exposed with comlink, so replaying and computing the state
 * root never block the UI. The worker owns the one in-memory `State`; the UI asks it for views.
 *
 * Where the state comes from: for now the genesis state with the default parameters (no chain sync
 * yet). The data-layer issue replaces `init` with: load the last snapshot from IndexedDB, then follow
 * the chain through the indexer and `apply` each confirmed spell.
 *
 * Everything crossing the boundary is structured-cloneable (bigint included); errors thrown here
 * reach the caller as rejected promises.
 */
import * as Comlink from "comlink";
import {
  createGenesisState,
  DEFAULT_PARAMS,
  initStateRoot,
  type Params,
  type State,
  type SystemSummary,
  stateRoot,
  systemSummary,
} from "../src/protocol/index.ts";

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
  /** Builds the genesis state; idempotent (a second call returns the same info). */
  init(options?: { params?: Params; genesis?: Genesis }): Promise<EngineInfo>;
  /** System totals for the dashboard. Rejects if `init` has not completed. */
  summary(): Promise<EngineSummary>;
}

interface Engine {
  info: EngineInfo;
  state: State;
  height: bigint;
}

let engine: Promise<Engine> | undefined;

async function start(params: Params, genesis: Genesis): Promise<Engine> {
  await initStateRoot();
  const state = createGenesisState(params, { time: genesis.time, height: genesis.height });
  return { info: { params, genesis }, state, height: genesis.height };
}

const api: EngineApi = {
  async init(options) {
    engine ??= start(options?.params ?? { ...DEFAULT_PARAMS }, options?.genesis ?? { ...DEV_GENESIS });
    try {
      return (await engine).info;
    } catch (error) {
      engine = undefined; // let the caller retry after a failed start
      throw error;
    }
  },
  async summary() {
    if (!engine) throw new Error("The engine has not been started: call init() first.");
    const { state, height } = await engine;
    return { ...systemSummary(state), height, stateRoot: stateRoot(state) };
  },
};

Comlink.expose(api);
