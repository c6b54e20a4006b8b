/**
 * The reader's voting power: zkUSD balance, power now, who votes with it, who delegated to it, power
 * at each proposal's snapshot, and the delegate / undelegate form (engine-previewed).
 */

import { useId, useState } from "react";
import { governanceAdvice } from "../../client/governance/index.ts";
import { addressToScript, formatCount, formatZkusd, shortHex } from "../../client/index.ts";
import type { GovernanceOverview } from "../../governance/index.ts";
import type { Operation } from "../../protocol/index.ts";
import { EngineRefusal, Figure } from "../components/forms.tsx";
import { Current, SyncWait } from "../components/SyncWait.tsx";
import { usePreview } from "../queries/engine.ts";
import { useSyncGate } from "../queries/readiness.ts";
import { useSettings } from "../state/settings-store.ts";
import type { ReviewRequest } from "./ProposalCard.tsx";

type AccountView = NonNullable<GovernanceOverview["account"]>;

export function VotingPowerCard({
  overview,
  account,
  onReview,
}: {
  overview: GovernanceOverview;
  account: AccountView;
  onReview: (r: ReviewRequest) => void;
}) {
  return (
    <section className="card" aria-labelledby="power-title">
      <h2 id="power-title">Your voting power</h2>
      <Current>
        <dl className="inline-figures">
          <div
            className="figure"
            data-figure="voting-power"
            data-testid="voting-power"
            data-value={account.power.toString()}
          >
            <dt>Voting power now</dt>
            <dd>{formatZkusd(account.power)}</dd>
          </div>
          <Figure id="gov-balance" label="Your zkUSD" raw={account.balance}>
            {formatZkusd(account.balance)}
          </Figure>
        </dl>
        <p data-testid="delegation">
          {account.delegate ? (
            <>
              Your {formatZkusd(account.balance)} votes with{" "}
              <code title={account.delegate}>{shortHex(account.delegate, 10)}</code>.
            </>
          ) : (
            "You vote with your own balance."
          )}{" "}
          {account.delegators.length > 0 ? (
            <>
              Delegated to you by{" "}
              {account.delegators.map((d, i) => (
                <span key={d}>
                  {i > 0 ? ", " : ""}
                  <code title={d}>{shortHex(d, 10)}</code>
                </span>
              ))}
              .
            </>
          ) : null}
        </p>
        <p className="muted small">
          Power is your zkUSD wallet balance (zkUSD in the stability pool does not vote), moved to your
          delegate when you delegate. Each proposal counts it at its snapshot, the block before it was made.
        </p>
        {overview.proposals.length > 0 ? (
          <table className="table compact gov-snapshots">
            <caption className="visually-hidden">Your power at each proposal's snapshot</caption>
            <thead>
              <tr>
                <th scope="col">Proposal</th>
                <th scope="col">Snapshot</th>
                <th scope="col">Your power then</th>
              </tr>
            </thead>
            <tbody>
              {account.perProposal.map((row, i) => (
                <tr key={row.id.toString()}>
                  <td>{row.id.toString()}</td>
                  <td>block {formatCount(overview.proposals[i]!.snapshot)}</td>
                  <td data-value={row.power.toString()}>{formatZkusd(row.power)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Current>
      <DelegateForm account={account} onReview={onReview} />
    </section>
  );
}

function DelegateForm({ account, onReview }: { account: AccountView; onReview: (r: ReviewRequest) => void }) {
  const id = useId();
  const network = useSettings((s) => s.network);
  const [text, setText] = useState("");
  const to = text.trim();
  const addressError = to === "" ? null : checkAddress(to, network);
  const op: Operation | null =
    to !== "" && !addressError ? { type: "delegate", delegator: account.account, delegatee: to } : null;
  const undelegateOp: Operation | null = account.delegate
    ? { type: "undelegate", delegator: account.account }
    : null;
  const preview = usePreview(op);
  const undelegate = usePreview(undelegateOp);
  const gate = useSyncGate();
  const ready = gate.ready && Boolean(preview.data?.ok) && !preview.isPlaceholderData;
  return (
    <form
      className="form gov-delegate"
      data-testid="delegate-form"
      onSubmit={(e) => {
        e.preventDefault();
        if (op && ready) onReview({ title: "Delegate your votes", op });
      }}
    >
      <fieldset>
        <legend>Delegate</legend>
        <SyncWait gate={gate} />
        <DelegateeField id={id} network={network} text={text} onChange={setText} error={addressError} />
        <Current quiet>
          {op && preview.data && !preview.data.ok && !preview.isPlaceholderData ? (
            <EngineRefusal
              code={preview.data.code}
              message={preview.data.message}
              {...(governanceAdvice(preview.data.code)
                ? { advice: governanceAdvice(preview.data.code)! }
                : {})}
            />
          ) : null}
        </Current>
        <div className="actions">
          <button
            type="submit"
            className="button button-primary"
            disabled={!ready}
            data-testid="delegate-button"
          >
            Delegate
          </button>
          {undelegateOp ? (
            <button
              type="button"
              className="button"
              disabled={!gate.ready || !undelegate.data?.ok || undelegate.isPlaceholderData}
              data-testid="undelegate-button"
              onClick={() => onReview({ title: "Take your votes back", op: undelegateOp })}
            >
              Undelegate
            </button>
          ) : null}
        </div>
      </fieldset>
    </form>
  );
}

/** The delegatee's address, checked against the app's network as it is typed. */
function DelegateeField(props: {
  id: string;
  network: Parameters<typeof addressToScript>[1];
  text: string;
  onChange: (text: string) => void;
  error: string | null;
}) {
  const { id, network, text, onChange, error } = props;
  return (
    <div className="field">
      <label htmlFor={id}>Vote with my zkUSD through this address</label>
      <input
        id={id}
        autoComplete="off"
        spellCheck={false}
        placeholder={network === "mainnet" ? "bc1q…" : network === "regtest" ? "bcrt1q…" : "tb1q…"}
        value={text}
        onChange={(e) => onChange(e.target.value)}
        aria-invalid={Boolean(error)}
        aria-describedby={error ? `${id}-error` : `${id}-hint`}
        data-testid="delegate-input"
      />
      {error ? (
        <p id={`${id}-error`} className="field-error" role="alert">
          {error}
        </p>
      ) : (
        <p id={`${id}-hint`} className="field-hint">
          All of your balance's power moves to that account until you undelegate. Power delegated to you
          cannot be passed on.
        </p>
      )}
    </div>
  );
}

/** A sentence when `address` is not an address of the app's network, else null. */
function checkAddress(address: string, network: Parameters<typeof addressToScript>[1]): string | null {
  try {
    addressToScript(address, network);
    return null;
  } catch {
    return `This is not a valid ${network} address. Paste the delegate's Bitcoin address (it owns their zkUSD account).`;
  }
}
