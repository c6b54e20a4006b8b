/**
 * One proposal: its actions in words, state, tallies against quorum and majority, the dates of its
 * lifecycle (block time), the reader's power and vote, and the buttons the engine would accept now
 * (each previewed on a copy of the state; a refusal shows the engine's sentence instead).
 */

import { useId, useState } from "react";
import {
  describeGovAction,
  formatBlockTime,
  governanceAdvice,
  PROPOSAL_STATUS,
  relativeTime,
  sharePercent,
} from "../../client/governance/index.ts";
import { formatCount, formatZkusd, shortHex } from "../../client/index.ts";
import type { GovernanceOverview, ProposalView } from "../../governance/index.ts";
import type { AccountId, Operation, Support } from "../../protocol/index.ts";
import { EngineRefusal } from "../components/forms.tsx";
import { SyncWait } from "../components/SyncWait.tsx";
import { usePreview } from "../queries/engine.ts";
import { useSyncGate } from "../queries/readiness.ts";

export interface ReviewRequest {
  title: string;
  op: Operation;
}

type Mine = NonNullable<GovernanceOverview["account"]>["perProposal"][number];

interface ProposalCardProps {
  proposal: ProposalView;
  overview: GovernanceOverview;
  account: AccountId | undefined;
  mine: Mine | null;
  onReview: (request: ReviewRequest) => void;
}

export function ProposalCard({ proposal: p, overview, account, mine, onReview }: ProposalCardProps) {
  const titleId = useId();
  const status = PROPOSAL_STATUS[p.state];
  const executed = p.state === "executed";
  return (
    <article
      className="card proposal"
      data-testid="proposal"
      data-id={p.id.toString()}
      data-status={p.state}
      aria-labelledby={titleId}
    >
      <header className="proposal-header">
        <h3 id={titleId}>Proposal {p.id.toString()}</h3>
        <span className={`badge gov-badge gov-tone-${status.tone}`} data-testid="proposal-status">
          {status.label}
        </span>
      </header>
      <p className="muted small">{status.meaning}</p>
      <ol className="proposal-actions" aria-label="Actions">
        {p.actions.map((a, i) => {
          const text = describeGovAction(a.action, overview.parameters, executed);
          return (
            // biome-ignore lint/suspicious/noArrayIndexKey: actions are fixed once proposed, in order
            <li key={i} data-testid="proposal-action" data-json={JSON.stringify(a.json)}>
              {text.text}
            </li>
          );
        })}
      </ol>
      <Tally proposal={p} />
      <ProposalMeta proposal={p} now={overview.time} account={account} mine={mine} />
      <ProposalActions proposal={p} account={account} voted={Boolean(mine?.vote)} onReview={onReview} />
    </article>
  );
}

/** Who proposed, the snapshot, the voting and timelock deadlines, vetoes, and the account's power and vote. */
function ProposalMeta(props: {
  proposal: ProposalView;
  now: bigint;
  account: AccountId | undefined;
  mine: Mine | null;
}) {
  const { proposal: p, now, account, mine } = props;
  const t = p.timeline;
  return (
    <dl className="proposal-meta">
      <div>
        <dt>Proposer</dt>
        <dd>
          <code title={p.proposer}>{shortHex(p.proposer, 10)}</code>
          {account === p.proposer ? <span className="muted"> (you)</span> : null}
        </dd>
      </div>
      <div>
        <dt>Snapshot</dt>
        <dd>block {formatCount(p.snapshot)}</dd>
      </div>
      <div>
        <dt>
          {p.state === "active"
            ? "Voting ends"
            : now < t.endTime
              ? "Voting would have ended"
              : "Voting ended"}
        </dt>
        <dd>
          <time data-testid="voting-ends">{formatBlockTime(t.endTime)}</time>{" "}
          <span className="muted small">({relativeTime(t.endTime, now)})</span>
        </dd>
      </div>
      {t.eta > 0n ? (
        <div>
          <dt>Timelock eta</dt>
          <dd>
            <time data-testid="eta">{formatBlockTime(t.eta)}</time>{" "}
            <span className="muted small">({relativeTime(t.eta, now)})</span>
          </dd>
        </div>
      ) : null}
      {p.state === "active" || p.state === "succeeded" || p.state === "queued" ? (
        <div>
          <dt>{t.eta > 0n ? "Execute before" : "Queue before"}</dt>
          <dd>
            <time data-testid="grace-deadline">
              {formatBlockTime(t.eta > 0n ? t.executeDeadline : t.queueDeadline)}
            </time>
          </dd>
        </div>
      ) : null}
      {p.vetoes.length > 0 ? (
        <div>
          <dt>Guardian vetoes</dt>
          <dd>
            {p.vetoes.length} of {p.vetoThreshold.toString()} needed
          </dd>
        </div>
      ) : null}
      {p.actions.some((a) => a.action.type === "rotateGuardians") ? (
        <div>
          <dt>Approvals by the current guardians</dt>
          <dd>
            {p.rotationApprovals.length} of {p.vetoThreshold.toString()} needed before the new key set can be
            executed
          </dd>
        </div>
      ) : null}
      {mine ? (
        <div>
          <dt>Your power at the snapshot</dt>
          <dd data-testid="power-at-snapshot" data-value={mine.power.toString()}>
            {formatZkusd(mine.power)}
          </dd>
        </div>
      ) : null}
      {mine ? (
        <div>
          <dt>Your vote</dt>
          <dd data-testid="your-vote" data-support={mine.vote?.support ?? "none"}>
            {mine.vote ? `${SUPPORT_LABEL[mine.vote.support]} with ${formatZkusd(mine.vote.votes)}` : "none"}
          </dd>
        </div>
      ) : null}
    </dl>
  );
}

