/**
 * Batch Groth16 verification on BN254 with random linear combinations, in WebAssembly (mcl-wasm,
 * docs/zk.md "Verifying for sync"). For n proofs of one key, with coefficients r_i drawn from the
 * caller's CSPRNG (nonzero, below 2^128), it checks the one equation
 *
 *   Π e(r_i·A_i, B_i) · e(−(Σ r_i)·α, β) · e(−Σ r_i·L_i, γ) · e(−Σ r_i·C_i, δ) = 1,
 *   L_i = IC_0 + Σ_j x_ij·IC_j (so Σ r_i·L_i is one MSM over IC with scalars Σ_i r_i·x_ij),
 *
 * with n + 3 Miller loops and a single final exponentiation (keys mix freely: 3 more per key). The
 * pairing values live in the order-R group after the final exponentiation, so if any proof is
 * invalid the product is 1 with probability at most 2^-128 over the r_i; with n = 1 the check is
 * exact (r_1 is invertible mod R). A batch that fails is halved (fresh coefficients) until each
 * invalid proof stands alone, so the caller learns exactly which proofs are bad.
 *
 * Decoding is the 128-byte form's rules exactly (src/zk/proof.ts): x below the field modulus, on
 * the curve, B in the prime-order G2 subgroup, strict infinity encoding; a malformed proof or public
 * signal is invalid before any pairing. The randomness comes from outside (`RandomSource`), never
 * from here, so a caller decides where it is seeded.
 */
import * as mcl from "mcl-wasm";
import { ZkError } from "./circuits.ts";
import { SNARK_FIELD } from "./hash.ts";
import {
  COMPRESSED_PROOF_BYTES,
  compressProof,
  decompressProof,
  type Groth16Proof,
  proofFromJson,
  type SnarkjsProof,
} from "./proof.ts";
import type { VerificationKey } from "./verifier.ts";

/** BN254's scalar field order R and base field modulus P. */
const R = SNARK_FIELD;
const P = 21888242871839275222246405745257275088696311157297823662689037894645226208583n;
const HALF_P = (P - 1n) / 2n;
const FLAG_LARGEST = 0x80;
const FLAG_INFINITY = 0x40;

/** n bytes from a cryptographically secure generator (the caller's: `cryptoRandom` in a browser or Node). */
export type RandomSource = (bytes: number) => Uint8Array;

/** Web Crypto's CSPRNG (browser, worker and Node ≥ 20). */
export const cryptoRandom: RandomSource = (n) => crypto.getRandomValues(new Uint8Array(n));

/** One proof to check: its key, its public signals, the proof (128 bytes, snarkjs JSON or points). */
export interface ProofCheck {
  vk: VerificationKey;
  publicSignals: readonly (string | bigint)[];
  proof: Uint8Array | SnarkjsProof | Groth16Proof;
}

interface PreparedKey {
  alpha: mcl.G1;
  ic: mcl.G1[];
  beta: mcl.PrecomputedG2;
  gamma: mcl.PrecomputedG2;
  delta: mcl.PrecomputedG2;
  nPublic: number;
}

interface Decoded {
  key: PreparedKey;
  signals: bigint[];
  a: mcl.G1;
  b: mcl.G2;
  c: mcl.G1;
}

let ready: Promise<void> | undefined;

/** Loads the WebAssembly module once (about 0.6 MB, compiled in ~20 ms). */
export function loadBatchVerifier(): Promise<BatchVerifier> {
  ready ??= mcl.init(mcl.BN_SNARK1).then(() => {
    // Every deserialized G2 point is checked to lie in the order-R subgroup (mcl's fast test).
    mcl.verifyOrderG2(true);
  });
  ready.catch(() => {
    ready = undefined;
  });
  return ready.then(() => new BatchVerifier());
}

const toLe32 = (x: bigint): Uint8Array => {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
};

const fromBe = (bytes: Uint8Array): bigint => {
  let x = 0n;
  for (const b of bytes) x = (x << 8n) | BigInt(b);
  return x;
};

const fpValue = (f: mcl.Fp): bigint => BigInt(`0x${f.getStr(16)}`);

const fr = (x: bigint): mcl.Fr => {
  const out = new mcl.Fr();
  out.setStr(x.toString(16), 16);
  return out;
};

/** The flags and x of one compressed coordinate (null: a bad infinity encoding). */
function readPoint(bytes: Uint8Array): { infinity: boolean; largest: boolean; x: bigint } | null {
  const flags = bytes[0]! & 0xc0;
  const body = bytes.slice();
  body[0]! &= 0x3f;
  const infinity = (flags & FLAG_INFINITY) !== 0;
  if (infinity && ((flags & FLAG_LARGEST) !== 0 || body.some((b) => b !== 0))) return null;
  return { infinity, largest: (flags & FLAG_LARGEST) !== 0, x: fromBe(body) };
}

