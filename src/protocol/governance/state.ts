/**
 * Governance state (docs/governance.md): the governance settings, the guardian and oracle key sets,
 * the pause and shutdown flags, proposals with their vote receipts, and the checkpoints that make
 * voting power a function of a past block height. Rules live in rules.ts, shapes and limits in
 * types.ts; this file holds the state, its serialized form and the checkpoint primitive that the
 * balance helpers in ../state.ts call.
 */
import type { Journal } from "../journal.ts";
import type { AccountId } from "../operations.ts";
import {
  type Checkpoint,
  DEFAULT_GOV_CONFIG,
  GOV_CONFIG_NAMES,
  type GovAction,
  type GovConfig,
  type Support,
} from "./types.ts";

/** A copy of an action that shares no array with the original (a stored proposal owns its actions). */
export function cloneAction(action: GovAction): GovAction {
  switch (action.type) {
    case "rotateGuardians":
      return { ...action, keys: [...action.keys] };
    case "rotateOracleKeys":
      return { ...action, keys: action.keys.map(([x, y]): [bigint, bigint] => [x, y]) };
    default:
      return { ...action };
  }
}

/**
 * Stored status. "active" covers the whole time from creation until queueing; whether it is still
 * voting, defeated, succeeded or expired follows from the time (rules.ts `proposalState`).
 */
export type StoredProposalStatus = "active" | "queued" | "executed" | "canceled" | "vetoed";
export const STORED_STATUS: readonly StoredProposalStatus[] = [
  "active",
  "queued",
  "executed",
  "canceled",
  "vetoed",
];

export interface Receipt {
  readonly voter: AccountId;
  readonly support: Support;
  readonly votes: bigint;
}

export interface Proposal {
  readonly id: bigint;
  readonly proposer: AccountId;
  readonly actions: readonly GovAction[];
  /** Voting power and supply are read at this height (the block before creation). */
  readonly snapshot: bigint;
  /**
   * Lifecycle windows fixed at creation from the settings then (a later change of the settings never
   * reopens or shortens this proposal): voting power is the minimum over the `powerWindow` blocks
   * ending at the snapshot; `timelockDelay` and `gracePeriod` in seconds.
   */
  readonly powerWindow: bigint;
  readonly timelockDelay: bigint;
  readonly gracePeriod: bigint;
  readonly startTime: bigint;
  readonly endTime: bigint;
  /** Votes for + abstain needed: quorumFraction × supply at the snapshot, rounded up. */
  readonly quorum: bigint;
  forVotes: bigint;
  againstVotes: bigint;
  abstainVotes: bigint;
  /** Earliest execution time once queued (0 before). */
  eta: bigint;
  status: StoredProposalStatus;
  /** In voting order (append-only); `voted` indexes them by voter. */
  readonly receipts: Receipt[];
  readonly voted: Map<AccountId, Receipt>;
  /** Guardian keys that signed a veto of this proposal, in order. */
  readonly vetoes: string[];
  /**
   * Guardian keys that approved this proposal's rotation of the custody key set, in order (empty
   * unless it rotates the set). Execution needs `threshold` keys of the outgoing set (docs/decisions.md §2a).
   */
  readonly rotationApprovals: string[];
}

export interface GovState {
  config: GovConfig;
  guardians: { keys: string[]; threshold: bigint };
  /** null until an oracle set is registered (genesis or a rotation). */
  oracles: { keys: [bigint, bigint][]; threshold: bigint } | null;
  paused: boolean;
  shutdown: boolean;
  /** proposals[id - 1]. */
  proposals: Proposal[];
  /** zkUSD supply checkpoints (the quorum and threshold base). */
  supply: Checkpoint[];
  /**
   * Height of the last governance operation. The state root commits to the checkpoints below it
   * (docs/state-root.md): vault and token operations, whose circuits carry governanceHash unchanged,
   * only write checkpoints at or above it; the next governance operation commits them.
   */
  committedHeight: bigint;
}

export function createGovState(init?: {
  config?: Partial<GovConfig>;
  guardians?: { keys: string[]; threshold: bigint };
  oracles?: { keys: [bigint, bigint][]; threshold: bigint } | null;
}): GovState {
  return {
    config: { ...DEFAULT_GOV_CONFIG, ...init?.config },
    guardians: init?.guardians
      ? { keys: [...init.guardians.keys], threshold: init.guardians.threshold }
      : { keys: [], threshold: 0n },
    oracles: init?.oracles
      ? { keys: init.oracles.keys.map(([x, y]) => [x, y]), threshold: init.oracles.threshold }
      : null,
    paused: false,
    shutdown: false,
    proposals: [],
    supply: [],
    committedHeight: 0n,
  };
}

