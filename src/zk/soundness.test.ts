/**
 * Soundness with the committed artifacts (public/zk): a valid vault proof passes; a tampered public
 * input, a swapped proof element, a proof of another circuit (an issue-9 mint proof with its own key,
 * src/zk/fixtures/other-circuit.json) and witnesses that break a rule all fail. The rule-by-rule hostile
 * witnesses are in hardening.test.ts.
 */
import { readFile } from "node:fs/promises";
import { groth16 } from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextFor, scenarioState, u } from "../../scripts/circuits/scenario.ts";
import { ZkError } from "./circuits.ts";
import { nodeArtifacts, terminateProver } from "./node.ts";
import { compressProof, decompressProof, proofFromJson, type SnarkjsProof } from "./proof.ts";
import { type ProveResult, proveInput } from "./prover.ts";
import type { VerificationKey } from "./verifier.ts";
import { verifyProof } from "./verifier.ts";
import { buildWitness, type CircuitInput, withDeclaredFee } from "./witness.ts";

const artifacts = nodeArtifacts();
const example = async (name: string): Promise<CircuitInput> =>
  JSON.parse(await readFile(`circuits/examples/${name}.json`, "utf8")) as CircuitInput;

let mint: ProveResult;
let mintVk: VerificationKey;

beforeAll(async () => {
  const { state, now } = await scenarioState();
  const ctx = contextFor(state, now);
  const op = withDeclaredFee({ type: "adjustVault", owner: "alice", borrow: u("5000") }, state, ctx);
  mint = await proveInput("vault", buildWitness(op, state, ctx).input, artifacts);
  mintVk = await artifacts.verificationKey("vault");
});
afterAll(terminateProver);

describe("Groth16 soundness", () => {
  it("a valid vault proof (a borrow) verifies with noble and with snarkjs", async () => {
    expect(verifyProof(mintVk, mint.publicSignals, mint.proof)).toBe(true);
    expect(await groth16.verify(mintVk, mint.publicSignals, mint.proof)).toBe(true);
  });

  it("the compressed 128-byte proof verifies and decodes to the same proof", () => {
    const bytes = compressProof(proofFromJson(mint.proof));
    expect(bytes.length).toBe(128);
    expect(verifyProof(mintVk, mint.publicSignals, bytes)).toBe(true);
    const back = decompressProof(bytes);
    expect(back.b.equals(proofFromJson(mint.proof).b)).toBe(true);
  });

  it("each tampered public input fails (record before, record after, operation hash, context hash)", () => {
    for (let i = 0; i < 4; i++) {
      const signals = [...mint.publicSignals];
      signals[i] = (BigInt(signals[i]!) + 1n).toString();
      expect(verifyProof(mintVk, signals, mint.proof)).toBe(false);
    }
  });

  it("a public input shifted by the field modulus or of the wrong count fails", () => {
    const r = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;
    const signals = [...mint.publicSignals];
    signals[0] = (BigInt(signals[0]!) + r).toString();
    expect(verifyProof(mintVk, signals, mint.proof)).toBe(false);
    expect(verifyProof(mintVk, mint.publicSignals.slice(1), mint.proof)).toBe(false);
  });

  it("swapped proof elements fail (A with C, B negated, one bit flipped in the compressed form)", () => {
    const swapped: SnarkjsProof = { ...mint.proof, pi_a: mint.proof.pi_c, pi_c: mint.proof.pi_a };
    expect(verifyProof(mintVk, mint.publicSignals, swapped)).toBe(false);
    const p = proofFromJson(mint.proof);
    expect(verifyProof(mintVk, mint.publicSignals, { ...p, b: p.b.negate() })).toBe(false);
    const bytes = compressProof(p);
    bytes[0]! ^= 0x80; // the other root of A's y
    expect(verifyProof(mintVk, mint.publicSignals, bytes)).toBe(false);
  });

  it("another circuit's proof does not verify as a vault proof (nor the vault proof under its key)", async () => {
    const other = JSON.parse(await readFile("src/zk/fixtures/other-circuit.json", "utf8")) as {
      vkey: VerificationKey;
      publicSignals: string[];
      proof: SnarkjsProof;
    };
    expect(verifyProof(other.vkey, other.publicSignals, other.proof)).toBe(true);
    expect(verifyProof(mintVk, other.publicSignals, other.proof)).toBe(false);
    expect(verifyProof(other.vkey, mint.publicSignals, mint.proof)).toBe(false);
  });

  it("a borrow that puts ICR below MCR cannot be proven (the invalid example)", async () => {
    await expect(proveInput("vault", await example("vault.invalid"), artifacts)).rejects.toThrow(
      /belowMinimumCollateralRatio/,
    );
  });

  it("a record after other than the engine's cannot be proven", async () => {
    const valid = await example("vault");
    const input = { ...valid, recordAfter: (BigInt(valid.recordAfter as string) + 1n).toString() };
    await expect(proveInput("vault", input, artifacts)).rejects.toThrow(/recordAfterMismatch/);
    await expect(proveInput("vault", { ...valid, kind: "x" }, artifacts)).rejects.toThrow(ZkError);
  });

  it("the example proves single-threaded and verifies", async () => {
    const r = await proveInput("vault", await example("vault"), artifacts, { singleThread: true });
    expect(verifyProof(mintVk, r.publicSignals, r.proof)).toBe(true);
  });
});
