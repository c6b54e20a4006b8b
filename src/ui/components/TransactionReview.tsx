import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useId, useMemo, useState } from "react";
import {
  type FeePreset,
  type FeePresets,
  formatCount,
  outpoint,
  shortHex,
  speakBtc,
  toHex,
  type WalletAccount,
} from "../../client/index.ts";
import {
  appProver,
  appTracker,
  canNamePayout,
  DraftError,
  type DraftInput,
  type FlowCost,
  feeRateFor,
  flowCost,
  holdingFlowLock,
  makeDraft,
  meetFor,
  needsAttestation,
  needsPriceUpdate,
  payoutAddress,
  payoutSats,
  recordFlow,
  reviewContext,
  runFlow,
  type Step,
  type StepState,
  type TxDraft,
} from "../../client/tx/index.ts";
import type { Operation } from "../../protocol/index.ts";
import { useEngine } from "../engine/EngineProvider.tsx";
import { useSyncSetup } from "../engine/sync.ts";
import { esploraClient, useEsploraUrl, useFeePresets, useWalletCoins } from "../queries/bitcoin.ts";
import { keyOf, queryKeys } from "../queries/keys.ts";
import { useMeetQuote, useSyncGate } from "../queries/readiness.ts";
import { rememberPayoutScript } from "../state/payout-scripts.ts";
import { explorerTxUrl, useSettings } from "../state/settings-store.ts";
import { toast } from "../state/toast-store.ts";
import { useWalletStore } from "../wallet/wallet-store.ts";
import { FlowCostPanel } from "./FlowCost.tsx";
import { PsbtPreview } from "./PsbtPreview.tsx";
import { SyncWait } from "./SyncWait.tsx";

const PRESETS: { id: FeePreset; label: string; eta: string }[] = [
  { id: "fastest", label: "Fastest", eta: "next block" },
  { id: "halfHour", label: "Standard", eta: "about 30 min" },
  { id: "hour", label: "Slower", eta: "about 1 hour" },
  { id: "economy", label: "Economy", eta: "a day or more" },
];

interface TransactionReviewProps {
  title: string;
  op: Operation;
  /** The engine's BTC price, to show the network fee in USD. */
  price: bigint;
  onCancel: () => void;
  /** Called once the transaction is confirmed: the page clears its form (no one-click duplicate). */
  onConfirmed?: () => void;
}

type DraftOutcome = { ok: true; draft: TxDraft } | { ok: false; message: string };
type CostOutcome = FlowCost | { error: string } | null;

