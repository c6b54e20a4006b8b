import { decimalSeparatorOf, formatPercent } from "../../client/index.ts";
import { formatDecimal } from "../../protocol/index.ts";
import { useSyncGate } from "../queries/readiness.ts";
import { AmountField, type ParsedAmount, parseAmount } from "./forms.tsx";
import { Current } from "./SyncWait.tsx";

const PERCENT = 10n ** 16n;
/** A cap above this (5%) is warned about, and the field's hint says so. */
export const MAX_FEE_WARNING = 5n * PERCENT;
/** The default's margin over the fee now: half a percentage point. */
const MARGIN = PERCENT / 2n;
/** The most any fee can be: 100%. */
export const FEE_CEILING = 100n * PERCENT;

/**
 * The default cap: the fee rate now plus 0.5 percentage points, rounded up to a tenth of a percent
 * (up: the cap never falls below the rate quoted), and never above `ceiling`, the most the protocol
 * can charge for this fee (the borrowing fee's cap, `params.borrowingFeeCap`, 5% by default; 100% for a
 * redemption), which is never below the rate. So a borrowing fee of 4.58% defaults to 5%, not 5.1%: a
 * cap above what the protocol can ever take would only trip the warning. As percent text in the
 * browser's decimal separator ("1.1", or "1,1" in a comma locale), which the field parses back.
 */
export function defaultMaxFeeText(
  rate: bigint,
  ceiling: bigint = FEE_CEILING,
  separator: "." | "," = ".",
): string {
  const tenth = PERCENT / 10n;
  // Rounded up to a tenth of a percent: the cap never falls below the rate quoted.
  let cap = ((rate + MARGIN + tenth - 1n) / tenth) * tenth;
  const top = ceiling < FEE_CEILING ? ceiling : FEE_CEILING;
  if (cap > top) cap = top;
  // Percent text, exact: the cap is a fraction with 18 decimals, the text at most 16.
  return formatDecimal(cap * 100n).replace(".", separator);
}

/**
 * The typed cap: the text (or the default), what it parses to, and the fraction for the spell.
 * `text` is null until the user types: the default then follows the fee now on every render, and
 * what the user typed is never overwritten. While the engine's state is not `current` (behind the
 * tip), its fee is an older state's (the genesis 0.5% where the chain's fee is 4.58%): no default is
 * offered (an empty field and no cap) until the state has caught up.
 */
export function maxFeeOf(
  text: string | null,
  rate: bigint,
  { current, ceiling = FEE_CEILING }: { current: boolean; ceiling?: bigint },
): { text: string; parsed: ParsedAmount; maxFee: bigint | undefined } {
  const shown =
    text ?? (current ? defaultMaxFeeText(rate, ceiling, decimalSeparatorOf(browserLocale())) : "");
  const parsed = parseAmount(shown, 16, { value: FEE_CEILING * 100n, message: "A fee cannot exceed 100%." });
  // Percent to fraction: exact, the text has at most 16 decimals.
  return { text: shown, parsed, maxFee: parsed.kind === "ok" ? parsed.value / 100n : undefined };
}

const browserLocale = () => (typeof navigator === "undefined" ? undefined : navigator.language);

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
  const current = useSyncGate().ready;
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
            {current ? null : `The default follows the ${kind} fee once this browser has caught up. `}
            If it rises above your maximum before the transaction confirms, the protocol refuses the operation
            instead of charging more. A maximum above {formatPercent(MAX_FEE_WARNING, 0)} is flagged.
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
