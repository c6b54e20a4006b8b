/**
 * Open, adjust or close the connected account's vault. Every figure (fee, debt, ICR, liquidation
 * price, TCR after, the most you can borrow) is the engine's answer for the exact operation typed,
 * computed on a copy of the state in a worker; refusals are the engine's own sentences.
 */

import { useEffect, useState } from "react";
import {
  type AccountPosition,
  type EngineInfo,
  type EngineSummary,
  formatBtc,
  formatPercent,
  formatUsd,
  formatZkusd,
  isInfiniteRatio,
  type OperationPreview,
} from "../../client/index.ts";
import { prefetchProving } from "../../client/tx/index.ts";
import { type Operation, systemRiskLevel } from "../../protocol/index.ts";
import { useWalletBtc, withinBounds } from "../components/bounds.ts";
import { ConnectPrompt } from "../components/ConnectPrompt.tsx";
import { ErrorPanel } from "../components/ErrorPanel.tsx";
import {
  AmountField,
  BTC_SUPPLY_BOUND,
  EngineRefusal,
  Figure,
  type ParsedAmount,
  parseAmount,
  REFUSAL_ADVICE,
} from "../components/forms.tsx";
import { MaxFeeField, maxFeeOf } from "../components/MaxFee.tsx";
import { PayoutsPanel } from "../components/PayoutsPanel.tsx";
import { RecoveryModeBanner } from "../components/RecoveryModeBanner.tsx";
import { Current, SyncWait } from "../components/SyncWait.tsx";
import { TransactionReview } from "../components/TransactionReview.tsx";
import { RISK_LABEL, riskTone, systemTone, VaultRiskPanel } from "../components/VaultRisk.tsx";
import { useEngineInfo, useMaxBorrow, usePosition, usePreview, useSystemSummary } from "../queries/engine.ts";
import { useSyncGate } from "../queries/readiness.ts";
import { useAccountId } from "../wallet/wallet-store.ts";

/** The operation under review, held by the page so the review (and its confirmation) outlives the form. */
interface Review {
  title: string;
  op: Operation;
}

export default function VaultPage() {
  const owner = useAccountId();
  const [review, setReview] = useState<Review | null>(null);
  // A new key after a confirmed transaction remounts the form empty: no one-click duplicate.
  const [formKey, setFormKey] = useState(0);
  const info = useEngineInfo();
  const summary = useSystemSummary();
  const position = usePosition(owner);
  const error = info.error ?? summary.error ?? position.error;
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Vault</h1>
      </header>
      <PayoutsPanel owner={owner} showCoins />
      {summary.data?.recoveryMode && info.data ? (
        <Current>
          <RecoveryModeBanner tcr={summary.data.tcr} ccr={info.data.params.CCR} />
        </Current>
      ) : null}
      {!owner ? (
        <ConnectPrompt why="Connect a wallet to open or manage your vault. Your wallet's payment key owns the vault, together with the guardian federation." />
      ) : error ? (
        <ErrorPanel
          title="The vault cannot be shown"
          error={error}
          advice="The engine in your browser could not answer. Reload the page; if it keeps failing, report it with the details below."
        />
      ) : !info.data || !summary.data || !position.data ? (
        <p className="card loading" role="status">
          Reading your vault from the engine…
        </p>
      ) : (
        <>
          {review ? (
            <TransactionReview
              title={review.title}
              op={review.op}
              price={summary.data.price}
              onCancel={() => setReview(null)}
              onConfirmed={() => setFormKey((k) => k + 1)}
            />
          ) : null}
          {/* Hidden, not unmounted, during the review: "Back to the form" finds what was typed. */}
          <div hidden={review !== null} key={formKey}>
            {position.data.vault?.status === "active" ? (
              <AdjustVault
                owner={owner}
                info={info.data}
                summary={summary.data}
                position={position.data}
                onReview={setReview}
              />
            ) : (
              <OpenVault
                owner={owner}
                info={info.data}
                summary={summary.data}
                position={position.data}
                onReview={setReview}
              />
            )}
          </div>
        </>
      )}
    </section>
  );
}

interface FormProps {
  owner: string;
  info: EngineInfo;
  summary: EngineSummary;
  position: AccountPosition;
  onReview: (review: Review) => void;
}

