/**
 * Amounts for humans. Engine amounts are 18-decimal bigints; these helpers round them with bigint
 * arithmetic, then format the digits of `formatDecimal`, so money never passes through a JS number.
 * The one exception is `toPlotNumber`, for chart coordinates only.
 *
 * This is the only UI module that imports engine code on the main thread, and it imports
 * `decimal.ts` directly rather than `protocol/index.ts`: the index also pulls in the Poseidon
 * implementation (circomlibjs, ~580 kB gzipped), which belongs in the engine worker only.
 */
import { formatDecimal, MAX_UINT256 } from "../protocol/decimal.ts";

/** The engine's exact full-precision decimal string ("1.5"), for `data-value` attributes and copying. */
export const exactDecimal = formatDecimal;

const DECIMALS = 18;

export type Rounding = "down" | "nearest";

export interface AmountFormat {
  /** At most this many fraction digits (0–18). */
  decimals: number;
  /** Pad with zeros to at least this many fraction digits (default: `decimals`). */
  minDecimals?: number;
  /** "nearest" rounds half up (display); "down" never shows more than there is (balances, max amounts). */
  rounding?: Rounding;
}

function groupThousands(whole: string): string {
  return whole.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** An 18-decimal amount as "1,234.56": rounded to `decimals`, thousands separated. */
export function formatAmount(value: bigint, format: AmountFormat): string {
  const { decimals, minDecimals = decimals, rounding = "nearest" } = format;
  if (!Number.isInteger(decimals) || decimals < 0 || decimals > DECIMALS) {
    throw new RangeError(`decimals must be an integer from 0 to ${DECIMALS}, got ${decimals}`);
  }
  const negative = value < 0n;
  const abs = negative ? -value : value;
  const step = 10n ** BigInt(DECIMALS - decimals);
  const rounded = rounding === "nearest" ? ((abs + step / 2n) / step) * step : (abs / step) * step;
  const [whole = "0", fraction = ""] = formatDecimal(rounded).split(".");
  const digits = fraction.padEnd(Math.min(minDecimals, decimals), "0");
  const sign = negative && rounded !== 0n ? "-" : "";
  return `${sign}${groupThousands(whole)}${digits ? `.${digits}` : ""}`;
}

/** USD per BTC or any dollar amount: "$60,000.00". */
export function formatUsd(value: bigint): string {
  const text = formatAmount(value, { decimals: 2 });
  return text.startsWith("-") ? `-$${text.slice(1)}` : `$${text}`;
}

/** zkUSD: "1,234.56 zkUSD". */
export function formatZkusd(value: bigint, rounding: Rounding = "nearest"): string {
  return `${formatAmount(value, { decimals: 2, rounding })} zkUSD`;
}

/** BTC to the satoshi, trailing zeros trimmed to 2 places: "0.5 BTC" → "0.50 BTC", "0.00012345 BTC". */
export function formatBtc(value: bigint, rounding: Rounding = "down"): string {
  return `${formatAmount(value, { decimals: 8, minDecimals: 2, rounding })} BTC`;
}

/** True for the engine's "no debt" ratio (Liquity's 2^256 − 1). */
export const isInfiniteRatio = (ratio: bigint): boolean => ratio >= MAX_UINT256;

/** An 18-decimal fraction as a percentage: 1.5 → "150.0%"; the infinite ratio → "∞". */
export function formatPercent(ratio: bigint, decimals = 1): string {
  if (isInfiniteRatio(ratio)) return "∞";
  return `${formatAmount(ratio * 100n, { decimals })}%`;
}

/** A count (vaults, blocks): "1,024". */
export function formatCount(value: bigint | number): string {
  return groupThousands(BigInt(value).toString());
}

/**
 * The one place an engine amount becomes a JS number: chart and gauge coordinates, never money
 * shown as text. Keeps 6 significant fraction digits; the infinite ratio becomes Infinity.
 */
export function toPlotNumber(value: bigint): number {
  if (isInfiniteRatio(value)) return Number.POSITIVE_INFINITY;
  return Number(value / 10n ** 12n) / 1e6;
}

/** "0x1234…cdef" for hashes and roots. */
export function shortHex(hex: string, keep = 6): string {
  return hex.length <= keep * 2 + 1 ? hex : `${hex.slice(0, keep)}…${hex.slice(-keep)}`;
}
