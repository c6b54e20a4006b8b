import { describe, expect, it } from "vitest";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  parseDecimal,
  type State,
  serializeState,
} from "../../protocol/index.ts";
import { liquidationPrice, maxBorrow, meetFor, previewOperation } from "./preview.ts";

const d = parseDecimal;
const genesis = (): State => createGenesisState({ ...DEFAULT_PARAMS }, { time: 0n, height: 0n });
const ctx = { height: 1n, time: 0n };

describe("previews", () => {
  it("a preview never changes the state it reads", () => {
    const state = genesis();
    const before = JSON.stringify(serializeState(state), (_k, v) => (typeof v === "bigint" ? `${v}` : v));
    const p = previewOperation(state, {
      type: "openVault",
      owner: "alice",
      collateral: d("1"),
      borrow: d("10000"),
    });
    expect(p.ok).toBe(true);
    const after = JSON.stringify(serializeState(state), (_k, v) => (typeof v === "bigint" ? `${v}` : v));
    expect(after).toBe(before);
  });

  it("an open vault preview reports the engine's fee, debt and ICR", () => {
    const p = previewOperation(genesis(), {
      type: "openVault",
      owner: "alice",
      collateral: d("0.5"),
      borrow: d("12000"),
    });
    if (!p.ok) throw new Error(p.message);
    expect(p.result.fee).toBe(d("60")); // 0.5% floor
    expect(p.vaultAfter?.debt).toBe(d("12260")); // + 200 reserve
    expect(p.vaultAfter?.icr).toBe((d("0.5") * d("60000")) / d("12260"));
    expect(p.liquidationPriceAfter).toBe((d("12260") * d("1.1") + d("0.5") - 1n) / d("0.5"));
  });

  it("a refusal carries the engine's code and user sentence", () => {
    const p = previewOperation(genesis(), {
      type: "openVault",
      owner: "a",
      collateral: d("1"),
      borrow: d("100"),
    });
    expect(p).toMatchObject({ ok: false, code: "belowMinimumNetDebt" });
  });

  it("max borrow is the engine's edge: accepted, and one unit more is refused", () => {
    const state = genesis();
    const max = maxBorrow(state, "alice", { collateral: d("0.5") }, ctx)!;
    expect(
      apply(
        createGenesisState({ ...DEFAULT_PARAMS }, { time: 0n }),
        { type: "openVault", owner: "alice", collateral: d("0.5"), borrow: max },
        ctx,
      ).ok,
    ).toBe(true);
    const beyond = apply(
      genesis(),
      { type: "openVault", owner: "alice", collateral: d("0.5"), borrow: max + 1n },
      ctx,
    );
    expect(beyond.ok).toBe(false);
  });

  it("max borrow is null when even the minimum debt would be refused", () => {
    expect(maxBorrow(genesis(), "alice", { collateral: d("0.01") }, ctx)).toBeNull();
  });

  it("liquidation price rounds up (the safe side) and is absent without debt", () => {
    expect(liquidationPrice(3n, 10n, 1n)).toBe(4n);
    expect(liquidationPrice(d("1"), 0n, d("1.1"))).toBeNull();
  });

  it("a priced operation is valued at the price it will meet (the flow's own price update first)", () => {
    const state = genesis(); // $60,000 on the state
    const op = { type: "openVault" as const, owner: "alice", collateral: d("0.5"), borrow: d("10000") };
    const stale = previewOperation(state, op, ctx);
    const met = previewOperation(state, op, ctx, { price: d("97000") });
    if (!stale.ok || !met.ok) throw new Error("refused");
    expect(stale.price).toBe(d("60000"));
    expect(met.price).toBe(d("97000"));
    // ICR = 0.5 × 97,000 / (10,000 + 50 fee + 200 reserve)
    expect(met.vaultAfter!.icr).toBe((d("0.5") * d("97000")) / d("10250"));
    expect(state.g.price).toBe(d("60000"));
    // The most one can borrow follows the met price too.
    const max = maxBorrow(state, "alice", { collateral: d("0.5") }, ctx, { price: d("97000") })!;
    expect(max).toBeGreaterThan(maxBorrow(state, "alice", { collateral: d("0.5") }, ctx)!);
    // Unpriced operations (a pool deposit, governance) meet the state as it is, at its own time.
    expect(meetFor({ type: "poolDeposit", owner: "a", amount: 1n }, { price: 1n, time: 5n })).toEqual({});
    expect(meetFor({ type: "closeVault", owner: "a" }, { price: 1n, time: 5n })).toEqual({
      price: 1n,
      time: 5n,
    });
  });
});
