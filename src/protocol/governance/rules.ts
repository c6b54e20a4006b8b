/**
 * Governance rules (docs/governance.md): proposals of one to ten operations, voting power read from
 * checkpoints at the proposal's snapshot height, delegation, quorum on the supply at the snapshot, a
 * timelock between the vote and execution, a grace period, cancellation by the proposer, a guardian
 * veto, and what pause and shutdown refuse. Every write goes through the operation's journal.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { formatDecimal, ONE, parseDecimal } from "../decimal.ts";
import { ProtocolError } from "../errors.ts";
import type { AccountId, Operation } from "../operations.ts";
import { PARAM_BOUNDS, type Params, parseParamValue, validateParams } from "../params.ts";
import { FIELD_MODULUS } from "../poseidon.ts";
import { findAccount, getOrCreateAccount, type State, writeVotes } from "../state.ts";
import { require, type Tx } from "../tx.ts";
import { cloneAction, type GovState, minOver, type Proposal, type Receipt, valueAt } from "./state.ts";
import { describeAction, formatParameter } from "./text.ts";
import {
  DEFAULT_GOV_CONFIG,
  FROZEN_PARAMETERS,
  GOV_CONFIG_BOUNDS,
  GOV_CONFIG_NAMES,
  type GovAction,
  type GovConfig,
  type GovConfigName,
  GUARDIAN_ROTATION_DELAY,
  isGovConfigName,
  isParamName,
  MAX_ACTIONS,
  MAX_GUARDIANS,
  ORACLE_KEY_SLOTS,
  SETTABLE_PARAMETERS,
  type Support,
} from "./types.ts";

/** A proposal's state at time `now` (the stored status refined by the clock). */
export type ProposalState =
  | "active"
  | "defeated"
  | "succeeded"
  | "queued"
  | "expired"
  | "executed"
  | "canceled"
  | "vetoed";

/** Quorum counts votes for and abstain (OpenZeppelin GovernorCountingSimple); for must beat against. */
export function proposalPassed(p: Proposal): boolean {
  return p.forVotes + p.abstainVotes >= p.quorum && p.forVotes > p.againstVotes;
}

/** A proposal's state at time `now`; its windows are its own (fixed at creation), never the settings'. */
export function proposalState(p: Proposal, now: bigint): ProposalState {
  switch (p.status) {
    case "executed":
    case "canceled":
    case "vetoed":
      return p.status;
    case "queued":
      return now >= p.eta + p.gracePeriod ? "expired" : "queued";
    case "active":
      if (now < p.endTime) return "active";
      if (!proposalPassed(p)) return "defeated";
      return now < p.endTime + p.gracePeriod ? "succeeded" : "expired";
  }
}

/** States in which cancelling or vetoing still changes something (it could still be executed). */
export const isOpenProposalState = (state: ProposalState): boolean =>
  state === "active" || state === "succeeded" || state === "queued";

/** ceil(amount × fraction): a quorum or threshold is never below its fraction of the supply. */
export const fractionOfCeil = (amount: bigint, fraction: bigint): bigint =>
  (amount * fraction + ONE - 1n) / ONE;

// ---------------------------------------------------------------------------------------------
// Validation of actions (at proposal time, and again at execution)

const GUARDIAN_KEY_RE = /^0[23][0-9a-f]{64}$/;

/** Checks a guardian set: 1–15 distinct compressed secp256k1 keys (lowercase hex) and 1 ≤ k ≤ n. */
export function checkGuardianSet(keys: readonly string[], threshold: number): void {
  const bad = (why: string) => new ProtocolError("invalidGuardianSet", `guardian set: ${why}`);
  if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_GUARDIANS)
    throw bad(`expected 1 to ${MAX_GUARDIANS} keys`);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > keys.length)
    throw bad(`threshold ${threshold} is not between 1 and ${keys.length}`);
  for (const [i, key] of keys.entries()) {
    if (typeof key !== "string" || !GUARDIAN_KEY_RE.test(key))
      throw bad(`key ${i}: expected 33-byte compressed key as 66 lowercase hex digits`);
    try {
      secp256k1.Point.fromHex(key);
    } catch {
      throw bad(`key ${i} is not a point on secp256k1`);
    }
  }
  if (new Set(keys).size !== keys.length) throw bad("keys must be distinct");
}

// BabyJubjub (twisted Edwards over BN254's scalar field): a·x² + y² = 1 + d·x²·y².
const BJJ_A = 168700n;
const BJJ_D = 168696n;

