/**
 * Groth16 proofs on BN254: the snarkjs JSON form (export, `zkusd prove`) and the compressed 128-byte
 * form carried in spells: A (G1, 32 bytes) ‖ B (G2, 64 bytes) ‖ C (G1, 32 bytes).
 *
 * Encoding of a point: big-endian x (for G2: x.c1 then x.c0, the EIP-197 order), with two flag bits
 * in the first byte, free because p < 2^254: 0x80 = y is the larger of its two roots (for Fp2 compare
 * c1, then c0 when c1 = 0), 0x40 = point at infinity (rest zero). Decoding checks x < p, that x is on
 * the curve, and (G2) that the point is in the prime-order subgroup.
 */
import { bn254 } from "@noble/curves/bn254.js";
import { ZkError } from "./circuits.ts";

const { Fp, Fp2 } = bn254.fields;
const P = Fp.ORDER;
const HALF_P = (P - 1n) / 2n;
const G1 = bn254.G1.Point;
const G2 = bn254.G2.Point;
type G1Point = InstanceType<typeof G1>;
type G2Point = InstanceType<typeof G2>;
type Fp2Value = { c0: bigint; c1: bigint };

/** snarkjs's proof JSON. */
export interface SnarkjsProof {
  pi_a: string[];
  pi_b: string[][];
  pi_c: string[];
  protocol: "groth16";
  curve: "bn128";
}

/** A proof as curve points. */
export interface Groth16Proof {
  a: G1Point;
  b: G2Point;
  c: G1Point;
}

export const COMPRESSED_PROOF_BYTES = 128;
const FLAG_LARGEST = 0x80;
const FLAG_INFINITY = 0x40;
const G1_B = 3n;
const G2_B: Fp2Value = bn254.G2.Point.CURVE().b as Fp2Value;

