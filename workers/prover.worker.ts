/**
 * The prover worker (comlink): snarkjs witness generation and Groth16 proving off the main thread.
 * Artifacts are fetched once, SHA-256-checked against public/zk/manifest.json and kept in Cache
 * Storage. Progress (loading → witness → proving → done) goes to a comlink-proxied callback.
 * Cancel by terminating the worker (src/zk/proverClient.ts does it and starts a fresh one).
 */
import * as Comlink from "comlink";
import { deserializeState, initPoseidon, type SerializedState } from "../src/protocol/index.ts";
import {
  ArtifactLoader,
  type CircuitInput,
  type CircuitName,
  cacheStorageStore,
  fetchSource,
  type ProveContext,
  type ProveOptions,
  type ProveProgress,
  type ProveResult,
  prove,
  proveInput,
  type SnarkjsProof,
  verifyProof,
  type ZkOperation,
} from "../src/zk/index.ts";

let loader: ArtifactLoader | undefined;

function artifacts(): ArtifactLoader {
  loader ??= new ArtifactLoader(fetchSource(new URL("/", self.location.href).href), cacheStorageStore());
  return loader;
}

/** ZkError crosses the worker boundary as a plain Error; keep its code in the message prefix. */
async function run<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (error) {
    const e = error as Error & { code?: string };
    throw new Error(e.code ? `${e.code}: ${e.message}` : e.message);
  }
}

const api = {
  /** Where artifacts are served from (default: the page's origin, public/ at the root). */
  configure(base: string): void {
    loader = new ArtifactLoader(fetchSource(base), cacheStorageStore());
  },

  /** Fetches and checks a circuit's artifacts so the first proof does not wait for them. */
  async preload(circuit: CircuitName): Promise<void> {
    await run(async () => {
      await Promise.all([artifacts().load(circuit, "wasm"), artifacts().load(circuit, "zkey")]);
    });
  },

  async proveInput(
    circuit: CircuitName,
    input: CircuitInput,
    options: Pick<ProveOptions, "singleThread">,
    onProgress?: (p: ProveProgress) => void,
  ): Promise<ProveResult> {
    return run(() => proveInput(circuit, input, artifacts(), { ...options, onProgress }));
  },

  /** prove(operation, state): the state arrives serialized (engine serializeState). */
  async prove(
    operation: ZkOperation,
    state: SerializedState,
    ctx: ProveContext,
    options: Pick<ProveOptions, "singleThread">,
    onProgress?: (p: ProveProgress) => void,
  ): Promise<ProveResult> {
    return run(async () => {
      await initPoseidon();
      const { newState: _ignored, ...result } = await prove(
        operation,
        deserializeState(state),
        ctx,
        artifacts(),
        {
          ...options,
          onProgress,
        },
      );
      return result;
    });
  },

  async verify(
    circuit: CircuitName,
    publicSignals: string[],
    proof: SnarkjsProof | Uint8Array,
  ): Promise<boolean> {
    return run(async () => verifyProof(await artifacts().verificationKey(circuit), publicSignals, proof));
  },
};

export type ProverWorkerApi = typeof api;

Comlink.expose(api);
