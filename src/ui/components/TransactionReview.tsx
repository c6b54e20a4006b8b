/**
 * The review step of every transaction: the real PSBT the wallet would sign, decoded (inputs,
 * outputs, fee at the chosen rate, RBF, the spell), then the steps that follow — price attestation,
 * proof, wallet signature, guardian co-signature, broadcast, confirmation — each shown as it runs.
 * A step that cannot run stops the flow with a sentence saying why and what to do; nothing is left
 * signed, locked or half-sent.
 */
import { useMemo, useState } from "react";
import type { FeePresets } from "../../btc/fees.ts";
import type { WalletAccount } from "../../btc/psbt.ts";
import { SATOSHI } from "../../protocol/decimal.ts";
import type { Operation } from "../../protocol/index.ts";
import { formatBtc, formatCount, formatPercent, formatUsd, formatZkusd, shortHex } from "../format.ts";
import { useFeePresets, useWalletCoins } from "../queries/chain.ts";
import { type FeePreset, useSettings } from "../state/settings-store.ts";
import { DraftError, makeDraft, type TxDraft } from "../tx/draft.ts";
import { fetchAttestation } from "../tx/guardians.ts";
import { useWalletStore } from "../wallet/wallet-store.ts";

const PRESETS: { id: FeePreset; label: string; eta: string }[] = [
  { id: "fastest", label: "Fastest", eta: "next block" },
  { id: "halfHour", label: "Standard", eta: "about 30 min" },
  { id: "hour", label: "Slower", eta: "about 1 hour" },
  { id: "economy", label: "Economy", eta: "a day or more" },
];

type StepState = "waiting" | "running" | "done" | "failed" | "skipped";
interface Step {
  id: string;
  label: string;
  state: StepState;
  detail?: string;
}

interface TransactionReviewProps {
  title: string;
  op: Operation;
  /** The engine's BTC price, to show the network fee in USD. */
  price: bigint;
  onCancel: () => void;
}

export function TransactionReview({ title, op, price, onCancel }: TransactionReviewProps) {
  const addresses = useWalletStore((s) => s.addresses);
  const network = useSettings((s) => s.network);
  const guardians = useSettings((s) => s.guardians);
  const defaultPreset = useSettings((s) => s.feePreset);
  const coins = useWalletCoins(addresses?.payment.address);
  const fees = useFeePresets();
  const [preset, setPreset] = useState<FeePreset | "custom">(defaultPreset);
  const [custom, setCustom] = useState("");
  const [steps, setSteps] = useState<Step[] | null>(null);

  const feeRate = rateFor(preset, custom, fees.data);
  const draft = useMemo((): { ok: true; draft: TxDraft } | { ok: false; message: string } | null => {
    if (!addresses || !coins.data || feeRate === null) return null;
    const wallet: WalletAccount = {
      address: addresses.payment.address,
      publicKey: addresses.payment.publicKey,
      type: addresses.payment.type,
    };
    try {
      return { ok: true, draft: makeDraft({ op, network, wallet, coins: coins.data, feeRate, guardians }) };
    } catch (error) {
      if (error instanceof DraftError) return { ok: false, message: error.message };
      return { ok: false, message: `The transaction could not be built: ${(error as Error).message}` };
    }
  }, [addresses, coins.data, feeRate, op, network, guardians]);

  return (
    <section className="card review" aria-labelledby="review-title" data-testid="review">
      <header className="review-header">
        <h2 id="review-title">Review: {title}</h2>
        <button type="button" className="button button-ghost" onClick={onCancel} disabled={isRunning(steps)}>
          Back to the form
        </button>
      </header>
      {!addresses ? (
        <p className="notice notice-warn">Connect a wallet to build the transaction.</p>
      ) : coins.isError ? (
        <p className="notice notice-danger" role="alert">
          Your wallet's coins could not be read from the Esplora API ({(coins.error as Error).message}). Check
          the Esplora URL in Settings, then try again.
        </p>
      ) : !coins.data ? (
        <p className="loading" role="status">
          Reading your wallet's coins…
        </p>
      ) : (
        <>
          <FeeChoice
            preset={preset}
            setPreset={setPreset}
            custom={custom}
            setCustom={setCustom}
            presets={fees.data}
            failed={fees.isError}
          />
          {draft === null ? null : !draft.ok ? (
            <p className="notice notice-danger" role="alert" data-testid="draft-error">
              {draft.message}
            </p>
          ) : (
            <>
              <PsbtPreview draft={draft.draft} price={price} />
              {steps ? <StepList steps={steps} /> : null}
              <div className="actions">
                <button
                  type="button"
                  className="button button-primary"
                  disabled={isRunning(steps)}
                  data-testid="sign-and-send"
                  onClick={() => void runFlow(guardians, price, setSteps)}
                >
                  {steps ? "Try again" : "Sign and send"}
                </button>
              </div>
            </>
          )}
        </>
      )}
    </section>
  );
}