function decodeG1(bytes: Uint8Array): mcl.G1 | null {
  const p = readPoint(bytes);
  if (!p) return null;
  const point = new mcl.G1();
  if (p.infinity) return point; // a new point is the identity
  if (p.x >= P) return null;
  // y² = x³ + 3 has no root at x = 0 (3 is not a square mod P), so mcl's all-zero identity
  // encoding never collides with a real x here.
  if (p.x === 0n) return null;
  try {
    point.deserialize(toLe32(p.x)); // mcl: x little-endian, top bit 0 = the even root
  } catch {
    return null; // not on the curve
  }
  return fpValue(point.getY()) > HALF_P === p.largest ? point : mcl.neg(point);
}

/** B from bytes 32..96 of the proof (`whole`: the 128 bytes, for the x = 0 corner). */
function decodeG2(whole: Uint8Array): mcl.G2 | null {
  const bytes = whole.subarray(32, 96);
  const p = readPoint(bytes.subarray(0, 32));
  if (!p) return null;
  const c1 = p.x;
  const c0 = fromBe(bytes.subarray(32, 64));
  const point = new mcl.G2();
  if (p.infinity) return c0 === 0n ? point : null;
  if (c0 >= P || c1 >= P) return null;
  if (c0 === 0n && c1 === 0n) {
    // x = 0 would read as mcl's identity encoding: take the reference decoder's point.
    try {
      const ref = decompressProof(whole).b.toAffine();
      point.setStr(`1 ${ref.x.c0} ${ref.x.c1} ${ref.y.c0} ${ref.y.c1}`, 10);
      return point;
    } catch {
      return null;
    }
  }
  const ser = new Uint8Array(64);
  ser.set(toLe32(c0), 0);
  ser.set(toLe32(c1), 32);
  try {
    point.deserialize(ser); // on the twist and in the order-R subgroup (verifyOrderG2), else throws
  } catch {
    return null;
  }
  const y = point.getY();
  const y1 = fpValue(y.get_b());
  const largest = y1 !== 0n ? y1 > HALF_P : fpValue(y.get_a()) > HALF_P;
  return largest === p.largest ? point : mcl.neg(point);
}

/** The 128-byte form of any accepted proof input (null: malformed). */
function proofBytes(proof: ProofCheck["proof"]): Uint8Array | null {
  if (proof instanceof Uint8Array) return proof.length === COMPRESSED_PROOF_BYTES ? proof : null;
  try {
    return compressProof("pi_a" in proof ? proofFromJson(proof) : proof);
  } catch (error) {
    if (error instanceof ZkError) return null;
    throw error;
  }
}

/** The 128-byte form decoded to mcl points, or null where src/zk/proof.ts would refuse it. */
export function decodeProofBytes(bytes: Uint8Array): { a: mcl.G1; b: mcl.G2; c: mcl.G1 } | null {
  if (!ready) throw new Error("loadBatchVerifier() first");
  if (bytes.length !== COMPRESSED_PROOF_BYTES) return null;
  const a = decodeG1(bytes.subarray(0, 32));
  const c = a && decodeG1(bytes.subarray(96, 128));
  const b = c && decodeG2(bytes);
  return a && b && c ? { a, b, c } : null;
}

function parseSignals(vk: VerificationKey, publicSignals: readonly (string | bigint)[]): bigint[] | null {
  if (publicSignals.length !== vk.nPublic) return null;
  const out: bigint[] = [];
  for (const s of publicSignals) {
    let v: bigint;
    try {
      v = typeof s === "bigint" ? s : BigInt(s);
    } catch {
      return null;
    }
    if (v < 0n || v >= R) return null;
    out.push(v);
  }
  return out;
}

/** A nonzero coefficient below 2^128 from the caller's CSPRNG (redrawn on zero). */
function coefficient(random: RandomSource): bigint {
  for (;;) {
    const bytes = random(16);
    if (bytes.length !== 16) throw new Error("the random source must return the bytes asked for");
    const r = fromBe(bytes);
    if (r !== 0n) return r;
  }
}

export class BatchVerifier {
  private readonly keys = new WeakMap<VerificationKey, PreparedKey>();