const SUPPORT_LABEL: Record<Support, string> = { for: "For", against: "Against", abstain: "Abstain" };

/** Votes for, against and abstain on one scale, with the quorum marked and the majority rule. */
function Tally({ proposal: p }: { proposal: ProposalView }) {
  const total = p.forVotes + p.againstVotes + p.abstainVotes;
  // One scale for every bar: the larger of the quorum and the votes cast, so the quorum mark fits.
  const scale = total > p.quorum ? total : p.quorum;
  const counted = p.forVotes + p.abstainVotes;
  const rows: { id: Support; label: string; value: bigint }[] = [
    { id: "for", label: "For", value: p.forVotes },
    { id: "against", label: "Against", value: p.againstVotes },
    { id: "abstain", label: "Abstain", value: p.abstainVotes },
  ];
  const quorumAt = sharePercent(p.quorum, scale);
  return (
    <div className="tally" data-testid="tally">
      <dl className="tally-rows">
        {rows.map((r) => (
          <div
            key={r.id}
            className={`tally-row tally-${r.id}`}
            data-tally={r.id}
            data-value={r.value.toString()}
          >
            <dt>{r.label}</dt>
            <dd>
              <span className="tally-bar" aria-hidden="true">
                <span style={{ width: `${sharePercent(r.value, scale)}%` }} />
              </span>
              <span className="tally-amount">{formatZkusd(r.value)}</span>
            </dd>
          </div>
        ))}
        <div className="tally-row tally-quorum" data-tally="quorum" data-value={p.quorum.toString()}>
          <dt>Quorum</dt>
          <dd>
            <span className="tally-bar" aria-hidden="true">
              <span style={{ width: `${sharePercent(counted, scale)}%` }} />
              <i className="tally-mark" style={{ left: `${quorumAt}%` }} />
            </span>
            <span className="tally-amount">
              {formatZkusd(counted)} of {formatZkusd(p.quorum)}
            </span>
          </dd>
        </div>
      </dl>
      <p className="small" data-testid="tally-verdict">
        Quorum (for + abstain ≥ {formatZkusd(p.quorum)}):{" "}
        <strong className={p.quorumReached ? "gov-yes" : "gov-no"}>
          {p.quorumReached ? "reached" : "not reached"}
        </strong>
        . Majority (for &gt; against):{" "}
        <strong className={p.forVotes > p.againstVotes ? "gov-yes" : "gov-no"}>
          {p.forVotes > p.againstVotes ? "yes" : "no"}
        </strong>
        .
      </p>
    </div>
  );
}

/** Which steps the proposal allows the account now, each with the engine's preview (accepted or its refusal). */
function useProposalSteps(p: ProposalView, account: AccountId | undefined, voted: boolean) {
  const id = p.id;
  // Once voted, the vote is shown with the proposal's facts; no buttons to refuse a second one.
  const canVote = p.state === "active" && !voted;
  const canQueue = p.state === "succeeded";
  const canExecute = p.state === "queued";
  const canCancel = (p.state === "active" || p.state === "queued") && account === p.proposer;
  // The support choice never changes whether a vote is accepted: one preview serves all three.
  const voteOp: Operation | null =
    account && canVote ? { type: "vote", voter: account, proposalId: id, support: "for" } : null;
  const queueOp: Operation | null =
    account && canQueue ? { type: "queue", caller: account, proposalId: id } : null;
  const executeOp: Operation | null =
    account && canExecute ? { type: "execute", caller: account, proposalId: id } : null;
  const cancelOp: Operation | null =
    account && canCancel ? { type: "cancel", proposer: account, proposalId: id } : null;
  const vote = usePreview(voteOp);
  const queue = usePreview(queueOp);
  const execute = usePreview(executeOp);
  const cancel = usePreview(cancelOp);
  const gate = useSyncGate();
  const accepted = (q: typeof vote) => gate.ready && Boolean(q.data?.ok) && !q.isPlaceholderData;
  const refusal = (q: typeof vote) =>
    q.data && !q.data.ok && !q.isPlaceholderData ? (
      <EngineRefusal
        code={q.data.code}
        message={q.data.message}
        {...(governanceAdvice(q.data.code, p) ? { advice: governanceAdvice(q.data.code, p)! } : {})}
      />
    ) : null;
  return {
    canVote,
    canQueue,
    canExecute,
    canCancel,
    queueOp,
    executeOp,
    cancelOp,
    vote,
    queue,
    execute,
    cancel,
    gate,
    accepted,
    refusal,
  };
}