const ok = (p: ParsedAmount) => (p.kind === "ok" ? p.value : undefined);

/** The open form's state: what is typed, the operation it makes, the engine's preview and the bounds. */
function useOpenForm({ owner, info, summary }: Omit<FormProps, "onReview" | "position">) {
  const [collText, setCollText] = useState("");
  const [borrowText, setBorrowText] = useState("");
  const [maxFeeText, setMaxFeeText] = useState<string | null>(null);
  useEffect(() => prefetchProving(owner, ["open"]), [owner]);
  const coll = parseAmount(collText, 8, BTC_SUPPLY_BOUND);
  const borrow = parseAmount(borrowText);
  const gate = useSyncGate();
  const rate = summary.recoveryMode ? 0n : summary.borrowingRate;
  const cap = maxFeeOf(maxFeeText, rate, { current: gate.ready, ceiling: info.params.borrowingFeeCap });
  const maxFee = cap.maxFee;
  const collateral = ok(coll);
  const op: Operation | null =
    collateral !== undefined && ok(borrow) !== undefined && maxFee !== undefined
      ? {
          type: "openVault",
          owner,
          collateral,
          borrow: ok(borrow)!,
          ...(maxFee !== undefined ? { maxFee } : {}),
        }
      : null;
  const preview = usePreview(op);
  const max = useMaxBorrow(
    owner,
    collateral ? { collateral, ...(maxFee !== undefined ? { maxFee } : {}) } : null,
  );
  const wallet = useWalletBtc(owner);
  const collField = withinBounds(coll, gate.ready, [
    wallet !== undefined
      ? {
          max: wallet,
          message: `More than your wallet holds (${formatBtc(wallet)}); the network fee comes on top.`,
          live: true,
        }
      : null,
  ]);
  const borrowField = withinBounds(borrow, gate.ready, [
    {
      min: info.params.minNetDebt,
      message: `The minimum to borrow is ${formatZkusd(info.params.minNetDebt)}.`,
    },
    max.data && !max.isPlaceholderData
      ? {
          max: max.data,
          message: `At most ${formatZkusd(max.data, "down")} can be borrowed with this collateral.`,
        }
      : null,
  ]);
  const fieldsOk = collField.kind === "ok" && borrowField.kind === "ok";

  return {
    collText,
    setCollText,
    borrowText,
    setBorrowText,
    setMaxFeeText,
    gate,
    rate,
    cap,
    collateral,
    op,
    preview,
    max,
    collField,
    borrowField,
    fieldsOk,
  };
}

function OpenVault({ owner, info, summary, position, onReview }: FormProps) {
  const form = useOpenForm({ owner, info, summary });
  const { collText, setCollText, borrowText, setBorrowText, setMaxFeeText, gate, rate, cap } = form;
  const { collateral, op, preview, max, collField, borrowField, fieldsOk } = form;
  return (
    <div className="two-columns">
      <form
        className="card form"
        aria-labelledby="open-title"
        onSubmit={(e) => {
          e.preventDefault();
          if (op && gate.ready && fieldsOk && preview.data?.ok && !preview.isPlaceholderData)
            onReview({ title: "Open a vault", op });
        }}
      >
        <h2 id="open-title">Open a vault</h2>
        <SyncWait gate={gate} />
        <SurplusNotice surplus={position.surplus} />
        <AmountField
          label="Collateral"
          unit="BTC"
          value={collText}
          onChange={setCollText}
          parsed={collField}
          testId="collateral-input"
          hint={
            <>
              Locked in your vault's own Bitcoin output.{" "}
              <Current inline quiet>
                At {formatUsd(preview.data?.ok ? preview.data.price : summary.price)} per BTC.
              </Current>
            </>
          }
        />
        <AmountField
          label="Borrow"
          unit="zkUSD"
          value={borrowText}
          onChange={setBorrowText}
          parsed={borrowField}
          testId="borrow-input"
          max={gate.ready && max.data ? { value: max.data, decimals: 2 } : null}
          hint={borrowHint(info, summary, gate.ready, max.data, collateral)}
        />
        <Current quiet>
          <MaxBorrowFigure value={max.data ?? null} loading={max.isFetching} />
        </Current>
        <MaxFeeField
          kind="borrowing"
          text={cap.text}
          onChange={setMaxFeeText}
          parsed={cap.parsed}
          maxFee={cap.maxFee}
          rate={rate}
          testId="max-fee-input"
        />
        <ReviewButton disabled={!gate.ready || !fieldsOk || !preview.data?.ok || preview.isPlaceholderData} />
      </form>
      <Current>
        <VaultPreviewPanel
          info={info}
          summary={summary}
          preview={op ? preview.data : undefined}
          pending={preview.isPlaceholderData || preview.isFetching}
        />
        <RecoveryRules info={info} summary={summary} />
      </Current>
    </div>
  );
}