const isRunning = (steps: Step[] | null) => Boolean(steps?.some((s) => s.state === "running"));

function rateFor(
  preset: FeePreset | "custom",
  custom: string,
  presets: FeePresets | undefined,
): number | null {
  if (preset === "custom") {
    const n = Number(custom);
    return Number.isFinite(n) && n >= 1 && n <= 10_000 ? n : null;
  }
  return presets ? presets[preset] : null;
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
      {preset === "custom" && rateFor("custom", custom, presets) === null ? (
        <p className="field-error">Enter a rate between 1 and 10,000 sat/vB (1 is the relay minimum).</p>
      ) : null}
    </fieldset>
  );
}

const INPUT_KIND: Record<string, string> = {
  wallet: "Your wallet",
  vault: "Vault",
  pool: "Protocol pool",
  unknown: "Unknown",
};
const OUTPUT_KIND: Record<string, string> = {
  vault: "Your vault (custody script)",
  pool: "Protocol pool",
  payout: "Payout",
  spell: "zkUSD spell (OP_RETURN)",
  change: "Change back to you",
  payment: "Payment",
  unknown: "Unknown",
};

const sats = (n: bigint) => `${formatCount(n)} sats`;

function PsbtPreview({ draft, price }: { draft: TxDraft; price: bigint }) {
  const { summary, built, spell } = draft;
  const feeUsd = (summary.fee * SATOSHI * price) / 10n ** 18n;
  return (
    <div className="psbt" data-testid="psbt-preview" data-psbt={built.base64}>
      <div className="psbt-columns">
        <div>
          <h3>Inputs ({summary.inputs.length})</h3>
          <ul className="io-list" data-testid="psbt-inputs">
            {summary.inputs.map((i) => (
              <li key={`${i.txid}:${i.vout}`} data-kind={i.kind} data-amount={i.amount.toString()}>
                <span className="io-kind">{INPUT_KIND[i.kind]}</span>
                <code title={`${i.txid}:${i.vout}`}>
                  {shortHex(i.txid, 8)}:{i.vout}
                </code>
                <span className="io-amount">{sats(i.amount)}</span>
              </li>
            ))}
          </ul>
        </div>
        <div>
          <h3>Outputs ({summary.outputs.length})</h3>
          <ul className="io-list" data-testid="psbt-outputs">
            {summary.outputs.map((o) => (
              <li
                key={`${o.kind}:${o.address ?? ""}:${o.amount}`}
                data-kind={o.kind}
                data-amount={o.amount.toString()}
              >
                <span className="io-kind">{OUTPUT_KIND[o.kind]}</span>
                {o.address ? <code title={o.address}>{shortHex(o.address, 10)}</code> : <span />}
                <span className="io-amount">{sats(o.amount)}</span>
              </li>
            ))}
          </ul>
        </div>
      </div>
      <dl className="psbt-facts">
        <div data-testid="psbt-fee" data-value={summary.fee.toString()}>
          <dt>Network fee</dt>
          <dd>
            {sats(summary.fee)} ≈ {formatUsd(feeUsd)} at the engine's price
          </dd>
        </div>
        <div>
          <dt>Size and rate</dt>
          <dd>
            ≤ {formatCount(summary.vsize)} vB at {built.feeRate} sat/vB (estimated with the largest
            signatures; the real size can only be smaller)
          </dd>
        </div>
        <div>
          <dt>Replace-by-fee</dt>
          <dd>
            {summary.rbf ? "On (BIP125): the transaction can be replaced by one paying a higher fee" : "Off"}
          </dd>
        </div>
        <div>
          <dt>Total leaving your wallet</dt>
          <dd>
            {formatBtc(
              (summary.inputs.filter((i) => i.kind === "wallet").reduce((a, i) => a + i.amount, 0n) -
                summary.outputs.filter((o) => o.kind === "change").reduce((a, o) => a + o.amount, 0n)) *
                SATOSHI,
            )}
          </dd>
        </div>
      </dl>
      <h3>Spell (decoded from the OP_RETURN)</h3>
      {summary.spell ? (
        <dl className="spell" data-testid="psbt-spell" data-op={summary.spell.op.type}>
          <div>
            <dt>Operation</dt>
            <dd>
              <code>{summary.spell.op.type}</code> (version {summary.spell.version})
            </dd>
          </div>
          {Object.entries(summary.spell.op)
            .filter(([k]) => k !== "type")
            .map(([k, v]) => (
              <div key={k} data-field={k} data-value={String(v)}>
                <dt>{k}</dt>
                <dd>
                  {spellValue(k, v)} <code className="muted small">{String(v)}</code>
                </dd>
              </div>
            ))}
          <div>
            <dt>Price attestation</dt>
            <dd>
              {spell.attestation.length
                ? `${spell.attestation.length} bytes`
                : "attached by the guardians in the next step"}
            </dd>
          </div>
          <div>
            <dt>Proof</dt>
            <dd>128-byte Groth16 proof, made in your browser in the next step</dd>
          </div>
        </dl>
      ) : (
        <p className="notice notice-danger">The spell could not be decoded: {summary.spellError}</p>
      )}
    </div>
  );
}

