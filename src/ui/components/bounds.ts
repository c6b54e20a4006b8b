import { SATOSHI } from "../../protocol/index.ts";
import { useWalletCoins } from "../queries/bitcoin.ts";
import type { ParsedAmount } from "./forms.tsx";

export interface Bound {
  /** The amount must be at least `min`, at most `max` (either or both). */
  min?: bigint;
  max?: bigint;
  message: string;
  /**
   * Read from the chain now (the wallet's coins), not from the engine's state: it holds even while
   * this browser's engine is behind the tip. Every other bound is the engine state's.
   */
  live?: true;
}

/**
 * `parsed`, or the first bound it breaks as the field's error. While the engine's state is not
 * `current` (behind the tip: queries/readiness.ts `useSyncGate`), its bounds give no verdict: they
 * would be an older state's (a minimum debt, a vault's collateral, a balance that have since moved);
 * the form's SyncWait says why it waits, and the verdicts come once the state is current.
 */
export function withinBounds(
  parsed: ParsedAmount,
  current: boolean,
  bounds: (Bound | null | undefined)[],
): ParsedAmount {
  if (parsed.kind !== "ok") return parsed;
  for (const b of bounds) {
    if (!b || !(current || b.live)) continue;
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
