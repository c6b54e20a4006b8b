/**
 * The browser's own check on the guardians (docs/decisions.md §2): compare an attested price with the price this
 * browser aggregated from the exchanges and warn when they differ by more than a threshold (default
 * 2%). A warning informs the user; it does not invalidate a quorum-signed attestation.
 */
import { formatDecimal } from "../protocol/decimal.ts";
import { formatBps, type PriceReading } from "./aggregate.ts";

export const DEFAULT_DEVIATION_WARNING_BPS = 200;

export interface DeviationCheck {
  /** "unverifiable" when this browser has no price of its own to compare with. */
  readonly status: "ok" | "warning" | "unverifiable";
  /** |attested − local| / local in basis points (rounded down); null when unverifiable. */
  readonly deviationBps: bigint | null;
  readonly message: string;
}

export function checkDeviation(
  attestedPrice: bigint,
  local: PriceReading | bigint | null,
  thresholdBps: number = DEFAULT_DEVIATION_WARNING_BPS,
): DeviationCheck {
  const localPrice = typeof local === "bigint" ? local : (local?.price ?? null);
  if (localPrice === null || localPrice <= 0n) {
    const why = typeof local === "object" && local?.reason ? `: ${local.reason}` : "";
    return {
      status: "unverifiable",
      deviationBps: null,
      message: `the attested price ${formatDecimal(attestedPrice)} cannot be compared: no local price${why}`,
    };
  }
  const distance = attestedPrice > localPrice ? attestedPrice - localPrice : localPrice - attestedPrice;
  const deviationBps = (distance * 10_000n) / localPrice;
  const over = distance * 10_000n > BigInt(thresholdBps) * localPrice;
  const message =
    `the attested price ${formatDecimal(attestedPrice)} is ${formatBps(deviationBps)} from this browser's ` +
    `${formatDecimal(localPrice)}${over ? `, more than ${formatBps(BigInt(thresholdBps))}` : ""}`;
  return { status: over ? "warning" : "ok", deviationBps, message };
}
