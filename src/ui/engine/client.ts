/**
 * The UI's handle on the engine worker: starts `workers/engine.worker.ts` as a module worker and
 * wraps it with comlink. One client per app (created by EngineProvider), disposed on unmount.
 */
import * as Comlink from "comlink";
import type { EngineApi, EngineInfo, EngineSummary } from "../../../workers/engine.worker.ts";

export type { EngineInfo, EngineSummary } from "../../../workers/engine.worker.ts";

export interface EngineClient {
  /** Resolves once the worker has built its state (genesis for now). */
  init(): Promise<EngineInfo>;
  summary(): Promise<EngineSummary>;
  /** Stops the worker; later calls reject. */
  dispose(): void;
}

export function createEngineClient(): EngineClient {
  const worker = new Worker(new URL("../../../workers/engine.worker.ts", import.meta.url), {
    type: "module",
    name: "zkusd-engine",
  });
  const remote = Comlink.wrap<EngineApi>(worker);
  return {
    init: () => remote.init(),
    summary: () => remote.summary(),
    dispose: () => {
      remote[Comlink.releaseProxy]();
      worker.terminate();
    },
  };
}
