/**
 * Reading exchange answers at the boundary: JSON, records, decimal fields and timestamps. Decimal
 * text goes straight to 18-decimal bigints through the engine's parseDecimal; a JSON number is
 * converted through its shortest round-trip string form (exponents expanded), never through math.
 * Anything unreadable becomes an OracleError "malformedResponse" naming the field.
 */

import { parseDecimal } from "../protocol/decimal.ts";
import { ProtocolError } from "../protocol/errors.ts";
import { OracleError } from "./errors.ts";
import type { SourceId } from "./types.ts";

export type JsonRecord = Record<string, unknown>;

export function isRecord(value: unknown): value is JsonRecord {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export function malformed(source: SourceId, detail: string): OracleError {
  return new OracleError("malformedResponse", `${source}: ${detail}`, { source });
}

export function parseJson(source: SourceId, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    throw malformed(source, `answer is not JSON: ${JSON.stringify(shown)}`);
  }
}

export function record(source: SourceId, value: unknown, where: string): JsonRecord {
  if (!isRecord(value)) throw malformed(source, `expected an object at ${where}, got ${describe(value)}`);
  return value;
}

export function array(source: SourceId, value: unknown, where: string): unknown[] {
  if (!Array.isArray(value)) throw malformed(source, `expected an array at ${where}, got ${describe(value)}`);
  return value;
}

export function text(source: SourceId, value: unknown, where: string): string {
  if (typeof value !== "string")
    throw malformed(source, `expected a string at ${where}, got ${describe(value)}`);
  return value;
}

/**
 * A decimal field (string or JSON number) as 18-decimal units. Negative values are kept negative
 * so that validation can reject them as non-positive with that reason.
 */
export function decimal(source: SourceId, value: unknown, where: string): bigint {
  let raw: string;
  if (typeof value === "string") raw = value.trim();
  else if (typeof value === "number" && Number.isFinite(value)) raw = numberToDecimalString(value);
  else throw malformed(source, `expected a decimal at ${where}, got ${describe(value)}`);
  const negative = raw.startsWith("-");
  try {
    const units = parseDecimal(negative ? raw.slice(1) : raw, where);
    return negative ? -units : units;
  } catch (error) {
    if (error instanceof ProtocolError) throw malformed(source, error.message);
    throw error;
  }
}

/** A decimal field that may be absent (null/undefined/""): null then. */
export function optionalDecimal(source: SourceId, value: unknown, where: string): bigint | null {
  if (value === undefined || value === null || value === "") return null;
  return decimal(source, value, where);
}

/** Integer milliseconds from a number or digit string in the given unit. */
export function epochMs(source: SourceId, value: unknown, where: string, unit: "s" | "ms" | "us"): number {
  const raw =
    typeof value === "number"
      ? value
      : typeof value === "string" && /^\d+$/.test(value)
        ? Number(value)
        : NaN;
  if (!Number.isSafeInteger(raw) || raw < 0) {
    throw malformed(source, `expected an integer time at ${where}, got ${describe(value)}`);
  }
  if (unit === "s") return raw * 1000;
  if (unit === "us") return Math.floor(raw / 1000);
  return raw;
}

/** Milliseconds from an ISO-8601 / RFC 3339 time string. */
export function isoMs(source: SourceId, value: unknown, where: string): number {
  const ms = typeof value === "string" ? Date.parse(value) : NaN;
  if (!Number.isFinite(ms))
    throw malformed(source, `expected an ISO time at ${where}, got ${describe(value)}`);
  return ms;
}

/**
 * The exact decimal text of a finite JSON number: its shortest round-trip form with any exponent
 * expanded ("1e-7" → "0.0000001", "1.5e+21" → "1500000000000000000000"). Pure string work.
 */
export function numberToDecimalString(value: number): string {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  const shortest = String(value);
  const match = /^(-?)(\d+)(?:\.(\d+))?e([+-]\d+)$/.exec(shortest);
  if (!match) return shortest;
  const [, sign = "", whole = "", frac = "", exp = "0"] = match;
  const digits = whole + frac;
  const point = whole.length + Number(exp);
  let out: string;
  if (point <= 0) out = `0.${"0".repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + "0".repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return sign + out;
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "string") return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === "object") return "an object";
  return `${typeof value} ${String(value)}`;
}
