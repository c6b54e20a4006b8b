/**
 * Poseidon (circomlib parameters, BN254) for the zk side: the vault proof's hashes (vault.ts); the
 * attestation message is the oracle's (src/oracle/attestation.ts `attestationMessage`). It is the
 * engine's one Poseidon (circomlibjs, src/protocol/poseidon.ts), so a process must `await
 * initPoseidon()` before its first hash; hashing earlier throws "Poseidon is not initialised"
 * (docs/decisions.md §7 "One Poseidon").
 */
import { FIELD_MODULUS, poseidon } from "../protocol/poseidon.ts";

/** BN254 scalar field modulus (the circuits' field). */
export const SNARK_FIELD = FIELD_MODULUS;

/** Poseidon of 1–7 field elements (the widths the circuits use). */
export function poseidonHash(inputs: readonly bigint[]): bigint {
  if (inputs.length < 1 || inputs.length > 7)
    throw new RangeError(`poseidonHash takes 1 to 7 inputs, got ${inputs.length}`);
  return poseidon(inputs);
}