/** True when (x, y) is on BabyJubjub. */
export function isBabyJubPoint(x: bigint, y: bigint): boolean {
  const p = FIELD_MODULUS;
  if (x < 0n || y < 0n || x >= p || y >= p) return false;
  const x2 = (x * x) % p;
  const y2 = (y * y) % p;
  return (BJJ_A * x2 + y2) % p === (1n + ((BJJ_D * x2) % p) * y2) % p;
}

/** Checks an oracle set: exactly ORACLE_KEY_SLOTS distinct BabyJubjub points and 1 ≤ k ≤ slots. */
export function checkOracleSet(keys: readonly (readonly [bigint, bigint])[], threshold: number): void {
  const bad = (why: string) => new ProtocolError("invalidOracleSet", `oracle set: ${why}`);
  if (!Array.isArray(keys) || keys.length !== ORACLE_KEY_SLOTS)
    throw bad(`expected ${ORACLE_KEY_SLOTS} keys (the circuit's slots)`);
  if (!Number.isInteger(threshold) || threshold < 1 || threshold > ORACLE_KEY_SLOTS)
    throw bad(`threshold ${threshold} is not between 1 and ${ORACLE_KEY_SLOTS}`);
  for (const [i, key] of keys.entries()) {
    if (!Array.isArray(key) || key.length !== 2 || !isBabyJubPoint(key[0], key[1]))
      throw bad(`key ${i} is not a point on BabyJubjub`);
  }
  if (new Set(keys.map(([x, y]) => `${x},${y}`)).size !== keys.length) throw bad("keys must be distinct");
}

function checkConfigValue(name: GovConfigName, value: bigint | boolean): bigint {
  const bound = GOV_CONFIG_BOUNDS[name];
  if (typeof value !== "bigint") throw new ProtocolError("invalidParameter", `${name}: expected a number`);
  const show = (v: bigint) =>
    bound.kind === "decimal" ? formatDecimal(v) : `${v} ${bound.kind === "blocks" ? "blocks" : "s"}`;
  if (value < bound.min || value > bound.max) {
    throw new ProtocolError(
      "invalidParameter",
      `${name} = ${show(value)} is outside its bounds ${show(bound.min)} to ${show(bound.max)}`,
    );
  }
  return value;
}

/** Checks a whole governance configuration against its bounds (genesis, scenario files). */
export function validateGovConfig(config: GovConfig): GovConfig {
  for (const name of GOV_CONFIG_NAMES) checkConfigValue(name, config[name]);
  return config;
}

/**
 * Checks every action of a proposal against the current state: parameter changes are applied in
 * order to a copy and the result must satisfy every bound and relation (so MCR and CCR can move
 * together in one proposal).
 */
export function validateActions(state: State, actions: readonly GovAction[]): void {
  if (!Array.isArray(actions) || actions.length < 1 || actions.length > MAX_ACTIONS) {
    throw new ProtocolError("invalidProposal", `a proposal carries 1 to ${MAX_ACTIONS} operations`);
  }
  const params: Params = { ...state.params };
  let touchedParams = false;
  for (const action of actions) {
    switch (action.type) {
      case "setParameter": {
        const { name, value } = action;
        if (isGovConfigName(name)) checkConfigValue(name, value);
        else if (isParamName(name)) {
          if (FROZEN_PARAMETERS.includes(name))
            throw new ProtocolError("parameterNotGovernable", `${name} cannot be changed by governance`);
          (params as unknown as Record<string, bigint | boolean>)[name] = value;
          touchedParams = true;
        } else throw new ProtocolError("invalidParameter", `unknown parameter "${name}"`);
        break;
      }
      case "rotateGuardians":
        checkGuardianSet(action.keys, action.threshold);
        break;
      case "rotateOracleKeys":
        checkOracleSet(action.keys, action.threshold);
        break;
      case "pause":
      case "unpause":
      case "shutdown":
        break;
      default:
        throw new ProtocolError(
          "invalidProposal",
          `unknown proposal operation ${JSON.stringify((action as { type?: unknown }).type)}`,
        );
    }
  }
  if (touchedParams) validateParams(params);
}

// ---------------------------------------------------------------------------------------------
// Pause and shutdown (docs/governance.md "What pause and shutdown refuse")

/**
 * Pause refuses what creates new debt: opening a vault and borrowing more. Shutdown (permanent)
 * refuses those and stability-pool deposits. Every exit stays open: repaying, closing (the last vault
 * too), withdrawing collateral and pool deposits, claiming, redeeming, and liquidating vaults below MCR
 * (normal-mode rules only, so an underwater vault cannot hold the TCR down and block redemptions).
 */
