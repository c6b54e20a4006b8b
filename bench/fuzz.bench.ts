/**
 * The full hostile-spell campaign of issue 14 (`npm run bench -- fuzz`): 100,000 spells through the
 * real Indexer with proof verification off, then 5,000 with it on (test/indexer/fuzz.ts). Throws when
 * a sync halts or the indexer's root differs from a clean replay of the accepted spells, so the bench
 * runner reports the module as failed. FUZZ_SPELLS and FUZZ_SEED override the size and the seed.
 */
import { loadVerificationKeys } from "../src/indexer/verificationKeys.ts";
import { initPoseidon } from "../src/protocol/index.ts";
import { nodeArtifacts, terminateProver } from "../src/zk/node.ts";
import { ORACLE_KEYS } from "../test/indexer/chain.ts";
import { type FuzzResult, runFuzz } from "../test/indexer/fuzz.ts";
import type { Figure } from "./run.ts";

function check(name: string, out: FuzzResult): FuzzResult {
  if (out.halts.length > 0) throw new Error(`${name}: ${out.halts.length} halts, first: ${out.halts[0]}`);
  if (out.root !== out.replayRoot)
    throw new Error(`${name}: the indexer's root ${out.root} is not the clean replay's ${out.replayRoot}`);
  console.log(`${name}: ${JSON.stringify(out)}`);
  return out;
}

export async function run(): Promise<Figure[]> {
  await initPoseidon();
  const spells = Number(process.env.FUZZ_SPELLS ?? 100_000);
  const seed = Number(process.env.FUZZ_SEED ?? 14);
  const off = check(
    "proofs off",
    await runFuzz({
      spells,
      seed,
      verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
    }),
  );
  const on = check(
    "proofs on",
    await runFuzz({
      spells: Math.ceil(spells / 20),
      seed: seed + 1,
      verifier: {
        proofs: true,
        oracleKeys: ORACLE_KEYS,
        verificationKeys: await loadVerificationKeys(nodeArtifacts()),
      },
    }),
  );
  await terminateProver(); // the proofs-on setup proves its opens
  return [
    { name: "hostile spells, proofs off", value: off.spells, unit: "spells", target: ">= 100000" },
    { name: "campaign time, proofs off", value: off.seconds, unit: "s" },
    { name: "accepted, proofs off", value: off.accepted, unit: "spells" },
    { name: "hostile spells, proofs on", value: on.spells, unit: "spells" },
    { name: "campaign time, proofs on", value: on.seconds, unit: "s" },
    { name: "halts", value: off.halts.length + on.halts.length, unit: "", target: "0" },
    { name: "root = clean replay", value: 1, unit: "", target: "1 (throws otherwise)" },
  ];
}
