/**
 * Engine benchmarks (issue 2): replay throughput with and without state-root maintenance, opening
 * 100,000 vaults, batch liquidation of 1,000 out of 100,000, a redemption across 100 vaults, the root
 * update cost per operation and Poseidon's hashes/s. Histories come from a seeded PRNG (bench only).
 */
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  initPoseidon,
  ONE,
  type Operation,
  poseidon,
  type State,
  stateRoot,
} from "../src/protocol/index.ts";
import type { Figure } from "./run.ts";

const u = (x: number | bigint) => BigInt(x) * ONE;
const params = { ...DEFAULT_PARAMS, initialPrice: u(60_000), redemptionBootstrapDays: 0n };

/** mulberry32: a small seeded PRNG so every run replays the same history. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random but realistic history: generated against a live state so most operations succeed. */
function generateHistory(
  count: number,
  accounts: number,
): { ops: Operation[]; times: bigint[]; okRatio: number } {
  const rnd = prng(42);
  const pick = (n: number) => Math.floor(rnd() * n);
  const state = createGenesisState(params, { time: 0n });
  const ops: Operation[] = [];
  const times: bigint[] = [];
  let time = 0n;
  let ok = 0;
  const id = (i: number) => `acct${i}`;
  while (ops.length < count) {
    time += BigInt(pick(120));
    const who = id(pick(accounts));
    const a = state.accounts.get(who);
    const r = rnd();
    let op: Operation;
    if (a?.status !== "active") {
      const coll = u(1) + BigInt(pick(1000)) * 10n ** 16n;
      const icr = 1.3 + rnd() * 2;
      const debt = (coll * state.g.price) / BigInt(Math.floor(icr * 1e6)) / 10n ** 12n;
      op = { type: "openVault", owner: who, collateral: coll, borrow: ((debt - u(200)) * 1000n) / 1010n };
    } else if (r < 0.25)
      op = { type: "adjustVault", owner: who, depositCollateral: BigInt(pick(1000) + 1) * 10n ** 15n };
    else if (r < 0.4) op = { type: "adjustVault", owner: who, borrow: u(pick(500) + 1) };
    else if (r < 0.55) op = { type: "adjustVault", owner: who, repay: a.balance / 10n + 1n };
    else if (r < 0.7) op = { type: "poolDeposit", owner: who, amount: a.balance / 5n + 1n };
    else if (r < 0.78) op = { type: "poolWithdraw", owner: who, amount: u(pick(1000) + 1) };
    else if (r < 0.9)
      op = { type: "transfer", from: who, to: id(pick(accounts)), amount: a.balance / 20n + 1n };
    else if (r < 0.94)
      op = { type: "setPrice", price: (state.g.price * BigInt(9_700 + pick(600))) / 10_000n };
    else if (r < 0.97) op = { type: "liquidateBatch", count: 5, liquidator: who };
    else op = { type: "redeem", redeemer: who, amount: a.balance / 50n + 1n };
    const result = apply(state, op, { height: BigInt(ops.length + 1), time });
    if (result.ok) ok++;
    ops.push(op);
    times.push(time);
  }
  return { ops, times, okRatio: ok / count };
}

/** Replays a history; `rootEvery` = 0 for no root, 1 for a root after every op, k for one per k-op block. */
function replay(
  ops: Operation[],
  times: bigint[],
  rootEvery: number,
): { seconds: number; rootSeconds: number; state: State } {
  const state = createGenesisState(params, { time: 0n });
  let rootSeconds = 0;
  const start = performance.now();
  for (let i = 0; i < ops.length; i++) {
    apply(state, ops[i]!, { height: BigInt(i + 1), time: times[i]! });
    if (rootEvery > 0 && (i + 1) % rootEvery === 0) {
      const t = performance.now();
      stateRoot(state);
      rootSeconds += (performance.now() - t) / 1000;
    }
  }
  return { seconds: (performance.now() - start) / 1000, rootSeconds, state };
}

/** n vaults at ICRs from 150% up; `risky` of them at 115%, so a 10% price drop makes them liquidatable. */
function openVaults(n: number, risky: number): { state: State; seconds: number } {
  const state = createGenesisState(params, { time: 0n });
  const price = params.initialPrice;
  const start = performance.now();
  for (let i = 0; i < n; i++) {
    const coll = u(1);
    const icrBps = i >= n - risky ? 11_500n : 20_000n + BigInt(i % 20_000);
    const debt = (coll * price * 10_000n) / (icrBps * ONE);
    const borrow = ((debt - u(200)) * 1000n) / 1006n;
    const r = apply(
      state,
      { type: "openVault", owner: `v${i}`, collateral: coll, borrow },
      { height: 1n, time: 0n },
    );
    if (!r.ok) throw new Error(`open ${i} failed: ${r.error.code}`);
  }
  return { state, seconds: (performance.now() - start) / 1000 };
}

