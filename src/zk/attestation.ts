/**
 * Price attestation proofs: a quorum of registered oracle keys signed Poseidon(price, timestamp, round)
 * with EdDSA-Poseidon on BabyJubjub (circuits/priceAttestation.circom, 3 key slots).
 */

import { ZkError } from "./circuits.ts";
import { attestationHash, poseidonHash } from "./hash.ts";
import type { Attestation, CircuitInput } from "./witness.ts";

/** Key slots in the priceAttestation circuit. */
export const ORACLE_SLOTS = 3;

/** BabyJubjub public key as affine coordinates [x, y]. */
export type OraclePublicKey = readonly [bigint, bigint];

/** An EdDSA-Poseidon signature: R8 point and scalar S (as @zk-kit/eddsa-poseidon returns it). */
export interface OracleSignature {
  R8: readonly [bigint, bigint];
  S: bigint;
}

/** The registered oracle set: keys in slot order and the quorum. */
export interface OracleSet {
  quorum: number;
  keys: readonly OraclePublicKey[];
}

function checkSet(set: OracleSet): void {
  if (set.keys.length !== ORACLE_SLOTS) {
    throw new ZkError("malformedInput", `expected ${ORACLE_SLOTS} oracle keys, got ${set.keys.length}.`);
  }
  if (!Number.isInteger(set.quorum) || set.quorum < 1 || set.quorum > ORACLE_SLOTS) {
    throw new ZkError("malformedInput", `quorum must be 1 to ${ORACLE_SLOTS}, got ${set.quorum}.`);
  }
}

/** oracleSetHash = Poseidon(quorum, Ax0, Ay0, Ax1, Ay1, Ax2, Ay2): what the state commits to. */
export function oracleSetHash(set: OracleSet): bigint {
  checkSet(set);
  return poseidonHash([BigInt(set.quorum), ...set.keys.flat()]);
}

/**
 * Circuit input for a priceAttestation proof. `signatures[i]` is key i's signature or null; at least
 * `quorum` must be present (the circuit checks each one).
 */
export function buildAttestationInput(
  attestation: Attestation,
  set: OracleSet,
  signatures: readonly (OracleSignature | null)[],
): { input: CircuitInput; publicSignals: string[] } {
  checkSet(set);
  if (signatures.length !== ORACLE_SLOTS) {
    throw new ZkError(
      "malformedInput",
      `expected ${ORACLE_SLOTS} signature slots, got ${signatures.length}.`,
    );
  }
  const publicSignals = [oracleSetHash(set).toString(), attestationHash(attestation).toString()];
  // An empty slot carries the identity point and S = 0; its verifier is disabled.
  const r8 = signatures.map((s) => s?.R8 ?? [0n, 1n]);
  return {
    publicSignals,
    input: {
      oracleSetHash: publicSignals[0]!,
      attestationHash: publicSignals[1]!,
      price: attestation.price.toString(),
      timestamp: attestation.timestamp.toString(),
      round: attestation.round.toString(),
      quorum: String(set.quorum),
      Ax: set.keys.map(([x]) => x.toString()),
      Ay: set.keys.map(([, y]) => y.toString()),
      signed: signatures.map((s) => (s ? "1" : "0")),
      R8x: r8.map(([x]) => x.toString()),
      R8y: r8.map(([, y]) => y.toString()),
      S: signatures.map((s) => (s ? s.S.toString() : "0")),
    },
  };
}
