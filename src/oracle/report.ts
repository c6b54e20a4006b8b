/**
 * A price reading as JSON (the CLI's `--json`, the guardian's API) and as text. Prices and volumes
 * are decimal strings, times integer milliseconds.
 */
import { formatDecimal } from "../protocol/decimal.ts";
import type { PriceReading } from "./aggregate.ts";
import type { SourceId } from "./types.ts";

export interface SourceVerdictJson {
  source: SourceId;
  price: string | null;
  volume: string | null;
  timestamp: number | null;
  accepted: boolean;
  reason: string | null;
}

export interface PriceReadingJson {
  status: "ok" | "unavailable";
  price: string | null;
  sources: SourceVerdictJson[];
}

export function readingToJson(reading: PriceReading): PriceReadingJson {
  return {
    status: reading.status,
    price: reading.price === null ? null : formatDecimal(reading.price),
    sources: reading.sources.map((v) => ({
      source: v.source,
      price: v.price === null ? null : formatDecimal(v.price),
      volume: v.volume === null ? null : formatDecimal(v.volume),
      timestamp: v.timestamp,
      accepted: v.accepted,
      reason: v.rejection ? `${v.rejection.code}: ${v.rejection.reason}` : null,
    })),
  };
}

/** A few lines for a terminal: the price or why there is none, then one line per source. */
export function formatReading(reading: PriceReading): string {
  const accepted = reading.sources.filter((s) => s.accepted).length;
  const method = reading.method === "median" ? "median" : "volume-weighted median";
  const head =
    reading.status === "ok" && reading.price !== null
      ? `BTC/USD ${formatDecimal(reading.price)} (${method} of ${accepted} source${accepted === 1 ? "" : "s"})`
      : `BTC/USD unavailable: ${reading.reason}`;
  const lines = reading.sources.map((v) => {
    const price = v.price === null ? "-" : `${formatDecimal(v.price)} ${v.quoteCurrency}`;
    const age = v.timestamp === null ? "" : ` ${Math.round((reading.at - v.timestamp) / 1000)} s old`;
    const verdict = v.accepted ? "accepted" : `rejected (${v.rejection?.code}: ${v.rejection?.reason})`;
    return `  ${v.source.padEnd(9)} ${price.padEnd(26)} via ${v.transport}${age}: ${verdict}`;
  });
  return [head, ...lines].join("\n");
}
