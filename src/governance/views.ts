/**
 * Read-only governance views for screens and the CLI: a proposal's state at time t with its
 * timeline and quorum progress, voting power at a height, thresholds. Nothing here mutates state;
 * the rules themselves are in src/protocol/governance/ (rules.ts).
 */
import {
  type AccountId,
  describeAction,
  FROZEN_PARAMETERS,
  findAccount,
  fractionOfCeil,
  GOV_CONFIG_BOUNDS,
  type GOV_CONFIG_NAMES,
  type GovAction,
  type GovConfig,
  govActionToJson,
  ONE,
  PARAM_BOUNDS,
  type Params,
  type Proposal,
  type ProposalState,
  proposalPassed,
  proposalState,
  SETTABLE_PARAMETERS,
  type State,
  type Support,
  valueAt,
  votingPowerOver,
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
  /** Guardian approvals of a custody key rotation (it executes once vetoThreshold of them are in). */
  rotationApprovals: string[];
}

/** The proposal's own windows (fixed when it was made; later settings changes do not move them). */
export function proposalTimeline(p: Proposal): ProposalTimeline {
  return {
    startTime: p.startTime,
    endTime: p.endTime,
    queueDeadline: p.endTime + p.gracePeriod,
    eta: p.eta,
    executeDeadline: p.eta === 0n ? 0n : p.eta + p.gracePeriod,
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
    state: proposalState(p, t),
    actions: p.actions.map((action) => ({
      description: describeAction(action),
      json: govActionToJson(action),
      action,
    })),
    snapshot: p.snapshot,
    timeline: proposalTimeline(p),
    quorum: p.quorum,
    forVotes: p.forVotes,
    againstVotes: p.againstVotes,
    abstainVotes: p.abstainVotes,
    quorumProgress: progress > ONE ? ONE : progress,
    quorumReached: counted >= p.quorum,
    passing: proposalPassed(p),
    vetoes: [...p.vetoes],
    vetoThreshold: state.gov.guardians.threshold,
    rotationApprovals: [...p.rotationApprovals],
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
 * Voting power the account has on a proposal: the least it held over the proposal's window ending
 * at its snapshot (the engine's rule, src/protocol/governance/rules.ts `votingPowerOver`).
 */
export function proposalVotingPower(state: State, account: AccountId, p: Proposal): bigint {
  return votingPowerOver(state, account, p.snapshot, p.powerWindow);
}

/**
 * Power a proposal made in the next block would count: its snapshot is the chain tip `tip` (default:
 * the height of the last operation applied, which errs low when empty blocks followed it).
 */
export function powerForNextProposal(state: State, account: AccountId, tip = state.height): bigint {
  return votingPowerOver(state, account, tip, state.gov.config.votingPowerWindow);
}

/**
 * Whether `account` could propose in the next block (its snapshot would be the current height), and
 * the numbers behind the answer.
 */
export function canPropose(
  state: State,
  account: AccountId,
  tip = state.height,
): { ok: boolean; power: bigint; threshold: bigint } {
  const power = powerForNextProposal(state, account, tip);
  const threshold = proposalThresholdAt(state, tip);
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

/** A parameter a `setParameter` action may change, with its value now and its bounds. */
export interface GovernableParameter {
  name: string;
  /**
   * "decimal": an 18-decimal fraction or amount; "integer": a plain count; "seconds": whole seconds
   * of block time; "boolean": on or off.
   */
  kind: "decimal" | "integer" | "seconds" | "boolean";
  value: bigint | boolean;
  /** Inclusive bounds (absent for booleans); `maxExclusive` when the maximum itself is refused. */
  min?: bigint;
  max?: bigint;
  maxExclusive?: boolean;
  /** Engine parameters (hashed by the circuits) or governance settings. */
  group: "params" | "governance";
}

/** Every parameter governance may change (SETTABLE_PARAMETERS minus the frozen ones), in codec order. */
export function governableParameters(state: State): GovernableParameter[] {
  const out: GovernableParameter[] = [];
  for (const name of SETTABLE_PARAMETERS) {
    if ((FROZEN_PARAMETERS as readonly string[]).includes(name)) continue;
    if (name in PARAM_BOUNDS) {
      const b = PARAM_BOUNDS[name as keyof Params];
      out.push({
        name,
        kind: b.kind,
        value: state.params[name as keyof Params],
        ...(b.min !== undefined ? { min: b.min } : {}),
        ...(b.max !== undefined ? { max: b.max } : {}),
        ...(b.maxExclusive ? { maxExclusive: true } : {}),
        group: "params",
      });
    } else {
      const b = GOV_CONFIG_BOUNDS[name as (typeof GOV_CONFIG_NAMES)[number]];
      out.push({
        name,
        // A count of blocks is a plain integer to screens.
        kind: b.kind === "blocks" ? "integer" : b.kind,
        value: state.gov.config[name as keyof GovConfig],
        min: b.min,
        max: b.max,
        group: "governance",
      });
    }
  }
  return out;
}

/** An account's voting power and delegation as of the latest block. */
export interface VotingPowerView {
  account: AccountId;
  /** zkUSD wallet balance (the power it owns). */
  balance: bigint;
  /** Power it votes with now: its balance unless delegated, plus what others delegated to it. */
  power: bigint;
  /** Who votes with its balance (null: itself). */
  delegate: AccountId | null;
  /** Accounts that delegated their power to it, in account order. */
  delegators: AccountId[];
}

export function votingPowerView(state: State, account: AccountId): VotingPowerView {
  const a = findAccount(state, account);
  const delegators: AccountId[] = [];
  for (const other of state.accountList) if (other.delegate === account) delegators.push(other.id);
  return {
    account,
    balance: a?.balance ?? 0n,
    power: currentVotingPower(state, account),
    delegate: a?.delegate ?? null,
    delegators,
  };
}

/** Everything the governance screen shows, read at once from one state (so the numbers agree). */
export interface GovernanceOverview {
  /** Last block applied and its block time. */
  height: bigint;
  time: bigint;
  config: GovConfig;
  paused: boolean;
  shutdown: boolean;
  guardians: { count: number; threshold: bigint };
  /** zkUSD supply now. */
  supply: bigint;
  /** Snapshot height of a proposal made in the next block, and the threshold it would need. */
  nextSnapshot: bigint;
  proposalThreshold: bigint;
  parameters: GovernableParameter[];
  /** Newest first. */
  proposals: ProposalView[];
  /** The given account's side, when one was given. */
  account:
    | (VotingPowerView & {
        /** Least power over the window ending at `nextSnapshot` (what a proposal in the next block would count). */
        powerAtNextSnapshot: bigint;
        /** Per proposal, same order as `proposals`: power at its snapshot and the vote cast, if any. */
        perProposal: { id: bigint; power: bigint; vote: { support: Support; votes: bigint } | null }[];
      })
    | null;
}

/** `tip`: the synced head's height (default the last spell's); a proposal in the next block snapshots it. */
export function governanceOverview(
  state: State,
  account?: AccountId,
  tip = state.height,
): GovernanceOverview {
  const proposals = listProposals(state);
  const nextSnapshot = tip;
  return {
    height: state.height,
    time: state.g.time,
    config: { ...state.gov.config },
    paused: state.gov.paused,
    shutdown: state.gov.shutdown,
    guardians: { count: state.gov.guardians.keys.length, threshold: state.gov.guardians.threshold },
    supply: state.g.zkusdSupply,
    nextSnapshot,
    proposalThreshold: proposalThresholdAt(state, nextSnapshot),
    parameters: governableParameters(state),
    proposals,
    account: account
      ? {
          ...votingPowerView(state, account),
          powerAtNextSnapshot: powerForNextProposal(state, account, tip),
          perProposal: proposals.map((p) => ({
            id: p.id,
            power: proposalVotingPower(state, account, getProposal(state, p.id)!),
            vote: receiptOf(state, p.id, account) ?? null,
          })),
        }
      : null,
  };
}
