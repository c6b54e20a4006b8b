/**
 * Governance: every proposal with its actions in words, state, tallies and dates; the reader's voting
 * power and delegation; a new proposal form; vote, queue, execute and cancel. Every figure is the
 * engine's (src/governance `governanceOverview`, read in the state worker), and every button is
 * enabled only when the engine's preview of the exact operation accepts it.
 */

import { useState } from "react";
import { formatBlockTime, formatDuration } from "../../client/governance/index.ts";
import { formatCount, formatZkusd } from "../../client/index.ts";
import type { GovernanceOverview } from "../../governance/index.ts";
import type { AccountId } from "../../protocol/index.ts";
import { ConnectPrompt } from "../components/ConnectPrompt.tsx";
import { ErrorPanel } from "../components/ErrorPanel.tsx";
import { Current, SaidAbove, SyncWait } from "../components/SyncWait.tsx";
import { TransactionReview } from "../components/TransactionReview.tsx";
import { governanceNotice } from "../governance/notice.ts";
import { ProposalCard, type ReviewRequest } from "../governance/ProposalCard.tsx";
import { ProposeForm } from "../governance/ProposeForm.tsx";
import { VotingPowerCard } from "../governance/VotingPowerCard.tsx";
import { useSystemSummary } from "../queries/engine.ts";
import { useGovernance } from "../queries/governance-overview.ts";
import { useSyncGate } from "../queries/readiness.ts";
import { useAccountId } from "../wallet/wallet-store.ts";

/** The screen says once, at its top, why it waits: the cards' sync notices stay quiet. */
export default function GovernancePage() {
  return (
    <SaidAbove>
      <Governance />
    </SaidAbove>
  );
}

function Governance() {
  const account = useAccountId();
  const gov = useGovernance(account);
  const summary = useSystemSummary();
  const [reviewing, setReviewing] = useState<ReviewRequest | null>(null);
  const overview = gov.data;
  const error = gov.error ?? summary.error;
  const gate = useSyncGate();
  const notice = governanceNotice(gate, overview, Boolean(error));

  return (
    <section className="page governance" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Governance</h1>
      </header>
      {/* One notice, the most important (governance/notice.ts); the cards' sync notices stay quiet. */}
      {notice === "behind" ? (
        <SyncWait gate={gate} screen />
      ) : notice === "shutdown" ? (
        <div className="banner banner-danger" role="status" data-testid="gov-shutdown">
          The protocol is shut down: no new debt, liquidations or pool deposits; every exit stays open.
        </div>
      ) : notice === "paused" ? (
        <div className="banner" role="status" data-testid="gov-paused">
          The protocol is paused: no new vaults or borrowing until a proposal lifts the pause.
        </div>
      ) : null}
      {error ? (
        <ErrorPanel
          title="Governance cannot be shown"
          error={error}
          advice="The engine in your browser could not answer. Reload the page; if it keeps failing, report it with the details below."
          onRetry={() => void gov.refetch()}
        />
      ) : !overview || !summary.data ? (
        <p className="card loading" role="status">
          Reading proposals from the engine…
        </p>
      ) : reviewing ? (
        <TransactionReview
          title={reviewing.title}
          op={reviewing.op}
          price={summary.data.price}
          onCancel={() => setReviewing(null)}
        />
      ) : (
        <>
          <GovernanceIntro overview={overview} />
          <div className="two-columns gov-top">
            {account && overview.account ? (
              <VotingPowerCard overview={overview} account={overview.account} onReview={setReviewing} />
            ) : (
              <ConnectPrompt why="Connect a wallet to see your voting power, delegate, vote and propose." />
            )}
            <ProposeForm overview={overview} account={account} onReview={setReviewing} />
          </div>
          <ProposalList overview={overview} account={account} onReview={setReviewing} />
        </>
      )}
    </section>
  );
}

/** How governance works here, with the engine's periods, guardians and height. */
function GovernanceIntro({ overview }: { overview: GovernanceOverview }) {
  return (
    <Current>
      <p className="muted">
        zkUSD holders change the protocol's parameters by proposal: a vote of{" "}
        {formatDuration(overview.config.votingPeriod)}, a timelock of{" "}
        {formatDuration(overview.config.timelockDelay)}, then execution by anyone. A proposal passes with
        votes for and abstain reaching the quorum and more votes for than against.{" "}
        {overview.guardians.count > 0
          ? `The guardians (${overview.guardians.threshold} of ${overview.guardians.count}) can veto a proposal, never pass one.`
          : "No guardian set is registered in the engine, so no veto is possible."}{" "}
        <span data-testid="gov-height" data-value={overview.height.toString()}>
          Engine at block {formatCount(overview.height)} ({formatBlockTime(overview.time)})
        </span>
        , supply {formatZkusd(overview.supply)}.
      </p>
    </Current>
  );
}

function ProposalList(props: {
  overview: GovernanceOverview;
  account: AccountId | undefined;
  onReview: (r: ReviewRequest) => void;
}) {
  const { overview, account, onReview } = props;
  return (
    <Current>
      <section className="gov-proposals" aria-labelledby="proposals-title">
        <h2 id="proposals-title">Proposals ({overview.proposals.length})</h2>
        {overview.proposals.length === 0 ? (
          <p className="card muted" data-testid="no-proposals">
            No proposals yet. Anyone holding at least the proposal threshold of voting power can make one with
            the form above.
          </p>
        ) : (
          overview.proposals.map((p, i) => (
            <ProposalCard
              key={p.id.toString()}
              proposal={p}
              overview={overview}
              account={account}
              mine={overview.account?.perProposal[i] ?? null}
              onReview={onReview}
            />
          ))
        )}
      </section>
    </Current>
  );
}
