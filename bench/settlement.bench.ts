/**
 * Settlement of 100 obligations (issue 13): planning it (the guardians' deterministic plan) and
 * checking it (the indexer's predicate on the confirmed transaction), in ms, and the settlement's
 * vsize per obligation. The obligations are 100 payouts from the main coin to distinct P2WPKH
 * scripts (stability-pool gains, surplus, redemptions), the common case a settlement batches.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2wpkh } from "@scure/btc-signer";
import { networkParams } from "../src/btc/network.ts";
import { fromHex, poolDescriptor, toHex } from "../src/btc/scripts.ts";
import {
  addCoin,
  addObligation,
  createGenesisState,
  DEFAULT_PARAMS,
  initPoseidon,
} from "../src/protocol/index.ts";
import { checkSettlement, obligationId, planSettlement, type TxShape } from "../src/settlement/index.ts";
import type { Figure } from "./run.ts";

export async function run(): Promise<Figure[]> {
  await initPoseidon();
  const key = (n: number) =>
    secp256k1.getPublicKey(Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? n : 5)));
  const guardians = [key(1), key(2), key(3)];
  const state = createGenesisState(DEFAULT_PARAMS, {
    time: 1_700_000_000n,
    governance: { guardians: { keys: guardians.map(toHex), threshold: 2n } },
  });
  const pool = poolDescriptor({ threshold: 2, keys: guardians });
  addCoin(state.custody, {
    outpoint: `${"11".repeat(32)}:0`,
    sats: 10_000_000_000n,
    vault: null,
    script: toHex(pool.script),
    height: 1n,
  });
  const ids: string[] = [];
  for (let i = 0; i < 100; i++) {
    const id = obligationId("33".repeat(32), i);
    ids.push(id);
    addObligation(state.custody, {
      id,
      source: null,
      script: toHex(p2wpkh(key(10 + i), networkParams("regtest")).script),
      sats: 1_000_000n + BigInt(i),
      maxFee: 5_000n,
      height: 10n,
      status: "open",
      settledBy: null,
    });
  }
  const config = { network: "regtest" as const, csvBlocks: 144 };
  const rounds = 20;
  let plan!: Extract<ReturnType<typeof planSettlement>, { ok: true }>["plan"];
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) {
    const p = planSettlement(state, ids, 2_000, config);
    if (!p.ok) throw new Error(p.reason.message);
    plan = p.plan;
  }
  const planMs = (performance.now() - t0) / rounds;
  const tx: TxShape = {
    txid: "22".repeat(32),
    inputs: plan.inputs.map((i) => ({
      prevTxid: i.txid,
      vout: i.vout,
      scriptSig: new Uint8Array(0),
      witness: [],
      sequence: 0xfffffffd,
    })),
    outputs: plan.outputs.map((o) => ({ script: fromHex(o.script), sats: o.sats })),
  };
  const t1 = performance.now();
  for (let r = 0; r < rounds; r++) {
    const c = checkSettlement(tx, plan.spellBytes, state, { height: 100, finality: 6 }, config);
    if (!c.ok) throw new Error(c.reason.message);
  }
  const checkMs = (performance.now() - t1) / rounds;
  return [
    { name: "plan a settlement of 100 obligations", value: planMs, unit: "ms" },
    { name: "check a settlement of 100 obligations", value: checkMs, unit: "ms" },
    { name: "settlement vsize per obligation (100 payouts)", value: plan.vsize / 100, unit: "vB" },
    {
      name: "settlement vsize (100 payouts, 1 main coin)",
      value: plan.vsize,
      unit: "vB",
      target: "<= 10000",
    },
  ];
}
