/**
 * A form's amount verdicts (issue 15, item 1): the engine state's bounds give none while that state is
 * behind the tip (they would be an older state's); a bound read from the chain now (the wallet) still does.
 */
import { describe, expect, it } from "vitest";
import { parseDecimal } from "../../protocol/index.ts";
import { withinBounds } from "./bounds.ts";

const ok = (text: string) => ({ kind: "ok" as const, value: parseDecimal(text) });
// Genesis figures: the minimum debt and the most a collateral could borrow in the older state.
const minDebt = { min: parseDecimal("1800"), message: "The minimum to borrow is 1,800.00 zkUSD." };
const maxBorrow = { max: parseDecimal("20000"), message: "At most 20,000.00 zkUSD can be borrowed." };
const wallet = { max: parseDecimal("0.2"), message: "More than your wallet holds.", live: true as const };

describe("withinBounds", () => {
  it("gives the engine state's verdicts when that state is current", () => {
    expect(withinBounds(ok("100"), true, [minDebt, maxBorrow])).toEqual({
      kind: "error",
      message: minDebt.message,
    });
    expect(withinBounds(ok("30000"), true, [minDebt, maxBorrow])).toEqual({
      kind: "error",
      message: maxBorrow.message,
    });
    expect(withinBounds(ok("5000"), true, [minDebt, maxBorrow])).toEqual(ok("5000"));
  });

  it("gives none of an older state's verdicts while the engine is behind the tip", () => {
    expect(withinBounds(ok("100"), false, [minDebt, maxBorrow])).toEqual(ok("100"));
    expect(withinBounds(ok("30000"), false, [null, minDebt, maxBorrow, undefined])).toEqual(ok("30000"));
  });

  it("keeps a bound read from the chain now (the wallet's coins) while behind", () => {
    expect(withinBounds(ok("0.5"), false, [wallet])).toEqual({ kind: "error", message: wallet.message });
    expect(withinBounds(ok("0.1"), false, [wallet, minDebt])).toEqual(ok("0.1"));
  });

  it("passes a parse error through either way", () => {
    const bad = { kind: "error" as const, message: "Ambiguous." };
    expect(withinBounds(bad, false, [wallet])).toBe(bad);
    expect(withinBounds(bad, true, [minDebt])).toBe(bad);
  });
});