function toBytes32(x: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

function fromBytes32(bytes: Uint8Array): bigint {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  return x;
}

const fp2Largest = (y: Fp2Value) => (y.c1 !== 0n ? y.c1 > HALF_P : y.c0 > HALF_P);

function malformed(detail: string): never {
  throw new ZkError("malformedProof", detail);
}

function parseCoordinate(text: unknown, what: string): bigint {
  if (typeof text !== "string" || !/^[0-9]{1,78}$/.test(text))
    malformed(`${what}: expected a decimal string.`);
  const x = BigInt(text);
  if (x >= P) malformed(`${what}: coordinate is not below the field modulus.`);
  return x;
}

function g1FromJson(p: unknown, what: string): G1Point {
  if (!Array.isArray(p) || p.length !== 3) malformed(`${what}: expected [x, y, "1"].`);
  if (p[2] !== "1") malformed(`${what}: expected an affine point (z = "1").`);
  try {
    const point = G1.fromAffine({ x: parseCoordinate(p[0], what), y: parseCoordinate(p[1], what) });
    point.assertValidity();
    return point;
  } catch (error) {
    if (error instanceof ZkError) throw error;
    malformed(`${what}: not a point on G1.`);
  }
}

function g2FromJson(p: unknown, what: string): G2Point {
  if (!Array.isArray(p) || p.length !== 3 || !p.every((c) => Array.isArray(c) && c.length === 2)) {
    malformed(`${what}: expected [[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]].`);
  }
  const [x, y, z] = p as string[][];
  if (z![0] !== "1" || z![1] !== "0") malformed(`${what}: expected an affine point (z = ["1", "0"]).`);
  try {
    const point = G2.fromAffine({
      x: Fp2.create({ c0: parseCoordinate(x![0], what), c1: parseCoordinate(x![1], what) }),
      y: Fp2.create({ c0: parseCoordinate(y![0], what), c1: parseCoordinate(y![1], what) }),
    });
    point.assertValidity();
    return point;
  } catch (error) {
    if (error instanceof ZkError) throw error;
    malformed(`${what}: not a point on G2.`);
  }
}

/** Parses and validates snarkjs proof JSON (points on the curve, in the subgroup). */
export function proofFromJson(json: unknown): Groth16Proof {
  if (typeof json !== "object" || json === null) malformed("expected a proof object.");
  const p = json as Record<string, unknown>;
  if (p.protocol !== undefined && p.protocol !== "groth16")
    malformed(`protocol ${String(p.protocol)} is not groth16.`);
  if (p.curve !== undefined && p.curve !== "bn128") malformed(`curve ${String(p.curve)} is not bn128.`);
  return { a: g1FromJson(p.pi_a, "pi_a"), b: g2FromJson(p.pi_b, "pi_b"), c: g1FromJson(p.pi_c, "pi_c") };
}

const g1Json = (p: G1Point): string[] => {
  const { x, y } = p.toAffine();
  return [x.toString(), y.toString(), "1"];
};
const g2Json = (p: G2Point): string[][] => {
  const { x, y } = p.toAffine() as { x: Fp2Value; y: Fp2Value };
  return [
    [x.c0.toString(), x.c1.toString()],
    [y.c0.toString(), y.c1.toString()],
    ["1", "0"],
  ];
};

/** snarkjs proof JSON of a proof. */
export function proofToJson(proof: Groth16Proof): SnarkjsProof {
  return {
    pi_a: g1Json(proof.a),
    pi_b: g2Json(proof.b),
    pi_c: g1Json(proof.c),
    protocol: "groth16",
    curve: "bn128",
  };
}

function compressG1(p: G1Point): Uint8Array {
  if (p.equals(G1.ZERO)) {
    const out = new Uint8Array(32);
    out[0] = FLAG_INFINITY;
    return out;
  }
  const { x, y } = p.toAffine();
  const out = toBytes32(x);
  if (y > HALF_P) out[0]! |= FLAG_LARGEST;
  return out;
}

function compressG2(p: G2Point): Uint8Array {
  const out = new Uint8Array(64);
  if (p.equals(G2.ZERO)) {
    out[0] = FLAG_INFINITY;
    return out;
  }
  const { x, y } = p.toAffine() as { x: Fp2Value; y: Fp2Value };
  out.set(toBytes32(x.c1), 0);
  out.set(toBytes32(x.c0), 32);
  if (fp2Largest(y)) out[0]! |= FLAG_LARGEST;
  return out;
}

function readFlags(bytes: Uint8Array, what: string) {
  const flags = bytes[0]! & 0xc0;
  const body = bytes.slice();
  body[0]! &= 0x3f;
  const infinity = (flags & FLAG_INFINITY) !== 0;
  if (infinity && (flags & FLAG_LARGEST || body.some((b) => b !== 0)))
    malformed(`${what}: bad infinity encoding.`);
  return { infinity, largest: (flags & FLAG_LARGEST) !== 0, body };
}

function decompressG1(bytes: Uint8Array, what: string): G1Point {
  const { infinity, largest, body } = readFlags(bytes, what);
  if (infinity) return G1.ZERO;
  const x = fromBytes32(body);
  if (x >= P) malformed(`${what}: x is not below the field modulus.`);
  let y: bigint;
  try {
    y = Fp.sqrt(Fp.add(Fp.mul(Fp.sqr(x), x), G1_B));
  } catch {
    malformed(`${what}: x is not on the curve.`);
  }
  if (y > HALF_P !== largest) y = Fp.neg(y);
  const point = G1.fromAffine({ x, y });
  point.assertValidity();
  return point;
}

function decompressG2(bytes: Uint8Array, what: string): G2Point {
  const { infinity, largest, body } = readFlags(bytes, what);
  if (infinity) return G2.ZERO;
  const c1 = fromBytes32(body.subarray(0, 32));
  const c0 = fromBytes32(body.subarray(32, 64));
  if (c0 >= P || c1 >= P) malformed(`${what}: x is not below the field modulus.`);
  const x = Fp2.create({ c0, c1 });
  let y: Fp2Value;
  try {
    y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), G2_B)) as Fp2Value;
  } catch {
    malformed(`${what}: x is not on the twist.`);
  }
  if (fp2Largest(y) !== largest) y = Fp2.neg(y) as Fp2Value;
  const point = G2.fromAffine({ x, y });
  try {
    point.assertValidity(); // includes the subgroup check
  } catch {
    malformed(`${what}: point is not in the G2 subgroup.`);
  }
  return point;
}

/** 128 bytes: compressed A ‖ B ‖ C. */
export function compressProof(proof: Groth16Proof): Uint8Array {
  const out = new Uint8Array(COMPRESSED_PROOF_BYTES);
  out.set(compressG1(proof.a), 0);
  out.set(compressG2(proof.b), 32);
  out.set(compressG1(proof.c), 96);
  return out;
}

/** Inverse of compressProof; throws ZkError("malformedProof") on anything that is not a valid proof encoding. */
export function decompressProof(bytes: Uint8Array): Groth16Proof {
  if (!(bytes instanceof Uint8Array) || bytes.length !== COMPRESSED_PROOF_BYTES) {
    malformed(`expected ${COMPRESSED_PROOF_BYTES} bytes, got ${bytes?.length}.`);
  }
  return {
    a: decompressG1(bytes.subarray(0, 32), "A"),
    b: decompressG2(bytes.subarray(32, 96), "B"),
    c: decompressG1(bytes.subarray(96, 128), "C"),
  };
}
