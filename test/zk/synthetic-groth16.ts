/**
 * Test double for Groth16 (no circuit runs): a verification key whose trapdoor is known, and valid
 * proofs for any public signals made from it (C solved from a·b = α·β + l·γ + c·δ in the exponent).
 * Lets the verifiers be tested for any key size without proving; real proofs are tested too.
 */
import { bn254 } from "@noble/curves/bn254.js";
import type { Groth16Proof } from "../../src/zk/proof.ts";
import type { VerificationKey } from "../../src/zk/verifier.ts";

const R = bn254.fields.Fr.ORDER;
const G1 = bn254.G1.Point.BASE;
const G2 = bn254.G2.Point.BASE;
const mod = (x: bigint) => ((x % R) + R) % R;
const inv = (x: bigint) => bn254.fields.Fr.inv(mod(x));

/** A deterministic scalar stream (test data only). */
export function scalars(seed: number): () => bigint {
  let s = BigInt(seed) * 0x9e3779b97f4a7c15n + 1n;
  return () => {
    s = mod(s * 6364136223846793005n + 1442695040888963407n + (s >> 7n));
    return s === 0n ? 1n : s;
  };
}

export interface SyntheticKey {
  vk: VerificationKey;
  prove(signals: readonly bigint[]): Groth16Proof;
}

const g1Json = (k: bigint) => {
  const { x, y } = G1.multiply(k).toAffine();
  return [x.toString(), y.toString(), "1"];
};
const g2Json = (k: bigint) => {
  const { x, y } = G2.multiply(k).toAffine() as unknown as {
    x: { c0: bigint; c1: bigint };
    y: { c0: bigint; c1: bigint };
  };
  return [
    [x.c0.toString(), x.c1.toString()],
    [y.c0.toString(), y.c1.toString()],
    ["1", "0"],
  ];
};

export function syntheticKey(nPublic: number, seed = 1): SyntheticKey {
  const next = scalars(seed);
  const [alpha, beta, gamma, delta] = [next(), next(), next(), next()];
  const ic = Array.from({ length: nPublic + 1 }, next);
  const vk: VerificationKey = {
    protocol: "groth16",
    curve: "bn128",
    nPublic,
    vk_alpha_1: g1Json(alpha),
    vk_beta_2: g2Json(beta),
    vk_gamma_2: g2Json(gamma),
    vk_delta_2: g2Json(delta),
    IC: ic.map(g1Json),
  };
  const proofRandom = scalars(seed * 7919 + 3);
  return {
    vk,
    prove(signals) {
      const l = mod(signals.reduce((acc, x, j) => acc + x * ic[j + 1]!, ic[0]!));
      const a = proofRandom();
      const b = proofRandom();
      const c = mod((a * b - alpha * beta - l * gamma) * inv(delta));
      return { a: G1.multiply(a), b: G2.multiply(b), c: G1.multiply(c) };
    },
  };
}
