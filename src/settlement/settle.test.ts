/**
 * Obligations and settlements on the engine (docs/decisions.md §2a rule 2): an applied payout records an
 * obligation and moves no BTC; the guardians' plan is the only transaction the indexer's predicate
 * accepts for it (one sat more, a wrong coin, a second settlement and a too-recent basis are refused);
 * the custody invariants hold after every step.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2wpkh } from "@scure/btc-signer";
import { beforeAll, describe, expect, it } from "vitest";
import { planTx } from "../../test/support/settlement.ts";
import { networkParams } from "../btc/network.ts";
import { fromHex, toHex } from "../btc/scripts.ts";
import {
  addCoin,
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  initPoseidon,
  type Operation,
  type State,
  setStray,
} from "../protocol/index.ts";
import {
  applySettlement,
  type CustodyConfig,
  checkInvariants,
  checkSettlement,
  DEFAULT_PAYOUT_MAX_FEE,
  MAX_POOL_COINS,
  MAX_ROLL_COINS,
  MAX_SETTLEMENT_VSIZE,
  obligationRecorded,
  planSettlement,
  poolScriptHex,
  recordInflow,
  recordObligations,
  rollAge,
  rollDue,
  rollsDue,
  type SettlementPlan,
  type TxShape,
  vaultScriptFor,
} from "./index.ts";

const E18 = 10n ** 18n;
const SAT = 10n ** 10n;
const NET = networkParams("regtest");
const config: CustodyConfig = { network: "regtest", csvBlocks: 144 };
const key = (n: number) =>
  secp256k1.getPublicKey(Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? n : 2)));
const guardians = [key(21), key(22), key(23)];
const txid = (n: number) => n.toString(16).padStart(64, "0");
let seq = 100;

function genesis(): State {
  return createGenesisState(DEFAULT_PARAMS, {
    time: 1_700_000_000n,
    price: 60_000n * E18,
    governance: { guardians: { keys: guardians.map(toHex), threshold: 2n } },
  });
}

/** Applies an operation as the indexer would at `height`, with its custody side. */
function step(state: State, op: Operation, height: number, inflowSats = 0n, owner?: Uint8Array) {
  const id = txid(seq++);
  const r = apply(state, op, { height: BigInt(height), time: state.g.time + 60n, txid: id, index: 0 });
  if (!r.ok) throw new Error(r.error.message);
  if (inflowSats > 0n && owner) {
    const account = (op as { owner: string }).owner;
    recordInflow(
      state,
      {
        vault: account,
        ownerKey: toHex(owner),
        vout: 0,
        sats: inflowSats,
        script: toHex(vaultScriptFor(state, owner, config)!),
      },
      { txid: id, height },
    );
  }
  const payout = toHex(p2wpkh(owner ?? key(99), NET).script);
  const created = recordObligations(
    state,
    r.events,
    { txid: id, height },
    { script: payout, maxFee: DEFAULT_PAYOUT_MAX_FEE },
  );
  return { txid: id, created };
}

/** The transaction a plan describes (what the guardians sign), as the indexer reads it. */
function txOf(plan: SettlementPlan, id = txid(seq++)): TxShape {
  return planTx(plan, id);
}

const alice = key(1);
const bob = key(2);

function world() {
  const state = genesis();
  step(
    state,
    { type: "openVault", owner: "alice", collateral: E18, borrow: 10_000n * E18 },
    10,
    100_000_000n,
    alice,
  );
  step(
    state,
    { type: "openVault", owner: "bob", collateral: E18 / 2n, borrow: 5_000n * E18 },
    10,
    50_000_000n,
    bob,
  );
  return state;
}

/** The fee account funded as on chain: a pool coin of stray sats that the ledger owes nobody. */
function funded(state: State, sats = 50_000n) {
  addCoin(state.custody, {
    outpoint: `${txid(seq++)}:0`,
    sats,
    vault: null,
    script: poolScriptHex(state)!,
    height: 5n,
  });
  setStray(state.custody, state.custody.stray + sats);
  return state;
}

