/**
 * Stability pool: deposit zkUSD to absorb liquidated debt and earn the liquidated BTC at a discount;
 * withdraw; claim BTC gains. Figures are the engine's (compounded deposit, gains, previews).
 */

import { useState } from "react";
import { formatBtc, formatZkusd } from "../../client/index.ts";
import type { Operation } from "../../protocol/index.ts";
import { ConnectPrompt } from "../components/ConnectPrompt.tsx";
import { AmountField, EngineRefusal, Figure, parseAmount, REFUSAL_ADVICE } from "../components/forms.tsx";
import { PayoutsPanel } from "../components/PayoutsPanel.tsx";
import { PoolHistory } from "../components/PoolHistory.tsx";
import { Current, SyncWait } from "../components/SyncWait.tsx";
import { TransactionReview } from "../components/TransactionReview.tsx";
import { usePosition, usePreview, useSystemSummary } from "../queries/engine.ts";
import { useSyncGate } from "../queries/readiness.ts";
import { useAccountId } from "../wallet/wallet-store.ts";

export default function StabilityPoolPage() {
  const owner = useAccountId();
  const summary = useSystemSummary();
  const position = usePosition(owner);
  const [action, setAction] = useState<PoolAction>("poolDeposit");
  const [text, setText] = useState("");
  const [reviewing, setReviewing] = useState<Operation | null>(null);
  const amount = parseAmount(text);
  const op: Operation | null =
    owner && amount.kind === "ok" ? { type: action, owner, amount: amount.value } : null;
  const preview = usePreview(op);
  const claim = usePreview(owner && position.data?.deposit?.btcGain ? { type: "claimGains", owner } : null);
  const deposit = position.data?.deposit;
  const gate = useSyncGate();
  // The most the field offers (once current): the wallet's zkUSD to deposit, the deposit to withdraw.
  const most = action === "poolDeposit" ? position.data?.balance : deposit?.compounded;
  const max = gate.ready && most ? { value: most } : null;

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Stability pool</h1>
      </header>
      <PayoutsPanel owner={owner} />
      <PoolOverview summary={summary.data} />
      {!owner ? (
        <ConnectPrompt why="Connect a wallet to deposit zkUSD into the stability pool." />
      ) : reviewing && summary.data ? (
        <TransactionReview
          title={reviewTitle(reviewing)}
          op={reviewing}
          price={summary.data.price}
          onCancel={() => setReviewing(null)}
          onConfirmed={() => setText("")}
        />
      ) : (
        <div className="two-columns">
          <form
            className="card form"
            onSubmit={(e) => {
              e.preventDefault();
              if (op && gate.ready && preview.data?.ok) setReviewing(op);
            }}
          >
            <h2>Your deposit</h2>
            <Current quiet>
              <DepositFigures deposit={deposit} balance={position.data?.balance ?? 0n} />
            </Current>
            <ActionToggle action={action} onChange={setAction} />
            <AmountField
              label={action === "poolDeposit" ? "Deposit" : "Withdraw"}
              unit="zkUSD"
              value={text}
              onChange={setText}
              parsed={amount}
              testId="pool-amount"
              max={max}
              hint="Any change to your deposit also sends your BTC gains to your wallet."
            />
            <SyncWait gate={gate} />
            {/* A verdict or figures of a state that is behind would not be the transaction's: hidden. */}
            <Current quiet>{op ? <PoolPreview preview={preview.data} /> : null}</Current>
            <PoolActions
              ready={gate.ready}
              canReview={Boolean(preview.data?.ok) && !preview.isPlaceholderData}
              canClaim={Boolean(claim.data?.ok) && !claim.isPlaceholderData}
              gain={deposit?.btcGain ?? 0n}
              onClaim={() => owner && setReviewing({ type: "claimGains", owner })}
            />
          </form>
          <Current>
            <PoolHistory owner={owner} price={summary.data?.price ?? 0n} />
          </Current>
        </div>
      )}
    </section>
  );
}

function reviewTitle(op: Operation): string {
  return op.type === "poolDeposit"
    ? "Deposit to the stability pool"
    : op.type === "poolWithdraw"
      ? "Withdraw from the stability pool"
      : "Claim BTC gains";
}