export function TransactionReview({ title, op, price, onCancel, onConfirmed }: TransactionReviewProps) {
  const review = useReviewDraft(op);
  const gate = useSyncGate();
  const { steps, sent, start } = useSendFlow(title, op, review, gate.ready, onConfirmed);
  const { addresses, coins, context, fees, draft } = review;
  const payToBad =
    review.paysOut && !payoutAddress(review.payTo, review.network, addresses?.payment.address).ok;

  return (
    <section className="card review" aria-labelledby="review-title" data-testid="review">
      <header className="review-header">
        <h2 id="review-title">Review: {title}</h2>
        {/* Once confirmed the review can close: a payout's settlement stage goes on without it (Payouts). */}
        <button
          type="button"
          className="button button-ghost"
          onClick={onCancel}
          disabled={!sent && isRunning(steps)}
        >
          {sent ? "Done" : "Back to the form"}
        </button>
      </header>
      {!addresses ? (
        <p className="notice notice-warn">Connect a wallet to build the transaction.</p>
      ) : coins.isError ? (
        <p className="notice notice-danger" role="alert">
          Your wallet's coins could not be read from the Esplora API ({(coins.error as Error).message}). Check
          the Esplora URL in Settings, then try again.
        </p>
      ) : !coins.data || (context.isLoading && !steps) ? (
        <p className="loading" role="status">
          Reading your wallet's coins and the engine's state…
        </p>
      ) : context.isError ? (
        <p className="notice notice-danger" role="alert" data-testid="draft-error">
          The engine's state could not be read ({(context.error as Error).message}). Reload the page, then try
          again.
        </p>
      ) : (
        <>
          {steps || !review.paysOut ? null : (
            <PayTo
              value={review.payTo}
              onChange={review.setPayTo}
              walletAddress={addresses.payment.address}
              network={review.network}
            />
          )}
          {steps ? null : (
            <FeeChoice
              preset={review.preset}
              setPreset={review.setPreset}
              custom={review.custom}
              setCustom={review.setCustom}
              presets={fees.data}
              failed={fees.isError}
            />
          )}
          {draft === null && !steps ? null : draft && !draft.ok && !steps ? (
            // A bad "Send BTC to" address is said once, under its field.
            payToBad ? null : (
              <p className="notice notice-danger" role="alert" data-testid="draft-error">
                {speakBtc(draft.message)}
              </p>
            )
          ) : (
            <>
              {draft?.ok && !steps ? <PsbtPreview draft={draft.draft} price={price} op={op} /> : null}
              {draft?.ok && !steps ? (
                <FlowCostPanel cost={review.cost} price={review.meet.price ?? price} />
              ) : null}
              {steps ? <StepList steps={steps} /> : null}
              {sent ? (
                <ConfirmedNotice sent={sent} />
              ) : (
                <SendActions steps={steps} gate={gate} ready={canSend(review, gate.ready)} start={start} />
              )}
            </>
          )}
        </>
      )}
    </section>
  );
}

/** Everything the review needs before a signature: the wallet, the fee choice, the draft and its cost. */
function useReviewDraft(op: Operation) {
  const addresses = useWalletStore((s) => s.addresses);
  const wallet = useWalletStore((s) => s.wallet);
  const network = useSettings((s) => s.network);
  const guardians = useSettings((s) => s.guardians);
  const defaultPreset = useSettings((s) => s.feePreset);
  const esploraUrl = useEsploraUrl();
  // Vault scripts use the federation's escape timelock when the app follows one.
  const csvBlocks = useSyncSetup((s) => (s.state === "following" ? s.federation.csvBlocks : undefined));
  const engine = useEngine();
  const coins = useWalletCoins(addresses?.payment.address);
  const fees = useFeePresets();
  const [preset, setPreset] = useState<FeePreset | "custom">(defaultPreset);
  const [custom, setCustom] = useState("");
  // "Send BTC to" (docs/custody.md "Payout destinations"): empty = the connected wallet's address.
  const [payTo, setPayTo] = useState("");
  // The price and time the transaction will meet (the flow's own price update comes first).
  const meet = meetFor(op, useMeetQuote() ?? undefined);

  const account = useMemo((): WalletAccount | null => {
    if (!addresses) return null;
    return {
      address: addresses.payment.address,
      publicKey: addresses.payment.publicKey,
      type: addresses.payment.type,
    };
  }, [addresses]);
  const context = useReviewContext(op, account, meet);

  const feeRate = feeRateFor(preset, custom, fees.data);
  const members = useSyncSetup((s) => (s.state === "following" ? s.federation.members.length : 0));
  const draftInput = useMemo((): DraftInput | null => {
    if (!account || !coins.data || feeRate === null || !context.data?.ok) return null;
    return {
      op,
      network,
      wallet: account,
      coins: coins.data.filter((c) => !appTracker.isLocked(outpoint(c))),
      feeRate,
      guardians,
      ...(csvBlocks !== undefined ? { csvBlocks } : {}),
      events: context.data.events,
      ...(context.data.custodySet ? { custodySet: context.data.custodySet } : {}),
      ...(payTo.trim() ? { payTo: payTo.trim() } : {}),
    };
  }, [account, coins.data, feeRate, op, network, guardians, context.data, csvBlocks, payTo]);
  const paysOut = canNamePayout(op) && payoutSats(context.data?.ok ? context.data.events : []) > 0n;
  const draft = useMemo(() => draftOutcome(draftInput, context.data), [draftInput, context.data]);
  // Everything the flow will send, at its largest: the bound shown and enforced (tx/cost.ts).
  const cost = useMemo((): CostOutcome => {
    if (!draftInput || !draft?.ok || !context.data?.ok) return null;
    return costOutcome(draftInput, op, meet.price, context.data.statePrice, members, guardians);
  }, [draftInput, draft, context.data, op, meet.price, members, guardians]);

  return {
    addresses,
    wallet,
    payTo,
    setPayTo,
    paysOut,
    network,
    guardians,
    esploraUrl,
    csvBlocks,
    engine,
    coins,
    fees,
    preset,
    setPreset,
    custom,
    setCustom,
    meet,
    account,
    context,
    feeRate,
    draft,
    cost,
  };
}