function MaxBorrowFigure({ value, loading }: { value: bigint | null; loading: boolean }) {
  return (
    <dl className="inline-figures">
      <Figure id="max-borrow" label="Max borrow" raw={value ?? "none"}>
        {value === null ? (loading ? "…" : "—") : formatZkusd(value, "down")}
      </Figure>
    </dl>
  );
}

/** The adjust form's state: what is typed, the operation it makes, the engine's preview and the bounds. */
function useAdjustForm({ owner, info, summary, position }: Omit<FormProps, "onReview">) {
  const vault = position.vault!;
  const [mode, setMode] = useState<"adjust" | "close">("adjust");
  const [collDir, setCollDir] = useState<"deposit" | "withdraw">("deposit");
  const [debtDir, setDebtDir] = useState<"borrow" | "repay">("borrow");
  const [collText, setCollText] = useState("");
  const [debtText, setDebtText] = useState("");
  useEffect(() => prefetchProving(owner, [collDir, debtDir]), [owner, collDir, debtDir]);
  const [maxFeeText, setMaxFeeText] = useState<string | null>(null);
  const coll = parseAmount(collText, 8, BTC_SUPPLY_BOUND);
  const debt = parseAmount(debtText);
  const c = ok(coll) ?? 0n;
  const d = ok(debt) ?? 0n;
  const borrowing = debtDir === "borrow" && d > 0n;
  const gate = useSyncGate();
  const rate = summary.recoveryMode ? 0n : summary.borrowingRate;
  const cap = maxFeeOf(maxFeeText, rate, { current: gate.ready, ceiling: info.params.borrowingFeeCap });
  const op: Operation | null =
    mode === "close"
      ? { type: "closeVault", owner }
      : coll.kind === "error" ||
          debt.kind === "error" ||
          (c === 0n && d === 0n) ||
          (borrowing && cap.maxFee === undefined)
        ? null
        : {
            type: "adjustVault",
            owner,
            ...(c > 0n ? (collDir === "deposit" ? { depositCollateral: c } : { withdrawCollateral: c }) : {}),
            ...(d > 0n ? (debtDir === "borrow" ? { borrow: d, maxFee: cap.maxFee! } : { repay: d }) : {}),
          };
  const preview = usePreview(op);
  const max = useMaxBorrow(
    owner,
    mode === "adjust" && debtDir === "borrow"
      ? {
          ...(c > 0n ? (collDir === "deposit" ? { depositCollateral: c } : { withdrawCollateral: c }) : {}),
          ...(cap.maxFee !== undefined ? { maxFee: cap.maxFee } : {}),
        }
      : null,
  );
  const wallet = useWalletBtc(owner);
  const { collField, debtField } = adjustBounds({
    coll,
    debt,
    current: gate.ready,
    collDir,
    debtDir,
    wallet,
    vault,
    balance: position.balance,
    gasReserve: info.params.gasReserve,
    max: max.data !== undefined && !max.isPlaceholderData ? max.data : undefined,
  });
  const fieldsOk = mode === "close" || (collField.kind !== "error" && debtField.kind !== "error");
  return {
    vault,
    mode,
    setMode,
    collDir,
    setCollDir,
    debtDir,
    setDebtDir,
    collText,
    setCollText,
    debtText,
    setDebtText,
    setMaxFeeText,
    gate,
    rate,
    cap,
    op,
    preview,
    max,
    collField,
    debtField,
    fieldsOk,
  };
}