const STEPS: { id: string; label: string }[] = [
  { id: "attestation", label: "Price attestation from the guardians" },
  { id: "proof", label: "Proof (witness, then Groth16 proving in your browser)" },
  { id: "sign", label: "Your wallet's signature" },
  { id: "cosign", label: "Guardian co-signatures" },
  { id: "broadcast", label: "Broadcast" },
  { id: "confirm", label: "Confirmation" },
];

/**
 * Runs the steps after the review as far as today's parts allow, reporting each as it goes. It stops
 * at the first step that cannot run, before anything is signed: nothing is locked or sent.
 */
async function runFlow(
  guardians: { urls: string[]; threshold: number },
  enginePrice: bigint,
  report: (steps: Step[]) => void,
): Promise<void> {
  const steps: Step[] = STEPS.map((s) => ({ ...s, state: "waiting" }));
  const set = (id: string, state: StepState, detail?: string) => {
    const i = steps.findIndex((s) => s.id === id);
    steps[i] = { ...steps[i]!, state, ...(detail ? { detail } : {}) };
    report([...steps]);
  };
  const stopAfter = (id: string) => {
    for (const s of steps.slice(steps.findIndex((x) => x.id === id) + 1)) set(s.id, "skipped");
  };
  set("attestation", "running");
  const attestation = await fetchAttestation(guardians.urls, guardians.threshold);
  if (!attestation.ok) {
    set("attestation", "failed", attestation.reason);
    stopAfter("attestation");
    return;
  }
  const a = attestation.answer;
  set(
    "attestation",
    "done",
    `${formatUsd(a.price)} signed by ${a.signers} guardians (${new Date(a.timestamp * 1000).toLocaleTimeString()}, from ${a.guardian}).`,
  );
  set("proof", "running");
  if (a.price !== enginePrice) {
    set(
      "proof",
      "failed",
      `The guardians attest ${formatUsd(a.price)} but the engine's state is at ${formatUsd(enginePrice)}. Proofs are made at the state's price, so the new price must first be applied on chain, which the app does once chain sync (the data layer) is connected. Nothing was signed or sent.`,
    );
  } else {
    set(
      "proof",
      "failed",
      "Proving this operation in the browser is not connected to the app yet (the prover needs the synced state's witness). Nothing was signed or sent.",
    );
  }
  stopAfter("proof");
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
            <span>{s.label}</span>
            <span className="visually-hidden">: {s.state}</span>
          </li>
        ))}
      </ol>
      {failed ? (
        <div className="notice notice-danger" role="alert" data-testid="tx-error">
          <strong>{failed.label} failed.</strong> {failed.detail}
        </div>
      ) : null}
    </div>
  );
}

/** A decoded spell field in words (amounts are 18-decimal engine units; the codec carried BTC as sats). */
function spellValue(field: string, value: unknown): string {
  if (typeof value !== "bigint") return Array.isArray(value) ? value.join(", ") : String(value);
  if (field === "maxFee") return `max fee ${formatPercent(value, 2)}`;
  if (field === "collateral" || field.endsWith("Collateral")) return formatBtc(value);
  if (field === "price") return formatUsd(value);
  return formatZkusd(value);
}