export async function run(): Promise<Figure[]> {
  await initPoseidon();
  const figures: Figure[] = [];

  const { ops, times, okRatio } = generateHistory(100_000, 5_000);
  replay(ops.slice(0, 20_000), times, 0); // warm-up (JIT)
  const plain = replay(ops, times, 0);
  figures.push({
    name: "replay 100k random ops, no root",
    value: Math.round(ops.length / plain.seconds),
    unit: "ops/s",
    target: ">= 50000",
  });
  figures.push({ name: "  share of ops accepted", value: Math.round(okRatio * 100), unit: "%" });
  const rooted = replay(ops, times, 1);
  figures.push({
    name: "replay 100k random ops, root after each",
    value: Math.round(ops.length / rooted.seconds),
    unit: "ops/s",
  });
  figures.push({
    name: "state-root update per op",
    value: Number(((rooted.rootSeconds / ops.length) * 1000).toFixed(3)),
    unit: "ms",
    target: "<= 1",
  });

  const blocks = replay(ops, times, 100);
  figures.push({
    name: "  root per 100-op block, amortized per op",
    value: Number(((blocks.rootSeconds / ops.length) * 1000).toFixed(3)),
    unit: "ms",
  });

  const opened = openVaults(100_000, 1_000);
  figures.push({ name: "open 100k vaults", value: Number(opened.seconds.toFixed(2)), unit: "s" });
  figures.push({ name: "  open throughput", value: Math.round(100_000 / opened.seconds), unit: "ops/s" });
  const rootStart = performance.now();
  stateRoot(opened.state);
  figures.push({
    name: "first root over 100k vaults",
    value: Math.round(performance.now() - rootStart),
    unit: "ms",
  });

  // A stability pool deposit covering half the risky debt; then a 10% price drop.
  const s = opened.state;
  const whale = s.accounts.get("v0")!;
  const funder = apply(
    s,
    { type: "transfer", from: "v1", to: "v0", amount: s.accounts.get("v1")!.balance },
    { height: 2n, time: 0n },
  );
  if (!funder.ok) throw new Error(funder.error.code);
  const deposit = apply(
    s,
    { type: "poolDeposit", owner: "v0", amount: whale.balance },
    { height: 2n, time: 0n },
  );
  if (!deposit.ok) throw new Error(deposit.error.code);
  apply(s, { type: "setPrice", price: (params.initialPrice * 90n) / 100n }, { height: 3n, time: 0n });
  const liqStart = performance.now();
  const liq = apply(
    s,
    { type: "liquidateBatch", count: 1_000, liquidator: "keeper" },
    { height: 4n, time: 0n },
  );
  const liqMs = performance.now() - liqStart;
  if (!liq.ok) throw new Error(`batch liquidation failed: ${liq.error.code}`);
  const liquidated = liq.events.filter((e) => e.type === "VaultLiquidated").length;
  figures.push({
    name: `batch liquidation of ${liquidated} of 100k vaults`,
    value: Number(liqMs.toFixed(1)),
    unit: "ms",
    target: "<= 50",
  });
  const rootAfterLiq = performance.now();
  stateRoot(s);
  figures.push({
    name: "  root update after the batch",
    value: Math.round(performance.now() - rootAfterLiq),
    unit: "ms",
  });

  // Redemption across 100 vaults: each lowest vault has ~ 8,000 zkUSD net debt at 150%+.
  const r = createGenesisState(params, { time: 0n });
  for (let i = 0; i < 200; i++) {
    const borrow = u(8_000);
    const coll = (u(13_000) * ONE) / params.initialPrice + BigInt(i) * 10n ** 15n;
    const o = apply(
      r,
      { type: "openVault", owner: `r${i}`, collateral: coll, borrow },
      { height: 1n, time: 0n },
    );
    if (!o.ok) throw new Error(o.error.code);
  }
  for (let i = 1; i < 200; i++)
    apply(r, { type: "transfer", from: `r${i}`, to: "r0", amount: u(8_000) }, { height: 1n, time: 0n });
  const target = r.accounts.get("r0")!.balance;
  const per = u(8_000) + (u(8_000) * 5n) / 1000n; // net debt of each vault (borrow + 0.5% fee)
  const redeemAmount = per * 100n < target ? per * 100n : target;
  const redStart = performance.now();
  const red = apply(r, { type: "redeem", redeemer: "r0", amount: redeemAmount }, { height: 2n, time: 0n });
  const redMs = performance.now() - redStart;
  if (!red.ok) throw new Error(`redemption failed: ${red.error.code}`);
  const touched = red.events.filter((e) => e.type === "VaultRedeemed").length;
  figures.push({
    name: `redemption across ${touched} vaults`,
    value: Number(redMs.toFixed(2)),
    unit: "ms",
    target: "<= 5",
  });

  const n = 20_000;
  const hStart = performance.now();
  let x = 1n;
  for (let i = 0; i < n; i++) x = poseidon([x, BigInt(i)]);
  figures.push({
    name: "Poseidon(2) incl. bigint conversion",
    value: Math.round(n / ((performance.now() - hStart) / 1000)),
    unit: "hashes/s",
  });
  return figures;
}