type ReviewDraft = ReturnType<typeof useReviewDraft>;

/** The engine's events for the operation on its current state (a payout's amount, the draft's inputs). */
function useReviewContext(op: Operation, account: WalletAccount | null, meet: ReturnType<typeof meetFor>) {
  const esploraUrl = useEsploraUrl();
  const guardians = useSettings((s) => s.guardians);
  const engine = useEngine();
  return useQuery({
    queryKey: [
      ...queryKeys.engine.all,
      "txContext",
      keyOf(op),
      esploraUrl,
      keyOf(guardians),
      account?.address ?? "",
      keyOf(meet.price ?? null),
    ],
    queryFn: async () => reviewContext(await engine.snapshot(), op, meet),
    enabled: account !== null,
    staleTime: Number.POSITIVE_INFINITY,
    retry: 0,
  });
}

function costOutcome(
  draftInput: DraftInput,
  op: Operation,
  meetPrice: bigint | undefined,
  statePrice: bigint,
  members: number,
  guardians: { threshold: number; urls: readonly string[] },
): CostOutcome {
  // A priced operation's flow may send a price update: counted whenever it can happen (the price
  // can move between this review and the signature), so the total stays an upper bound.
  try {
    return flowCost(draftInput, {
      priceUpdate: needsPriceUpdate(op),
      priceKnownNeeded: meetPrice !== undefined && meetPrice !== statePrice,
      price: meetPrice ?? statePrice,
      members: Math.max(members, guardians.threshold, guardians.urls.length),
      attested: needsAttestation(op),
    });
  } catch (error) {
    // The wallet cannot pay the price update and the operation both: nothing may start.
    return { error: speakBtc((error as Error).message) };
  }
}

function draftOutcome(
  draftInput: DraftInput | null,
  context: ReturnType<typeof useReviewContext>["data"],
): DraftOutcome | null {
  if (context && !context.ok) return { ok: false, message: context.message };
  if (!draftInput) return null;
  try {
    return { ok: true, draft: makeDraft(draftInput) };
  } catch (error) {
    if (error instanceof DraftError) return { ok: false, message: error.message };
    return { ok: false, message: `The transaction could not be built: ${(error as Error).message}` };
  }
}

const canSend = (review: ReviewDraft, synced: boolean) =>
  Boolean(review.draft?.ok && review.wallet && synced && review.cost && !("error" in review.cost));

