/**
 * The maximum fee's default (issue 15, item 3): the fee now plus half a point, never above what the
 * protocol can charge, never from an older state's fee, and never over what the user typed.
 */
import { describe, expect, it } from "vitest";
import { DEFAULT_PARAMS, parseDecimal } from "../../protocol/index.ts";
import { defaultMaxFeeText, MAX_FEE_WARNING, maxFeeOf } from "./MaxFee.tsx";

const pct = (text: string) => parseDecimal(text) / 100n;
const borrowing = { ceiling: DEFAULT_PARAMS.borrowingFeeCap };

describe("the maximum fee's default", () => {
  it("is the fee now plus 0.5 points, rounded up to a tenth of a percent", () => {
    expect(defaultMaxFeeText(pct("0.5"))).toBe("1");
    expect(defaultMaxFeeText(pct("1.234"))).toBe("1.8");
    expect(maxFeeOf(null, pct("2.01"), { current: true, ...borrowing }).maxFee).toBe(pct("2.6"));
  });

  it("never exceeds the most the protocol can charge, so a default never trips the warning", () => {
    // The chain's borrowing fee at 4.58% (issue 15): 5.1% would be above the 5% borrowing fee cap.
    const cap = maxFeeOf(null, pct("4.58"), { current: true, ...borrowing });
    expect(cap.text).toBe("5");
    expect(cap.maxFee).toBe(DEFAULT_PARAMS.borrowingFeeCap);
    expect(cap.maxFee! <= MAX_FEE_WARNING).toBe(true);
    // The cap is never below the fee quoted.
    expect(cap.maxFee! >= pct("4.58")).toBe(true);
    // A redemption's fee can reach 100%: its default follows it there.
    expect(maxFeeOf(null, pct("7.25"), { current: true }).text).toBe("7.8");
    expect(maxFeeOf(null, pct("99.8"), { current: true }).text).toBe("100");
  });

  it("offers no default from an older state's fee while the engine is behind, then follows the fee now", () => {
    const behind = maxFeeOf(null, pct("0.5"), { current: false, ...borrowing });
    expect(behind.text).toBe("");
    expect(behind.maxFee).toBeUndefined();
    expect(maxFeeOf(null, pct("4.58"), { current: true, ...borrowing }).text).toBe("5");
  });

  it("never overwrites what the user typed", () => {
    expect(maxFeeOf("3", pct("4.58"), { current: true, ...borrowing })).toMatchObject({
      text: "3",
      maxFee: pct("3"),
    });
    expect(maxFeeOf("3", pct("0.5"), { current: false, ...borrowing }).maxFee).toBe(pct("3"));
  });

  it("writes the default with the browser's decimal separator", () => {
    expect(defaultMaxFeeText(pct("0.6"), undefined, ",")).toBe("1,1");
  });
});
