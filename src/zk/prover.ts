/**
 * Groth16 proving with snarkjs: witness (circuit wasm) then proof (zkey), with progress reports and
 * readable errors. `prove(operation, state, ctx)` is the one call the app and the CLI use; it runs
 * wherever it is called (Node, or inside workers/prover.worker.ts in the browser, which keeps it off
 * the main thread).
 */
import { groth16, wtns } from "snarkjs";
import type { State } from "../protocol/index.ts";
import type { ArtifactLoader } from "./artifacts.ts";
import { type CircuitName, ZkError } from "./circuits.ts";
import type { SnarkjsProof } from "./proof.ts";
import { buildWitness, type CircuitInput, type ProveContext, type ZkOperation } from "./witness.ts";

export type ProvePhase = "loading" | "witness" | "proving" | "done";

export interface ProveProgress {
  phase: ProvePhase;
  circuit: CircuitName;
  /** Milliseconds since the call started. */
  elapsedMs: number;
}

export interface ProveOptions {
  /** Prove without nested workers (phones, or a CSP without `worker-src blob:`); 1.5–1.7× slower. */
  singleThread?: boolean;
  onProgress?: (p: ProveProgress) => void;
}

export interface ProveResult {
  circuit: CircuitName;
  proof: SnarkjsProof;
  publicSignals: string[];
  timings: { loadMs: number; witnessMs: number; proveMs: number };
}

const now = () => globalThis.performance?.now() ?? Date.now();

/** Maps snarkjs's "Assert Failed. Error in template VaultOp_122 line: 178" to the rule it names. */
export function explainWitnessError(message: string, rules: Record<string, string>): string {
  const sites = [...message.matchAll(/template (\w+?)_\d+ line: (\d+)/g)].map((m) => [m[1]!, m[2]!] as const);
  for (const [template, line] of sites.reverse()) {
    const rule = rules[`${template}:${line}`] ?? rules[`${template}:*`];
    if (rule) return rule;
  }
  for (const [template] of sites) {
    const rule = rules[`${template}:*`];
    if (rule) return rule;
  }
  return "unknownConstraint";
}

/** Proves one circuit input. Throws ZkError("constraintFailed", rule) when the input breaks the circuit. */
export async function proveInput(
  circuit: CircuitName,
  input: CircuitInput,
  artifacts: ArtifactLoader,
  options: ProveOptions = {},
): Promise<ProveResult> {
  const t0 = now();
  const report = (phase: ProvePhase) => options.onProgress?.({ phase, circuit, elapsedMs: now() - t0 });
  report("loading");
  const [wasm, zkey, manifest] = await Promise.all([
    artifacts.load(circuit, "wasm"),
    artifacts.load(circuit, "zkey"),
    artifacts.manifest(),
  ]);
  const t1 = now();
  report("witness");
  const witness: { type: "mem"; data?: Uint8Array } = { type: "mem" };
  try {
    await wtns.calculate(input, wasm, witness);
  } catch (error) {
    const message = (error as Error).message ?? String(error);
    if (/Assert Failed/.test(message)) {
      const rule = explainWitnessError(message, manifest.rules);
      throw new ZkError("constraintFailed", `${circuit}: ${rule} (${message.split("\n")[0]}).`);
    }
    throw new ZkError("malformedInput", `${circuit}: ${message.split("\n")[0]}`);
  }
  const t2 = now();
  report("proving");
  const { proof, publicSignals } = await groth16.prove(zkey, witness, undefined, {
    singleThread: options.singleThread ?? false,
  });
  const t3 = now();
  report("done");
  return {
    circuit,
    proof: { pi_a: proof.pi_a, pi_b: proof.pi_b, pi_c: proof.pi_c, protocol: "groth16", curve: "bn128" },
    publicSignals,
    timings: { loadMs: t1 - t0, witnessMs: t2 - t1, proveMs: t3 - t2 },
  };
}

/**
 * Proves `operation` on `state`: builds the witness from engine state (the engine must accept the
 * operation; a borrowing one declares its fee, see withDeclaredFee), then proves. The result's
 * publicSignals are [recordBefore, recordAfter, operationHash, contextHash].
 */
export async function prove(
  operation: ZkOperation,
  state: State,
  ctx: ProveContext,
  artifacts: ArtifactLoader,
  options: ProveOptions = {},
): Promise<ProveResult & { newState: State | null }> {
  const w = buildWitness(operation, state, ctx);
  const result = await proveInput(w.circuit, w.input, artifacts, options);
  if (result.publicSignals.join() !== w.publicSignals.join()) {
    throw new ZkError("malformedInput", "the proof's public signals differ from the witness's.");
  }
  return { ...result, newState: w.newState };
}