export function requireOperationAllowed(gov: GovState, op: Operation): void {
  const newDebt = op.type === "openVault" || (op.type === "adjustVault" && (op.borrow ?? 0n) > 0n);
  if (gov.shutdown) require(!(newDebt || op.type === "poolDeposit"), "shutdown");
  if (gov.paused) require(!newDebt, "paused");
}

// ---------------------------------------------------------------------------------------------
// Operations

function proposalById(tx: Tx, id: bigint): Proposal {
  const p =
    id >= 1n && id <= BigInt(tx.state.gov.proposals.length)
      ? tx.state.gov.proposals[Number(id) - 1]
      : undefined;
  if (!p) throw new ProtocolError("unknownProposal", `there is no proposal ${id}`);
  return p;
}

/** Every governance operation commits the checkpoints written before its block (docs/state-root.md). */
export function commitCheckpoints(tx: Tx): void {
  if (tx.state.gov.committedHeight < tx.state.height)
    tx.j.set(tx.state.gov, "committedHeight", tx.state.height);
}

const markProposal = (tx: Tx, p: Proposal) => tx.state.root.dirtyProposals.add(Number(p.id) - 1);

/** Voting power of an account at a height (checkpoints; 0 for unknown accounts). */
export function votingPowerAt(state: State, id: AccountId, height: bigint): bigint {
  const a = findAccount(state, id);
  return a ? valueAt(a.votes, height) : 0n;
}

/**
 * Voting power an account has on a proposal with this snapshot and window: the least power it had in
 * any of the `window` blocks ending at the snapshot (docs/governance.md "Voting power"), so zkUSD held
 * for less than the whole window (borrowed, bought or delegated late) does not count.
 */
export function votingPowerOver(state: State, id: AccountId, snapshot: bigint, window: bigint): bigint {
  const a = findAccount(state, id);
  return a ? minOver(a.votes, snapshot - window + 1n, snapshot) : 0n;
}

export function propose(tx: Tx, proposer: AccountId, actions: GovAction[]): { proposalId: bigint } {
  const s = tx.state;
  const gov = s.gov;
  validateActions(s, actions);
  // The snapshot is the block before this one: no balance written in this block counts.
  const snapshot = s.height - 1n;
  const supply = valueAt(gov.supply, snapshot);
  const { votingPowerWindow, timelockDelay, gracePeriod } = gov.config;
  const power = votingPowerOver(s, proposer, snapshot, votingPowerWindow);
  const threshold = fractionOfCeil(supply, gov.config.proposalThresholdFraction);
  require(power > 0n &&
    power >=
      threshold, "proposalThresholdNotMet", `${proposer} held at least ${formatDecimal(power)} votes over the ${votingPowerWindow} blocks to height ${snapshot}; the threshold is ${formatDecimal(threshold)}`);
  const id = BigInt(gov.proposals.length + 1);
  const proposal: Proposal = {
    id,
    proposer,
    actions: actions.map(cloneAction),
    snapshot,
    powerWindow: votingPowerWindow,
    timelockDelay,
    gracePeriod,
    startTime: tx.now,
    endTime: tx.now + gov.config.votingPeriod,
    quorum: fractionOfCeil(supply, gov.config.quorumFraction),
    forVotes: 0n,
    againstVotes: 0n,
    abstainVotes: 0n,
    eta: 0n,
    status: "active",
    receipts: [],
    voted: new Map(),
    vetoes: [],
    rotationApprovals: [],
  };
  gov.proposals.push(proposal);
  tx.j.onRollback(() => {
    gov.proposals.pop();
  });
  markProposal(tx, proposal);
  tx.events.push({
    type: "ProposalCreated",
    proposalId: id,
    proposer,
    snapshot,
    startTime: proposal.startTime,
    endTime: proposal.endTime,
    quorum: proposal.quorum,
    actions: proposal.actions.map(describeAction),
  });
  return { proposalId: id };
}

const TALLY = { for: "forVotes", against: "againstVotes", abstain: "abstainVotes" } as const;

export function vote(tx: Tx, voter: AccountId, proposalId: bigint, support: Support): { votes: bigint } {
  const p = proposalById(tx, proposalId);
  require(proposalState(p, tx.now) ===
    "active", "votingClosed", `proposal ${proposalId} is ${proposalState(p, tx.now)}`);
  require(!p.voted.has(voter), "alreadyVoted");
  require(support in TALLY, "malformedOperation", `support must be for, against or abstain`);
  const votes = votingPowerOver(tx.state, voter, p.snapshot, p.powerWindow);
  require(votes >
    0n, "noVotingPower", `${voter} held no voting power through the ${p.powerWindow} blocks to height ${p.snapshot}`);
  const receipt: Receipt = { voter, support, votes };
  p.receipts.push(receipt);
  p.voted.set(voter, receipt);
  tx.j.onRollback(() => {
    p.receipts.pop();
    p.voted.delete(voter);
  });
  const field = TALLY[support];
  tx.j.set(p, field, p[field] + votes);
  markProposal(tx, p);
  tx.events.push({ type: "VoteCast", proposalId, voter, support, votes });
  return { votes };
}

