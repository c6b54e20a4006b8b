import { describe, expect, it } from "vitest";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  parseDecimal,
  type State,
  serializeState,
} from "../../protocol/index.ts";
import { liquidationPrice, maxBorrow, previewOperation } from "./preview.ts";

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
});
