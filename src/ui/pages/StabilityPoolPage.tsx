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
  const [action, setAction] = useState<"poolDeposit" | "poolWithdraw">("poolDeposit");
  const [text, setText] = useState("");
  const [reviewing, setReviewing] = useState<Operation | null>(null);
  const amount = parseAmount(text);
  const op: Operation | null =
    owner && amount.kind === "ok" ? { type: action, owner, amount: amount.value } : null;
  const preview = usePreview(op);
  const claim = usePreview(owner && position.data?.deposit?.btcGain ? { type: "claimGains", owner } : null);
  const deposit = position.data?.deposit;
  const gate = useSyncGate();

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Stability pool</h1>
      </header>
      <PayoutsPanel owner={owner} />
      {summary.data ? (
        <Current>
          <dl className="card inline-figures" aria-label="Pool totals">
            <Figure id="pool-total" label="zkUSD in the pool" raw={summary.data.poolTotal}>
              {formatZkusd(summary.data.poolTotal)}
            </Figure>
            <Figure
              id="pool-collateral"
              label="BTC gains held for depositors"
              raw={summary.data.poolCollateral}
            >
              {formatBtc(summary.data.poolCollateral)}
            </Figure>
          </dl>
        </Current>
      ) : null}
      <p className="muted">
        Your deposit pays off the debt of liquidated vaults; in exchange you receive their collateral, worth
        more than the debt absorbed (vaults are liquidated below 110%). Your zkUSD deposit can shrink; the BTC
        gains make up for it.
      </p>
      {!owner ? (
        <ConnectPrompt why="Connect a wallet to deposit zkUSD into the stability pool." />
      ) : reviewing && summary.data ? (
        <TransactionReview
          title={
            reviewing.type === "poolDeposit"
              ? "Deposit to the stability pool"
              : reviewing.type === "poolWithdraw"
                ? "Withdraw from the stability pool"
                : "Claim BTC gains"
          }
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
              <dl className="inline-figures">
                <Figure id="deposit" label="Deposit now" raw={deposit?.compounded ?? 0n}>
                  {formatZkusd(deposit?.compounded ?? 0n)}
                </Figure>
                <Figure id="gains" label="BTC gains" raw={deposit?.btcGain ?? 0n}>
                  {formatBtc(deposit?.btcGain ?? 0n)}
                </Figure>
                <Figure id="balance" label="Your zkUSD" raw={position.data?.balance ?? 0n}>
                  {formatZkusd(position.data?.balance ?? 0n)}
                </Figure>
              </dl>
            </Current>
            <fieldset className="segmented">
              <legend className="visually-hidden">{"Action"}</legend>
              <button
                type="button"
                aria-pressed={action === "poolDeposit"}
                onClick={() => setAction("poolDeposit")}
              >
                Deposit
              </button>
              <button
                type="button"
                aria-pressed={action === "poolWithdraw"}
                onClick={() => setAction("poolWithdraw")}
              >
                Withdraw
              </button>
            </fieldset>
            <AmountField
              label={action === "poolDeposit" ? "Deposit" : "Withdraw"}
              unit="zkUSD"
              value={text}
              onChange={setText}
              parsed={amount}
              testId="pool-amount"
              max={
                !gate.ready
                  ? null
                  : action === "poolDeposit"
                    ? position.data?.balance
                      ? { value: position.data.balance }
                      : null
                    : deposit?.compounded
                      ? { value: deposit.compounded }
                      : null
              }
              hint="Any change to your deposit also sends your BTC gains to your wallet."
            />
            <SyncWait gate={gate} />
            {/* A verdict or figures of a state that is behind would not be the transaction's: hidden. */}
            <Current quiet>
              {op && preview.data && !preview.data.ok ? (
                <EngineRefusal
                  code={preview.data.code}
                  message={preview.data.message}
                  {...(REFUSAL_ADVICE[preview.data.code]
                    ? { advice: REFUSAL_ADVICE[preview.data.code]! }
                    : {})}
                />
              ) : null}
              {op && preview.data?.ok && preview.data.positionAfter ? (
                <dl className="figures" data-testid="pool-preview">
                  <Figure
                    id="deposit-after"
                    label="Deposit after"
                    raw={preview.data.positionAfter.deposit?.compounded ?? 0n}
                  >
                    {formatZkusd(preview.data.positionAfter.deposit?.compounded ?? 0n)}
                  </Figure>
                  <Figure
                    id="gains-paid"
                    label="BTC gains paid to you"
                    raw={(preview.data.result.btcGain as bigint | undefined) ?? 0n}
                  >
                    {formatBtc((preview.data.result.btcGain as bigint | undefined) ?? 0n)}
                  </Figure>
                </dl>
              ) : null}
            </Current>
            <div className="actions">
              <button
                type="submit"
                className="button button-primary"
                disabled={!gate.ready || !preview.data?.ok || preview.isPlaceholderData}
                data-testid="review-button"
              >
                Review transaction
              </button>
              <button
                type="button"
                className="button"
                disabled={!gate.ready || !claim.data?.ok || claim.isPlaceholderData}
                data-testid="claim-gains-button"
                onClick={() => owner && setReviewing({ type: "claimGains", owner })}
                title={
                  deposit?.btcGain ? undefined : "Gains arrive when vaults are liquidated against the pool."
                }
              >
                {gate.ready ? `Claim ${formatBtc(deposit?.btcGain ?? 0n)} gains` : "Claim gains"}
              </button>
            </div>
          </form>
          <Current>
            <PoolHistory owner={owner} price={summary.data?.price ?? 0n} />
          </Current>
        </div>
      )}
    </section>
  );
}
