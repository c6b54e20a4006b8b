/**
 * Batch verification (src/zk/batch.ts): random linear combinations find exactly the invalid proofs
 * of a batch (tampered input, swapped or foreign element, malformed encoding, a G2 point outside the
 * subgroup, two errors built to cancel), agree with the reference verifier (src/zk/verifier.ts) on
 * every case, and take their nonzero 128-bit coefficients from the caller's random source.
 */
import { readFile } from "node:fs/promises";
import { bn254 } from "@noble/curves/bn254.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticKey } from "../../test/zk/synthetic-groth16.ts";
import {
  type BatchVerifier,
  cryptoRandom,
  decodeProofBytes,
  loadBatchVerifier,
  type ProofCheck,
} from "./batch.ts";
import { nodeArtifacts, terminateProver } from "./node.ts";
import { compressProof } from "./proof.ts";
import { proveInput } from "./prover.ts";
import { verifyProof } from "./verifier.ts";

const { Fp2 } = bn254.fields;
const R = bn254.fields.Fr.ORDER;

let bv: BatchVerifier;
beforeAll(async () => {
  bv = await loadBatchVerifier();
});

const keyA = syntheticKey(4, 1);
const keyB = syntheticKey(7, 2);
const signalsFor = (i: number, n: number) => Array.from({ length: n }, (_, j) => BigInt(1000 * i + j + 1));

function batch(n: number): ProofCheck[] {
  return Array.from({ length: n }, (_, i) => {
    const key = i % 3 === 2 ? keyB : keyA;
    const publicSignals = signalsFor(i, key.vk.nPublic);
    return { vk: key.vk, publicSignals, proof: compressProof(key.prove(publicSignals)) };
  });
}

/** The reference verifier's verdicts: positions it refuses. */
const referenceInvalid = (checks: ProofCheck[]) =>
  checks.flatMap((c, i) => (verifyProof(c.vk, c.publicSignals, c.proof) ? [] : [i]));