/** Runs the flow (journaled, under the flow lock) and tells every screen once it is confirmed. */
function useSendFlow(
  title: string,
  op: Operation,
  review: ReviewDraft,
  synced: boolean,
  onConfirmed: (() => void) | undefined,
) {
  const queryClient = useQueryClient();
  const [steps, setSteps] = useState<Step[] | null>(null);
  const [sent, setSent] = useState<{ txid: string; height: number } | null>(null);
  const { wallet, account, feeRate, draft, cost, context, engine, network, esploraUrl } = review;

  const start = async () => {
    if (!wallet || !account || feeRate === null || !draft?.ok || !synced || !cost || "error" in cost) return;
    setSent(null);
    // Journaled step by step in IndexedDB, so a reload resumes or reports it (FlowRecovery).
    const id = crypto.randomUUID();
    // A payout named elsewhere stays listed under this account's Payouts (state/payout-scripts.ts).
    const to = payoutAddress(review.payTo, network, account.address);
    if (review.paysOut && to.ok && to.script) rememberPayoutScript(account.address, toHex(to.script));
    const { height } = await engine.snapshot();
    const journal = recordFlow({ id, title, op, account: account.address, height, startedAt: Date.now() });
    const result = await holdingFlowLock(id, () =>
      runFlow(
        {
          op,
          network,
          wallet,
          account,
          guardians: review.guardians,
          ...(review.csvBlocks !== undefined ? { csvBlocks: review.csvBlocks } : {}),
          feeRate,
          esplora: esploraClient(esploraUrl),
          engine,
          prover: appProver(),
          tracker: appTracker,
          paysOut: payoutSats(context.data?.ok ? context.data.events : []) > 0n,
          ...(review.payTo.trim() ? { payTo: review.payTo.trim() } : {}),
          onBroadcast: journal.sent,
          ...(cost && "total" in cost ? { maxNetworkFee: cost.total } : {}),
        },
        (s) => {
          setSteps(s);
          journal.steps(s);
        },
      ),
    );
    await journal.finish(result);
    // Every screen reads the new state (or the unlocked coins after a failure).
    await queryClient.invalidateQueries({ queryKey: queryKeys.engine.all });
    await queryClient.invalidateQueries({ queryKey: queryKeys.chain.all });
    if (result.ok) {
      setSent({ txid: result.txid, height: result.height });
      onConfirmed?.();
      toast({
        kind: "confirmed",
        tone: "ok",
        text: `${title}: confirmed in block ${formatCount(BigInt(result.height))}.`,
        link: { href: explorerTxUrl(network, esploraUrl, result.txid), label: "View transaction" },
      });
    }
  };
  return { steps, sent, start };
}

function SendActions(props: {
  steps: Step[] | null;
  gate: ReturnType<typeof useSyncGate>;
  ready: boolean;
  start: () => Promise<void>;
}) {
  const { steps, gate, ready, start } = props;
  return (
    <div className="actions">
      {isRunning(steps) ? null : <SyncWait gate={gate} />}
      <button
        type="button"
        className="button button-primary"
        disabled={isRunning(steps) || !ready}
        data-testid="sign-and-send"
        onClick={() => void start()}
      >
        {steps ? "Try again" : "Sign and send"}
      </button>
    </div>
  );
}

function ConfirmedNotice({ sent }: { sent: { txid: string; height: number } }) {
  const network = useSettings((s) => s.network);
  const esploraUrl = useEsploraUrl();
  return (
    <div className="notice notice-ok" role="status" data-testid="tx-confirmed" data-txid={sent.txid}>
      <strong>Confirmed in block {formatCount(BigInt(sent.height))}.</strong> Transaction{" "}
      <a href={explorerTxUrl(network, esploraUrl, sent.txid)} target="_blank" rel="noreferrer">
        <code>{shortHex(sent.txid, 10)}</code>
      </a>{" "}
      — every screen now shows the new state.
    </div>
  );
}

const isRunning = (steps: Step[] | null) => Boolean(steps?.some((s) => s.state === "running"));

/**
 * "Send BTC to": where the operation's payout goes (docs/custody.md "Payout destinations"). Empty is
 * the connected wallet's payment address, as before; another standard address of this network is
 * named in the spell, and the guardians' settlement pays it there.
 */
