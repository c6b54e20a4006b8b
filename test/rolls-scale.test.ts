/**
 * Rolls at the real parameters (docs/custody.md "Rolling"; SPEC §2a "Rolling and escape"): timelock
 * 26,280 blocks, roll margin 4,320, rolls from age 21,816. On a simulated chain (the engine and the
 * settlement module, no Bitcoin node) 2,000 debt-carrying vaults are opened at different heights; the
 * leader's rule (`proposalRolls`: due vaults, oldest coin first, at most 16 a settlement) plans one
 * settlement a block, the indexer's predicate accepts each, and:
 *   - no coin is rolled before it is due (age 21,816 at the roll's confirmation);
 *   - every coin is rolled before age 21,960 (its timelock less the margin);
 *   - 16 a settlement keeps up: 2,000 vaults opened over a week, or even in one block.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../src/btc/scripts.ts";
import { proposalRolls, settlementPsbt } from "../src/guardian/settle.ts";
import {
  addCoin,
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
  checkInvariants,
  checkSettlement,
  MAX_ROLLS_PER_SETTLEMENT,
  MAX_SETTLEMENT_VSIZE,
  planSettlement,
  poolScriptHex,
  ROLL_MARGIN_BLOCKS,
  recordInflow,
  rollAge,
  vaultScriptFor,
} from "../src/settlement/index.ts";
import { planTx } from "./support/settlement.ts";

const E18 = 10n ** 18n;
const CSV = 26_280;
const config: CustodyConfig = { network: "regtest", csvBlocks: CSV };
const guardians = [31, 32, 33].map((n) =>
  secp256k1.getPublicKey(Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? n : 3))),
);
const RATE = 2_000;
const WEEK = 1_008;

/** A seeded generator (mulberry32): the same history every run. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** 2,000 vaults of 0.1 BTC and 2,000 zkUSD opened at `heights` (ascending), the fee account funded. */
function chain(heights: number[]): State {
  const state = createGenesisState(DEFAULT_PARAMS, {
    time: 1_700_000_000n,
    price: 60_000n * E18,
    governance: { guardians: { keys: guardians.map(toHex), threshold: 2n } },
  });
  addCoin(state.custody, {
    outpoint: `${"ff".repeat(32)}:0`,
    sats: 100_000_000n,
    vault: null,
    script: poolScriptHex(state)!,
    height: 1n,
  });
  setStray(state.custody, 100_000_000n);
  heights.forEach((height, i) => {
    const owner = `v${i}`;
    const txid = (i + 1).toString(16).padStart(64, "0");
    const r = apply(
      state,
      { type: "openVault", owner, collateral: E18 / 10n, borrow: 2_000n * E18 },
      { height: BigInt(height), time: state.g.time + 60n, txid, index: 0 },
    );
    if (!r.ok) throw new Error(r.error.message);
    const key = secp256k1.getPublicKey(
      Uint8Array.from({ length: 32 }, (_, j) => (j < 2 ? (i >> (8 * j)) & 255 : 7)),
    );
    recordInflow(
      state,
      {
        vault: owner,
        ownerKey: toHex(key),
        vout: 0,
        sats: 10_000_000n,
        script: toHex(vaultScriptFor(state, key, config)!),
      },
      { txid, height },
    );
  });
  return state;
}

interface Outcome {
  settlements: number;
  /** First and last block a roll confirmed in. */
  first: number;
  last: number;
  /** Youngest and oldest age of a coin at its roll's confirmation. */
  youngest: number;
  oldest: number;
  mostRolls: number;
  largest: number;
}

/**
 * Every block from the first due height: the leader's rolls for that tip, planned, confirmed in the
 * next block (the predicate checks them there) and applied; until every vault was rolled once.
 */