function AdjustVault({ owner, info, summary, position, onReview }: FormProps) {
  const form = useAdjustForm({ owner, info, summary, position });
  const { vault, mode, setMode, gate, op, preview, fieldsOk } = form;
  return (
    <div className="two-columns">
      <form
        className="card form"
        aria-labelledby="adjust-title"
        onSubmit={(e) => {
          e.preventDefault();
          if (op && gate.ready && fieldsOk && preview.data?.ok && !preview.isPlaceholderData)
            onReview({ title: mode === "close" ? "Close the vault" : "Adjust the vault", op });
        }}
      >
        <h2 id="adjust-title">Your vault</h2>
        <SyncWait gate={gate} />
        <Current quiet>
          <VaultNow vault={vault} balance={position.balance} />
        </Current>
        <Toggle label="Action" value={mode} options={["adjust", "close"]} onChange={setMode} segmented />
        {mode === "adjust" ? (
          <AdjustFields form={form} />
        ) : (
          <CloseSummary vault={vault} gasReserve={info.params.gasReserve} />
        )}
        <ReviewButton disabled={!gate.ready || !fieldsOk || !preview.data?.ok || preview.isPlaceholderData} />
      </form>
      <AdjustSide info={info} summary={summary} position={position} preview={preview} typed={op !== null} />
    </div>
  );
}

/** The adjust mode's fields: collateral in or out, debt borrowed or repaid, and the maximum fee to borrow. */
function AdjustFields({ form }: { form: ReturnType<typeof useAdjustForm> }) {
  const { collDir, setCollDir, debtDir, setDebtDir, collText, setCollText, debtText, setDebtText } = form;
  const { setMaxFeeText, gate, rate, cap, max, collField, debtField } = form;
  return (
    <>
      <Toggle label="Collateral" value={collDir} options={["deposit", "withdraw"]} onChange={setCollDir} />
      <AmountField
        label={collDir === "deposit" ? "Add collateral" : "Withdraw collateral"}
        unit="BTC"
        value={collText}
        onChange={setCollText}
        parsed={collField}
        testId="adjust-collateral-input"
      />
      <Toggle label="Debt" value={debtDir} options={["borrow", "repay"]} onChange={setDebtDir} />
      <AmountField
        label={debtDir === "borrow" ? "Borrow more" : "Repay"}
        unit="zkUSD"
        value={debtText}
        onChange={setDebtText}
        parsed={debtField}
        testId="adjust-debt-input"
        max={gate.ready && debtDir === "borrow" && max.data ? { value: max.data, decimals: 2 } : null}
      />
      {debtDir === "borrow" ? (
        <MaxFeeField
          kind="borrowing"
          text={cap.text}
          onChange={setMaxFeeText}
          parsed={cap.parsed}
          maxFee={cap.maxFee}
          rate={rate}
          testId="adjust-max-fee-input"
        />
      ) : null}
    </>
  );
}

function Toggle<T extends string>({
  label,
  value,
  options,
  onChange,
  segmented = false,
}: {
  label: string;
  value: T;
  options: T[];
  onChange: (v: T) => void;
  /** The form's main choice: full size (the amounts' direction toggles are small). */
  segmented?: boolean;
}) {
  return (
    <fieldset className={segmented ? "segmented" : "segmented small"}>
      <legend className="visually-hidden">{label}</legend>
      {options.map((o) => (
        <button key={o} type="button" aria-pressed={value === o} onClick={() => onChange(o)}>
          {o[0]!.toUpperCase() + o.slice(1)}
        </button>
      ))}
    </fieldset>
  );
}

function ReviewButton({ disabled }: { disabled: boolean }) {
  return (
    <div className="actions">
      <button type="submit" className="button button-primary" disabled={disabled} data-testid="review-button">
        Review transaction
      </button>
    </div>
  );
}

function SurplusNotice({ surplus }: { surplus: bigint }) {
  if (surplus <= 0n) return null;
  return (
    <Current quiet>
      <p className="notice notice-warn">
        You have {formatBtc(surplus)} of collateral surplus from a previous vault to claim.
      </p>
    </Current>
  );
}

