/**
 * A block's Groth16 proofs checked as one batch (docs/zk.md, "Verifying for sync"). While the block's
 * spells are applied, each proof check is recorded and answered "holds" (`defer`); `settle` then
 * verifies all of them with one random linear combination (src/zk/batch.ts). When some fail (found by
 * halving the batch), their exact verdicts are kept and the caller applies the block again from its
 * undo state: a check seen before gets its verdict, a new one (a later spell whose inputs moved once
 * an earlier one was refused) is verified alone at once. So the result is the one proof-by-proof
 * verification gives, a block costs one batch, and a block with bad proofs at most two passes.
 * The coefficients come from Web Crypto's CSPRNG, drawn here, outside the engine.
 */
import { hex } from "@scure/base";
import {
  type BatchVerifier,
  cryptoRandom,
  loadBatchVerifier,
  type ProofCheck,
  type RandomSource,
} from "../zk/batch.ts";
import type { VerificationKey } from "../zk/verifier.ts";
import type { VerifierConfig } from "./verify.ts";

export class BlockProofs {
  private pending: { key: string; check: ProofCheck }[] = [];
  /** Verdicts of checks already verified while this block is retried (exact, so always safe to keep). */
  private readonly verdicts = new Map<string, boolean>();
  private readonly keyIds = new WeakMap<VerificationKey, number>();
  private nextKeyId = 0;
  /** After a failed batch: the block's retry, which verifies any new check at once. */
  private retrying = false;
  /** Batches settled and proofs verified in them (bench, tests). */
  readonly stats = { batches: 0, proofs: 0, retries: 0 };

  constructor(
    private readonly verifier: BatchVerifier,
    private readonly random: RandomSource = cryptoRandom,
  ) {}

  /** The WebAssembly batch verifier, or null where it cannot load (each proof is then verified alone). */
  static async load(): Promise<BlockProofs | null> {
    try {
      return new BlockProofs(await loadBatchVerifier());
    } catch {
      return null;
    }
  }

  private keyOf(vk: VerificationKey, signals: readonly (string | bigint)[], proof: Uint8Array): string {
    let id = this.keyIds.get(vk);
    if (id === undefined) {
      id = this.nextKeyId++;
      this.keyIds.set(vk, id);
    }
    return `${id}|${signals.join(",")}|${hex.encode(proof)}`;
  }

  /** `config` with its proof checks deferred into this batch (unchanged when proofs are off). */
  config(config: VerifierConfig): VerifierConfig {
    return config.proofs ? { ...config, deferProof: this.defer } : config;
  }

  /** Starts a block (or its retry): nothing pending; verdicts from a failed attempt stay. */
  begin(): void {
    this.pending = [];
  }

  /** A verdict already known, else recorded for `settle` and answered true. */
  readonly defer = (vk: VerificationKey, publicSignals: readonly bigint[], proof: Uint8Array): boolean => {
    const key = this.keyOf(vk, publicSignals, proof);
    const known = this.verdicts.get(key);
    if (known !== undefined) return known;
    if (this.retrying) {
      // A check the failed batch did not see (an earlier spell's refusal moved its inputs): verified
      // now, alone, so the retry settles in one pass whatever follows.
      const holds = this.verifier.verify(vk, publicSignals, proof, this.random);
      this.verdicts.set(key, holds);
      return holds;
    }
    this.pending.push({ key, check: { vk, publicSignals, proof } });
    return true;
  };

  /**
   * Verifies what was deferred. True: every proof held (the block stands as applied). False: some
   * failed; their verdicts are kept and the block must be applied again from its undo state.
   */
  settle(): boolean {
    const pending = this.pending;
    this.pending = [];
    if (pending.length > 0) {
      this.stats.batches++;
      this.stats.proofs += pending.length;
      const bad = new Set(
        this.verifier.invalid(
          pending.map((p) => p.check),
          this.random,
        ),
      );
      if (bad.size > 0) {
        this.stats.retries++;
        pending.forEach((p, i) => {
          this.verdicts.set(p.key, !bad.has(i));
        });
        this.retrying = true;
        return false;
      }
    }
    this.verdicts.clear();
    this.retrying = false;
    return true;
  }
}