function rollAll(state: State): Outcome {
  const age = rollAge(CSV);
  const coinHeight = new Map<string, number>();
  for (const c of state.custody.coins.values()) if (c.vault) coinHeight.set(c.vault, Number(c.height));
  const pending = new Set(coinHeight.keys());
  let tip = Math.min(...coinHeight.values()) + age - 1;
  const out: Outcome = {
    settlements: 0,
    first: Number.POSITIVE_INFINITY,
    last: 0,
    youngest: Number.POSITIVE_INFINITY,
    oldest: 0,
    mostRolls: 0,
    largest: 0,
  };
  while (pending.size > 0) {
    const rolls = proposalRolls(state, tip, [], RATE, config);
    if (rolls.length === 0) {
      tip++;
      continue;
    }
    const p = planSettlement(state, [], RATE, config, { rolls, height: tip });
    if (!p.ok) throw new Error(p.reason.message);
    const at = tip + 1;
    const tx = planTx(p.plan, settlementPsbt(p.plan).txid);
    const checked = checkSettlement(tx, p.plan.spellBytes, state, { height: at, finality: 6 }, config);
    if (!checked.ok) throw new Error(checked.reason.message);
    for (const v of rolls) {
      const a = at - coinHeight.get(v)!;
      out.youngest = Math.min(out.youngest, a);
      out.oldest = Math.max(out.oldest, a);
      pending.delete(v);
    }
    applySettlement(state, tx.txid, checked, at);
    out.settlements++;
    out.first = Math.min(out.first, at);
    out.last = at;
    out.mostRolls = Math.max(out.mostRolls, rolls.length);
    out.largest = Math.max(out.largest, p.plan.vsize);
    tip = at;
  }
  return out;
}

beforeAll(() => initPoseidon());

describe("rolls at the real timelock (26,280 blocks, margin 4,320)", () => {
  it("2,000 vaults opened over a week: each rolled once, due and before its margin line, 16 a settlement at most", () => {
    const r = rng(13);
    const heights = Array.from({ length: 2_000 }, () => 1_000 + Math.floor(r() * WEEK)).sort((a, b) => a - b);
    const state = chain(heights);
    const o = rollAll(state);
    expect(rollAge(CSV)).toBe(21_816);
    expect(o.youngest).toBeGreaterThanOrEqual(21_816);
    expect(o.oldest).toBeLessThan(CSV - ROLL_MARGIN_BLOCKS);
    expect(o.mostRolls).toBeLessThanOrEqual(MAX_ROLLS_PER_SETTLEMENT);
    expect(o.largest).toBeLessThanOrEqual(MAX_SETTLEMENT_VSIZE);
    expect(checkInvariants(state)).toMatchObject({ ok: true });
    // Never late: every coin is rolled by the settlement planned at the tip where it turns 21,816,
    // confirmed one block later. Measured (seed 13): 858 settlements over 1,008 blocks, at most 10
    // rolls in one (2,151 vB).
    expect(o.youngest).toBe(21_817);
    expect(o.oldest).toBe(21_817);
    expect(o.last - o.first).toBeLessThan(WEEK + 2);
    expect(o.settlements).toBe(858);
  }, 240_000);

  it("2,000 vaults opened in one block: 125 settlements of 16, the last still 19 blocks before its margin line", () => {
    const state = chain(Array.from({ length: 2_000 }, () => 1_000));
    const o = rollAll(state);
    expect(o.settlements).toBe(2_000 / MAX_ROLLS_PER_SETTLEMENT);
    expect(o.mostRolls).toBe(MAX_ROLLS_PER_SETTLEMENT);
    // Planned at the tip where the coin turns 21,816, confirmed one block later.
    expect(o.youngest).toBe(21_817);
    // The 125th settlement confirms 124 blocks after the first: age 21,941, 19 blocks before 21,960.
    expect(o.oldest).toBe(21_817 + 124);
    expect(o.largest).toBeLessThan(3_400);
    expect(o.oldest).toBeLessThan(CSV - ROLL_MARGIN_BLOCKS);
    expect(o.largest).toBeLessThanOrEqual(MAX_SETTLEMENT_VSIZE);
    expect(checkInvariants(state)).toMatchObject({ ok: true });
  }, 240_000);
});
