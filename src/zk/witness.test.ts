/**
 * Engine ↔ circuit agreement: witnesses built from real engine state satisfy the circuits (each
 * circuit recomputes the engine's new root), and the hashes match the engine's Poseidon.
 */
import { wtns } from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextFor, scenarioState, u } from "../../scripts/circuits/scenario.ts";
import { apply, cloneState, decPow, poseidon, type State } from "../protocol/index.ts";
import { ZkError } from "./circuits.ts";
import { attestationHash, poseidonHash } from "./hash.ts";
import { nodeArtifacts, terminateProver } from "./node.ts";
import { buildWitness, type CircuitInput, type ZkOperation } from "./witness.ts";

const artifacts = nodeArtifacts();
let state: State;
let now: bigint;

beforeAll(async () => {
  ({ state, now } = await scenarioState());
});
afterAll(terminateProver);

async function satisfies(circuit: Parameters<typeof artifacts.load>[0], input: CircuitInput): Promise<void> {
  await wtns.calculate(input, await artifacts.load(circuit, "wasm"), { type: "mem" });
}

describe("witness builders", () => {
  it("hash like the engine: poseidon-lite equals circomlibjs Poseidon", () => {
    for (const xs of [[1n], [1n, 2n], [0n, 5n, 9n], [7n, 7n, 7n, 7n, 7n], [1n, 2n, 3n, 4n, 5n, 6n, 7n]]) {
      expect(poseidonHash(xs)).toBe(poseidon(xs));
    }
  });

  it("the decay squarings hardcoded in the mint circuit reach 0 by 2^16 minutes", () => {
    // circuits/lib/vault.circom treats minutes >= 2^16 as a zero factor: true for the default factor
    expect(decPow(999037758833783000n, 1n << 16n)).toBe(0n);
    expect(decPow(999037758833783000n, (1n << 16n) - 1n)).toBe(0n);
    expect(decPow(999037758833783000n, 1n << 12n)).toBeGreaterThan(0n);
  });

  const ops: [string, ZkOperation][] = [
    ["deposit with pending redistribution rewards", { type: "deposit", owner: "alice", amount: u("0.5") }],
    [
      "withdraw with a satoshi remainder to dust",
      { type: "withdraw", owner: "carol", amount: u("0.123456789012345678") },
    ],
    [
      "mint with a decayed base rate and fee",
      { type: "mint", owner: "alice", amount: u("5000"), maxFee: u("0.05") },
    ],
    ["mint with the default max fee", { type: "mint", owner: "carol", amount: u("2500") }],
    ["repay", { type: "repay", owner: "alice", amount: u("10000") }],
  ];
  for (const [name, op] of ops) {
    it(`${name}: the circuit accepts the engine's transition`, async () => {
      const w = buildWitness(op, state, contextFor(state, now));
      expect(w.newState).not.toBeNull();
      await satisfies(w.circuit, w.input);
    });
  }

  it("mint within one minute of the last fee operation keeps lastFeeOperationTime", async () => {
    const s = cloneState(state);
    const r = apply(s, { type: "setBaseRate", value: u("0.01") }, { height: 1n, time: now });
    expect(r.ok).toBe(true);
    const w = buildWitness({ type: "mint", owner: "alice", amount: u("2000") }, s, contextFor(s, now + 30n));
    expect(w.newState!.g.lastFeeOperationTime).toBe(now);
    await satisfies("mint", w.input);
  });

  it("liquidation eligibility at a lower price", async () => {
    const low = cloneState(state);
    expect(apply(low, { type: "setPrice", price: u("27000") }, { height: 1n, time: now }).ok).toBe(true);
    const w = buildWitness(
      { type: "liquidate", owner: "alice", liquidator: "dave" },
      low,
      contextFor(low, now + 60n),
    );
    await satisfies("liquidate", w.input);
  });

  it("refuses an operation the engine rejects, with the engine's reason", () => {
    expect(() =>
      buildWitness({ type: "mint", owner: "alice", amount: u("500000") }, state, contextFor(state, now)),
    ).toThrow(/belowMinimumCollateralRatio/);
    expect(() =>
      buildWitness({ type: "deposit", owner: "nobody", amount: 1n }, state, contextFor(state, now)),
    ).toThrow(ZkError);
  });

  it("refuses an attestation whose price is not the state's", () => {
    const ctx = contextFor(state, now);
    ctx.attestation = { ...ctx.attestation, price: ctx.attestation.price + 1n };
    expect(() => buildWitness({ type: "deposit", owner: "alice", amount: 1n }, state, ctx)).toThrow(
      /attested/,
    );
  });

  it("binds the attestation: attestationHash = Poseidon(price, timestamp, round)", () => {
    const ctx = contextFor(state, now);
    const w = buildWitness({ type: "deposit", owner: "alice", amount: u("1") }, state, ctx);
    expect(w.publicSignals[3]).toBe(attestationHash(ctx.attestation).toString());
  });
});
