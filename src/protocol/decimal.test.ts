import { describe, expect, it } from "vitest";
import { computeCR, decPow, formatDecimal, mulDivCeil, ONE, parseDecimal } from "./decimal.ts";
import { ProtocolError } from "./errors.ts";

const MINUTE_DECAY_FACTOR = 999037758833783000n;

describe("fixed point", () => {
  it("parses and formats full-precision decimal strings", () => {
    expect(parseDecimal("1.5")).toBe(1_500000000000000000n);
    expect(parseDecimal("0.000000000000000001")).toBe(1n);
    expect(parseDecimal("200")).toBe(200n * ONE);
    expect(formatDecimal(1_500000000000000000n)).toBe("1.5");
    expect(formatDecimal(1n)).toBe("0.000000000000000001");
    expect(formatDecimal(0n)).toBe("0");
  });

  it.each([
    ["-1", "negativeAmount"],
    ["1e5", "malformedAmount"],
    ["01", "malformedAmount"],
    ["1.", "malformedAmount"],
    [" 1", "malformedAmount"],
    ["0.0000000000000000001", "tooManyDecimals"],
    ["1000000000000000000000000", "amountTooLarge"],
  ])("rejects %s with %s", (text, code) => {
    expect(() => parseDecimal(text)).toThrowError(ProtocolError);
    try {
      parseDecimal(text);
    } catch (error) {
      expect((error as ProtocolError).code).toBe(code);
    }
  });

  it("rejects non-strings", () => {
    expect(() => parseDecimal(1.5)).toThrowError(/expected a decimal string/);
  });

  it("rounds mulDivCeil up and computeCR down", () => {
    expect(mulDivCeil(10n, 1n, 3n)).toBe(4n);
    expect(mulDivCeil(9n, 1n, 3n)).toBe(3n);
    expect(computeCR(1n, 3n, 1n)).toBe(0n);
  });

  // The 12-hour half-life: 0.5^(minutes/720). Liquity's MINUTE_DECAY_FACTOR has 15 significant digits,
  // so after n minutes the result is within about n × 2e-16 of the exact power (1e-12 bound here).
  it.each([
    [0n, ONE],
    [1n, MINUTE_DECAY_FACTOR],
    [720n, 500000000000000000n],
    [1440n, 250000000000000000n],
    [2880n, 62500000000000000n],
  ])("decPow(MINUTE_DECAY_FACTOR, %s) matches 0.5^(n/720) within 1e-12", (minutes, expected) => {
    const got = decPow(MINUTE_DECAY_FACTOR, minutes);
    const diff = got > expected ? got - expected : expected - got;
    expect(diff <= 1_000_000n).toBe(true);
  });

  it("decPow caps the exponent at 1000 years of minutes", () => {
    expect(decPow(MINUTE_DECAY_FACTOR, 525_600_000n)).toBe(decPow(MINUTE_DECAY_FACTOR, 10n ** 12n));
  });
});
