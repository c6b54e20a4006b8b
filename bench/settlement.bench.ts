/**
 * Rolls (issue 13, docs/custody.md "Rolling"): a roll of 16 vaults among 2,000 (at the real timelock,
 * 26,280 blocks) and the chunked consolidation of one vault's 300 coins, planned and checked, in ms,
 * with their vsizes and the settlements the 300 coins take.
 *
 * Settlement of 100 obligations (issue 13): planning it (the guardians' deterministic plan) and
 * checking it (the indexer's predicate on the confirmed transaction), in ms, and the settlement's
 * vsize per obligation. The obligations are 100 payouts from the main coin to distinct P2WPKH
 * scripts (stability-pool gains, surplus, redemptions), the common case a settlement batches.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2wpkh } from "@scure/btc-signer";
import { networkParams } from "../src/btc/network.ts";
import { fromHex, poolDescriptor, toHex } from "../src/btc/scripts.ts";
import { proposalRolls } from "../src/guardian/settle.ts";
import {
  addCoin,
  addObligation,
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  initPoseidon,
  type State,
  setStray,
} from "../src/protocol/index.ts";
import {
  applySettlement,
  type CustodyConfig,
  checkSettlement,
  obligationId,
  planSettlement,
  poolScriptHex,
  recordInflow,
  type SettlementPlan,
  type TxShape,
  vaultScriptFor,
} from "../src/settlement/index.ts";
import type { Figure } from "./run.ts";

const E18 = 10n ** 18n;

/** The transaction a plan describes, as the indexer reads it. */
const txOf = (plan: SettlementPlan, txid: string): TxShape => ({
  txid,
  inputs: plan.inputs.map((i) => ({
    prevTxid: i.txid,
    vout: i.vout,
    scriptSig: new Uint8Array(0),
    witness: [],
    sequence: 0xfffffffd,
  })),
  outputs: plan.outputs.map((o) => ({ script: fromHex(o.script), sats: o.sats })),
});

/** Mean ms of `f` over `rounds` runs. */
function time(rounds: number, f: () => void): number {
  const t0 = performance.now();
  for (let r = 0; r < rounds; r++) f();
  return (performance.now() - t0) / rounds;
}

/** `vaults` vaults with debt opened at height 1,000 (one coin each), the fee account funded. */
function rollWorld(vaults: number, config: CustodyConfig): State {
  const key = (n: number) =>
    secp256k1.getPublicKey(Uint8Array.from({ length: 32 }, (_, i) => (i < 2 ? (n >> (8 * i)) & 255 : 9)));
  const state = createGenesisState(DEFAULT_PARAMS, {
    time: 1_700_000_000n,
    price: 60_000n * E18,
    governance: { guardians: { keys: [1, 2, 3].map((n) => toHex(key(60_000 + n))), threshold: 2n } },
  });
  addCoin(state.custody, {
    outpoint: `${"ff".repeat(32)}:0`,
    sats: 100_000_000n,
    vault: null,
    script: poolScriptHex(state)!,
    height: 1n,
  });
  setStray(state.custody, 100_000_000n);
  for (let i = 0; i < vaults; i++) {
    const txid = (i + 1).toString(16).padStart(64, "0");
    const r = apply(
      state,
      { type: "openVault", owner: `v${i}`, collateral: E18 / 10n, borrow: 2_000n * E18 },
      { height: 1_000n, time: state.g.time + 60n, txid, index: 0 },
    );
    if (!r.ok) throw new Error(r.error.message);
    const k = key(i);
    const script = toHex(vaultScriptFor(state, k, config)!);
    recordInflow(
      state,
      { vault: `v${i}`, ownerKey: toHex(k), vout: 0, sats: 10_000_000n, script },
      { txid, height: 1_000 },
    );
  }
  return state;
}

/** A roll of 16 vaults among 2,000, and a vault of 300 coins consolidated in chunks. */
function rolls(): Figure[] {
  const config: CustodyConfig = { network: "regtest", csvBlocks: 26_280 };
  const state = rollWorld(2_000, config);
  const tip = 1_000 + 21_816;
  let picked: string[] = [];
  const chooseMs = time(3, () => {
    picked = proposalRolls(state, tip, [], 2_000, config);
  });
  let plan!: SettlementPlan;
  const planMs = time(10, () => {
    const p = planSettlement(state, [], 2_000, config, { rolls: picked, height: tip });
    if (!p.ok) throw new Error(p.reason.message);
    plan = p.plan;
  });
  const tx = txOf(plan, "22".repeat(32));
  const checkMs = time(10, () => {
    const c = checkSettlement(tx, plan.spellBytes, state, { height: tip + 1, finality: 6 }, config);
    if (!c.ok) throw new Error(c.reason.message);
  });
  // One vault of 300 coins (its open and 299 deposits of 10,000 sats), rolled until one coin is left.
  const one = rollWorld(1, config);
  const script = [...one.custody.coins.values()].find((c) => c.vault === "v0")!.script;
  for (let i = 0; i < 299; i++)
    recordInflow(
      one,
      { vault: "v0", ownerKey: one.custody.vaultKeys.get("v0")!, vout: 1, sats: 10_000n, script },
      { txid: (i + 1).toString(16).padStart(64, "0"), height: 1_001 + i },
    );
  let height = 2_000;
  let chunks = 0;
  let chunkPlanMs = 0;
  let chunkCheckMs = 0;
  let largest = 0;
  while ([...one.custody.coins.values()].filter((c) => c.vault === "v0").length > 1) {
    let p!: SettlementPlan;
    chunkPlanMs += time(1, () => {
      const r = planSettlement(one, [], 2_000, config, { rolls: ["v0"], height });
      if (!r.ok) throw new Error(r.reason.message);
      p = r.plan;
    });
    const t = txOf(p, (9_000 + chunks).toString(16).padStart(64, "0"));
    let c!: ReturnType<typeof checkSettlement>;
    chunkCheckMs += time(1, () => {
      c = checkSettlement(t, p.spellBytes, one, { height: height + 1, finality: 6 }, config);
    });
    if (!c.ok) throw new Error(c.reason.message);
    applySettlement(one, t.txid, c, height + 1);
    largest = Math.max(largest, p.vsize);
    chunks++;
    height += 1;
  }
  return [
    { name: "choose the rolls at a tip (2,000 vaults due, 16 taken)", value: chooseMs, unit: "ms" },
    { name: "plan a roll of 16 vaults (2,000 vaults)", value: planMs, unit: "ms" },
    { name: "check a roll of 16 vaults (2,000 vaults)", value: checkMs, unit: "ms" },
    { name: "roll of 16 vaults vsize", value: plan.vsize, unit: "vB", target: "<= 10000" },
    { name: "settlements to consolidate 300 coins (32 a chunk)", value: chunks, unit: "settlements" },
    { name: "plan one chunk of the 300 coins (mean)", value: chunkPlanMs / chunks, unit: "ms" },
    { name: "check one chunk of the 300 coins (mean)", value: chunkCheckMs / chunks, unit: "ms" },
    { name: "largest chunk vsize (300 coins)", value: largest, unit: "vB", target: "<= 10000" },
  ];
}

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
    ...rolls(),
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
