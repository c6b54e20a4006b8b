/**
 * The compact binary form of an attestation, carried inside a spell (docs/decisions.md §7). Little-endian:
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 1 | version = 1 |
 * | 1 | 12 | price, u96 (18-decimal USD per BTC; the circuit's 96-bit range) |
 * | 13 | 8 | timestamp, u64 seconds |
 * | 21 | 8 | round, u64 |
 * | 29 | 1 | L = signer bitmap length in bytes, 1–32 |
 * | 30 | L | signer bitmap: bit (i mod 8) of byte ⌊i/8⌋ set when signer i signed; last byte ≠ 0 |
 * | 30+L | 64 × k | per set bit, ascending: R8 packed (32, circomlib packPoint) ‖ S (32, u256 < l) |
 *
 * A 2-of-3 attestation is 159 bytes. Every field has one encoding, so equal attestations encode to
 * equal bytes. Decoding arbitrary bytes throws only AttestationDecodeError.
 */
import type { Attestation, OracleSignature } from "./attestation.ts";
import { statementProblem } from "./attestation.ts";
import {
  fromLittleEndian,
  packPoint,
  SUBGROUP_ORDER,
  toLittleEndian,
  unpackPoint,
} from "./eddsa-poseidon.ts";
import { AttestationDecodeError, OracleError } from "./errors.ts";

export const ATTESTATION_VERSION = 1;
const HEADER = 30;
const SIGNATURE_SIZE = 64;

/** Encoded size for `signers` signatures with the highest signer index `maxSigner`. */
export function attestationSize(signers: number, maxSigner: number): number {
  return HEADER + (Math.floor(maxSigner / 8) + 1) + SIGNATURE_SIZE * signers;
}

export function encodeAttestation(attestation: Attestation): Uint8Array {
  const problem = statementProblem(attestation);
  if (problem) throw new OracleError("invalidAttestation", `cannot encode: ${problem}`);
  const signatures = attestation.signatures;
  if (signatures.length === 0) throw new OracleError("invalidAttestation", "cannot encode: no signatures");
  let previous = -1;
  for (const { signer } of signatures) {
    if (!Number.isInteger(signer) || signer < 0 || signer > 255) {
      throw new OracleError("invalidAttestation", `cannot encode: signer index ${signer} is not in [0, 255]`);
    }
    if (signer <= previous) {
      throw new OracleError(
        "invalidAttestation",
        "cannot encode: signatures must be in ascending signer order, one per signer",
      );
    }
    previous = signer;
  }
  const bitmapLength = Math.floor(previous / 8) + 1;
  const out = new Uint8Array(HEADER + bitmapLength + SIGNATURE_SIZE * signatures.length);
  out[0] = ATTESTATION_VERSION;
  out.set(toLittleEndian(attestation.price, 12), 1);
  out.set(toLittleEndian(BigInt(attestation.timestamp), 8), 13);
  out.set(toLittleEndian(attestation.round, 8), 21);
  out[29] = bitmapLength;
  let offset = HEADER + bitmapLength;
  for (const signature of signatures) {
    const byte = HEADER + (signature.signer >> 3);
    out[byte] = (out[byte] as number) | (1 << (signature.signer & 7));
    if (signature.S < 0n || signature.S >= SUBGROUP_ORDER) {
      throw new OracleError(
        "invalidAttestation",
        `cannot encode: S of signer ${signature.signer} is not below l`,
      );
    }
    try {
      out.set(packPoint(signature.R8), offset);
    } catch {
      throw new OracleError(
        "invalidAttestation",
        `cannot encode: R8 of signer ${signature.signer} is not a curve point`,
      );
    }
    out.set(toLittleEndian(signature.S, 32), offset + 32);
    offset += SIGNATURE_SIZE;
  }
  return out;
}

export function decodeAttestation(bytes: Uint8Array): Attestation {
  if (!(bytes instanceof Uint8Array))
    throw new AttestationDecodeError("truncated", 0, "expected bytes (Uint8Array)");
  const need = (offset: number, size: number, what: string) => {
    if (bytes.length < offset + size) {
      throw new AttestationDecodeError(
        "truncated",
        bytes.length,
        `expected ${what} (${size} bytes at ${offset}), got ${bytes.length} bytes in all`,
      );
    }
  };
  need(0, HEADER, "the header");
  if (bytes[0] !== ATTESTATION_VERSION) {
    throw new AttestationDecodeError(
      "unsupportedVersion",
      0,
      `version ${bytes[0]} is not supported (expected ${ATTESTATION_VERSION})`,
    );
  }
  const price = fromLittleEndian(bytes.subarray(1, 13));
  const timestamp = fromLittleEndian(bytes.subarray(13, 21));
  const round = fromLittleEndian(bytes.subarray(21, 29));
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new AttestationDecodeError("valueOutOfRange", 13, "timestamp is beyond 2^53 seconds");
  }
  const bitmapLength = bytes[29] as number;
  if (bitmapLength === 0)
    throw new AttestationDecodeError("emptySignerSet", 29, "the signer bitmap is empty");
  if (bitmapLength > 32)
    throw new AttestationDecodeError(
      "nonCanonicalBitmap",
      29,
      `bitmap length ${bitmapLength} exceeds 32 bytes`,
    );
  need(HEADER, bitmapLength, "the signer bitmap");
  if (bytes[HEADER + bitmapLength - 1] === 0) {
    throw new AttestationDecodeError(
      "nonCanonicalBitmap",
      HEADER + bitmapLength - 1,
      "the bitmap's last byte is zero",
    );
  }
  const signers: number[] = [];
  for (let i = 0; i < bitmapLength * 8; i++) {
    if (((bytes[HEADER + (i >> 3)] as number) >> (i & 7)) & 1) signers.push(i);
  }
  let offset = HEADER + bitmapLength;
  const signatures: OracleSignature[] = [];
  for (const signer of signers) {
    need(offset, SIGNATURE_SIZE, `the signature of signer ${signer}`);
    const R8 = unpackPoint(bytes.subarray(offset, offset + 32));
    if (!R8)
      throw new AttestationDecodeError(
        "invalidPoint",
        offset,
        `R8 of signer ${signer} is not a packed curve point`,
      );
    const S = fromLittleEndian(bytes.subarray(offset + 32, offset + 64));
    if (S >= SUBGROUP_ORDER)
      throw new AttestationDecodeError(
        "nonCanonicalScalar",
        offset + 32,
        `S of signer ${signer} is not below l`,
      );
    signatures.push({ signer, R8, S });
    offset += SIGNATURE_SIZE;
  }
  if (offset !== bytes.length) {
    throw new AttestationDecodeError(
      "trailingBytes",
      offset,
      `${bytes.length - offset} bytes after the last signature`,
    );
  }
  return { price, timestamp: Number(timestamp), round, signatures };
}
