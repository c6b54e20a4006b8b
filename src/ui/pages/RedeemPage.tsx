/**
 * Redeem zkUSD for BTC at face value minus the redemption fee, taken from the riskiest vaults first.
 * The expected BTC, the fee and the vaults touched are the engine's answer for the exact amount.
 */

import { useState } from "react";
import { formatBtc, formatPercent, formatUsd, formatZkusd, shortHex } from "../../client/index.ts";
import { type Operation, SATOSHI } from "../../protocol/index.ts";
import { withinBounds } from "../components/bounds.ts";
import { ConnectPrompt } from "../components/ConnectPrompt.tsx";
import { AmountField, EngineRefusal, Figure, parseAmount, REFUSAL_ADVICE } from "../components/forms.tsx";
import { MaxFeeField, maxFeeOf } from "../components/MaxFee.tsx";
import { PayoutsPanel } from "../components/PayoutsPanel.tsx";
import { Current, SyncWait } from "../components/SyncWait.tsx";
import { TransactionReview } from "../components/TransactionReview.tsx";
import { usePosition, usePreview, useSystemSummary } from "../queries/engine.ts";
import { useSyncGate } from "../queries/readiness.ts";
import { useAccountId } from "../wallet/wallet-store.ts";

export default function RedeemPage() {
  const owner = useAccountId();
  const summary = useSystemSummary();
  const position = usePosition(owner);
  const [text, setText] = useState("");
  // The operation under review is frozen, so the review outlives a balance that changes under it.
  const [reviewing, setReviewing] = useState<Operation | null>(null);
  const form = useRedeemForm(owner, text, position.data?.balance);
  const { setMaxFeeText, gate, amount, quoteOp, rate, cap, op, preview, p } = form;
  const canReview =
    gate.ready && op !== null && amount.kind !== "error" && Boolean(p?.ok) && !preview.isPlaceholderData;
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Redeem</h1>
      </header>
      <PayoutsPanel owner={owner} />
      <RedeemIntro price={summary.data?.price} />
      {!owner ? (
        <ConnectPrompt why="Connect a wallet to redeem zkUSD." />
      ) : reviewing && summary.data ? (
        <TransactionReview
          title="Redeem zkUSD"
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
              if (op && canReview) setReviewing(op);
            }}
          >
            <h2>Amount</h2>
            <SyncWait gate={gate} />
            <AmountField
              label="Redeem"
              unit="zkUSD"
              value={text}
              onChange={setText}
              parsed={amount}
              testId="redeem-amount"
              max={gate.ready && position.data?.balance ? { value: position.data.balance } : null}
              hint={
                <Current inline quiet>
                  Your balance: {formatZkusd(position.data?.balance ?? 0n)}.
                </Current>
              }
            />
            <MaxFeeField
              kind="redemption"
              text={cap.text}
              onChange={setMaxFeeText}
              parsed={cap.parsed}
              maxFee={cap.maxFee}
              rate={rate}
              testId="redeem-max-fee-input"
            />
            <div className="actions">
              <button
                type="submit"
                className="button button-primary"
                disabled={!canReview}
                data-testid="review-button"
              >
                Review transaction
              </button>
            </div>
          </form>
          <RedeemPreview typed={quoteOp !== null} preview={p} />
        </div>
      )}
    </section>
  );
}

/** What a redemption is, at the engine's price. */
function RedeemIntro({ price }: { price: bigint | undefined }) {
  return (
    <p className="muted">
      Swap zkUSD for BTC at face value (
      <Current inline>{price !== undefined ? formatUsd(price) : "…"} per BTC</Current>), minus a fee that
      rises with redemptions. The BTC comes from the vaults with the lowest collateral ratio. This is what
      holds zkUSD at one dollar.
    </p>
  );
}