/** Vote, queue, execute and cancel, each enabled only when the engine's preview accepts it. */
function ProposalActions({
  proposal: p,
  account,
  voted,
  onReview,
}: {
  proposal: ProposalView;
  account: AccountId | undefined;
  voted: boolean;
  onReview: (r: ReviewRequest) => void;
}) {
  const id = p.id;
  const steps = useProposalSteps(p, account, voted);
  const { canVote, canQueue, canExecute, canCancel, queueOp, executeOp, cancelOp } = steps;
  const { vote, queue, execute, cancel, gate, accepted, refusal } = steps;
  // Cancelling ends the proposal for good: the proposer confirms before the review opens.
  const [confirmCancel, setConfirmCancel] = useState(false);
  if (!canVote && !canQueue && !canExecute && !canCancel) return null;
  if (!account) return <p className="muted small">Connect a wallet to vote, queue or execute.</p>;
  const review = (verb: string, op: Operation | null) =>
    op && onReview({ title: `${verb} proposal ${id}`, op });
  return (
    <div className="proposal-buttons">
      <SyncWait gate={gate} />
      {canVote ? (
        <VoteChoice
          id={id}
          voter={account}
          enabled={accepted(vote)}
          busy={vote.isFetching}
          refusal={refusal(vote)}
          onReview={onReview}
        />
      ) : null}
      <StepButtons
        queue={canQueue ? { enabled: accepted(queue), onClick: () => review("Queue", queueOp) } : null}
        execute={
          canExecute ? { enabled: accepted(execute), onClick: () => review("Execute", executeOp) } : null
        }
        cancel={canCancel ? { enabled: accepted(cancel), onClick: () => setConfirmCancel(true) } : null}
        confirming={confirmCancel}
      />
      {canCancel && confirmCancel ? (
        <CancelConfirm
          id={id}
          enabled={accepted(cancel)}
          onConfirm={() => {
            setConfirmCancel(false);
            review("Cancel", cancelOp);
          }}
          onKeep={() => setConfirmCancel(false)}
        />
      ) : null}
      {canQueue ? refusal(queue) : null}
      {canExecute ? refusal(execute) : null}
      {canCancel ? refusal(cancel) : null}
    </div>
  );
}

function VoteChoice(props: {
  id: bigint;
  voter: AccountId;
  enabled: boolean;
  busy: boolean;
  refusal: React.ReactNode;
  onReview: (r: ReviewRequest) => void;
}) {
  const { id, voter, enabled, busy, refusal, onReview } = props;
  return (
    <fieldset className="vote-choice" aria-busy={busy}>
      <legend>Your vote</legend>
      <div className="actions">
        {(["for", "against", "abstain"] as const).map((support) => (
          <button
            key={support}
            type="button"
            className={support === "for" ? "button button-primary" : "button"}
            disabled={!enabled}
            data-testid={`vote-${support}`}
            onClick={() =>
              onReview({
                title: `Vote ${support} proposal ${id}`,
                op: { type: "vote", voter, proposalId: id, support },
              })
            }
          >
            {SUPPORT_LABEL[support]}
          </button>
        ))}
      </div>
      {refusal}
    </fieldset>
  );
}

/** Cancelling ends the proposal for good: the proposer confirms before the review opens. */
function CancelConfirm(props: { id: bigint; enabled: boolean; onConfirm: () => void; onKeep: () => void }) {
  const { id, enabled, onConfirm, onKeep } = props;
  return (
    <div className="notice notice-warn" role="alertdialog" aria-label="Confirm" data-testid="cancel-confirm">
      <p>
        <strong>Cancel proposal {id.toString()} for good?</strong> Its votes are discarded and it can never be
        queued or executed; a new proposal starts from the beginning.
      </p>
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          data-testid="cancel-confirm-button"
          disabled={!enabled}
          onClick={onConfirm}
        >
          Yes, cancel it
        </button>
        <button type="button" className="button button-ghost" onClick={onKeep}>
          Keep the proposal
        </button>
      </div>
    </div>
  );
}

type Step = { enabled: boolean; onClick: () => void } | null;

/** Queue, execute and cancel: the buttons of the steps the proposal allows now (null: not shown). */
function StepButtons(props: { queue: Step; execute: Step; cancel: Step; confirming: boolean }) {
  const { queue, execute, cancel, confirming } = props;
  return (
    <div className="actions">
      {queue ? (
        <button
          type="button"
          className="button button-primary"
          disabled={!queue.enabled}
          data-testid="queue-button"
          onClick={queue.onClick}
        >
          Queue
        </button>
      ) : null}
      {execute ? (
        <button
          type="button"
          className="button button-primary"
          disabled={!execute.enabled}
          data-testid="execute-button"
          onClick={execute.onClick}
        >
          Execute
        </button>
      ) : null}
      {cancel ? (
        <button
          type="button"
          className="button"
          disabled={!cancel.enabled}
          data-testid="cancel-button"
          aria-expanded={confirming}
          onClick={cancel.onClick}
        >
          Cancel proposal
        </button>
      ) : null}
    </div>
  );
}
