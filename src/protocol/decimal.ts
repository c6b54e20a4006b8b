/**
 * 18-decimal fixed point on bigint (docs/decisions.md §3). Every amount, price and ratio in the engine is an
 * integer scaled by 1e18. Division rounds down (floor) unless the name says otherwise; callers say
 * at each site why the chosen direction favours the protocol.
 */
import { ProtocolError } from "./errors.ts";

export const DECIMALS = 18;
export const ONE = 10n ** 18n;
/** 1 satoshi in engine units (1 BTC = 1e18 units = 1e8 sats). */
export const SATOSHI = 10n ** 10n;
/** Sentinel for "infinite" ratios (debt 0), as Liquity's 2^256 - 1. */
export const MAX_UINT256 = (1n << 256n) - 1n;

export const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
export const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);

/** floor(a * b / d). */
export function mulDiv(a: bigint, b: bigint, d: bigint): bigint {
  return (a * b) / d;
}

/** ceil(a * b / d) for non-negative operands. */
export function mulDivCeil(a: bigint, b: bigint, d: bigint): bigint {
  const n = a * b;
  return n === 0n ? 0n : (n - 1n) / d + 1n;
}

/** floor(a * b / 1e18). */
export const decMulFloor = (a: bigint, b: bigint): bigint => (a * b) / ONE;

/** Liquity's decMul: (a * b + 1e18/2) / 1e18, round half up; used only inside decPow. */
export const decMulHalfUp = (a: bigint, b: bigint): bigint => (a * b + ONE / 2n) / ONE;

/** Minutes in 1000 years: Liquity caps the decay exponent here. */
const DEC_POW_CAP = 525_600_000n;

/** Liquity's _decPow: base^n by squaring with half-up products; n capped at 1000 years of minutes. */
export function decPow(base: bigint, minutes: bigint): bigint {
  let n = minutes > DEC_POW_CAP ? DEC_POW_CAP : minutes;
  if (n === 0n) return ONE;
  let y = ONE;
  let x = base;
  while (n > 1n) {
    if (n % 2n === 0n) {
      x = decMulHalfUp(x, x);
      n /= 2n;
    } else {
      y = decMulHalfUp(x, y);
      x = decMulHalfUp(x, x);
      n = (n - 1n) / 2n;
    }
  }
  return decMulHalfUp(x, y);
}

/** Liquity's _computeCR: coll * price / debt, or MAX_UINT256 when debt is 0. */
export function computeCR(coll: bigint, debt: bigint, price: bigint): bigint {
  return debt > 0n ? (coll * price) / debt : MAX_UINT256;
}

/** NICR precision (1e20), price-free ordering key. */
export const NICR_PRECISION = 10n ** 20n;

/** Liquity's _computeNominalCR: coll * 1e20 / debt, or MAX_UINT256 when debt is 0. */
export function computeNominalCR(coll: bigint, debt: bigint): bigint {
  return debt > 0n ? (coll * NICR_PRECISION) / debt : MAX_UINT256;
}

/**
 * Largest amount anything from outside may carry (a spell's argument, an engine operation's field, a
 * scenario's number): 2^112 − 1 units, about 5.19e15 whole zkUSD or BTC. It is the circuits' range
 * check (amounts < 2^112, docs/zk.md), so whatever the decoder and the engine accept can be proven, and
 * it keeps every stored value far below the BN254 field the state root hashes in (docs/engine.md,
 * "Bounded amounts"). An approval of exactly this amount is unlimited (token.ts).
 */
export const MAX_AMOUNT = (1n << 112n) - 1n;

const DECIMAL_RE = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

/**
 * Parses a whole-unit decimal string ("1.5", "0.000000000000000001") into 18-decimal units.
 * Rejects negatives, exponents, more than 18 decimals and values above MAX_AMOUNT.
 */
export function parseDecimal(text: unknown, field = "amount"): bigint {
  if (typeof text !== "string") {
    throw new ProtocolError("malformedAmount", `${field}: expected a decimal string, got ${typeof text}`);
  }
  if (text.startsWith("-")) {
    throw new ProtocolError("negativeAmount", `${field}: must not be negative, got "${text}"`);
  }
  if (!DECIMAL_RE.test(text)) {
    throw new ProtocolError("malformedAmount", `${field}: "${text}" is not a plain decimal number`);
  }
  const [whole = "0", frac = ""] = text.split(".");
  const fraction = frac.replace(/^\./, "");
  if (fraction.length > DECIMALS) {
    throw new ProtocolError(
      "tooManyDecimals",
      `${field}: "${text}" has ${fraction.length} decimals, at most ${DECIMALS} are allowed`,
    );
  }
  const value = BigInt(whole) * ONE + BigInt(fraction.padEnd(DECIMALS, "0") || "0");
  if (value > MAX_AMOUNT) {
    throw new ProtocolError("amountTooLarge", `${field}: "${text}" exceeds the largest accepted amount`);
  }
  return value;
}

/** Formats 18-decimal units as a full-precision whole-unit decimal string without trailing zeros. */
export function formatDecimal(value: bigint): string {
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const whole = abs / ONE;
  const frac = (abs % ONE).toString().padStart(DECIMALS, "0").replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${frac ? `.${frac}` : ""}`;
}

/** Whole satoshis in an engine amount, rounded down (payouts never exceed what is owed). */
export const toSatsFloor = (amount: bigint): bigint => amount / SATOSHI;
/** Engine units of a satoshi amount (exact). */
export const fromSats = (sats: bigint): bigint => sats * SATOSHI;
