import { formatBtc, formatCount, formatUsd, shortHex } from "../../client/index.ts";
import {
  feeInUsd,
  needsAttestation,
  spellFieldRaw,
  spellFieldText,
  type TxDraft,
  walletOutflow,
  zkOperationOf,
} from "../../client/tx/index.ts";
import type { Operation } from "../../protocol/index.ts";
import { useSettings } from "../state/settings-store.ts";

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

type Summary = TxDraft["summary"];

/** The unsigned transaction as the wallet will see it: inputs, outputs, fee and the decoded spell. */
export function PsbtPreview({ draft, price, op }: { draft: TxDraft; price: bigint; op: Operation }) {
  const { summary, built, spell } = draft;
  return (
    <div className="psbt" data-testid="psbt-preview" data-psbt={built.base64}>
      <div className="psbt-columns">
        <PsbtInputs summary={summary} />
        <PsbtOutputs summary={summary} />
      </div>
      <PsbtFacts summary={summary} feeRate={built.feeRate} price={price} />
      <h3>Spell (decoded from the OP_RETURN)</h3>
      {summary.spell ? (
        <SpellFacts spell={summary.spell} attestationBytes={spell.attestation.length} op={op} />
      ) : (
        // The indexer reads the first output with the spell magic only (spellPayloadOf): this one.
        <p className="notice notice-danger" data-testid="spell-refused">
          The spell could not be decoded, so the ledger will refuse it (do not sign): {summary.spellError}
        </p>
      )}
    </div>
  );
}

function PsbtInputs({ summary }: { summary: Summary }) {
  return (
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
  );
}

function PsbtOutputs({ summary }: { summary: Summary }) {
  return (
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
  );
}

function PsbtFacts({ summary, feeRate, price }: { summary: Summary; feeRate: number; price: bigint }) {
  const feeUsd = feeInUsd(summary.fee, price);
  return (
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
          {formatCount(summary.vsize)} vB at {feeRate} sat/vB before the price attestation and proof are
          attached (the total below includes them)
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
        <dd>{formatBtc(walletOutflow(summary))}</dd>
      </div>
    </dl>
  );
}

function SpellFacts({
  spell,
  attestationBytes,
  op,
}: {
  spell: NonNullable<Summary["spell"]>;
  attestationBytes: number;
  op: Operation;
}) {
  const network = useSettings((s) => s.network);
  return (
    <dl className="spell" data-testid="psbt-spell" data-op={spell.op.type}>
      <div>
        <dt>Operation</dt>
        <dd>
          <code>{spell.op.type}</code> (version {spell.version})
        </dd>
      </div>
      {Object.entries(spell.op)
        .filter(([k]) => k !== "type")
        .map(([k, v]) => (
          <div key={k} data-field={k} data-value={spellFieldRaw(v)}>
            <dt>{k}</dt>
            <dd>
              {spellFieldText(k, v, network)}
              {/* The raw engine units beside an amount; words alone for ids, choices and actions. */}
              {typeof v === "bigint" && k !== "proposalId" ? (
                <>
                  {" "}
                  <code className="muted small">{String(v)}</code>
                </>
              ) : null}
            </dd>
          </div>
        ))}
      <div>
        <dt>Price attestation</dt>
        <dd>
          {attestationBytes
            ? `${attestationBytes} bytes`
            : needsAttestation(op)
              ? "the guardians' latest, attached in the next step"
              : "none needed"}
        </dd>
      </div>
      <div>
        <dt>Proof</dt>
        <dd>
          {zkOperationOf(op)
            ? "128-byte Groth16 proof, made in your browser in the next step"
            : "none needed (this operation has no circuit)"}
        </dd>
      </div>
    </dl>
  );
}
