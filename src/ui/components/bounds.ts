import { SATOSHI } from "../../protocol/index.ts";
import { useWalletCoins } from "../queries/bitcoin.ts";
import type { ParsedAmount } from "./forms.tsx";

export interface Bound {
  /** The amount must be at least `min`, at most `max` (either or both). */
  min?: bigint;
  max?: bigint;
  message: string;
}

/** `parsed`, or the first bound it breaks as the field's error. */
export function withinBounds(parsed: ParsedAmount, bounds: (Bound | null | undefined)[]): ParsedAmount {
  if (parsed.kind !== "ok") return parsed;
  for (const b of bounds) {
    if (!b) continue;
    if ((b.min !== undefined && parsed.value < b.min) || (b.max !== undefined && parsed.value > b.max))
      return { kind: "error", message: b.message };
  }
  return parsed;
}

/** BTC the connected wallet holds on chain (18 decimals), or undefined until its coins are read. */
export function useWalletBtc(address: string | undefined): bigint | undefined {
  const coins = useWalletCoins(address);
  if (!coins.data) return undefined;
  return coins.data.reduce((a, c) => a + c.value, 0n) * SATOSHI;
}
