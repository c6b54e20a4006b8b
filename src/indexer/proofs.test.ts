/**
 * A block's proofs as one batch (src/indexer/proofs.ts), driven like the indexer drives it: apply the
 * block with checks deferred, settle, and on failure go back and apply again. The outcome must be the
 * one proof-by-proof verification gives, including later spells whose inputs move when an earlier
 * one is refused. Synthetic keys (test/zk/synthetic-groth16.ts): any key size, no circuit.
 */
import { bn254 } from "@noble/curves/bn254.js";
import { beforeAll, describe, expect, it } from "vitest";
import { syntheticKey } from "../../test/zk/synthetic-groth16.ts";
import { loadBatchVerifier } from "../zk/batch.ts";
import { compressProof } from "../zk/proof.ts";
import { verifyProof } from "../zk/verifier.ts";
import { BlockProofs } from "./proofs.ts";
import type { VerifierConfig } from "./verify.ts";

const R = bn254.fields.Fr.ORDER;
const key = syntheticKey(2, 5);
const step = (root: bigint, payload: bigint) => (root * 31n + payload + 1n) % R;

/** A toy block: spell i claims root → step(root, payload_i) with a proof made for the honest chain. */
function makeBlock(n: number, bad: Set<number>) {
  let root = 1n;
  return Array.from({ length: n }, (_, i) => {
    const payload = BigInt(100 + i);
    const signals = [root, payload];
    const proof = compressProof(key.prove(bad.has(i) ? [root, payload + 1n] : signals));
    root = step(root, payload);
    return { payload, proof };
  });
}

type Block = ReturnType<typeof makeBlock>;
const config = { proofs: true, oracleKeys: {}, verificationKeys: {} } as unknown as VerifierConfig;

/** What proof-by-proof verification accepts. */
function sequential(block: Block) {
  let root = 1n;
  const accepted: number[] = [];
  block.forEach((s, i) => {
    if (verifyProof(key.vk, [root, s.payload], s.proof)) {
      root = step(root, s.payload);
      accepted.push(i);
    }
  });
  return { root, accepted };
}

/** The indexer's loop: apply with deferral, settle, retry from the undo state on failure. */
function batched(block: Block, proofs: BlockProofs) {
  for (let round = 1; ; round++) {
    proofs.begin();
    const c = proofs.config(config);
    let root = 1n;
    const accepted: number[] = [];
    block.forEach((s, i) => {
      if (c.deferProof!(key.vk, [root, s.payload], s.proof)) {
        root = step(root, s.payload);
        accepted.push(i);
      }
    });
    if (proofs.settle()) return { root, accepted, rounds: round };
  }
}

let proofs: () => BlockProofs;
beforeAll(async () => {
  const verifier = await loadBatchVerifier();
  proofs = () => new BlockProofs(verifier);
});

describe("a block's proofs in one batch", () => {
  it("a block of valid proofs costs one batch and one round", () => {
    const block = makeBlock(24, new Set());
    const p = proofs();
    const out = batched(block, p);
    expect(out).toEqual({ ...sequential(block), rounds: 1 });
    expect(out.accepted.length).toBe(24);
    expect(p.stats).toEqual({ batches: 1, proofs: 24, retries: 0 });
  });

  it("a bad proof mid-block: the block is applied again and ends as proof-by-proof verification ends", () => {
    const block = makeBlock(24, new Set([9]));
    const p = proofs();
    const out = batched(block, p);
    const seq = sequential(block);
    // Spells after 9 were proven against a root that included 9: they fail too, once 9 is refused.
    expect(seq.accepted).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect({ root: out.root, accepted: out.accepted }).toEqual(seq);
    expect(out.rounds).toBe(2);
    expect(p.stats).toEqual({ batches: 1, proofs: 24, retries: 1 });
  });

  it("a bad proof in the last spell only needs one retry", () => {
    const block = makeBlock(10, new Set([9]));
    const p = proofs();
    const out = batched(block, p);
    expect({ root: out.root, accepted: out.accepted }).toEqual(sequential(block));
    expect(out.rounds).toBe(2);
    expect(p.stats.retries).toBe(1);
  });

  it("proofs off: the config is left as it is (no deferral)", () => {
    const off = { ...config, proofs: false };
    expect(proofs().config(off)).toBe(off);
  });
});
