import fc from "fast-check";
import * as lite from "poseidon-lite";
import { beforeAll, describe, expect, it } from "vitest";
import { FIELD_MODULUS, fieldOf, initPoseidon, poseidon } from "./poseidon.ts";

describe("Poseidon", () => {
  beforeAll(() => initPoseidon());

  it("matches an independent implementation (poseidon-lite) for 2, 3, 6 and 16 inputs", () => {
    expect(poseidon([1n, 2n])).toBe(lite.poseidon2([1n, 2n]));
    expect(poseidon([0n, 0n, 0n])).toBe(lite.poseidon3([0n, 0n, 0n]));
    const six = [1n, 2n, 3n, 4n, 5n, FIELD_MODULUS - 1n];
    expect(poseidon(six)).toBe(lite.poseidon6(six));
    const sixteen = Array.from({ length: 16 }, (_, i) => BigInt(i) * 10n ** 30n);
    expect(poseidon(sixteen)).toBe(lite.poseidon16(sixteen));
  });

  it('matches poseidon-lite on random inputs of every width 1 to 16 (docs/decisions.md §7 "One Poseidon")', () => {
    const byWidth = lite as unknown as Record<string, (xs: bigint[]) => bigint>;
    const element = fc.bigInt({ min: 0n, max: FIELD_MODULUS - 1n });
    fc.assert(
      fc.property(fc.array(element, { minLength: 1, maxLength: 16 }), (xs) => {
        expect(poseidon(xs)).toBe(byWidth[`poseidon${xs.length}`]!(xs));
      }),
      { numRuns: 2_000 },
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