function PoolTotals({ poolTotal, poolCollateral }: { poolTotal: bigint; poolCollateral: bigint }) {
  return (
    <dl className="card inline-figures" aria-label="Pool totals">
      <Figure id="pool-total" label="zkUSD in the pool" raw={poolTotal}>
        {formatZkusd(poolTotal)}
      </Figure>
      <Figure id="pool-collateral" label="BTC gains held for depositors" raw={poolCollateral}>
        {formatBtc(poolCollateral)}
      </Figure>
    </dl>
  );
}

type Deposit = NonNullable<ReturnType<typeof usePosition>["data"]>["deposit"];

function DepositFigures({ deposit, balance }: { deposit: Deposit | undefined; balance: bigint }) {
  return (
    <dl className="inline-figures">
      <Figure id="deposit" label="Deposit now" raw={deposit?.compounded ?? 0n}>
        {formatZkusd(deposit?.compounded ?? 0n)}
      </Figure>
      <Figure id="gains" label="BTC gains" raw={deposit?.btcGain ?? 0n}>
        {formatBtc(deposit?.btcGain ?? 0n)}
      </Figure>
      <Figure id="balance" label="Your zkUSD" raw={balance}>
        {formatZkusd(balance)}
      </Figure>
    </dl>
  );
}

type PoolAction = "poolDeposit" | "poolWithdraw";

function ActionToggle({ action, onChange }: { action: PoolAction; onChange: (a: PoolAction) => void }) {
  return (
    <fieldset className="segmented">
      <legend className="visually-hidden">{"Action"}</legend>
      <button type="button" aria-pressed={action === "poolDeposit"} onClick={() => onChange("poolDeposit")}>
        Deposit
      </button>
      <button type="button" aria-pressed={action === "poolWithdraw"} onClick={() => onChange("poolWithdraw")}>
        Withdraw
      </button>
    </fieldset>
  );
}

/** The engine's verdict on the typed change: its refusal, or the deposit after and the gains paid. */
function PoolPreview({ preview }: { preview: ReturnType<typeof usePreview>["data"] }) {
  if (!preview) return null;
  if (!preview.ok)
    return (
      <EngineRefusal
        code={preview.code}
        message={preview.message}
        {...(REFUSAL_ADVICE[preview.code] ? { advice: REFUSAL_ADVICE[preview.code]! } : {})}
      />
    );
  if (!preview.positionAfter) return null;
  return (
    <dl className="figures" data-testid="pool-preview">
      <Figure id="deposit-after" label="Deposit after" raw={preview.positionAfter.deposit?.compounded ?? 0n}>
        {formatZkusd(preview.positionAfter.deposit?.compounded ?? 0n)}
      </Figure>
      <Figure
        id="gains-paid"
        label="BTC gains paid to you"
        raw={(preview.result.btcGain as bigint | undefined) ?? 0n}
      >
        {formatBtc((preview.result.btcGain as bigint | undefined) ?? 0n)}
      </Figure>
    </dl>
  );
}

function PoolActions(props: {
  ready: boolean;
  canReview: boolean;
  canClaim: boolean;
  gain: bigint;
  onClaim: () => void;
}) {
  const { ready, canReview, canClaim, gain, onClaim } = props;
  return (
    <div className="actions">
      <button
        type="submit"
        className="button button-primary"
        disabled={!ready || !canReview}
        data-testid="review-button"
      >
        Review transaction
      </button>
      <button
        type="button"
        className="button"
        disabled={!ready || !canClaim}
        data-testid="claim-gains-button"
        onClick={onClaim}
        title={gain ? undefined : "Gains arrive when vaults are liquidated against the pool."}
      >
        {ready ? `Claim ${formatBtc(gain)} gains` : "Claim gains"}
      </button>
    </div>
  );
}

/** The pool's totals and what a deposit does, shown with or without a wallet. */
function PoolOverview({ summary }: { summary: ReturnType<typeof useSystemSummary>["data"] }) {
  return (
    <>
      {summary ? (
        <Current>
          <PoolTotals poolTotal={summary.poolTotal} poolCollateral={summary.poolCollateral} />
        </Current>
      ) : null}
      <p className="muted">
        Your deposit pays off the debt of liquidated vaults; in exchange you receive their collateral, worth
        more than the debt absorbed (vaults are liquidated below 110%). Your zkUSD deposit can shrink; the BTC
        gains make up for it.
      </p>
    </>
  );
}
