import { formatPercent } from "../../client/index.ts";
import { AmountField, type ParsedAmount, parseAmount } from "./forms.tsx";
import { Current } from "./SyncWait.tsx";

const PERCENT = 10n ** 16n;
/** A cap above this (5%) is warned about. */
export const MAX_FEE_WARNING = 5n * PERCENT;
/** The default's margin over the fee now: half a percentage point. */
const MARGIN = PERCENT / 2n;

/**
 * The default cap: the fee rate now plus 0.5 percentage points, rounded up to a tenth of a percent
 * (up: the cap never falls below the rate quoted), at most 100%. As percent text ("1.1").
 */
export function defaultMaxFeeText(rate: bigint): string {
  const tenth = PERCENT / 10n;
  let cap = (((rate + MARGIN + tenth - 1n) / tenth) * tenth) as bigint;
  if (cap > 100n * PERCENT) cap = 100n * PERCENT;
  const whole = cap / PERCENT;
  const fraction = (cap % PERCENT) / tenth;
  return fraction === 0n ? whole.toString() : `${whole}.${fraction}`;
}

/** The typed cap: the text (or the default), what it parses to, and the fraction for the spell. */
export function maxFeeOf(
  text: string | null,
  rate: bigint,
): { text: string; parsed: ParsedAmount; maxFee: bigint | undefined } {
  const shown = text ?? defaultMaxFeeText(rate);
  const parsed = parseAmount(shown, 16, { value: 100n * 10n ** 18n, message: "A fee cannot exceed 100%." });
  // Percent to fraction: exact, the text has at most 16 decimals.
  return { text: shown, parsed, maxFee: parsed.kind === "ok" ? parsed.value / 100n : undefined };
}

export function MaxFeeField({
  kind,
  text,
  onChange,
  parsed,
  maxFee,
  rate,
  testId,
}: {
  kind: "borrowing" | "redemption";
  text: string;
  onChange: (text: string) => void;
  parsed: ParsedAmount;
  maxFee: bigint | undefined;
  /** The fee rate the engine would charge now (an 18-decimal fraction). */
  rate: bigint;
  testId: string;
}) {
  return (
    <>
      <AmountField
        label={`Maximum ${kind} fee you accept`}
        unit="%"
        value={text}
        onChange={onChange}
        parsed={parsed}
        testId={testId}
        hint={
          <>
            <Current inline quiet>
              <span data-testid={`${testId}-quote`} data-value={rate.toString()}>
                The {kind} fee is {formatPercent(rate, 2)} now.
              </span>
            </Current>{" "}
            If it rises above your maximum before the transaction confirms, the protocol refuses the operation
            instead of charging more.
          </>
        }
      />
      {maxFee !== undefined && maxFee > MAX_FEE_WARNING ? (
        <p className="notice notice-warn" role="alert" data-testid={`${testId}-warning`}>
          You accept a {kind} fee of up to {formatPercent(maxFee, 2)}: the protocol may charge that much if
          the base rate rises before your transaction confirms.{" "}
          <Current inline quiet>
            The fee is {formatPercent(rate, 2)} now; a lower maximum protects you.
          </Current>
        </p>
      ) : null}
    </>
  );
}