function borrowHint(
  info: EngineInfo,
  summary: EngineSummary,
  current: boolean,
  max: bigint | null | undefined,
  collateral: bigint | undefined,
): string {
  return !current
    ? `Minimum ${formatZkusd(info.params.minNetDebt)}.`
    : max
      ? `You can borrow up to ${formatZkusd(max, "down")} with this collateral: the most the engine accepts with your vault at or above ${formatPercent(info.params.MCR, 0)}${summary.recoveryMode ? "" : ` and the system's ratio at or above ${formatPercent(info.params.CCR, 0)}`}.`
      : collateral
        ? "No amount can be borrowed with this collateral: the minimum debt would put the vault below the minimum ratio."
        : `Minimum ${formatZkusd(info.params.minNetDebt)}. A ${formatZkusd(info.params.gasReserve)} liquidation reserve is added to your debt and returned when you close.`;
}

type ActiveVault = NonNullable<AccountPosition["vault"]>;

/** The adjust form's bounds: the wallet's BTC to deposit, the vault's to withdraw, the debt to repay, the most to borrow. */
function adjustBounds(a: {
  coll: ParsedAmount;
  debt: ParsedAmount;
  current: boolean;
  collDir: "deposit" | "withdraw";
  debtDir: "borrow" | "repay";
  wallet: bigint | undefined;
  vault: ActiveVault;
  balance: bigint;
  gasReserve: bigint;
  /** The engine's most to borrow, once known for these amounts (null: nothing more). */
  max: bigint | null | undefined;
}) {
  const { coll, debt, current, collDir, debtDir, wallet, vault, balance, gasReserve, max } = a;
  const collField = withinBounds(coll, current, [
    collDir === "deposit" && wallet !== undefined
      ? {
          max: wallet,
          message: `More than your wallet holds (${formatBtc(wallet)}); the network fee comes on top.`,
          live: true,
        }
      : null,
    collDir === "withdraw"
      ? { max: vault.collateral, message: `More than your vault holds (${formatBtc(vault.collateral)}).` }
      : null,
  ]);
  const repayable = vault.debt - gasReserve;
  const debtField = withinBounds(debt, current, [
    debtDir === "repay"
      ? {
          max: repayable,
          message: `Your debt to repay is ${formatZkusd(repayable)} (the liquidation reserve is repaid by closing).`,
        }
      : null,
    debtDir === "repay" ? { max: balance, message: `More than you hold (${formatZkusd(balance)}).` } : null,
    debtDir === "borrow" && max !== undefined
      ? {
          max: max ?? 0n,
          message:
            max === null
              ? "Nothing more can be borrowed with this collateral."
              : `At most ${formatZkusd(max, "down")} more can be borrowed with this collateral.`,
        }
      : null,
  ]);
  return { collField, debtField };
}

function VaultNow({ vault, balance }: { vault: ActiveVault; balance: bigint }) {
  return (
    <dl className="inline-figures">
      <Figure id="vault-collateral" label="Collateral" raw={vault.collateral}>
        {formatBtc(vault.collateral)}
      </Figure>
      <Figure id="vault-debt" label="Debt" raw={vault.debt}>
        {formatZkusd(vault.debt)}
      </Figure>
      <Figure id="vault-icr" label="Collateral ratio" raw={vault.icr}>
        {formatPercent(vault.icr)}
      </Figure>
      <Figure id="vault-balance" label="Your zkUSD" raw={balance}>
        {formatZkusd(balance)}
      </Figure>
    </dl>
  );
}

function CloseSummary({ vault, gasReserve }: { vault: ActiveVault; gasReserve: bigint }) {
  return (
    <Current quiet>
      <p>
        Closing repays {formatZkusd(vault.debt - gasReserve)} from your balance (the {formatZkusd(gasReserve)}{" "}
        liquidation reserve is returned and burned) and returns {formatBtc(vault.collateral)} to your wallet.
      </p>
    </Current>
  );
}