describe("batch verification", () => {
  it("a batch of valid proofs of two keys passes, and each proof passes alone", () => {
    const checks = batch(16);
    expect(bv.invalid(checks, cryptoRandom)).toEqual([]);
    expect(bv.allValid(checks, cryptoRandom)).toBe(true);
    expect(referenceInvalid(checks)).toEqual([]);
    for (const c of checks.slice(0, 3)) expect(bv.verify(c.vk, c.publicSignals, c.proof)).toBe(true);
  });

  it("one bad proof in a batch is refused and identified: tampered input, swapped elements, a foreign B, another key", () => {
    const cases: Array<(c: ProofCheck[]) => number> = [
      (c) => {
        c[5] = { ...c[5]!, publicSignals: c[5]!.publicSignals.map((s, j) => (j === 2 ? BigInt(s) + 1n : s)) };
        return 5;
      },
      (c) => {
        const p = keyA.prove(c[9]!.publicSignals as bigint[]);
        c[9] = { ...c[9]!, proof: compressProof({ a: p.c, b: p.b, c: p.a }) }; // A and C swapped
        return 9;
      },
      (c) => {
        const p = keyA.prove(c[12]!.publicSignals as bigint[]);
        const other = keyA.prove(c[12]!.publicSignals as bigint[]);
        c[12] = { ...c[12]!, proof: compressProof({ a: p.a, b: other.b, c: p.c }) }; // B of another proof
        return 12;
      },
      (c) => {
        c[4] = { ...c[4]!, vk: keyB.vk, publicSignals: signalsFor(4, keyB.vk.nPublic) }; // checked against another key
        return 4;
      },
    ];
    for (const spoil of cases) {
      const checks = batch(16);
      const bad = spoil(checks);
      expect(bv.allValid(checks, cryptoRandom)).toBe(false);
      expect(bv.invalid(checks, cryptoRandom)).toEqual([bad]);
      expect(referenceInvalid(checks)).toEqual([bad]);
    }
  });

  it("several bad proofs in a batch of 64 are all found, and only they", () => {
    const checks = batch(64);
    for (const i of [0, 31, 32, 63]) {
      checks[i] = { ...checks[i]!, publicSignals: checks[i]!.publicSignals.map((s) => BigInt(s) + 7n) };
    }
    expect(bv.invalid(checks, cryptoRandom)).toEqual([0, 31, 32, 63]);
  });

  it("two errors built to cancel pass with equal coefficients and are both caught with random ones", () => {
    // Proof 1's C moved by +Δ and proof 2's by −Δ (same key): with r_1 = r_2 the errors cancel.
    const checks = batch(2).map((c) => ({ ...c, vk: keyA.vk, publicSignals: signalsFor(0, 4) }));
    const delta = bn254.G1.Point.BASE.multiply(12345n);
    const p1 = keyA.prove(signalsFor(0, 4));
    const p2 = keyA.prove(signalsFor(0, 4));
    checks[0] = { ...checks[0]!, proof: compressProof({ ...p1, c: p1.c.add(delta) }) };
    checks[1] = { ...checks[1]!, proof: compressProof({ ...p2, c: p2.c.subtract(delta) }) };
    const constant = (n: number) => new Uint8Array(n).fill(7); // not a CSPRNG: shows why one is needed
    expect(bv.allValid(checks, constant)).toBe(true);
    expect(bv.allValid(checks, cryptoRandom)).toBe(false);
    expect(bv.invalid(checks, cryptoRandom)).toEqual([0, 1]);
  });

  it("coefficients are nonzero 128-bit values from the caller's source (zero draws are redrawn)", () => {
    const asked: number[] = [];
    let zeros = 3;
    const source = (n: number) => {
      asked.push(n);
      if (zeros-- > 0) return new Uint8Array(n);
      return cryptoRandom(n);
    };
    const checks = batch(4);
    expect(bv.allValid(checks, source)).toBe(true);
    expect(asked.every((n) => n === 16)).toBe(true);
    expect(asked.length).toBe(4 + 3); // one per proof, plus the three zero draws redrawn
    // With a zero coefficient allowed, a bad proof would vanish from the sum: never drawn.
    const bad = batch(1);
    bad[0] = { ...bad[0]!, publicSignals: signalsFor(9, 4) };
    let z = 1;
    expect(bv.allValid(bad, (n) => (z-- > 0 ? new Uint8Array(n) : cryptoRandom(n)))).toBe(false);
    expect(() => bv.allValid(batch(1), () => new Uint8Array(8))).toThrow(/random source/);
  });

  it("malformed proofs and signals are refused like the reference verifier refuses them", () => {
    const base = batch(1)[0]!;
    const bytes = base.proof as Uint8Array;
    const edit = (f: (b: Uint8Array) => void) => {
      const b = bytes.slice();
      f(b);
      return b;
    };
    // A point on the twist but outside the order-R subgroup, encoded with valid flags.
    let offSubgroup: Uint8Array | undefined;
    for (let k = 1n; !offSubgroup; k++) {
      const x = Fp2.create({ c0: k, c1: 1n });
      let y: { c0: bigint; c1: bigint };
      try {
        y = Fp2.sqrt(Fp2.add(Fp2.mul(Fp2.sqr(x), x), bn254.G2.Point.CURVE().b)) as typeof y;
      } catch {
        continue;
      }
      const p = bn254.G2.Point.fromAffine({ x, y });
      if (
        p
          .multiply(R - 1n)
          .add(p)
          .equals(bn254.G2.Point.ZERO)
      )
        continue; // in the subgroup
      const be = (v: bigint) =>
        Uint8Array.from({ length: 32 }, (_, i) => Number((v >> BigInt(8 * (31 - i))) & 0xffn));
      offSubgroup = bytes.slice();
      offSubgroup.set(be(x.c1), 32);
      offSubgroup.set(be(x.c0), 64);
    }
    const malformed: ProofCheck[] = [
      { ...base, proof: bytes.subarray(0, 127) },
      { ...base, proof: edit((b) => b.set(new Uint8Array(32).fill(0xff), 0)) }, // x ≥ p (flags aside)
      { ...base, proof: edit((b) => b.fill(0x3f, 0, 32)) },
      { ...base, proof: edit((b) => (b[0] = 0x40)) }, // infinity flag with a nonzero body
      { ...base, proof: edit((b) => b.set([0x40 | 0x80, ...new Uint8Array(31)], 96)) },
      { ...base, proof: edit((b) => b.set([0x40, ...new Uint8Array(62), 1], 32)) },
      { ...base, proof: edit((b) => (b[33] = (b[33]! + 1) & 0xff)) }, // B's x moved: off the twist or wrong
      { ...base, proof: offSubgroup },
      { ...base, publicSignals: [...base.publicSignals.slice(0, 3), R] },
      { ...base, publicSignals: [...base.publicSignals.slice(0, 3), -1n] },
      { ...base, publicSignals: base.publicSignals.slice(0, 3) },
      { ...base, publicSignals: [...base.publicSignals.slice(0, 3), "0x12z"] },
    ];
    expect(verifyProof(base.vk, base.publicSignals, offSubgroup)).toBe(false);
    // The decoder itself refuses it (the pairing equation would fail too, but must not be relied on).
    expect(decodeProofBytes(offSubgroup)).toBeNull();
    expect(decodeProofBytes(bytes)).not.toBeNull();
    const checks = [base, ...malformed, base];
    const expected = malformed.map((_, i) => i + 1);
    expect(bv.invalid(checks, cryptoRandom)).toEqual(expected);
    expect(referenceInvalid(checks)).toEqual(expected);
  });

  it("the identity in A and C is decoded as the identity: such a proof is invalid, never a throw (both verifiers)", () => {
    const base = batch(1)[0]!;
    const b = (base.proof as Uint8Array).slice();
    b.set([0x40, ...new Uint8Array(31)], 0);
    b.set([0x40, ...new Uint8Array(31)], 96);
    const check = { ...base, proof: b };
    expect(bv.invalid([check], cryptoRandom)).toEqual([0]);
    expect(verifyProof(check.vk, check.publicSignals, b)).toBe(false);
  });
});

describe("batch verification of real proofs (committed artifacts)", () => {
  afterAll(terminateProver);

  it("a proof from the first circuit with an example verifies in a batch, as snarkjs JSON and 128 bytes", async () => {
    const artifacts = nodeArtifacts();
    const manifest = await artifacts.manifest();
    let done = false;
    for (const c of manifest.circuits) {
      let input: unknown;
      try {
        input = JSON.parse(await readFile(`circuits/examples/${c.name}.json`, "utf8"));
      } catch {
        continue;
      }
      const proved = await proveInput(c.name, input as never, artifacts);
      const vk = await artifacts.verificationKey(c.name);
      const json = { vk, publicSignals: proved.publicSignals, proof: proved.proof };
      const tampered = {
        ...json,
        publicSignals: proved.publicSignals.map((s, j) => (j === 0 ? `${BigInt(s) + 1n}` : s)),
      };
      expect(bv.invalid([json, json, tampered, json], cryptoRandom)).toEqual([2]);
      expect(verifyProof(vk, proved.publicSignals, proved.proof)).toBe(true);
      done = true;
      break;
    }
    expect(done).toBe(true);
  });
});
