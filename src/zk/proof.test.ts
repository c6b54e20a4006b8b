import { bn254 } from "@noble/curves/bn254.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ZkError } from "./circuits.ts";
import {
  COMPRESSED_PROOF_BYTES,
  compressProof,
  decompressProof,
  proofFromJson,
  proofToJson,
} from "./proof.ts";

const G1 = bn254.G1.Point.BASE;
const G2 = bn254.G2.Point.BASE;
const P = bn254.fields.Fp.ORDER;

const proofOf = (a: bigint, b: bigint, c: bigint) => ({
  a: G1.multiply(a),
  b: G2.multiply(b),
  c: G1.multiply(c),
});

describe("compressed proofs", () => {
  it("round-trips curve points through exactly 128 bytes", () => {
    fc.assert(
      fc.property(
        fc.bigInt(1n, 2n ** 250n),
        fc.bigInt(1n, 2n ** 250n),
        fc.bigInt(1n, 2n ** 250n),
        (a, b, c) => {
          const proof = proofOf(a, b, c);
          const bytes = compressProof(proof);
          expect(bytes.length).toBe(COMPRESSED_PROOF_BYTES);
          const back = decompressProof(bytes);
          expect(back.a.equals(proof.a) && back.b.equals(proof.b) && back.c.equals(proof.c)).toBe(true);
        },
      ),
      { numRuns: 25 },
    );
  });

  it("keeps the sign of y: P and -P encode differently and decode to themselves", () => {
    const p = proofOf(7n, 11n, 13n);
    const n = { a: p.a.negate(), b: p.b.negate(), c: p.c.negate() };
    const [bp, bn] = [compressProof(p), compressProof(n)];
    expect(bp[0]! & 0x80).not.toBe(bn[0]! & 0x80);
    expect(bp[32]! & 0x80).not.toBe(bn[32]! & 0x80);
    expect(decompressProof(bn).b.equals(n.b)).toBe(true);
  });

  it("round-trips through snarkjs JSON", () => {
    const p = proofOf(5n, 6n, 7n);
    const json = proofToJson(p);
    expect(json.pi_a[2]).toBe("1");
    expect(json.pi_b[2]).toEqual(["1", "0"]);
    const back = proofFromJson(json);
    expect(back.b.equals(p.b)).toBe(true);
  });

  it("rejects a wrong length, x above the modulus, x off the curve and bad infinity flags", () => {
    const good = compressProof(proofOf(3n, 4n, 5n));
    expect(() => decompressProof(good.subarray(0, 127))).toThrow(ZkError);
    const big = good.slice();
    big.set(new Uint8Array(32).fill(0x3f), 0); // x = 2^254 - 1 > p
    expect(() => decompressProof(big)).toThrow(/below the field modulus/);
    const offCurve = good.slice();
    // find an x with no square root for x^3 + 3
    let x = 1n;
    const Fp = bn254.fields.Fp;
    while (Fp.pow(Fp.add(Fp.mul(Fp.sqr(x), x), 3n), (P - 1n) / 2n) !== P - 1n) x++;
    offCurve.set(
      new Uint8Array(32).map((_, i) => Number((x >> BigInt(8 * (31 - i))) & 0xffn)),
      0,
    );
    expect(() => decompressProof(offCurve)).toThrow(ZkError);
    const inf = good.slice();
    inf[0] = 0x40 | (inf[0]! & 0x3f); // infinity flag with a non-zero body
    expect(() => decompressProof(inf)).toThrow(/infinity/);
    expect(x).toBeLessThan(P);
  });

  it("decoding arbitrary bytes only ever throws ZkError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 128, maxLength: 128 }), (bytes) => {
        try {
          decompressProof(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ZkError);
        }
      }),
      { numRuns: 200 },
    );
  });

  it("rejects snarkjs JSON with a point off the curve", () => {
    const json = proofToJson(proofOf(2n, 3n, 4n));
    json.pi_a[1] = (BigInt(json.pi_a[1]!) + 1n).toString();
    expect(() => proofFromJson(json)).toThrow(/pi_a/);
  });
});
