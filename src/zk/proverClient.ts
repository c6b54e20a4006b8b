/**
 * Main-thread handle on the prover worker (browser). Proving never blocks the page: every call goes
 * to workers/prover.worker.ts through comlink. `cancel()` terminates the worker (snarkjs has no
 * cooperative cancel), rejects what was in flight with ZkError("cancelled"), and the next call starts
 * a fresh worker.
 */
import * as Comlink from "comlink";
import type { ProverWorkerApi } from "../../workers/prover.worker.ts";
import { type State, serializeState } from "../protocol/index.ts";
import { type CircuitName, ZK_ERROR_MESSAGES, ZkError, type ZkErrorCode } from "./circuits.ts";
import type { SnarkjsProof } from "./proof.ts";
import type { ProveProgress, ProveResult } from "./prover.ts";
import type { CircuitInput, ProveContext, ZkOperation } from "./witness.ts";

export interface ClientProveOptions {
  singleThread?: boolean;
  onProgress?: (p: ProveProgress) => void;
}

const defaultWorker = () =>
  new Worker(new URL("../../workers/prover.worker.ts", import.meta.url), {
    type: "module",
    name: "zkusd-prover",
  });

/** Rebuilds a ZkError from the "code: message" text the worker sends back. */
function fromWorkerError(error: unknown): Error {
  const message = (error as Error)?.message ?? String(error);
  const m = message.match(/^(\w+): /);
  if (m && m[1]! in ZK_ERROR_MESSAGES) {
    const e = new ZkError(m[1] as ZkErrorCode);
    e.message = message.slice(m[0].length);
    return e;
  }
  return error instanceof Error ? error : new Error(message);
}

export class ProverClient {
  private worker: Worker | undefined;
  private remote: Comlink.Remote<ProverWorkerApi> | undefined;
  private readonly inFlight = new Set<(error: Error) => void>();

  constructor(
    private readonly makeWorker: () => Worker = defaultWorker,
    private readonly artifactBase?: string,
  ) {}

  private api(): Comlink.Remote<ProverWorkerApi> {
    if (!this.remote) {
      this.worker = this.makeWorker();
      this.remote = Comlink.wrap<ProverWorkerApi>(this.worker);
      if (this.artifactBase) void this.remote.configure(this.artifactBase);
    }
    return this.remote;
  }

  private track<T>(call: (api: Comlink.Remote<ProverWorkerApi>) => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.inFlight.add(reject);
      call(this.api())
        .then(resolve, (e) => reject(fromWorkerError(e)))
        .finally(() => this.inFlight.delete(reject));
    });
  }

  preload(circuit: CircuitName): Promise<void> {
    return this.track((api) => api.preload(circuit));
  }

  proveInput(
    circuit: CircuitName,
    input: CircuitInput,
    options: ClientProveOptions = {},
  ): Promise<ProveResult> {
    const progress = options.onProgress ? Comlink.proxy(options.onProgress) : undefined;
    return this.track((api) =>
      api.proveInput(circuit, input, { singleThread: options.singleThread }, progress),
    );
  }

  /** prove(operation, state): the one call the app uses. */
  prove(
    operation: ZkOperation,
    state: State,
    ctx: ProveContext,
    options: ClientProveOptions = {},
  ): Promise<ProveResult> {
    const progress = options.onProgress ? Comlink.proxy(options.onProgress) : undefined;
    const serialized = serializeState(state);
    return this.track((api) =>
      api.prove(operation, serialized, ctx, { singleThread: options.singleThread }, progress),
    );
  }

  verify(circuit: CircuitName, publicSignals: string[], proof: SnarkjsProof | Uint8Array): Promise<boolean> {
    return this.track((api) => api.verify(circuit, publicSignals, proof));
  }

  /** Stops proving now: terminates the worker and rejects every pending call with ZkError("cancelled"). */
  cancel(): void {
    this.worker?.terminate();
    this.worker = undefined;
    this.remote = undefined;
    for (const reject of this.inFlight) reject(new ZkError("cancelled"));
    this.inFlight.clear();
  }
}