/** The amount typed, the engine's quote for it (the fee now), the cap and the operation with it. */
function useRedeemForm(owner: string | undefined, text: string, balance: bigint | undefined) {
  const [maxFeeText, setMaxFeeText] = useState<string | null>(null);
  const typed = parseAmount(text);
  const gate = useSyncGate();
  const amount = withinBounds(typed, gate.ready, [
    balance !== undefined ? { max: balance, message: `More than you hold (${formatZkusd(balance)}).` } : null,
  ]);
  // The fee for this amount now (no cap), then the operation with the user's cap.
  const quoteOp: Operation | null =
    owner && typed.kind === "ok" ? { type: "redeem", redeemer: owner, amount: typed.value } : null;
  const quote = usePreview(quoteOp);
  const q = quote.data?.ok && !quote.isPlaceholderData ? quote.data.result : null;
  // The fee as a fraction of the BTC drawn, as the engine compares it (rounded down like the engine).
  const rate = q && (q.btc as bigint) > 0n ? ((q.fee as bigint) * 10n ** 18n) / (q.btc as bigint) : 0n;
  const cap = maxFeeOf(maxFeeText, rate, { current: gate.ready });
  const op: Operation | null =
    quoteOp && cap.maxFee !== undefined && (q || maxFeeText !== null)
      ? { ...quoteOp, type: "redeem", maxFee: cap.maxFee }
      : null;
  const preview = usePreview(op);
  const p = op ? preview.data : quote.data;
  return { setMaxFeeText, gate, amount, quoteOp, rate, cap, op, preview, p };
}

/** The engine's answer for the amount: the BTC drawn, the fee, what reaches the wallet and the vaults touched. */
function RedeemPreview({
  typed,
  preview: p,
}: {
  typed: boolean;
  preview: ReturnType<typeof usePreview>["data"];
}) {
  return (
    <aside className="card preview" data-testid="redeem-preview">
      <h2>You receive</h2>
      <Current>
        {!typed || !p ? (
          <p className="muted">
            Enter an amount to see the BTC you would receive, the fee and the vaults redeemed against.
          </p>
        ) : !p.ok ? (
          <EngineRefusal
            code={p.code}
            message={p.message}
            {...(REFUSAL_ADVICE[p.code] ? { advice: REFUSAL_ADVICE[p.code]! } : {})}
          />
        ) : (
          <>
            <dl className="figures">
              <Figure id="redeemed" label="zkUSD redeemed" raw={p.result.zkusd as bigint}>
                {formatZkusd(p.result.zkusd as bigint)}
              </Figure>
              <Figure id="btc-drawn" label="BTC drawn from vaults" raw={p.result.btc as bigint}>
                {formatBtc(p.result.btc as bigint)}
              </Figure>
              <Figure id="fee" label="Redemption fee (stays in the protocol)" raw={p.result.fee as bigint}>
                {formatBtc(p.result.fee as bigint)} (
                {formatPercent(((p.result.fee as bigint) * 10n ** 18n) / ((p.result.btc as bigint) || 1n), 2)}
                )
              </Figure>
              <Figure
                id="btc"
                label="BTC to you"
                raw={paidOut(p.result.btc as bigint, p.result.fee as bigint)}
              >
                {formatBtc(paidOut(p.result.btc as bigint, p.result.fee as bigint))} (rounded down to whole
                satoshis)
              </Figure>
            </dl>
            <h3>Vaults redeemed against</h3>
            <ul className="plain-list" data-testid="redeemed-vaults">
              {(p.result.vaults as string[]).map((v) => (
                <li key={v}>
                  <code title={v}>{shortHex(v, 10)}</code>
                </li>
              ))}
            </ul>
          </>
        )}
      </Current>
    </aside>
  );
}

/** What reaches the wallet: drawn minus fee, rounded down to whole satoshis (docs/decisions.md §3). */
function paidOut(btc: bigint, fee: bigint): bigint {
  return ((btc - fee) / SATOSHI) * SATOSHI;
}
