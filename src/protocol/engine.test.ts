import { beforeAll, describe, expect, it } from "vitest";
import { ONE } from "./decimal.ts";
import { apply } from "./engine.ts";
import type { Operation } from "./operations.ts";
import { DEFAULT_PARAMS } from "./params.ts";
import { initPoseidon } from "./poseidon.ts";
import { createGenesisState, deserializeState, type State, serializeState } from "./state.ts";
import { stateRoot } from "./stateRoot.ts";

const u = (x: number | bigint) => BigInt(x) * ONE;
const params = { ...DEFAULT_PARAMS, initialPrice: u(200), redemptionBootstrapDays: 0n };

function run(state: State, ops: Operation[]) {
  return ops.map((op, i) => apply(state, op, { height: BigInt(i + 1), time: 0n }));
}

describe("engine", () => {
  beforeAll(() => initPoseidon());

  it("refuses to fully redeem the last vault, as Liquity's _closeTrove does", () => {
    // No borrowing fee, so the owner holds exactly the vault's net debt and can redeem all of it.
    const s = createGenesisState({ ...params, borrowingFeeFloor: 0n }, { time: 0n });
    const [open] = run(s, [{ type: "openVault", owner: "alice", collateral: u(100), borrow: u(2000) }]);
    expect(open?.ok).toBe(true);
    const before = JSON.stringify(serializeState(s));
    const r = apply(s, { type: "redeem", redeemer: "alice", amount: u(2000) }, { height: 2n, time: 0n });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("onlyOneVault");
    expect(JSON.stringify(serializeState(s))).toBe(before);
  });

  it("orders vaults by NICR, riskiest last, a new equal vault above existing ones", () => {
    const s = createGenesisState(params, { time: 0n });
    run(s, [
      { type: "openVault", owner: "a", collateral: u(30), borrow: u(2000) },
      { type: "openVault", owner: "b", collateral: u(20), borrow: u(2000) },
      { type: "openVault", owner: "c", collateral: u(40), borrow: u(2000) },
      { type: "openVault", owner: "d", collateral: u(20), borrow: u(2000) },
    ]);
    expect([...s.sorted.fromLowest()].map((a) => a.id)).toEqual(["b", "d", "a", "c"]);
    expect(s.sorted.last()?.id).toBe("b");
    expect(s.sorted.first()?.id).toBe("c");
  });

  it("round-trips the state through its canonical form with the same root and order", () => {
    const s = createGenesisState(params, { time: 0n });
    run(s, [
      { type: "openVault", owner: "a", collateral: u(30), borrow: u(2000) },
      { type: "openVault", owner: "b", collateral: u(12), borrow: u(2000) },
      { type: "poolDeposit", owner: "a", amount: u(1500) },
      { type: "approve", owner: "a", spender: "b", amount: u(10) },
      { type: "setPrice", price: u(180) },
      { type: "liquidate", owner: "b", liquidator: "k" },
    ]);
    const copy = deserializeState(serializeState(s));
    expect(stateRoot(copy)).toBe(stateRoot(s));
    expect([...copy.sorted.fromLowest()].map((a) => a.id)).toEqual(
      [...s.sorted.fromLowest()].map((a) => a.id),
    );
    expect(serializeState(copy)).toEqual(serializeState(s));
  });

  it("refuses time going backwards and changes nothing", () => {
    const s = createGenesisState(params, { time: 100n });
    const r = apply(s, { type: "setPrice", price: u(1) }, { height: 1n, time: 99n });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("timeWentBackwards");
    expect(s.g.price).toBe(u(200));
  });

  it("rounds BTC payouts down to whole satoshis and keeps the remainder as dust", () => {
    const s = createGenesisState(params, { time: 0n });
    run(s, [
      { type: "openVault", owner: "a", collateral: u(30), borrow: u(2000) },
      { type: "openVault", owner: "b", collateral: u(30), borrow: u(2000) },
    ]);
    const r = apply(
      s,
      { type: "adjustVault", owner: "a", withdrawCollateral: 123_456_789_012_345n },
      { height: 3n, time: 0n },
    );
    expect(r.ok).toBe(true);
    const withdrawn = r.ok ? r.events.find((e) => e.type === "CollateralWithdrawn") : undefined;
    expect(withdrawn && "paidSats" in withdrawn ? withdrawn.paidSats : -1n).toBe(12_345n);
    expect(s.g.dust).toBe(6_789_012_345n);
  });
});
