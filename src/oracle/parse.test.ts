import { describe, expect, it } from "vitest";
import { parseDecimal } from "../protocol/decimal.ts";
import { decimal, epochMs, numberToDecimalString, parseJson } from "./parse.ts";

describe("reading exchange fields", () => {
  it("JSON numbers become exact decimal text, exponents expanded", () => {
    expect(numberToDecimalString(97003.25)).toBe("97003.25");
    expect(numberToDecimalString(1e-7)).toBe("0.0000001");
    expect(numberToDecimalString(1.5e21)).toBe("1500000000000000000000");
    expect(numberToDecimalString(-2.5e-8)).toBe("-0.000000025");
    expect(numberToDecimalString(123e25)).toBe("1230000000000000000000000000");
    expect(() => numberToDecimalString(Number.NaN)).toThrow(RangeError);
  });

  it("decimal fields parse to 18-decimal bigints from strings and numbers, never through floats", () => {
    expect(decimal("kraken", "97003.123456789012345678", "last")).toBe(
      parseDecimal("97003.123456789012345678"),
    );
    expect(decimal("kraken", 96995.5, "last")).toBe(96_995_500_000_000_000_000_000n);
    expect(decimal("kraken", "-1.5", "last")).toBe(-1_500_000_000_000_000_000n);
  });

  it("unparseable fields are malformedResponse errors that name the field", () => {
    expect(() => decimal("okx", "1e5", "data[0].last")).toThrow(
      /okx: data\[0\]\.last: "1e5" is not a plain decimal number/,
    );
    expect(() => decimal("okx", null, "data[0].last")).toThrow(
      /okx: expected a decimal at data\[0\]\.last, got null/,
    );
    expect(() => decimal("okx", "1.0000000000000000001", "last")).toThrow(/at most 18 are allowed/);
    expect(() => epochMs("bybit", "12ab", "time", "ms")).toThrow(/expected an integer time at time/);
    expect(() => parseJson("binance", "<html>")).toThrow(/binance: answer is not JSON: "<html>"/);
  });

  it("times convert from seconds and microseconds", () => {
    expect(epochMs("bitstamp", "1700000000", "timestamp", "s")).toBe(1_700_000_000_000);
    expect(epochMs("bitstamp", "1700000000123456", "microtimestamp", "us")).toBe(1_700_000_000_123);
  });
});
