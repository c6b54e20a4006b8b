/**
 * Hostile spells through the real Indexer (issue 14, "Must show"): zero halts, and the indexer's
 * final root equals a clean replay of the spells it accepted (test/indexer/fuzz.ts). The unit suite
 * runs a few thousand spells with proofs off and a smaller batch with proof verification on; the full
 * 100,000-spell campaign is `npm run bench -- fuzz` (bench/fuzz.bench.ts), or this file with
 * FUZZ_SPELLS=100000.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadVerificationKeys } from "../../src/indexer/verificationKeys.ts";
import { initPoseidon } from "../../src/protocol/index.ts";
import { nodeArtifacts, terminateProver } from "../../src/zk/node.ts";
import { ORACLE_KEYS } from "./chain.ts";
import { runFuzz } from "./fuzz.ts";

const SPELLS = Number(process.env.FUZZ_SPELLS ?? 3_000);
const SEED = Number(process.env.FUZZ_SEED ?? 14);

beforeAll(() => initPoseidon());
afterAll(() => terminateProver());

describe("fuzz campaign through the real indexer", () => {
  it(`${SPELLS} hostile spells, proofs off: no halt, the root equals a clean replay of the accepted ones`, async () => {
    const out = await runFuzz({
      spells: SPELLS,
      seed: SEED,
      verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
    });
    expect(out.halts).toEqual([]);
    expect(out.spells).toBeGreaterThanOrEqual(SPELLS);
    expect(out.root).toBe(out.replayRoot);
    // The campaign is hostile and alive: every op kind sent, most refused, enough accepted to move the state.
    expect(Object.keys(out.kinds).length).toBeGreaterThanOrEqual(25);
    expect(out.accepted).toBeGreaterThan(SPELLS / 50);
    expect(out.rejected["malformedSpell/amountTooLarge"]).toBeGreaterThan(0);
    console.log(JSON.stringify({ ...out, kinds: undefined }));
  }, 600_000);

  it("a batch with proof verification on: no halt, the same root as a clean replay", async () => {
    const out = await runFuzz({
      spells: Math.max(500, Math.floor(SPELLS / 6)),
      seed: SEED + 1,
      verifier: {
        proofs: true,
        oracleKeys: ORACLE_KEYS,
        verificationKeys: await loadVerificationKeys(nodeArtifacts()),
      },
    });
    expect(out.halts).toEqual([]);
    expect(out.root).toBe(out.replayRoot);
    expect((out.rejected.proofMissing ?? 0) + (out.rejected.proofInvalid ?? 0)).toBeGreaterThan(0);
    console.log(JSON.stringify({ ...out, kinds: undefined }));
  }, 600_000);
});