  private prepare(vk: VerificationKey): PreparedKey {
    let k = this.keys.get(vk);
    if (!k) {
      if (vk.protocol !== "groth16" || vk.curve !== "bn128" || vk.IC.length !== vk.nPublic + 1) {
        throw new ZkError("malformedInput", "not a Groth16 BN254 verification key.");
      }
      const g1 = (p: string[]) => {
        const q = new mcl.G1();
        q.setStr(`1 ${p[0]} ${p[1]}`, 10);
        return q;
      };
      const g2 = (p: string[][]) => {
        const q = new mcl.G2();
        q.setStr(`1 ${p[0]![0]} ${p[0]![1]} ${p[1]![0]} ${p[1]![1]}`, 10);
        return new mcl.PrecomputedG2(q);
      };
      k = {
        alpha: g1(vk.vk_alpha_1),
        ic: vk.IC.map(g1),
        beta: g2(vk.vk_beta_2),
        gamma: g2(vk.vk_gamma_2),
        delta: g2(vk.vk_delta_2),
        nPublic: vk.nPublic,
      };
      this.keys.set(vk, k);
    }
    return k;
  }

  private decode(check: ProofCheck): Decoded | null {
    const key = this.prepare(check.vk);
    const signals = parseSignals(check.vk, check.publicSignals);
    const bytes = signals && proofBytes(check.proof);
    const points = bytes && decodeProofBytes(bytes);
    return points && signals ? { key, signals, ...points } : null;
  }

  /** One random-linear-combination check over decoded proofs (true: all valid, w.h.p.). */
  private combined(items: readonly Decoded[], random: RandomSource): boolean {
    if (items.length === 0) return true;
    const perKey = new Map<PreparedKey, { sum: bigint; scalars: bigint[]; cs: mcl.G1[]; rs: mcl.Fr[] }>();
    let f: mcl.GT | undefined;
    const times = (g: mcl.GT) => {
      f = f ? mcl.mul(f, g) : g;
    };
    for (const item of items) {
      const r = coefficient(random);
      const rFr = fr(r);
      let group = perKey.get(item.key);
      if (!group) {
        group = { sum: 0n, scalars: new Array<bigint>(item.key.nPublic).fill(0n), cs: [], rs: [] };
        perKey.set(item.key, group);
      }
      group.sum = (group.sum + r) % R;
      item.signals.forEach((x, j) => {
        group.scalars[j] = (group.scalars[j]! + r * x) % R;
      });
      group.cs.push(item.c);
      group.rs.push(rFr);
      times(mcl.millerLoop(mcl.mul(item.a, rFr), item.b));
    }
    for (const [key, g] of perKey) {
      const negSum = (R - g.sum) % R;
      const icScalars = [negSum, ...g.scalars.map((s) => (R - s) % R)].map(fr);
      const l = mcl.mulVec(key.ic, icScalars); // −Σ r_i·L_i
      const c = mcl.neg(mcl.mulVec(g.cs, g.rs)); // −Σ r_i·C_i
      times(mcl.precomputedMillerLoop(mcl.mul(key.alpha, fr(negSum)), key.beta));
      times(mcl.precomputedMillerLoop2(l, key.gamma, c, key.delta));
    }
    return mcl.finalExp(f!).isOne();
  }

  /** Halves a failing batch until each invalid proof stands alone; pushes their positions. */
  private bisect(items: readonly Decoded[], at: readonly number[], random: RandomSource, bad: number[]) {
    if (this.combined(items, random)) return;
    if (items.length === 1) {
      bad.push(at[0]!);
      return;
    }
    const mid = items.length >> 1;
    this.bisect(items.slice(0, mid), at.slice(0, mid), random, bad);
    this.bisect(items.slice(mid), at.slice(mid), random, bad);
  }

  /**
   * The positions of the invalid proofs in `checks`, ascending (empty: all valid). Malformed proofs
   * and signals are found without a pairing; the rest are checked in one batch, halved on failure.
   * A malformed verification key throws ZkError("malformedInput") (keys are the verifier's own).
   */
  invalid(checks: readonly ProofCheck[], random: RandomSource): number[] {
    const bad: number[] = [];
    const items: Decoded[] = [];
    const at: number[] = [];
    checks.forEach((check, i) => {
      const d = this.decode(check);
      if (d) {
        items.push(d);
        at.push(i);
      } else bad.push(i);
    });
    this.bisect(items, at, random, bad);
    return bad.sort((x, y) => x - y);
  }

  /** True iff every proof is valid (one batch, no search). */
  allValid(checks: readonly ProofCheck[], random: RandomSource): boolean {
    const items: Decoded[] = [];
    for (const check of checks) {
      const d = this.decode(check);
      if (!d) return false;
      items.push(d);
    }
    return this.combined(items, random);
  }

  /** One proof, exactly (a batch of one; same answer as src/zk/verifier.ts verifyProof). */
  verify(
    vk: VerificationKey,
    publicSignals: readonly (string | bigint)[],
    proof: ProofCheck["proof"],
    random: RandomSource = cryptoRandom,
  ): boolean {
    return this.allValid([{ vk, publicSignals, proof }], random);
  }
}