/** Alice withdraws 0.1 BTC at height 11: one payout obligation. */
const withdraw = (state: State) =>
  step(state, { type: "adjustVault", owner: "alice", withdrawCollateral: E18 / 10n }, 11, 0n, alice);
const depositAlice = (state: State, height: number, sats = 1_000_000n) =>
  step(state, { type: "adjustVault", owner: "alice", depositCollateral: sats * SAT }, height, sats, alice);

/** The guardians' plan at 2,000 sat/kvB for `ids` (and `opts`), which the test expects to exist. */
function planned(state: State, ids: string[], opts?: Parameters<typeof planSettlement>[4]): SettlementPlan {
  const plan = planSettlement(state, ids, 2_000, config, opts);
  if (!plan.ok) throw new Error(plan.reason.message);
  return plan.plan;
}

/** The plan's transaction as the indexer checks it at `height` (D = 6), applied when accepted. */
function settle(state: State, plan: SettlementPlan, height: number) {
  const tx = txOf(plan);
  const checked = checkSettlement(tx, plan.spellBytes, state, { height, finality: 6 }, config);
  if (checked.ok) applySettlement(state, tx.txid, checked, height);
  return { tx, checked };
}

beforeAll(() => initPoseidon());

describe("obligations", () => {
  it("a withdrawal records one payout obligation from the vault and moves no coin", () => {
    const state = world();
    expect(checkInvariants(state)).toMatchObject({ ok: true });
    const coinsBefore = [...state.custody.coins.keys()];
    const { created } = withdraw(state);
    expect(created).toHaveLength(1);
    expect(created[0]).toMatchObject({ source: "alice", sats: 10_000_000n, status: "open" });
    expect([...state.custody.coins.keys()]).toEqual(coinsBefore);
    expect(checkInvariants(state)).toMatchObject({ ok: true });
  });

  it("the ObligationRecorded event names the obligation exactly: id, source, payout script, sats", () => {
    const state = world();
    const [o] = withdraw(state).created;
    expect(obligationRecorded(o!)).toEqual({
      type: "ObligationRecorded",
      id: o!.id,
      source: "alice",
      script: toHex(p2wpkh(alice, NET).script),
      to: undefined,
      sats: 10_000_000n,
    });
  });

  it("the invariants catch a coin that is not there and an obligation nobody recorded", () => {
    const state = world();
    const coin = [...state.custody.coins.values()][0]!;
    state.custody.coins.delete(coin.outpoint);
    const r = checkInvariants(state);
    expect(r.ok).toBe(false);
    expect(r.problems.join(" ")).toMatch(/vault|total/);
  });

  it("a redemption pays the redeemer from the pool and moves the drawn collateral from the vaults", () => {
    const state = world();
    state.g.time += 15n * 86_400n; // past the redemption bootstrap
    const { created } = step(
      state,
      { type: "transfer", from: "alice", to: "carol", amount: 1_000n * E18 },
      12,
    );
    expect(created).toHaveLength(0);
    const r = step(state, { type: "redeem", redeemer: "carol", amount: 1_000n * E18, maxFee: E18 }, 13);
    const payout = r.created.filter((o) => o.to === undefined);
    const moves = r.created.filter((o) => o.to !== undefined);
    expect(payout).toHaveLength(1);
    expect(payout[0]!.source).toBeNull();
    expect(moves.every((o) => o.to === null && o.source !== null)).toBe(true);
    expect(checkInvariants(state)).toMatchObject({ ok: true });
  });
});

