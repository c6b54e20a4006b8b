/**
 * Poseidon (circomlib parameters, BN254) for the zk side: the vault proof's hashes (vault.ts); the
 * attestation message is the oracle's (src/oracle/attestation.ts `attestationMessage`). poseidon-lite
 * is pure JS and synchronous, so it runs in workers and Node without initialisation; the engine's
 * circomlibjs Poseidon computes the same function.
 */
import { poseidon1, poseidon2, poseidon3, poseidon4, poseidon5, poseidon6, poseidon7 } from "poseidon-lite";

/** BN254 scalar field modulus (the circuits' field). */
export const SNARK_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

const BY_ARITY: Record<number, (x: bigint[]) => bigint> = {
  1: poseidon1,
  2: poseidon2,
  3: poseidon3,
  4: poseidon4,
  5: poseidon5,
  6: poseidon6,
  7: poseidon7,
};

/** Poseidon of 1–7 field elements. */
export function poseidonHash(inputs: readonly bigint[]): bigint {
  const f = BY_ARITY[inputs.length];
  if (!f) throw new RangeError(`poseidonHash takes 1 to 7 inputs, got ${inputs.length}`);
  for (const x of inputs) {
    if (x < 0n || x >= SNARK_FIELD) throw new RangeError(`value ${x} is outside the BN254 scalar field`);
  }
  return f([...inputs]);
}
