/**
 * Price attestations (docs/decisions.md §2 "Prices"). Guardians sign the statement (price, timestamp, round):
 * message M = Poseidon(price, timestamp, round) (circomlib Poseidon(3) over BN254) with price the
 * 18-decimal USD per BTC integer, timestamp in seconds and round an integer; each signature is
 * EdDSA-Poseidon on BabyJubjub over M, the scheme the price circuit verifies. An attestation is valid
 * for a key set when at least `threshold` distinct registered keys signed that exact statement and
 * every signature it carries verifies.
 */
import { hex } from "@scure/base";
import { formatDecimal } from "../protocol/decimal.ts";
import { poseidon } from "../protocol/poseidon.ts";
import {
  type BabyJubPoint,
  derivePublicKey,
  type EdDSASignature,
  isOnCurve,
  packPoint,
  signPoseidon,
  verifyPoseidon,
} from "./eddsa-poseidon.ts";
import { OracleError } from "./errors.ts";

export interface PriceStatement {
  /** USD per BTC, 18 decimals, 0 < price < 2^96 (the price circuit's range check). */
  readonly price: bigint;
  /** Seconds since the epoch (integer, < 2^53). */
  readonly timestamp: number;
  /** The guardians' round counter, 0 ≤ round < 2^64. */
  readonly round: bigint;
}

export interface OracleSignature extends EdDSASignature {
  /** Index of the signing key in the registered key list. */
  readonly signer: number;
}

export interface Attestation extends PriceStatement {
  /** Ordered by signer index, at most one per signer. */
  readonly signatures: readonly OracleSignature[];
}

/** The registered oracle keys (index = signer number) and how many must sign. */
export interface OracleKeySet {
  readonly keys: readonly BabyJubPoint[];
  readonly threshold: number;
}

export type QuorumResult =
  | { readonly valid: true; readonly signers: readonly number[] }
  | { readonly valid: false; readonly reason: string };

const U64 = 1n << 64n;
/** The vault circuit range-checks the price to 96 bits (≈ 7.9e10 USD per BTC). */
export const MAX_ATTESTED_PRICE = (1n << 96n) - 1n;

/** Why a statement is out of range, or null when it is fine. */
export function statementProblem(statement: PriceStatement): string | null {
  const { price, timestamp, round } = statement;
  if (typeof price !== "bigint" || price <= 0n || price > MAX_ATTESTED_PRICE)
    return "price must be an integer in (0, 2^96)";
  if (!Number.isSafeInteger(timestamp) || timestamp < 0)
    return "timestamp must be a non-negative integer number of seconds";
  if (typeof round !== "bigint" || round < 0n || round >= U64) return "round must be an integer in [0, 2^64)";
  return null;
}

/** M = Poseidon(price, timestamp, round). Requires `await initPoseidon()` (docs/decisions.md §7). */
export function attestationMessage(statement: PriceStatement): bigint {
  const problem = statementProblem(statement);
  if (problem) throw new OracleError("invalidAttestation", `statement: ${problem}`);
  return poseidon([statement.price, BigInt(statement.timestamp), statement.round]);
}

export function publicKeyFromPrivate(privateKey: Uint8Array): BabyJubPoint {
  try {
    return derivePublicKey(privateKey);
  } catch (error) {
    throw new OracleError("invalidKey", `oracle key: ${(error as Error).message}`);
  }
}

/** One guardian's signature over a statement. */
export function signStatement(
  statement: PriceStatement,
  privateKey: Uint8Array,
  signer: number,
): OracleSignature {
  if (!Number.isInteger(signer) || signer < 0 || signer > 255) {
    throw new OracleError("invalidAttestation", `signer index must be an integer in [0, 255], got ${signer}`);
  }
  const message = attestationMessage(statement);
  try {
    return { signer, ...signPoseidon(privateKey, message) };
  } catch (error) {
    throw new OracleError("invalidKey", `oracle key: ${(error as Error).message}`);
  }
}

/** Puts signatures over one statement together, ordered by signer. */
export function combineSignatures(
  statement: PriceStatement,
  signatures: readonly OracleSignature[],
): Attestation {
  const sorted = [...signatures].sort((a, b) => a.signer - b.signer);
  return {
    price: statement.price,
    timestamp: statement.timestamp,
    round: statement.round,
    signatures: sorted,
  };
}

/** Checks an attestation against the registered keys; says why when it is not valid. */
export function verifyAttestation(attestation: Attestation, keySet: OracleKeySet): QuorumResult {
  const setProblem = keySetProblem(keySet);
  if (setProblem) return { valid: false, reason: setProblem };
  const problem = statementProblem(attestation);
  if (problem) return { valid: false, reason: problem };
  if (attestation.signatures.length === 0)
    return { valid: false, reason: "the attestation carries no signature" };
  const message = attestationMessage(attestation);
  const seenSigners = new Set<number>();
  const distinctKeys = new Set<string>();
  for (const signature of attestation.signatures) {
    const index = signature.signer;
    if (!Number.isInteger(index) || index < 0 || index >= keySet.keys.length) {
      return {
        valid: false,
        reason: `signer ${index} is not a registered oracle key (${keySet.keys.length} registered)`,
      };
    }
    if (seenSigners.has(index)) return { valid: false, reason: `signer ${index} appears more than once` };
    seenSigners.add(index);
    const key = keySet.keys[index] as BabyJubPoint;
    if (!verifyPoseidon(message, signature, key)) {
      return {
        valid: false,
        reason:
          `signature of signer ${index} does not verify for price ${formatDecimal(attestation.price)}, ` +
          `timestamp ${attestation.timestamp}, round ${attestation.round}`,
      };
    }
    distinctKeys.add(keyId(key));
  }
  if (distinctKeys.size < keySet.threshold) {
    return {
      valid: false,
      reason: `${distinctKeys.size} distinct oracle key${distinctKeys.size === 1 ? "" : "s"} signed; ${keySet.threshold} required`,
    };
  }
  return { valid: true, signers: [...seenSigners].sort((a, b) => a - b) };
}

/** verifyAttestation that throws OracleError "invalidAttestation" with the reason. */
export function assertAttestation(attestation: Attestation, keySet: OracleKeySet): void {
  const result = verifyAttestation(attestation, keySet);
  if (!result.valid) throw new OracleError("invalidAttestation", `price attestation: ${result.reason}`);
}

function keySetProblem(keySet: OracleKeySet): string | null {
  const n = keySet.keys.length;
  if (n === 0 || n > 256) return `the key set must hold 1 to 256 keys, it holds ${n}`;
  if (!Number.isInteger(keySet.threshold) || keySet.threshold < 1 || keySet.threshold > n) {
    return `threshold must be an integer in [1, ${n}], got ${keySet.threshold}`;
  }
  const bad = keySet.keys.findIndex((key) => !isOnCurve(key));
  if (bad >= 0) return `registered key ${bad} is not a BabyJubjub point`;
  return null;
}

const keyId = (key: BabyJubPoint): string => hex.encode(packPoint(key));