describe("settlement", () => {
  function withdrawn() {
    const state = world();
    const ids = withdraw(state).created.map((o) => o.id);
    return { state, plan: planned(state, ids), ids };
  }

  it("the plan pays the obligation less its fee share and returns the vault's remainder", () => {
    const { plan } = withdrawn();
    const payout = plan.outputs.find((o) => o.kind === "payout")!;
    const vault = plan.outputs.find((o) => o.kind === "vault")!;
    expect(payout.sats).toBeLessThan(10_000_000n);
    expect(10_000_000n - payout.sats).toBeLessThanOrEqual(DEFAULT_PAYOUT_MAX_FEE);
    expect(vault.sats).toBe(90_000_000n);
    expect(plan.inputs.map((i) => i.owner)).toEqual(["alice"]);
    expect(plan.spellBytes.length).toBeLessThanOrEqual(80);
    expect(plan.outputs.at(-1)!.kind).toBe("spell");
  });

  it("the indexer accepts exactly the plan, settles once, and the invariants hold", () => {
    const { state, plan, ids } = withdrawn();
    const { tx, checked } = settle(state, plan, 20);
    expect(checked).toMatchObject({ ok: true });
    expect(state.custody.obligations.get(ids[0]!)).toMatchObject({ status: "settled", settledBy: tx.txid });
    expect(checkInvariants(state)).toMatchObject({ ok: true });
    // The same settlement again (another transaction): the obligation is not open any more.
    const again = checkSettlement(txOf(plan), plan.spellBytes, state, { height: 21, finality: 6 }, config);
    expect(again).toMatchObject({ ok: false, reason: { code: "notNamed" } });
  });

  it("refuses a settlement that pays 1 sat more, or one sat less back to the vault", () => {
    const { state, plan } = withdrawn();
    const more = txOf(plan);
    const i = plan.outputs.findIndex((o) => o.kind === "payout");
    (more.outputs[i] as { sats: bigint }).sats += 1n;
    expect(checkSettlement(more, plan.spellBytes, state, { height: 20, finality: 6 }, config)).toMatchObject({
      ok: false,
      reason: { code: "wrongOutputs" },
    });
    const less = txOf(plan);
    const v = plan.outputs.findIndex((o) => o.kind === "vault");
    (less.outputs[v] as { sats: bigint }).sats -= 1n;
    expect(checkSettlement(less, plan.spellBytes, state, { height: 20, finality: 6 }, config)).toMatchObject({
      ok: false,
      reason: { code: "wrongOutputs" },
    });
  });

  it("refuses a settlement that spends the wrong coin, a foreign coin, or names a too-recent basis", () => {
    const { state, plan } = withdrawn();
    const bobCoin = [...state.custody.coins.values()].find((c) => c.vault === "bob")!;
    const wrong = txOf(plan);
    const [t, v] = bobCoin.outpoint.split(":");
    (wrong.inputs as { prevTxid: string; vout: number }[])[0] = {
      ...wrong.inputs[0]!,
      prevTxid: t!,
      vout: Number(v),
    };
    expect(checkSettlement(wrong, plan.spellBytes, state, { height: 20, finality: 6 }, config)).toMatchObject(
      {
        ok: false,
        reason: { code: "coinsNotConsolidated" },
      },
    );
    const foreign = txOf(plan);
    (foreign.inputs as { prevTxid: string }[])[0]!.prevTxid = "ee".repeat(32);
    expect(
      checkSettlement(foreign, plan.spellBytes, state, { height: 20, finality: 6 }, config),
    ).toMatchObject({
      ok: false,
      reason: { code: "foreignInput" },
    });
    expect(
      checkSettlement(txOf(plan), plan.spellBytes, state, { height: 15, finality: 6 }, config),
    ).toMatchObject({
      ok: false,
      reason: { code: "basisTooRecent" },
    });
  });

  it("a liquidation's collateral moves to the main coin through a settlement, invariants holding", () => {
    const state = world();
    // Price drop: alice (1 BTC, 10,000 debt) falls below 110%.
    state.g.price = 10_500n * E18;
    const l = step(state, { type: "liquidate", owner: "alice", liquidator: "bob" }, 12, 0n, bob);
    expect(l.created.some((o) => o.source === "alice" && o.to === null)).toBe(true);
    expect(checkInvariants(state)).toMatchObject({ ok: true });
    const plan = planSettlement(
      state,
      l.created.map((o) => o.id),
      2_000,
      config,
    );
    expect(plan).toMatchObject({ ok: true });
    if (!plan.ok) return;
    expect(plan.plan.outputs.some((o) => o.kind === "main")).toBe(true);
    expect(settle(state, plan.plan, 30).checked).toMatchObject({ ok: true });
    expect(checkInvariants(state)).toMatchObject({ ok: true });
    expect([...state.custody.coins.values()].some((c) => c.vault === "alice")).toBe(false);
  });
});