/** Moves all of the delegator's power to `delegatee` (null = back to itself). */
function setDelegate(tx: Tx, delegator: AccountId, delegatee: AccountId | null): void {
  const s = tx.state;
  const a = getOrCreateAccount(s, delegator, tx.j);
  const to = delegatee === null || delegatee === delegator ? null : delegatee;
  const oldTarget = a.delegate === null ? a : s.accounts.get(a.delegate)!;
  const newTarget = to === null ? a : getOrCreateAccount(s, to, tx.j);
  if (oldTarget !== newTarget && a.balance > 0n) {
    writeVotes(s, tx.j, oldTarget, valueAt(oldTarget.votes, s.height) - a.balance);
    writeVotes(s, tx.j, newTarget, valueAt(newTarget.votes, s.height) + a.balance);
  }
  tx.j.set(a, "delegate", to);
  s.root.dirtyVotes.add(a.index);
  tx.events.push({
    type: "DelegateChanged",
    delegator,
    fromDelegate: oldTarget.id,
    toDelegate: newTarget.id,
  });
}

export function delegate(tx: Tx, delegator: AccountId, delegatee: AccountId): void {
  setDelegate(tx, delegator, delegatee);
}

export function undelegate(tx: Tx, delegator: AccountId): void {
  require(findAccount(tx.state, delegator)?.delegate != null, "notDelegated");
  setDelegate(tx, delegator, null);
}

export function queue(tx: Tx, proposalId: bigint): { eta: bigint } {
  const p = proposalById(tx, proposalId);
  const state = proposalState(p, tx.now);
  require(state === "succeeded", "proposalNotSucceeded", `proposal ${proposalId} is ${state}`);
  // A rotation of the custody key set waits at least 30 days whatever the timelock (docs/decisions.md §2a).
  const rotates = rotatesGuardians(p);
  const delay =
    rotates && p.timelockDelay < GUARDIAN_ROTATION_DELAY ? GUARDIAN_ROTATION_DELAY : p.timelockDelay;
  const eta = tx.now + delay;
  tx.j.set(p, "eta", eta);
  tx.j.set(p, "status", "queued");
  markProposal(tx, p);
  tx.events.push({ type: "ProposalQueued", proposalId, eta });
  return { eta };
}

export function execute(tx: Tx, proposalId: bigint): void {
  const p = proposalById(tx, proposalId);
  require(p.status ===
    "queued", "proposalNotQueued", `proposal ${proposalId} is ${proposalState(p, tx.now)}`);
  require(tx.now >= p.eta, "timelockNotElapsed", `proposal ${proposalId} can be executed from time ${p.eta}`);
  require(tx.now < p.eta + p.gracePeriod, "proposalExpired");
  if (rotatesGuardians(p)) {
    const approvals = signedByCurrentSet(tx, p.rotationApprovals);
    const k = tx.state.gov.guardians.threshold;
    require(approvals >=
      k, "rotationNotApproved", `proposal ${proposalId} has ${approvals} of the ${k} approvals it needs from the current guardians`);
  }
  tx.j.set(p, "status", "executed");
  markProposal(tx, p);
  // Checked again: another proposal may have moved a related parameter since this one was made.
  validateActions(tx.state, p.actions);
  for (const action of p.actions) executeAction(tx, action);
  tx.events.push({ type: "ProposalExecuted", proposalId });
}

function executeAction(tx: Tx, action: GovAction): void {
  const s = tx.state;
  const gov = s.gov;
  switch (action.type) {
    case "setParameter": {
      const { name, value } = action;
      const target = (isGovConfigName(name) ? gov.config : s.params) as unknown as Record<
        string,
        bigint | boolean
      >;
      const old = target[name]!;
      tx.j.set(target, name, value);
      tx.events.push({
        type: "ParameterChanged",
        name,
        oldValue: formatParameter(name, old),
        newValue: formatParameter(name, value),
      });
      return;
    }
    case "rotateGuardians":
      tx.j.set(gov, "guardians", { keys: [...action.keys], threshold: BigInt(action.threshold) });
      tx.events.push({
        type: "GuardiansRotated",
        keys: [...action.keys],
        threshold: BigInt(action.threshold),
      });
      return;
    case "rotateOracleKeys":
      tx.j.set(gov, "oracles", {
        keys: action.keys.map(([x, y]): [bigint, bigint] => [x, y]),
        threshold: BigInt(action.threshold),
      });
      tx.events.push({
        type: "OracleKeysRotated",
        keys: action.keys.map(([x, y]) => `${x},${y}`),
        threshold: BigInt(action.threshold),
      });
      return;
    case "pause":
      tx.j.set(gov, "paused", true);
      tx.events.push({ type: "Paused" });
      return;
    case "unpause":
      tx.j.set(gov, "paused", false);
      tx.events.push({ type: "Unpaused" });
      return;
    case "shutdown":
      tx.j.set(gov, "shutdown", true);
      tx.events.push({ type: "Shutdown" });
      return;
  }
}

