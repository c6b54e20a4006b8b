/**
 * Soundness with the committed artifacts (public/zk): a valid proof passes; a tampered public input,
 * a swapped proof element, a proof checked against another circuit's key, and witnesses that break
 * the rule (ICR below MCR, amount overflow, a missing oracle signature) all fail.
 */
import { readFile } from "node:fs/promises";
import { groth16 } from "snarkjs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { contextFor, scenarioState, u } from "../../scripts/circuits/scenario.ts";
import { buildAttestationInput } from "./attestation.ts";
import type { CircuitName } from "./circuits.ts";
import { OPERATION_CODE, ZkError } from "./circuits.ts";
import { operationHash } from "./hash.ts";
import { nodeArtifacts, terminateProver } from "./node.ts";
import { compressProof, decompressProof, proofFromJson, type SnarkjsProof } from "./proof.ts";
import { type ProveResult, proveInput } from "./prover.ts";
import type { VerificationKey } from "./verifier.ts";
import { verifyProof } from "./verifier.ts";
import { buildWitness, type CircuitInput } from "./witness.ts";

const artifacts = nodeArtifacts();
const example = async (name: string): Promise<CircuitInput> =>
  JSON.parse(await readFile(`circuits/examples/${name}.json`, "utf8")) as CircuitInput;
const vk = (c: CircuitName) => artifacts.verificationKey(c);

let mint: ProveResult;
let mintVk: VerificationKey;

beforeAll(async () => {
  const { state, now } = await scenarioState();
  const w = buildWitness({ type: "mint", owner: "alice", amount: u("5000") }, state, contextFor(state, now));
  mint = await proveInput("mint", w.input, artifacts);
  mintVk = await vk("mint");
});
afterAll(terminateProver);

describe("Groth16 soundness", () => {
  it("a valid mint proof verifies with noble and with snarkjs", async () => {
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

  it("each tampered public input fails (old root, new root, operation hash, attestation hash)", () => {
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

  it("a mint proof does not verify under another circuit's key", async () => {
    for (const other of ["deposit", "withdraw", "repay"] as const) {
      expect(verifyProof(await vk(other), mint.publicSignals, mint.proof)).toBe(false);
    }
  });

  it("a mint that puts ICR below MCR cannot be proven", async () => {
    const input = await example("mint.invalid");
    await expect(proveInput("mint", input, artifacts)).rejects.toThrow(/belowMinimumCollateralRatio/);
  });

  it("an amount past 2^112 cannot be proven (no field wrap-around)", async () => {
    const input = await example("deposit.invalid");
    await expect(proveInput("deposit", input, artifacts)).rejects.toThrow(/amountOutOfRange/);
    // and a "negative" amount (p - 1) is caught the same way
    const valid = await example("deposit");
    const p1 = 21888242871839275222246405745257275088548364400416034343698204186575808495616n;
    const opHash = operationHash(
      OPERATION_CODE.deposit,
      BigInt(valid.ownerHash as string),
      p1,
      0n,
      BigInt(valid.time as string),
    );
    await expect(
      proveInput("deposit", { ...valid, amount: p1.toString(), operationHash: opHash.toString() }, artifacts),
    ).rejects.toThrow(ZkError);
  });

  it("a new root other than the engine's cannot be proven", async () => {
    const valid = await example("repay");
    const input = { ...valid, newRoot: (BigInt(valid.newRoot as string) + 1n).toString() };
    await expect(proveInput("repay", input, artifacts)).rejects.toThrow(/newRootMismatch/);
  });

  it("every invalid example fails with the rule it breaks", async () => {
    const expected: Record<string, RegExp> = {
      withdraw: /belowMinimumCollateralRatio/,
      repay: /belowMinimumNetDebt|insufficientBalance/,
      liquidate: /nothingToLiquidate/,
      priceAttestation: /quorumNotReached/,
    };
    for (const [name, rule] of Object.entries(expected)) {
      await expect(
        proveInput(name as CircuitName, await example(`${name}.invalid`), artifacts),
      ).rejects.toThrow(rule);
    }
  });

  it("liquidate and priceAttestation examples prove and verify", async () => {
    for (const name of ["liquidate", "priceAttestation"] as const) {
      const r = await proveInput(name, await example(name), artifacts, { singleThread: true });
      expect(verifyProof(await vk(name), r.publicSignals, r.proof)).toBe(true);
    }
  });

  it("a forged oracle signature cannot be proven", async () => {
    const input = await example("priceAttestation");
    const S = input.S as string[];
    const forged = { ...input, S: [(BigInt(S[0]!) + 1n).toString(), S[1]!, S[2]!] };
    await expect(proveInput("priceAttestation", forged, artifacts)).rejects.toThrow(/badSignature/);
    expect(() =>
      buildAttestationInput({ price: 1n, timestamp: 1n, round: 1n }, { quorum: 4, keys: [] }, []),
    ).toThrow(ZkError);
  });
});
