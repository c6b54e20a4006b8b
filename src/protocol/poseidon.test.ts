import { buildPoseidonReference } from "circomlibjs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { LITE_VECTORS, vectorInputs } from "../../test/fixtures/poseidon-vectors.ts";
import { FIELD_MODULUS, fieldOf, initPoseidon, poseidon } from "./poseidon.ts";

interface ReferencePoseidon {
  (inputs: bigint[]): unknown;
  F: { toObject(x: unknown): bigint };
}

describe("Poseidon", () => {
  let reference: (xs: bigint[]) => bigint;
  beforeAll(async () => {
    await initPoseidon();
    // circomlibjs's reference implementation: generic field arithmetic, not the generated WebAssembly
    const ref = (await buildPoseidonReference()) as ReferencePoseidon;
    reference = (xs) => ref.F.toObject(ref(xs));
  });

  it("reproduces poseidon-lite's outputs for every width 1 to 16, byte for byte", () => {
    for (const [n, small, big] of LITE_VECTORS) {
      const [a, b] = vectorInputs(n);
      expect(poseidon(a), `width ${n}, small`).toBe(small);
      expect(poseidon(b), `width ${n}, near the modulus`).toBe(big);
    }
  });

  it('matches circomlibjs\'s reference implementation on random inputs of every width 1 to 16 (docs/decisions.md §7 "One Poseidon")', () => {
    const element = fc.bigInt({ min: 0n, max: FIELD_MODULUS - 1n });
    fc.assert(
      fc.property(fc.array(element, { minLength: 1, maxLength: 16 }), (xs) => {
        expect(poseidon(xs)).toBe(reference(xs));
      }),
      { numRuns: 300 },
    );
  });

  it("matches circomlib's published vector Poseidon([1, 2])", () => {
    expect(poseidon([1n, 2n])).toBe(
      7853200120776062878684798364095072458815029376092732009249414926327459813530n,
    );
  });

  it("refuses values outside the field", () => {
    expect(() => fieldOf(FIELD_MODULUS)).toThrow(RangeError);
    expect(() => fieldOf(-1n)).toThrow(RangeError);
  });
});