/** The value of a checkpoint list at height h (binary search; 0 before the first checkpoint). */
export function valueAt(list: readonly Checkpoint[], h: bigint): bigint {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.h <= h) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 0n : list[lo - 1]!.v;
}

/**
 * The least value of a checkpoint list over the heights from..to (inclusive): the value at `from`
 * and every checkpoint written after it up to `to`. Heights before the first checkpoint count as 0.
 */
export function minOver(list: readonly Checkpoint[], from: bigint, to: bigint): bigint {
  let least = valueAt(list, from);
  for (let i = countBelow(list, from + 1n); i < list.length && list[i]!.h <= to; i++)
    if (list[i]!.v < least) least = list[i]!.v;
  return least;
}

/** How many checkpoints of a list lie below height h (binary search). */
export function countBelow(list: readonly Checkpoint[], h: bigint): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.h < h) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The latest value of a checkpoint list (0 when empty). */
export const latestValue = (list: readonly Checkpoint[]): bigint =>
  list.length === 0 ? 0n : list[list.length - 1]!.v;

/**
 * Journaled write of `value` at height h: overwrites the last checkpoint when it is at h (or later:
 * heights never go back on chain), appends otherwise. Returns false when nothing changed.
 */
export function writeCheckpoint(list: Checkpoint[], h: bigint, value: bigint, journal: Journal): boolean {
  const last = list[list.length - 1];
  if (last === undefined ? value === 0n : last.v === value) return false;
  if (last !== undefined && last.h >= h) {
    journal.set(last, "v", value);
    return true;
  }
  list.push({ h, v: value });
  journal.onRollback(() => {
    list.pop();
  });
  return true;
}

// ---------------------------------------------------------------------------------------------
// Canonical JSON form (state.ts `serializeState`): bigints as decimal strings of raw units.

type RawAction =
  | { type: "setParameter"; name: string; value: string | boolean }
  | { type: "rotateGuardians"; keys: string[]; threshold: number }
  | { type: "rotateOracleKeys"; keys: [string, string][]; threshold: number }
  | { type: "pause" | "unpause" | "shutdown" };

export interface SerializedGov {
  config: Record<string, string>;
  guardians: { keys: string[]; threshold: string };
  oracles: { keys: [string, string][]; threshold: string } | null;
  paused: boolean;
  shutdown: boolean;
  supply: [string, string][];
  committedHeight: string;
  /** [account index, delegate or null, checkpoints] for accounts with either. */
  accounts: [number, string | null, [string, string][]][];
  proposals: {
    id: string;
    proposer: string;
    actions: RawAction[];
    snapshot: string;
    /** Absent in states written before the windows were fixed per proposal (read as 1 block, config). */
    powerWindow?: string;
    timelockDelay?: string;
    gracePeriod?: string;
    startTime: string;
    endTime: string;
    quorum: string;
    forVotes: string;
    againstVotes: string;
    abstainVotes: string;
    eta: string;
    status: StoredProposalStatus;
    receipts: [string, Support, string][];
    vetoes: string[];
    /** Absent in states written before rotation approvals existed (read as none). */
    rotationApprovals?: string[];
  }[];
}

const cps = (list: readonly Checkpoint[]): [string, string][] => list.map((c) => [String(c.h), String(c.v)]);
const fromCps = (rows: readonly [string, string][]): Checkpoint[] =>
  rows.map(([h, v]) => ({ h: BigInt(h), v: BigInt(v) }));

function rawAction(a: GovAction): RawAction {
  switch (a.type) {
    case "setParameter":
      return { type: a.type, name: a.name, value: typeof a.value === "boolean" ? a.value : String(a.value) };
    case "rotateGuardians":
      return { type: a.type, keys: [...a.keys], threshold: a.threshold };
    case "rotateOracleKeys":
      return { type: a.type, keys: a.keys.map(([x, y]) => [String(x), String(y)]), threshold: a.threshold };
    default:
      return { type: a.type };
  }
}

function actionFromRaw(a: RawAction): GovAction {
  switch (a.type) {
    case "setParameter":
      return { type: a.type, name: a.name, value: typeof a.value === "boolean" ? a.value : BigInt(a.value) };
    case "rotateGuardians":
      return { type: a.type, keys: [...a.keys], threshold: a.threshold };
    case "rotateOracleKeys":
      return { type: a.type, keys: a.keys.map(([x, y]) => [BigInt(x), BigInt(y)]), threshold: a.threshold };
    default:
      return { type: a.type };
  }
}

