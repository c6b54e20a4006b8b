/**
 * Groth16 verifier on BN254 with @noble/curves (pure, synchronous, no workers): used wherever a proof
 * enters (indexer, guardian, light client, `zkusd verify`). Accepts a proof as points, snarkjs JSON or
 * the 128-byte compressed form. Checks e(-A, B)·e(α, β)·e(vk_x, γ)·e(C, δ) = 1.
 */
import { bn254 } from "@noble/curves/bn254.js";
import { ZkError } from "./circuits.ts";
import { decompressProof, type Groth16Proof, proofFromJson, type SnarkjsProof } from "./proof.ts";

const { Fp2, Fp12, Fr } = bn254.fields;
const G1 = bn254.G1.Point;
const G2 = bn254.G2.Point;
type G1Point = InstanceType<typeof G1>;
type G2Point = InstanceType<typeof G2>;

/** snarkjs's verification_key.json (Groth16). */
export interface VerificationKey {
  protocol: "groth16";
  curve: "bn128";
  nPublic: number;
  vk_alpha_1: string[];
  vk_beta_2: string[][];
  vk_gamma_2: string[][];
  vk_delta_2: string[][];
  IC: string[][];
}

interface PreparedKey {
  alpha: G1Point;
  beta: G2Point;
  gamma: G2Point;
  delta: G2Point;
  ic: G1Point[];
}

const prepared = new WeakMap<VerificationKey, PreparedKey>();

const g1 = (p: string[]) => G1.fromAffine({ x: BigInt(p[0]!), y: BigInt(p[1]!) });
const g2 = (p: string[][]) =>
  G2.fromAffine({
    x: Fp2.fromBigTuple([BigInt(p[0]![0]!), BigInt(p[0]![1]!)]),
    y: Fp2.fromBigTuple([BigInt(p[1]![0]!), BigInt(p[1]![1]!)]),
  });

function prepare(vk: VerificationKey): PreparedKey {
  let k = prepared.get(vk);
  if (!k) {
    if (vk.protocol !== "groth16" || vk.curve !== "bn128" || vk.IC.length !== vk.nPublic + 1) {
      throw new ZkError("malformedInput", "not a Groth16 BN254 verification key.");
    }
    k = {
      alpha: g1(vk.vk_alpha_1),
      beta: g2(vk.vk_beta_2),
      gamma: g2(vk.vk_gamma_2),
      delta: g2(vk.vk_delta_2),
      ic: vk.IC.map(g1),
    };
    prepared.set(vk, k);
  }
  return k;
}

function toPoints(proof: Groth16Proof | SnarkjsProof | Uint8Array): Groth16Proof | null {
  try {
    if (proof instanceof Uint8Array) return decompressProof(proof);
    if ("pi_a" in proof) return proofFromJson(proof);
    return proof;
  } catch (error) {
    if (error instanceof ZkError) return null;
    throw error;
  }
}

/**
 * True iff `proof` is a valid Groth16 proof for `publicSignals` under `vk`. A malformed proof, a
 * public signal outside the scalar field or a wrong count is simply invalid (false), never a throw.
 */
export function verifyProof(
  vk: VerificationKey,
  publicSignals: readonly (string | bigint)[],
  proof: Groth16Proof | SnarkjsProof | Uint8Array,
): boolean {
  const key = prepare(vk);
  if (publicSignals.length !== vk.nPublic) return false;
  let signals: bigint[];
  try {
    signals = publicSignals.map((s) => (typeof s === "bigint" ? s : BigInt(s)));
  } catch {
    return false;
  }
  if (signals.some((s) => s < 0n || s >= Fr.ORDER)) return false;
  const points = toPoints(proof);
  if (!points) return false;
  let vkx = key.ic[0]!;
  signals.forEach((s, i) => {
    if (s !== 0n) vkx = vkx.add(key.ic[i + 1]!.multiply(s));
  });
  // e(O, Q) = e(P, O) = 1: pairs with the identity drop out (noble refuses to pair them).
  const pairs = [
    { g1: points.a.negate(), g2: points.b },
    { g1: key.alpha, g2: key.beta },
    { g1: vkx, g2: key.gamma },
    { g1: points.c, g2: key.delta },
  ].filter((p) => !p.g1.equals(G1.ZERO) && !p.g2.equals(G2.ZERO));
  const result = bn254.pairingBatch(pairs);
  return Fp12.eql(result, Fp12.ONE);
}
