/**
 * Loading what the verifier needs: the verification keys of every spell circuit, hash-checked by the
 * ZK layer's artifact loader (Node: files under public/; browser: fetched from the app's origin).
 */
import type { ArtifactLoader, CircuitName, VerificationKey } from "../zk/index.ts";

/** Circuits a spell's proof can be for: the one vault circuit (docs/zk.md). */
export const SPELL_CIRCUITS = ["vault"] as const satisfies readonly CircuitName[];

export async function loadVerificationKeys(
  artifacts: ArtifactLoader,
): Promise<Partial<Record<CircuitName, VerificationKey>>> {
  const out: Partial<Record<CircuitName, VerificationKey>> = {};
  for (const name of SPELL_CIRCUITS) out[name] = await artifacts.verificationKey(name);
  return out;
}