export function cancel(tx: Tx, proposer: AccountId, proposalId: bigint): void {
  const p = proposalById(tx, proposalId);
  require(p.proposer === proposer, "notProposer");
  // Only while it can still be executed: a defeated or expired proposal stays as it ended.
  const state = proposalState(p, tx.now);
  require(isOpenProposalState(state), "proposalClosed", `proposal ${proposalId} is ${state}`);
  tx.j.set(p, "status", "canceled");
  markProposal(tx, p);
  tx.events.push({ type: "ProposalCanceled", proposalId });
}

/**
 * One guardian's veto signature. The actor must be a key of the current guardian set (on chain: the
 * transaction's first input is that key's P2WPKH output, so Bitcoin checked its signature). The
 * proposal is vetoed when signatures from `threshold` keys of the current set are in.
 */
export function veto(tx: Tx, guardian: AccountId, proposalId: bigint): void {
  const gov = tx.state.gov;
  const { key, p, approvals } = guardianSignature(tx, guardian, proposalId, "vetoes", "alreadyVetoed");
  tx.events.push({
    type: "VetoSigned",
    proposalId,
    guardian: key,
    approvals,
    threshold: gov.guardians.threshold,
  });
  if (approvals >= gov.guardians.threshold) {
    tx.j.set(p, "status", "vetoed");
    tx.events.push({ type: "ProposalVetoed", proposalId });
  }
}

/**
 * One guardian's signature on an open proposal (a veto or a rotation approval), one rule for both: the
 * actor must be a key of the current guardian set (on chain: the key in the witness of the
 * transaction's first input, so Bitcoin checked its signature), the proposal must still be executable,
 * and each key signs once. Records the key in `list` and returns how many keys of the current set
 * have signed it.
 */
function guardianSignature(
  tx: Tx,
  guardian: AccountId,
  proposalId: bigint,
  list: "vetoes" | "rotationApprovals",
  already: "alreadyVetoed" | "alreadyApprovedRotation",
): { key: string; p: Proposal; approvals: bigint } {
  const gov = tx.state.gov;
  const key = guardian.toLowerCase();
  require(gov.guardians.keys.includes(key), "notGuardian", `${guardian} is not a registered guardian key`);
  const p = proposalById(tx, proposalId);
  const state = proposalState(p, tx.now);
  require(isOpenProposalState(state), "proposalClosed", `proposal ${proposalId} is ${state}`);
  const keys = p[list];
  require(!keys.includes(key), already);
  if (list === "rotationApprovals")
    require(rotatesGuardians(p), "notRotation", `proposal ${proposalId} does not rotate the custody key set`);
  keys.push(key);
  tx.j.onRollback(() => {
    keys.pop();
  });
  markProposal(tx, p);
  return { key, p, approvals: signedByCurrentSet(tx, keys) };
}

/** How many keys of the current guardian set are in `keys`. */
const signedByCurrentSet = (tx: Tx, keys: readonly string[]): bigint =>
  BigInt(keys.filter((k) => tx.state.gov.guardians.keys.includes(k)).length);

const rotatesGuardians = (p: Proposal): boolean => p.actions.some((a) => a.type === "rotateGuardians");

/**
 * One outgoing guardian's approval of a proposal that rotates the custody key set (docs/decisions.md §2a: a new
 * key set needs governance and a quorum of the outgoing set). Authenticated as a veto is; the
 * proposal executes only once `threshold` keys of the current set have approved it.
 */
export function approveRotation(tx: Tx, guardian: AccountId, proposalId: bigint): void {
  const { key, approvals } = guardianSignature(
    tx,
    guardian,
    proposalId,
    "rotationApprovals",
    "alreadyApprovedRotation",
  );
  tx.events.push({
    type: "RotationApproved",
    proposalId,
    guardian: key,
    approvals,
    threshold: tx.state.gov.guardians.threshold,
  });
}
