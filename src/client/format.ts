/**
 * Amounts for humans. Engine amounts are 18-decimal bigints; these helpers round them with bigint
 * arithmetic, then format the digits of `formatDecimal`, so money never passes through a JS number.
 * The one exception is `toPlotNumber`, for chart coordinates only.
 *
 * This is the only UI module that imports engine code on the main thread, and it imports
 * `decimal.ts` directly rather than `protocol/index.ts`: the index also pulls in the Poseidon
 * implementation (circomlibjs, ~580 kB gzipped), which belongs in the engine worker only.
 */
import { formatDecimal, MAX_UINT256, SATOSHI } from "../protocol/decimal.ts";

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

/** What the user typed in an amount field: empty, an 18-decimal bigint, or a sentence saying what is wrong. */
export type ParsedAmountText =
  | { kind: "empty" }
  | { kind: "ok"; value: bigint }
  | { kind: "error"; message: string };

/** The decimal separator of a locale ("." or ","), from Intl. */
export function decimalSeparatorOf(locale: string | undefined): "." | "," {
  const part = new Intl.NumberFormat(locale).formatToParts(1.5).find((p) => p.type === "decimal");
  return part?.value === "," ? "," : ".";
}

const GROUP_SPACES = /[\s\u00a0\u202f'_]/g;

/**
 * Reads an amount as a person types it in their locale: "1.5" or "1,5" (with that locale's decimal
 * separator), groups of three digits separated by the other mark or by spaces ("12,500.25", "12 500,25").
 * Refuses what a person could mean two ways, because money must never be misread by a factor of 10 or
 * 1,000: a lone mark that is not the locale's decimal mark and does not group thousands ("1,5" or
 * "0,001" in English) could be a decimal mark typed by habit.
 */
export function parseAmountText(
  text: string,
  options: { decimalSeparator: "." | ","; maxDecimals?: number; max?: { value: bigint; message: string } },
): ParsedAmountText {
  const { decimalSeparator, maxDecimals = DECIMALS } = options;
  const group = decimalSeparator === "." ? "," : ".";
  const compact = text.trim().replace(GROUP_SPACES, "");
  if (compact === "") return { kind: "empty" };
  if (!/^[0-9.,]+$/.test(compact)) return { kind: "error", message: "Enter a positive number such as 0.5." };
  const decimals = compact.split(decimalSeparator);
  if (decimals.length > 2)
    return { kind: "error", message: `Use "${decimalSeparator}" once, for the decimals.` };
  const [whole = "", fraction = ""] = decimals;
  const groups = whole.split(group);
  const validGroups = groups.every((g, i) => (i === 0 ? /^[1-9][0-9]{0,2}$/.test(g) : g.length === 3));
  if (groups.length === 2 && decimals.length === 1 && !validGroups) {
    // "1,5" in a point locale (or "1.5" in a comma locale): a decimal mark typed by habit, not thousands.
    const meant = `${groups[0]}${decimalSeparator}${groups[1]}`;
    return {
      kind: "error",
      message: `"${text.trim()}" could be read two ways: write ${groups.join("")} or ${meant}.`,
    };
  }
  if (groups.length > 1 && !validGroups)
    return { kind: "error", message: "Separate thousands in groups of three digits, or leave them out." };
  if (fraction.includes(group)) return { kind: "error", message: "Write the decimals without separators." };
  const digits = groups.join("");
  if (digits === "" && fraction === "")
    return { kind: "error", message: "Enter a positive number such as 0.5." };
  if (fraction.length > maxDecimals)
    return { kind: "error", message: `Use at most ${maxDecimals} decimals.` };
  // Exact: the digits become an 18-decimal integer with no rounding at all.
  const value =
    BigInt(digits || "0") * 10n ** BigInt(DECIMALS) + BigInt((fraction || "0").padEnd(DECIMALS, "0"));
  if (options.max && value > options.max.value) return { kind: "error", message: options.max.message };
  return { kind: "ok", value };
}

/**
 * A sentence with raw satoshi counts ("needs 100,000,552 sats") rewritten in BTC ("needs
 * 1.00000552 BTC"): errors from the Bitcoin layer speak sats, people read BTC. Fee rates
 * ("sat/vB") are left as they are.
 */
export function speakBtc(sentence: string): string {
  return sentence.replace(/\b(\d[\d,]*) sats?\b(?!\/)/g, (_m, n: string) =>
    formatBtc(BigInt(n.replaceAll(",", "")) * SATOSHI),
  );
}
