/** Small form parts shared by the transaction screens: amount fields and read-only figures. */

import { type ReactNode, useId } from "react";
import {
  decimalSeparatorOf,
  exactDecimal,
  type ParsedAmountText,
  parseAmountText,
} from "../../client/index.ts";
import type { ProtocolErrorCode } from "../../protocol/index.ts";

/** A typed amount: empty, a valid 18-decimal bigint, or a sentence saying what is wrong. */
export type ParsedAmount = ParsedAmountText;

/** All the bitcoin there will ever be: no BTC field accepts more. */
export const BTC_SUPPLY_BOUND = {
  value: 21_000_000n * 10n ** 18n,
  message: "That is more bitcoin than will ever exist.",
};

/** Parses what the user typed in their browser's locale (src/client/format.ts parseAmountText). */
export function parseAmount(
  text: string,
  maxDecimals = 18,
  max?: { value: bigint; message: string },
): ParsedAmount {
  const decimalSeparator = decimalSeparatorOf(
    typeof navigator === "undefined" ? undefined : navigator.language,
  );
  return parseAmountText(text, { decimalSeparator, maxDecimals, ...(max ? { max } : {}) });
}

interface AmountFieldProps {
  label: string;
  unit: string;
  value: string;
  onChange: (text: string) => void;
  parsed: ParsedAmount;
  hint?: ReactNode;
  /** A "Max" button that fills this value. */
  max?: {
    value: bigint;
    label?: string /** Fill rounded down to this many decimals. */;
    decimals?: number;
  } | null;
  testId: string;
}

export function AmountField({ label, unit, value, onChange, parsed, hint, max, testId }: AmountFieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, parsed.kind === "error" ? errorId : null]
    .filter(Boolean)
    .join(" ");
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="field-input">
        <input
          id={id}
          inputMode="decimal"
          autoComplete="off"
          spellCheck={false}
          placeholder="0.00"
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={parsed.kind === "error"}
          aria-describedby={describedBy || undefined}
          data-testid={testId}
        />
        <span className="field-unit">{unit}</span>
        {max ? (
          <button
            type="button"
            className="button button-ghost button-small"
            onClick={() => onChange(exactDecimal(roundDown(max.value, max.decimals ?? 18)))}
            data-testid={`${testId}-max`}
          >
            {max.label ?? "Max"}
          </button>
        ) : null}
      </div>
      {parsed.kind === "error" ? (
        <p id={errorId} className="field-error" role="alert">
          {parsed.message}
        </p>
      ) : null}
      {hint ? (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

/** A labelled figure in a preview; `raw` is the engine's exact value for tests (`data-value`). */
export function Figure({
  id,
  label,
  children,
  raw,
  tone,
}: {
  id: string;
  label: ReactNode;
  children: ReactNode;
  raw?: bigint | string | null;
  tone?: "ok" | "warn" | "danger";
}) {
  const value =
    raw === undefined || raw === null ? undefined : typeof raw === "bigint" ? exactDecimal(raw) : raw;
  return (
    <div className={tone ? `figure figure-${tone}` : "figure"} data-figure={id} data-value={value}>
      <dt>{label}</dt>
      <dd>{children}</dd>
    </div>
  );
}

/** An engine refusal: the engine's sentence, and what to do about it. */
export function EngineRefusal({ message, advice, code }: { message: string; advice?: string; code: string }) {
  return (
    <div className="notice notice-danger" role="alert" data-testid="engine-refusal" data-code={code}>
      <strong>{message}</strong>
      {advice ? <p>{advice}</p> : null}
    </div>
  );
}

/** What to do next for each engine refusal a form can meet. */
export const REFUSAL_ADVICE: Partial<Record<ProtocolErrorCode, string>> = {
  belowMinimumCollateralRatio: "Add collateral or borrow less.",
  belowCriticalCollateralRatio:
    "In recovery mode, add collateral or borrow less until the vault is above the critical ratio.",
  totalCollateralRatioBelowCritical:
    "Borrow less or add more collateral: the system as a whole must stay above CCR.",
  recoveryModeCollateralWithdrawal: "Wait until the system leaves recovery mode, or repay debt instead.",
  recoveryModeCollateralRatioDecrease:
    "Add collateral along with the new debt so the vault's ratio does not drop.",
  recoveryModeClose: "Wait until the system leaves recovery mode.",
  belowMinimumNetDebt: "Borrow at least the minimum, or close the vault to repay everything.",
  insufficientBalance:
    "You need more zkUSD in this account: borrow it from a vault or receive it from someone.",
  feeExceedsMaximum: "Raise your maximum fee, or wait for the base rate to decay.",
  invalidMaxFee: "Raise your maximum fee to at least the fee quoted beside it (and at most 100%).",
  redemptionsInBootstrap: "Redemptions open 14 days after the protocol's start.",
  totalCollateralRatioBelowMinimum: "Redemptions resume when the system's ratio is back above MCR.",
  noPoolDeposit: "Deposit zkUSD into the stability pool first.",
  noPoolGains: "Gains arrive when vaults are liquidated against the pool.",
  pendingLiquidations: "Liquidate the undercollateralized vaults first (Liquidations screen), then withdraw.",
  vaultExists: "You already have a vault: adjust it instead.",
  nothingToLiquidate: "This vault is healthy at the current price.",
  onlyOneVault: "The last vault cannot be closed; wait until another vault exists.",
};

/** An 18-decimal amount rounded down to `decimals` places (a "Max" never exceeds the maximum). */
export function roundDown(value: bigint, decimals: number): bigint {
  const step = 10n ** BigInt(18 - Math.min(18, Math.max(0, decimals)));
  return (value / step) * step;
}