describe('rolling and consolidating vault coins (docs/custody.md "Rolling")', () => {
  const aliceCoins = (state: State) => [...state.custody.coins.values()].filter((c) => c.vault === "alice");
  const rollPlan = (state: State, rolls: string[], height: number) => planned(state, [], { rolls, height });

  it("a vault is due when it holds two coins, or a coin rollAge blocks old; never while it carries nothing", () => {
    const state = funded(world());
    expect(rollAge(144)).toBe(144 - 72 - 36);
    expect(rollAge(26_280)).toBe(26_280 - 4_320 - 144);
    expect(rollsDue(state, 45, config)).toEqual([]);
    expect(rollsDue(state, 46, config)).toEqual(["alice", "bob"]);
    depositAlice(state, 12);
    expect(rollsDue(state, 13, config)).toEqual(["alice"]);
    expect(rollDue(state, "bob", 13, config)).toBe(false);
  });

  it("consolidation: the vault's coins become one coin of the same sats at its script; its record does not change", () => {
    const state = funded(world());
    depositAlice(state, 12);
    const before = structuredClone(state.accounts.get("alice"));
    const sats = aliceCoins(state).reduce((a, c) => a + c.sats, 0n);
    const plan = rollPlan(state, ["alice"], 13);
    expect(plan.ids).toEqual([]);
    expect(plan.rolls).toEqual(["alice"]);
    expect(plan.outputs.filter((o) => o.kind === "vault")).toEqual([
      { kind: "vault", owner: "alice", sats, script: aliceCoins(state)[0]!.script },
    ]);
    const stray = state.custody.stray;
    expect(settle(state, plan, 14).checked).toMatchObject({ ok: true, rolls: ["alice"] });
    expect(aliceCoins(state)).toEqual([expect.objectContaining({ sats, height: 14n })]);
    expect(state.accounts.get("alice")).toEqual(before);
    // The fee account paid the whole fee.
    expect(stray - state.custody.stray).toBe(plan.fee);
    expect(checkInvariants(state)).toMatchObject({ ok: true });
  });

  it("an aged coin is rolled before its timelock: the new coin's clock starts again", () => {
    const state = funded(world());
    const plan = rollPlan(state, ["alice", "bob"], 46);
    expect(settle(state, plan, 47).checked).toMatchObject({ ok: true, rolls: ["alice", "bob"] });
    expect(rollsDue(state, 47 + 35, config)).toEqual([]);
    expect(rollsDue(state, 47 + 36, config)).toEqual(["alice", "bob"]);
    expect(checkInvariants(state)).toMatchObject({ ok: true });
  });

  it("refuses a roll that pays 1 sat less back, pays another script, or spends a coin of a vault not due", () => {
    const state = funded(world());
    depositAlice(state, 12);
    const plan = rollPlan(state, ["alice"], 13);
    const at = { height: 14, finality: 6 };
    const v = plan.outputs.findIndex((o) => o.kind === "vault");
    const less = txOf(plan);
    (less.outputs[v] as { sats: bigint }).sats -= 1n;
    expect(checkSettlement(less, plan.spellBytes, state, at, config)).toMatchObject({
      ok: false,
      reason: { code: "wrongOutputs" },
    });
    // One sat less to the vault and one more to the main coin: still not the roll.
    const moved = txOf(plan);
    (moved.outputs[v] as { sats: bigint }).sats -= 1n;
    (moved.outputs[v + 1] as { sats: bigint }).sats += 1n;
    expect(checkSettlement(moved, plan.spellBytes, state, at, config)).toMatchObject({
      ok: false,
      reason: { code: "wrongOutputs" },
    });
    const other = txOf(plan);
    (other.outputs[v] as { script: Uint8Array }).script = vaultScriptFor(state, bob, config)!;
    expect(checkSettlement(other, plan.spellBytes, state, at, config)).toMatchObject({
      ok: false,
      reason: { code: "wrongOutputs" },
    });
    // Bob's coin (one coin, young) spent along: bob is not due.
    const bobCoin = [...state.custody.coins.values()].find((c) => c.vault === "bob")!;
    const grab = txOf(plan);
    const [t, o] = bobCoin.outpoint.split(":");
    (grab.inputs as unknown[]).push({ ...grab.inputs[0]!, prevTxid: t!, vout: Number(o) });
    (grab.outputs[v] as { sats: bigint }).sats += bobCoin.sats;
    expect(checkSettlement(grab, plan.spellBytes, state, at, config)).toMatchObject({
      ok: false,
      reason: { code: "rollNotDue" },
    });
    // The planner refuses it too.
    expect(planSettlement(state, [], 2_000, config, { rolls: ["bob"], height: 14 })).toMatchObject({
      ok: false,
      reason: { code: "rollNotDue" },
    });
  });

  it("a due vault's coin moved into another vault's output is refused; so is a settlement that names and rolls nothing", () => {
    const state = funded(world());
    const plan = rollPlan(state, ["alice", "bob"], 46);
    const at = { height: 47, finality: 6 };
    const swapped = txOf(plan);
    const vaults = plan.outputs.flatMap((o, i) => (o.kind === "vault" ? [i] : []));
    const [a, b] = vaults as [number, number];
    const bobSats = plan.outputs[b]!.sats;
    (swapped.outputs[a] as { sats: bigint }).sats += bobSats;
    swapped.outputs.splice(b, 1);
    expect(checkSettlement(swapped, plan.spellBytes, state, at, config)).toMatchObject({ ok: false });
    // Only the main coin spent, back to itself less a fee: nothing settled, nothing rolled.
    const main = [...state.custody.coins.values()].find((c) => c.vault === null)!;
    const [t, o] = main.outpoint.split(":");
    const idle: TxShape = {
      txid: txid(seq++),
      inputs: [{ prevTxid: t!, vout: Number(o), scriptSig: new Uint8Array(0), witness: [], sequence: 0 }],
      outputs: [{ script: fromHex(main.script), sats: main.sats - 500n }, plan.outputs.at(-1)!].map((x) => ({
        script: x.script instanceof Uint8Array ? x.script : fromHex(x.script),
        sats: x.sats,
      })),
    };
    expect(checkSettlement(idle, plan.spellBytes, state, at, config)).toMatchObject({
      ok: false,
      reason: { code: "nothingSettled" },
    });
  });

  it("a vault of 300 coins is consolidated in chunks, oldest first, each settlement ≤ 10 kvB and accepted", () => {
    const state = funded(world(), 5_000_000n);
    for (let i = 0; i < 299; i++) depositAlice(state, 12 + Math.floor(i / 50), 10_000n);
    const sats = aliceCoins(state).reduce((a, c) => a + c.sats, 0n);
    expect(aliceCoins(state)).toHaveLength(300);
    let height = 20;
    let settlements = 0;
    const sizes: number[] = [];
    while (aliceCoins(state).length > 1) {
      const oldest = aliceCoins(state)
        .sort((a, b) =>
          a.height !== b.height ? Number(a.height - b.height) : a.outpoint < b.outpoint ? -1 : 1,
        )
        .slice(0, MAX_ROLL_COINS)
        .map((c) => c.outpoint)
        .sort();
      const plan = rollPlan(state, ["alice"], height);
      expect(plan.inputs.filter((i) => i.owner === "alice").map((i) => i.outpoint)).toEqual(oldest);
      expect(plan.vsize).toBeLessThanOrEqual(MAX_SETTLEMENT_VSIZE);
      sizes.push(plan.vsize);
      const tx = txOf(plan);
      const checked = checkSettlement(
        tx,
        plan.spellBytes,
        state,
        { height: height + 1, finality: 6 },
        config,
      );
      expect(checked).toMatchObject({ ok: true, rolls: ["alice"] });
      if (!checked.ok) return;
      applySettlement(state, tx.txid, checked, height + 1);
      expect(checkInvariants(state)).toMatchObject({ ok: true });
      height += 2;
      settlements++;
    }
    expect(aliceCoins(state)).toEqual([expect.objectContaining({ sats })]);
    // 300 coins, 32 a chunk: 9 chunks of the original coins leave 12 of them and 9 chunk coins, merged
    // by a 10th.
    expect(settlements).toBe(10);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(MAX_SETTLEMENT_VSIZE);
  });

  it("refuses a chunk that spends a younger coin of the vault and leaves an older one", () => {
    const state = funded(world(), 5_000_000n);
    for (let i = 0; i < 60; i++) depositAlice(state, 12 + i, 10_000n);
    const plan = rollPlan(state, ["alice"], 80);
    const coins = aliceCoins(state).sort((a, b) => Number(a.height - b.height));
    const spent = new Set(plan.inputs.map((i) => i.outpoint));
    const skip = coins.find((c) => spent.has(c.outpoint))!;
    const young = coins.find((c) => !spent.has(c.outpoint))!;
    expect(young.height > skip.height).toBe(true);
    const tx = txOf(plan);
    const i = tx.inputs.findIndex((x) => `${x.prevTxid}:${x.vout}` === skip.outpoint);
    const [t, o] = young.outpoint.split(":");
    (tx.inputs as { prevTxid: string; vout: number }[])[i] = {
      ...tx.inputs[i]!,
      prevTxid: t!,
      vout: Number(o),
    };
    const v = plan.outputs.findIndex((x) => x.kind === "vault");
    (tx.outputs[v] as { sats: bigint }).sats += young.sats - skip.sats;
    expect(checkSettlement(tx, plan.spellBytes, state, { height: 81, finality: 6 }, config)).toMatchObject({
      ok: false,
      reason: { code: "coinsNotConsolidated" },
    });
  });

  it("100 strays at the pool's script do not stall settlements: each spends the pool's 8 largest coins", () => {
    const state = funded(world(), 5_000_000n);
    for (let i = 0; i < 100; i++) funded(state, 1_000n + BigInt(i));
    const w = step(
      state,
      { type: "adjustVault", owner: "alice", withdrawCollateral: E18 / 10n },
      11,
      0n,
      alice,
    );
    const ids = w.created.map((o) => o.id);
    const pool = () => [...state.custody.coins.values()].filter((c) => c.vault === null);
    const largest = pool()
      .sort((a, b) => (a.sats > b.sats ? -1 : 1))
      .slice(0, MAX_POOL_COINS)
      .map((c) => c.outpoint);
    const planned = planSettlement(state, ids, 2_000, config);
    if (!planned.ok) throw new Error(planned.reason.message);
    const plan = planned.plan;
    expect(plan.vsize).toBeLessThanOrEqual(MAX_SETTLEMENT_VSIZE);
    expect(plan.inputs.filter((i) => i.owner === null).map((i) => i.outpoint)).toEqual(largest.sort());
    // Leaving out one of the largest pool coins is refused.
    const short = txOf(plan);
    const drop = short.inputs.findIndex((x) => `${x.prevTxid}:${x.vout}` === largest[1]);
    (short.inputs as unknown[]).splice(drop, 1);
    expect(checkSettlement(short, plan.spellBytes, state, { height: 19, finality: 6 }, config)).toMatchObject(
      {
        ok: false,
        reason: { code: "coinsNotConsolidated" },
      },
    );
    const tx = txOf(plan);
    const checked = checkSettlement(tx, plan.spellBytes, state, { height: 19, finality: 6 }, config);
    expect(checked).toMatchObject({ ok: true });
    if (!checked.ok) return;
    applySettlement(state, tx.txid, checked, 19);
    expect(pool()).toHaveLength(101 + 1 - MAX_POOL_COINS);
    expect(checkInvariants(state)).toMatchObject({ ok: true });
  });

  it("a deposit confirmed after a settlement was planned does not make it wrong (coins after the basis are optional)", () => {
    const state = funded(world());
    const plan = planned(
      state,
      withdraw(state).created.map((o) => o.id),
    );
    depositAlice(state, 18);
    expect(settle(state, plan, 19).checked).toMatchObject({ ok: true });
    expect(aliceCoins(state)).toHaveLength(2);
    expect(checkInvariants(state)).toMatchObject({ ok: true });
  });
});

