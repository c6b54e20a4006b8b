/**
 * Read-only governance views for screens and the CLI: a proposal's state at time t with its
 * timeline and quorum progress, voting power at a height, thresholds. Nothing here mutates state;
 * the rules themselves are in src/protocol/governance.ts.
 */
import {
  type AccountId,
  describeAction,
  findAccount,
  fractionOfCeil,
  type GovAction,
  type GovConfig,
  govActionToJson,
  ONE,
  type Proposal,
  type ProposalState,
  proposalPassed,
  proposalState,
  type State,
  type Support,
  valueAt,
} from "../protocol/index.ts";

export interface ProposalTimeline {
  /** Voting is open from startTime (inclusive) to endTime (exclusive). */
  startTime: bigint;
  endTime: bigint;
  /** Last moment (exclusive) a succeeded proposal can be queued. */
  queueDeadline: bigint;
  /** Earliest execution (0 until queued). */
  eta: bigint;
  /** Last moment (exclusive) a queued proposal can be executed (0 until queued). */
  executeDeadline: bigint;
}

export interface ProposalView {
  id: bigint;
  proposer: AccountId;
  state: ProposalState;
  actions: { description: string; json: Record<string, unknown>; action: GovAction }[];
  snapshot: bigint;
  timeline: ProposalTimeline;
  quorum: bigint;
  forVotes: bigint;
  againstVotes: bigint;
  abstainVotes: bigint;
  /** (for + abstain) / quorum as an 18-decimal fraction, capped at 1. */
  quorumProgress: bigint;
  quorumReached: boolean;
  /** Would pass if voting ended now. */
  passing: boolean;
  /** Guardian veto signatures and how many are needed. */
  vetoes: string[];
  vetoThreshold: bigint;
}

export function proposalTimeline(p: Proposal, config: GovConfig): ProposalTimeline {
  return {
    startTime: p.startTime,
    endTime: p.endTime,
    queueDeadline: p.endTime + config.gracePeriod,
    eta: p.eta,
    executeDeadline: p.eta === 0n ? 0n : p.eta + config.gracePeriod,
  };
}

export function getProposal(state: State, id: bigint): Proposal | undefined {
  return id >= 1n && id <= BigInt(state.gov.proposals.length)
    ? state.gov.proposals[Number(id) - 1]
    : undefined;
}

/** A proposal as a screen shows it, at time t (default: the state's time). */
export function proposalView(state: State, id: bigint, t: bigint = state.g.time): ProposalView | undefined {
  const p = getProposal(state, id);
  if (!p) return undefined;
  const counted = p.forVotes + p.abstainVotes;
  const progress = p.quorum === 0n ? ONE : (counted * ONE) / p.quorum;
  return {
    id: p.id,
    proposer: p.proposer,
    state: proposalState(p, state.gov.config, t),
    actions: p.actions.map((action) => ({
      description: describeAction(action),
      json: govActionToJson(action),
      action,
    })),
    snapshot: p.snapshot,
    timeline: proposalTimeline(p, state.gov.config),
    quorum: p.quorum,
    forVotes: p.forVotes,
    againstVotes: p.againstVotes,
    abstainVotes: p.abstainVotes,
    quorumProgress: progress > ONE ? ONE : progress,
    quorumReached: counted >= p.quorum,
    passing: proposalPassed(p),
    vetoes: [...p.vetoes],
    vetoThreshold: state.gov.guardians.threshold,
  };
}

/** Every proposal, newest first, at time t. */
export function listProposals(state: State, t: bigint = state.g.time): ProposalView[] {
  const out: ProposalView[] = [];
  for (let id = BigInt(state.gov.proposals.length); id >= 1n; id--) out.push(proposalView(state, id, t)!);
  return out;
}

/** Voting power of an account at height h: its balance unless delegated, plus what is delegated to it. */
export function votingPowerAt(state: State, account: AccountId, h: bigint): bigint {
  const a = findAccount(state, account);
  return a ? valueAt(a.votes, h) : 0n;
}

/** Voting power as of the latest block. */
export function currentVotingPower(state: State, account: AccountId): bigint {
  const a = findAccount(state, account);
  return a && a.votes.length > 0 ? a.votes[a.votes.length - 1]!.v : 0n;
}

/** Who votes with the account's power (itself when not delegated). */
export function delegateOf(state: State, account: AccountId): AccountId {
  return findAccount(state, account)?.delegate ?? account;
}

/** zkUSD supply at height h (the quorum and threshold base). */
export function supplyAt(state: State, h: bigint): bigint {
  return valueAt(state.gov.supply, h);
}

/** Voting power needed to propose with a snapshot at height h. */
export function proposalThresholdAt(state: State, h: bigint): bigint {
  return fractionOfCeil(supplyAt(state, h), state.gov.config.proposalThresholdFraction);
}

/**
 * Whether `account` could propose in the next block (its snapshot would be the current height), and
 * the numbers behind the answer.
 */
export function canPropose(
  state: State,
  account: AccountId,
): { ok: boolean; power: bigint; threshold: bigint } {
  const power = votingPowerAt(state, account, state.height);
  const threshold = proposalThresholdAt(state, state.height);
  return { ok: power > 0n && power >= threshold, power, threshold };
}

/** How an account voted on a proposal, if it did. */
export function receiptOf(
  state: State,
  id: bigint,
  voter: AccountId,
): { support: Support; votes: bigint } | undefined {
  const r = getProposal(state, id)?.voted.get(voter);
  return r ? { support: r.support, votes: r.votes } : undefined;
}
