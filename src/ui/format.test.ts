import { describe, expect, it } from "vitest";
import {
  formatAmount,
  formatBtc,
  formatCount,
  formatPercent,
  formatUsd,
  formatZkusd,
  toPlotNumber,
} from "./format.ts";

const E18 = 10n ** 18n;
const MAX_UINT256 = (1n << 256n) - 1n;

describe("amount formatting", () => {
  it("shows the genesis price as dollars with cents and separators", () => {
    expect(formatUsd(60_000n * E18)).toBe("$60,000.00");
  });

  it("rounds half up for display and down when asked", () => {
    expect(formatAmount(1_005n * 10n ** 15n, { decimals: 2 })).toBe("1.01");
    expect(formatAmount(1_005n * 10n ** 15n, { decimals: 2, rounding: "down" })).toBe("1.00");
    expect(formatZkusd(999_999_995n * 10n ** 13n)).toBe("10,000.00 zkUSD");
  });

  it("keeps full precision far beyond what a JS number can hold", () => {
    const big = 123_456_789_012_345_678_901n * E18 + 1n;
    expect(formatAmount(big, { decimals: 18 })).toBe("123,456,789,012,345,678,901.000000000000000001");
  });

  it("shows BTC to the satoshi, rounding down, with at least two places", () => {
    expect(formatBtc(0n)).toBe("0.00 BTC");
    expect(formatBtc(E18 / 2n)).toBe("0.50 BTC");
    expect(formatBtc(12_345n * 10n ** 10n + 9n)).toBe("0.00012345 BTC");
  });

  it("shows ratios as percentages and the no-debt ratio as infinity", () => {
    expect(formatPercent(15n * 10n ** 17n)).toBe("150.0%");
    expect(formatPercent(5n * 10n ** 15n, 2)).toBe("0.50%");
    expect(formatPercent(MAX_UINT256)).toBe("∞");
  });

  it("formats negatives and counts", () => {
    expect(formatUsd(-1_500n * E18)).toBe("-$1,500.00");
    expect(formatAmount(-1n, { decimals: 2 })).toBe("0.00");
    expect(formatCount(1_234_567n)).toBe("1,234,567");
  });

  it("converts to a plot number only at the chart boundary", () => {
    expect(toPlotNumber(15n * 10n ** 17n)).toBe(1.5);
    expect(toPlotNumber(MAX_UINT256)).toBe(Number.POSITIVE_INFINITY);
  });

  it("rejects an impossible number of decimals", () => {
    expect(() => formatAmount(1n, { decimals: 19 })).toThrow(RangeError);
  });
});