describe('the fee account (docs/custody.md "The fee account")', () => {
  /** Carol redeems 1,000 zkUSD: the redemption fee (BTC) stays in the pool as `feeCollateral`. */
  function redeemed() {
    const state = world();
    state.g.time += 15n * 86_400n; // past the redemption bootstrap
    step(state, { type: "transfer", from: "alice", to: "carol", amount: 1_000n * E18 }, 12);
    const r = step(state, { type: "redeem", redeemer: "carol", amount: 1_000n * E18, maxFee: E18 }, 13);
    const { checked } = settle(
      state,
      planned(
        state,
        r.created.map((o) => o.id),
      ),
      20,
    );
    if (!checked.ok) throw new Error(checked.reason.message);
    return state;
  }

  it("with no funding and no BTC fees, a roll waits: the fee account holds 0 sats", () => {
    const state = world();
    depositAlice(state, 12);
    expect(planSettlement(state, [], 2_000, config, { rolls: ["alice"], height: 13 })).toMatchObject({
      ok: false,
      reason: { message: expect.stringMatching(/the fee account holds 0 sats, the settlement needs \d+/) },
    });
  });

  it("a redemption fee refills it: a roll is paid from whole satoshis of the BTC fees, exactly", () => {
    const state = redeemed();
    expect(state.custody.stray).toBe(0n);
    const fees = state.g.feeCollateral;
    expect(fees / SAT).toBeGreaterThan(1_000n);
    depositAlice(state, 21);
    const plan = planned(state, [], { rolls: ["alice"], height: 22 });
    expect(plan.fromAccount).toBe(plan.fee);
    expect(settle(state, plan, 30).checked).toMatchObject({ ok: true });
    expect(state.custody.stray).toBe(0n);
    expect(fees - state.g.feeCollateral).toBe(plan.fee * SAT);
    expect(checkInvariants(state)).toMatchObject({ ok: true });
  });

  it("draws the stray part first, then BTC fees; never more than both hold (it cannot go below zero)", () => {
    const state = redeemed();
    const fees = state.g.feeCollateral;
    funded(state, 100n);
    depositAlice(state, 21);
    const plan = planned(state, [], { rolls: ["alice"], height: 22 });
    expect(settle(state, plan, 30).checked).toMatchObject({ ok: true });
    expect(state.custody.stray).toBe(0n);
    expect(fees - state.g.feeCollateral).toBe((plan.fee - 100n) * SAT);
    expect(checkInvariants(state)).toMatchObject({ ok: true });
    // Only sub-satoshi fees and 1 sat short of the next roll's fee: refused, nothing drawn.
    depositAlice(state, 31);
    const next = planned(state, [], { rolls: ["alice"], height: 32 });
    state.g.feeCollateral = (next.fee - 1n) * SAT + SAT - 1n;
    expect(planSettlement(state, [], 2_000, config, { rolls: ["alice"], height: 32 })).toMatchObject({
      ok: false,
      reason: {
        message: expect.stringContaining(
          `the fee account holds ${next.fee - 1n} sats, the settlement needs ${next.fee}`,
        ),
      },
    });
    expect(
      checkSettlement(txOf(next), next.spellBytes, state, { height: 40, finality: 6 }, config),
    ).toMatchObject({
      ok: false,
    });
  });
});