function PayTo(props: {
  value: string;
  onChange: (s: string) => void;
  walletAddress: string;
  network: Parameters<typeof payoutAddress>[1];
}) {
  const { value, onChange, walletAddress, network } = props;
  const id = useId();
  const checked = payoutAddress(value, network, walletAddress);
  return (
    <div className="field pay-to">
      <label htmlFor={id}>Send BTC to</label>
      <div className="field-input">
        <input
          id={id}
          autoComplete="off"
          spellCheck={false}
          placeholder={walletAddress}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={!checked.ok}
          aria-describedby={`${id}-hint`}
          data-testid="pay-to"
        />
      </div>
      {checked.ok ? null : (
        <p className="field-error" role="alert" data-testid="pay-to-error">
          {checked.message}
        </p>
      )}
      <p id={`${id}-hint`} className="field-hint">
        {checked.ok && checked.script
          ? "The BTC will be paid to this address by the guardians' settlement, not to your wallet."
          : "Leave empty to receive the BTC in your connected wallet. Any standard address of this network works (SegWit, Taproot, legacy, script)."}
      </p>
    </div>
  );
}

function FeeChoice(props: {
  preset: FeePreset | "custom";
  setPreset: (p: FeePreset | "custom") => void;
  custom: string;
  setCustom: (s: string) => void;
  presets: FeePresets | undefined;
  failed: boolean;
}) {
  const { preset, setPreset, custom, setCustom, presets, failed } = props;
  return (
    <fieldset className="fee-choice">
      <legend>Network fee rate</legend>
      {failed ? (
        <p className="notice notice-warn">
          Fee estimates are unavailable from the Esplora API: enter a custom rate.
        </p>
      ) : null}
      <div className="fee-options" role="radiogroup" aria-label="Fee rate">
        {PRESETS.map((p) => (
          <label key={p.id} className={preset === p.id ? "fee-option selected" : "fee-option"}>
            <input
              type="radio"
              name="fee"
              value={p.id}
              checked={preset === p.id}
              disabled={!presets}
              onChange={() => setPreset(p.id)}
            />
            <span className="fee-label">{p.label}</span>
            <span className="fee-rate">{presets ? `${presets[p.id]} sat/vB` : "…"}</span>
            <span className="muted small">{p.eta}</span>
          </label>
        ))}
        <label className={preset === "custom" ? "fee-option selected" : "fee-option"}>
          <input
            type="radio"
            name="fee"
            value="custom"
            checked={preset === "custom"}
            onChange={() => setPreset("custom")}
          />
          <span className="fee-label">Custom</span>
          <input
            className="fee-custom"
            inputMode="decimal"
            aria-label="Custom fee rate in sat/vB"
            placeholder="sat/vB"
            value={custom}
            onChange={(e) => {
              setCustom(e.target.value);
              setPreset("custom");
            }}
          />
        </label>
      </div>
      {preset === "custom" && feeRateFor("custom", custom, presets) === null ? (
        <p className="field-error">Enter a rate between 1 and 10,000 sat/vB (1 is the relay minimum).</p>
      ) : null}
    </fieldset>
  );
}

const STEP_MARK: Record<StepState, string> = {
  waiting: "○",
  running: "◌",
  done: "✓",
  failed: "✕",
  skipped: "–",
};

function StepList({ steps }: { steps: Step[] }) {
  const failed = steps.find((s) => s.state === "failed");
  return (
    <div className="steps" data-testid="tx-steps">
      <ol>
        {steps.map((s) => (
          <li key={s.id} className={`step step-${s.state}`} data-step={s.id} data-state={s.state}>
            <span className="step-mark" aria-hidden="true">
              {STEP_MARK[s.state]}
            </span>
            <span className="step-body">
              <span>{s.label}</span>
              {s.detail && s.state !== "failed" ? (
                <span className="step-detail muted small">{s.detail}</span>
              ) : null}
              {s.progress && s.state === "running" ? (
                <progress className="step-progress" value={s.progress.value} max={s.progress.max}>
                  {Math.round((100 * s.progress.value) / s.progress.max)}%
                </progress>
              ) : null}
            </span>
            <span className="visually-hidden">: {s.state}</span>
          </li>
        ))}
      </ol>
      {failed ? (
        <div className="notice notice-danger" role="alert" data-testid="tx-error">
          <strong>{failed.label} failed.</strong> {speakBtc(failed.detail ?? "")}
        </div>
      ) : null}
    </div>
  );
}