/** Accounts are passed in index order as (delegate, votes) pairs. */
export function serializeGov(
  gov: GovState,
  accounts: readonly { index: number; delegate: AccountId | null; votes: Checkpoint[] }[],
): SerializedGov {
  const config: Record<string, string> = {};
  for (const name of GOV_CONFIG_NAMES) config[name] = String(gov.config[name]);
  return {
    config,
    guardians: { keys: [...gov.guardians.keys], threshold: String(gov.guardians.threshold) },
    oracles: gov.oracles
      ? {
          keys: gov.oracles.keys.map(([x, y]) => [String(x), String(y)]),
          threshold: String(gov.oracles.threshold),
        }
      : null,
    paused: gov.paused,
    shutdown: gov.shutdown,
    supply: cps(gov.supply),
    committedHeight: String(gov.committedHeight),
    accounts: accounts
      .filter((a) => a.delegate !== null || a.votes.length > 0)
      .map((a) => [a.index, a.delegate, cps(a.votes)]),
    proposals: gov.proposals.map((p) => ({
      id: String(p.id),
      proposer: p.proposer,
      actions: p.actions.map(rawAction),
      snapshot: String(p.snapshot),
      powerWindow: String(p.powerWindow),
      timelockDelay: String(p.timelockDelay),
      gracePeriod: String(p.gracePeriod),
      startTime: String(p.startTime),
      endTime: String(p.endTime),
      quorum: String(p.quorum),
      forVotes: String(p.forVotes),
      againstVotes: String(p.againstVotes),
      abstainVotes: String(p.abstainVotes),
      eta: String(p.eta),
      status: p.status,
      receipts: p.receipts.map((r) => [r.voter, r.support, String(r.votes)]),
      vetoes: [...p.vetoes],
      rotationApprovals: [...p.rotationApprovals],
    })),
  };
}

/** Rebuilds the governance state; `account(index)` returns the account record to fill. */
export function deserializeGov(
  data: SerializedGov,
  account: (index: number) => { delegate: AccountId | null; votes: Checkpoint[] },
): GovState {
  const config = { ...DEFAULT_GOV_CONFIG };
  for (const name of GOV_CONFIG_NAMES)
    if (data.config[name] !== undefined) config[name] = BigInt(data.config[name]);
  for (const [index, delegate, votes] of data.accounts) {
    const a = account(index);
    a.delegate = delegate;
    a.votes = fromCps(votes);
  }
  return {
    config,
    guardians: { keys: [...data.guardians.keys], threshold: BigInt(data.guardians.threshold) },
    oracles: data.oracles
      ? {
          keys: data.oracles.keys.map(([x, y]) => [BigInt(x), BigInt(y)]),
          threshold: BigInt(data.oracles.threshold),
        }
      : null,
    paused: data.paused,
    shutdown: data.shutdown,
    supply: fromCps(data.supply),
    committedHeight: BigInt(data.committedHeight ?? "0"),
    proposals: data.proposals.map((p) => {
      const receipts: Receipt[] = p.receipts.map(([voter, support, votes]) => ({
        voter,
        support,
        votes: BigInt(votes),
      }));
      return {
        id: BigInt(p.id),
        proposer: p.proposer,
        actions: p.actions.map(actionFromRaw),
        snapshot: BigInt(p.snapshot),
        // States written before the windows were fixed per proposal read power at the snapshot
        // block only and took the timelock and grace from the settings, as they did then.
        powerWindow: BigInt(p.powerWindow ?? "1"),
        timelockDelay: BigInt(p.timelockDelay ?? String(config.timelockDelay)),
        gracePeriod: BigInt(p.gracePeriod ?? String(config.gracePeriod)),
        startTime: BigInt(p.startTime),
        endTime: BigInt(p.endTime),
        quorum: BigInt(p.quorum),
        forVotes: BigInt(p.forVotes),
        againstVotes: BigInt(p.againstVotes),
        abstainVotes: BigInt(p.abstainVotes),
        eta: BigInt(p.eta),
        status: p.status,
        receipts,
        voted: new Map(receipts.map((r) => [r.voter, r])),
        vetoes: [...p.vetoes],
        rotationApprovals: [...(p.rotationApprovals ?? [])],
      };
    }),
  };
}
