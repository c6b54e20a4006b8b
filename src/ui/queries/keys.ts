/**
 * Every react-query key in the app, built here so keys are typed and invalidation is by prefix:
 * `queryClient.invalidateQueries({ queryKey: queryKeys.engine.all })` refreshes every engine view.
 * Keys must be JSON-serializable: bigint amounts go in as decimal strings (`keyOf`).
 */
import type { Operation } from "../../protocol/index.ts";

/** A JSON-safe key part for a value that may hold bigints. */
export function keyOf(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? `${v}n` : v));
}

export const queryKeys = {
  engine: {
    all: ["engine"] as const,
    info: () => ["engine", "info"] as const,
    summary: () => ["engine", "summary"] as const,
    position: (owner: string) => ["engine", "position", owner] as const,
    custody: (owner: string) => ["engine", "custody", owner] as const,
    atRisk: (limit: number) => ["engine", "atRisk", limit] as const,
    preview: (op: Operation) => ["engine", "preview", keyOf(op)] as const,
    maxBorrow: (owner: string, change: unknown) => ["engine", "maxBorrow", owner, keyOf(change)] as const,
  },
  chain: {
    all: ["chain"] as const,
    tip: (esplora: string) => ["chain", esplora, "tip"] as const,
    utxos: (esplora: string, address: string) => ["chain", esplora, "utxos", address] as const,
    fees: (esplora: string) => ["chain", esplora, "fees"] as const,
    tx: (esplora: string, txid: string) => ["chain", esplora, "tx", txid] as const,
  },
  prices: {
    all: ["prices"] as const,
    reading: (settingsKey: string) => ["prices", "reading", settingsKey] as const,
  },
} as const;
