import { readFile } from "node:fs/promises";
import { beforeAll, describe, expect, it } from "vitest";
import { contextFor, scenarioState, u } from "../../scripts/circuits/scenario.ts";
import { LITE_VECTORS, vectorInputs } from "../../test/fixtures/poseidon-vectors.ts";
import { attestationMessage } from "../oracle/attestation.ts";
import { signPoseidon } from "../oracle/eddsa-poseidon.ts";
import { initPoseidon } from "../protocol/poseidon.ts";
import { poseidonHash, SNARK_FIELD } from "./hash.ts";
import { buildWitness, withDeclaredFee } from "./witness.ts";

// First, before any initPoseidon in this process (vitest runs each file in its own process, in order).
describe("before initPoseidon", () => {
  it("every hashing path throws a sentence that names the fix, never a wrong value", () => {
    const statement = { price: u("97000"), timestamp: 1_750_000_000, round: 1n };
    const notYet = /Poseidon is not initialised: await initPoseidon\(\)/;
    expect(() => poseidonHash([1n, 2n])).toThrow(notYet);
    expect(() => attestationMessage(statement)).toThrow(notYet);
    expect(() => signPoseidon(new Uint8Array(32).fill(1), 5n)).toThrow(notYet);
  });
});

describe("poseidonHash (the circuits' Poseidon, widths 1–7)", () => {
  beforeAll(() => initPoseidon());

  it("gives poseidon-lite's outputs byte for byte for every width the circuits use", () => {
    for (const [n, small, big] of LITE_VECTORS.filter(([n]) => n <= 7)) {
      const [a, b] = vectorInputs(n);
      expect(poseidonHash(a), `width ${n}, small`).toBe(small);
      expect(poseidonHash(b), `width ${n}, near the modulus`).toBe(big);
    }
  });

  it("refuses widths outside 1–7 and values outside the field", () => {
    expect(() => poseidonHash([])).toThrow(RangeError);
    expect(() => poseidonHash(Array.from({ length: 8 }, () => 1n))).toThrow(RangeError);
    expect(() => poseidonHash([SNARK_FIELD])).toThrow(RangeError);
    expect(() => poseidonHash([-1n])).toThrow(RangeError);
  });

  it("rebuilds the vault example's four public hashes, written when the zk side hashed with poseidon-lite", async () => {
    // circuits/examples/vault.json is scripts/circuits/examples.ts's output; the circuit's proofs bind these
    const example = JSON.parse(await readFile("circuits/examples/vault.json", "utf8")) as Record<
      string,
      string
    >;
    const { state, now } = await scenarioState();
    const ctx = contextFor(state, now);
    const op = withDeclaredFee(
      {
        type: "adjustVault",
        owner: "alice",
        depositCollateral: u("0.5"),
        borrow: u("5000"),
        maxFee: u("0.05"),
      },
      state,
      ctx,
    );
    const { input } = buildWitness(op, state, ctx);
    for (const name of ["recordBefore", "recordAfter", "operationHash", "contextHash"]) {
      expect(input[name], name).toBe(example[name]);
    }
  });
});