/** Beside the adjust form: the engine's figures after the change, the vault's risk and the rules. */
function AdjustSide(props: {
  info: EngineInfo;
  summary: EngineSummary;
  position: AccountPosition;
  preview: ReturnType<typeof usePreview>;
  /** Whether the form holds an operation (no figures before). */
  typed: boolean;
}) {
  const { info, summary, position, preview, typed } = props;
  return (
    <Current>
      <VaultPreviewPanel
        info={info}
        summary={summary}
        preview={typed ? preview.data : undefined}
        pending={preview.isPlaceholderData || preview.isFetching}
      />
      {position.risk ? (
        <VaultRiskPanel
          risk={position.risk}
          price={summary.price}
          recoveryMode={summary.recoveryMode}
          mcr={info.params.MCR}
          ccr={info.params.CCR}
        />
      ) : null}
      <RecoveryRules info={info} summary={summary} />
    </Current>
  );
}

function VaultPreviewPanel({
  info,
  summary,
  preview,
  pending,
}: {
  info: EngineInfo;
  summary: EngineSummary;
  preview: OperationPreview | undefined;
  pending: boolean;
}) {
  return (
    <aside
      className="card preview"
      aria-labelledby="preview-title"
      aria-busy={pending}
      data-testid="vault-preview"
      data-pending={pending ? "yes" : "no"}
    >
      <h2 id="preview-title">After this transaction</h2>
      {!preview ? (
        <p className="muted">
          Enter amounts to see the engine's figures: your collateral ratio, liquidation price and fee.
        </p>
      ) : !preview.ok ? (
        <EngineRefusal
          code={preview.code}
          message={preview.message}
          {...(REFUSAL_ADVICE[preview.code] ? { advice: REFUSAL_ADVICE[preview.code]! } : {})}
        />
      ) : (
        <PreviewFigures info={info} summary={summary} preview={preview} />
      )}
    </aside>
  );
}

type AcceptedPreview = Extract<OperationPreview, { ok: true }>;

/** The engine's figures after an accepted operation, with its warnings when the vault or system is near a line. */
function PreviewFigures({
  info,
  summary,
  preview,
}: {
  info: EngineInfo;
  summary: EngineSummary;
  preview: AcceptedPreview;
}) {
  const { MCR, CCR } = info.params;
  // The engine's risk view of the vault and the system after this transaction (never green on a line).
  const riskAfter = preview.positionAfter?.risk ?? null;
  const systemAfter = systemRiskLevel(preview.summaryAfter.tcr, info.params);
  return (
    <dl className="figures">
      {"fee" in preview.result ? (
        <Figure id="fee" label="Borrowing fee" raw={preview.result.fee as bigint}>
          {formatZkusd(preview.result.fee as bigint)}
          {summary.recoveryMode
            ? " (no fee in recovery mode)"
            : ` (${formatPercent(summary.borrowingRate, 2)})`}
        </Figure>
      ) : null}
      <VaultAfterFigures preview={preview} riskAfter={riskAfter} />
      <Figure id="price-met" label="Valued at" raw={preview.price}>
        {formatUsd(preview.price)} per BTC
        {preview.price !== summary.price ? " (the guardians' price, put on chain by your transaction)" : ""}
      </Figure>
      <Figure
        id="tcr-after"
        label="System ratio (TCR) after"
        raw={isInfiniteRatio(preview.summaryAfter.tcr) ? "infinite" : preview.summaryAfter.tcr}
        tone={systemTone(systemAfter)}
      >
        {formatPercent(preview.summaryAfter.tcr)}
        {preview.summaryAfter.recoveryMode ? " — recovery mode" : ""}
      </Figure>
      {riskAfter && riskAfter.level !== "safe" ? (
        <VaultRiskWarning risk={riskAfter} mcr={MCR} ccr={CCR} />
      ) : null}
      {systemAfter !== "safe" ? (
        <p className="notice notice-warn" data-testid="system-warning" data-level={systemAfter}>
          {systemAfter === "recovery"
            ? `The system would be in recovery mode (ratio below ${formatPercent(CCR, 0)}).`
            : `This leaves the whole system at ${formatPercent(preview.summaryAfter.tcr)}, near the ${formatPercent(CCR, 0)} recovery-mode line: a small fall of the BTC price puts it in recovery mode, where withdrawals stop and vaults below ${formatPercent(CCR, 0)} can be liquidated.`}
        </p>
      ) : null}
      <div className="figure-note muted small">
        Liquidation below {formatPercent(MCR, 0)}
        {summary.recoveryMode
          ? `, or below ${formatPercent(CCR, 0)} while the system is in recovery mode`
          : ""}
        . Keep a margin: the price moves.
      </div>
    </dl>
  );
}

