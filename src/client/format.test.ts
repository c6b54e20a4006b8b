import { describe, expect, it } from "vitest";
import { parseDecimal } from "../protocol/decimal.ts";
import {
  decimalSeparatorOf,
  formatAmount,
  formatBtc,
  formatCount,
  formatPercent,
  formatUsd,
  formatZkusd,
  parseAmountText,
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

describe("amount input in the user's locale", () => {
  const en = { decimalSeparator: "." as const };
  const de = { decimalSeparator: "," as const };
  const ok = (value: string) => ({ kind: "ok", value: parseDecimal(value) });

  it("reads the locale's decimal mark and groups of three", () => {
    expect(parseAmountText("1.5", en)).toEqual(ok("1.5"));
    expect(parseAmountText("1,5", de)).toEqual(ok("1.5"));
    expect(parseAmountText("12,500,000.25", en)).toEqual(ok("12500000.25"));
    expect(parseAmountText("12.500.000,25", de)).toEqual(ok("12500000.25"));
    expect(parseAmountText("12 500,25", de)).toEqual(ok("12500.25"));
    expect(parseAmountText("12\u202f500.25", en)).toEqual(ok("12500.25"));
    expect(parseAmountText(".5", en)).toEqual(ok("0.5"));
    expect(parseAmountText("  ", en)).toEqual({ kind: "empty" });
  });

  it("refuses what could be read two ways instead of guessing (1,5 was read as 15 BTC)", () => {
    const oneFive = parseAmountText("1,5", en);
    expect(oneFive).toEqual({ kind: "error", message: '"1,5" could be read two ways: write 15 or 1.5.' });
    expect(parseAmountText("0,001", en).kind).toBe("error");
    expect(parseAmountText("1,500", en)).toEqual(ok("1500"));
    expect(parseAmountText("1.500", de)).toEqual(ok("1500"));
    expect(parseAmountText("1.5", de)).toEqual({
      kind: "error",
      message: '"1.5" could be read two ways: write 15 or 1,5.',
    });
  });

  it("refuses malformed groups, signs, letters, and too many decimals", () => {
    for (const text of ["1,50,0", "1,500,5", ",500,000", "-1", "1e3", "0x10", "1.2.3", "1.5,000"])
      expect(parseAmountText(text, en).kind, text).toBe("error");
    expect(parseAmountText("0.123456789", { ...en, maxDecimals: 8 })).toEqual({
      kind: "error",
      message: "Use at most 8 decimals.",
    });
  });

  it("applies the field's bound with its own sentence", () => {
    const max = { value: parseDecimal("21000000"), message: "That is more bitcoin than will ever exist." };
    expect(parseAmountText("99,999,999,999", { ...en, max })).toEqual({
      kind: "error",
      message: max.message,
    });
    expect(parseAmountText("21,000,000", { ...en, max })).toEqual(ok("21000000"));
  });

  it("knows each locale's decimal mark", () => {
    expect(decimalSeparatorOf("en-US")).toBe(".");
    expect(decimalSeparatorOf("de-DE")).toBe(",");
    expect(decimalSeparatorOf("fr-FR")).toBe(",");
  });
});