type RiskAfter = NonNullable<NonNullable<AcceptedPreview["positionAfter"]>["risk"]>;

function VaultAfterFigures({
  preview,
  riskAfter,
}: {
  preview: AcceptedPreview;
  riskAfter: RiskAfter | null;
}) {
  if (preview.vaultAfter?.status !== "active")
    return (
      <Figure id="vault-status" label="Vault" raw={preview.vaultAfter?.status ?? "none"}>
        {preview.vaultAfter?.status === "closedByOwner" ? "Closed" : "None"}
      </Figure>
    );
  return (
    <>
      <Figure id="debt" label="Total debt" raw={preview.vaultAfter.debt}>
        {formatZkusd(preview.vaultAfter.debt)}
      </Figure>
      <Figure id="collateral" label="Collateral" raw={preview.vaultAfter.collateral}>
        {formatBtc(preview.vaultAfter.collateral)}
      </Figure>
      <Figure
        id="icr"
        label="Collateral ratio"
        raw={preview.vaultAfter.icr}
        tone={riskAfter ? riskTone(riskAfter.level) : "warn"}
      >
        {formatPercent(preview.vaultAfter.icr)}
        {riskAfter && riskAfter.level !== "safe" ? ` — ${RISK_LABEL[riskAfter.level].toLowerCase()}` : ""}
      </Figure>
      <Figure id="liquidation-price" label="Liquidation price" raw={preview.liquidationPriceAfter}>
        {preview.liquidationPriceAfter ? formatUsd(preview.liquidationPriceAfter) : "—"}
      </Figure>
    </>
  );
}

function VaultRiskWarning({ risk, mcr, ccr }: { risk: RiskAfter; mcr: bigint; ccr: bigint }) {
  return (
    <p
      className={risk.level === "caution" ? "notice notice-warn" : "notice notice-danger"}
      data-testid="risk-warning"
      data-level={risk.level}
    >
      {risk.level === "caution"
        ? `Your vault would be at ${formatPercent(risk.icr)}, near the ${formatPercent(ccr, 0)} recovery-mode line: in recovery mode a vault below ${formatPercent(ccr, 0)} can be liquidated.`
        : `Your vault would be at ${formatPercent(risk.icr)}, close to the ${formatPercent(mcr, 0)} liquidation line: a small fall of the BTC price (to ${risk.liquidationPrice ? formatUsd(risk.liquidationPrice) : "—"}) lets anyone liquidate it.`}{" "}
      Keep a margin: borrow less or add collateral.
    </p>
  );
}

function RecoveryRules({ info, summary }: { info: EngineInfo; summary: EngineSummary }) {
  const { MCR, CCR } = info.params;
  return (
    <details className="card rules" open={summary.recoveryMode}>
      <summary>
        <strong>Rules that apply to your vault</strong>{" "}
        <span className={summary.recoveryMode ? "badge badge-error" : "badge badge-ready"}>
          {summary.recoveryMode ? "Recovery mode now" : "Normal mode now"}
        </span>
      </summary>
      <ul>
        <li>
          Your vault's collateral ratio must stay at or above {formatPercent(MCR, 0)} (MCR), or anyone can
          liquidate it.
        </li>
        <li>
          Minimum debt: {formatZkusd(info.params.minNetDebt)} plus the {formatZkusd(info.params.gasReserve)}{" "}
          liquidation reserve.
        </li>
        <li>
          When the system's ratio (now {formatPercent(summary.tcr)}) is below {formatPercent(CCR, 0)},
          recovery mode applies: collateral cannot be withdrawn, new debt must leave your vault at or above{" "}
          {formatPercent(CCR, 0)} and must not lower its ratio, borrowing has no fee, and vaults below{" "}
          {formatPercent(CCR, 0)} can be liquidated.
        </li>
        <li>In normal mode, no change may push the system's ratio below {formatPercent(CCR, 0)}.</li>
      </ul>
    </details>
  );
}
