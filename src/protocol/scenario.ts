/**
 * Scenario replay (docs/scenarios.md): a JSON list of steps run through the engine, printed as one
 * JSON document. The engine's test harness and `zkusd replay`.
 */
import { formatDecimal, parseDecimal } from "./decimal.ts";
import { advanceTime, apply } from "./engine.ts";
import { ProtocolError } from "./errors.ts";
import type { ProtocolEvent } from "./events.ts";
import { govActionFromJson, govActionToJson, govGenesisFromJson } from "./governance/codecs.ts";
import { proposalState } from "./governance/rules.ts";
import { formatParameter } from "./governance/text.ts";
import { GOV_CONFIG_NAMES, SUPPORT, type Support } from "./governance/types.ts";
import { assertAccount, DEFAULT_LIQUIDATOR, isOperationType, type Operation } from "./operations.ts";
import { paramsFromJson } from "./params.ts";
import { createGenesisState, type State } from "./state.ts";
import { stateRoot } from "./stateRoot.ts";
import { currentSum, depositView, systemSummary, vaultView } from "./views.ts";

export class ScenarioFormatError extends Error {
  override readonly name = "ScenarioFormatError";
}

type Json = Record<string, unknown>;

export type StepOutput =
  | { ok: true; result: Record<string, string>; events: Json[] }
  | { ok: false; error: { code: string; message: string } };

export interface ScenarioOutput {
  steps: StepOutput[];
  state: Json;
}

/** advanceTime moves block time by `seconds` and, optionally, the height by `blocks` empty blocks. */
type Step = { kind: "op"; op: Operation } | { kind: "advanceTime"; seconds: bigint; blocks: bigint };

const amount = (step: Json, field: string) => parseDecimal(step[field], field);
const optionalAmount = (step: Json, field: string) =>
  step[field] === undefined ? undefined : amount(step, field);
const account = (step: Json, field: string) => assertAccount(step[field], field);
const liquidatorOf = (step: Json) =>
  step.liquidator === undefined ? DEFAULT_LIQUIDATOR : assertAccount(step.liquidator, "liquidator");

/** Default actor of queue and execute steps without a `caller`. */
export const DEFAULT_CALLER = "keeper";

const proposalIdOf = (step: Json) => {
  const id = wholeNumber(step.proposal ?? step.proposalId, "proposal");
  if (id < 1n) throw new ProtocolError("malformedOperation", "proposal: ids count from 1");
  return id;
};
const callerOf = (step: Json) =>
  step.caller === undefined ? DEFAULT_CALLER : assertAccount(step.caller, "caller");

function supportOf(value: unknown): Support {
  if (typeof value !== "string" || !(SUPPORT as readonly string[]).includes(value))
    throw new ProtocolError("malformedOperation", `support: expected "for", "against" or "abstain"`);
  return value as Support;
}

function wholeNumber(value: unknown, field: string): bigint {
  const text = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== "string" || !/^[0-9]+$/.test(text)) {
    throw new ProtocolError(
      "malformedOperation",
      `${field}: expected a whole non-negative number, got ${JSON.stringify(value)}`,
    );
  }
  return BigInt(text);
}

/** Accepts `{ "op": NAME, ...args }` (canonical), `{ "type": NAME, ... }` or `{ NAME: { ...args } }`. */
function normalizeStep(raw: unknown): { name: string; args: Json } {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) {
    throw new ProtocolError("malformedOperation", "a step must be a JSON object");
  }
  const step = raw as Json;
  const name = step.op ?? step.type;
  if (typeof name === "string") return { name, args: step };
  const keys = Object.keys(step);
  if (keys.length === 1 && typeof step[keys[0]!] === "object" && step[keys[0]!] !== null) {
    return { name: keys[0]!, args: step[keys[0]!] as Json };
  }
  throw new ProtocolError("unknownOperation", `a step needs an "op" field naming the operation`);
}

export function parseStep(raw: unknown): Step {
  const { name, args: s } = normalizeStep(raw);
  if (name === "advanceTime")
    return {
      kind: "advanceTime",
      seconds: s.seconds === undefined && s.blocks !== undefined ? 0n : wholeNumber(s.seconds, "seconds"),
      blocks: s.blocks === undefined ? 0n : wholeNumber(s.blocks, "blocks"),
    };
  if (!isOperationType(name)) throw new ProtocolError("unknownOperation", `unknown operation "${name}"`);
  const op = ((): Operation => {
    switch (name) {
      case "setPrice":
        return { type: name, price: amount(s, "price") };
      case "openVault":
        return {
          type: name,
          owner: account(s, "owner"),
          collateral: amount(s, "collateral"),
          borrow: amount(s, "borrow"),
          maxFee: optionalAmount(s, "maxFee"),
        };
      case "adjustVault":
        return {
          type: name,
          owner: account(s, "owner"),
          depositCollateral: optionalAmount(s, "depositCollateral"),
          withdrawCollateral: optionalAmount(s, "withdrawCollateral"),
          borrow: optionalAmount(s, "borrow"),
          repay: optionalAmount(s, "repay"),
          maxFee: optionalAmount(s, "maxFee"),
        };
      case "closeVault":
      case "claimSurplus":
      case "claimGains":
      case "claimGainsToVault":
        return { type: name, owner: account(s, "owner") };
      case "transfer":
        return { type: name, from: account(s, "from"), to: account(s, "to"), amount: amount(s, "amount") };
      case "approve":
        return {
          type: name,
          owner: account(s, "owner"),
          spender: account(s, "spender"),
          amount: amount(s, "amount"),
        };
      case "transferFrom":
        return {
          type: name,
          spender: account(s, "spender"),
          from: account(s, "from"),
          to: account(s, "to"),
          amount: amount(s, "amount"),
        };
      case "poolDeposit":
      case "poolWithdraw":
        return { type: name, owner: account(s, "owner"), amount: amount(s, "amount") };
      case "liquidate":
        return { type: name, owner: account(s, "owner"), liquidator: liquidatorOf(s) };
      case "liquidateBatch": {
        const count = wholeNumber(s.count, "count");
        if (count < 1n || count > 100_000n)
          throw new ProtocolError("malformedOperation", "count must be between 1 and 100000");
        return { type: name, count: Number(count), liquidator: liquidatorOf(s) };
      }
      case "liquidateList": {
        if (!Array.isArray(s.owners))
          throw new ProtocolError("malformedOperation", "owners must be an array of account ids");
        return {
          type: name,
          owners: s.owners.map((o, i) => assertAccount(o, `owners[${i}]`)),
          liquidator: liquidatorOf(s),
        };
      }
      case "redeem":
        return {
          type: name,
          redeemer: account(s, "redeemer"),
          amount: amount(s, "amount"),
          maxFee: optionalAmount(s, "maxFee"),
        };
      case "setBaseRate":
        return { type: name, value: amount(s, "value") };
      case "propose": {
        if (!Array.isArray(s.actions))
          throw new ProtocolError("malformedOperation", "actions must be an array of proposal operations");
        return {
          type: name,
          proposer: account(s, "proposer"),
          actions: s.actions.map((a, i) => govActionFromJson(a, `actions[${i}]`)),
        };
      }
      case "vote":
        return {
          type: name,
          voter: account(s, "voter"),
          proposalId: proposalIdOf(s),
          support: supportOf(s.support),
        };
      case "delegate":
        return { type: name, delegator: account(s, "delegator"), delegatee: account(s, "delegatee") };
      case "undelegate":
        return { type: name, delegator: account(s, "delegator") };
      case "queue":
      case "execute":
        return { type: name, caller: callerOf(s), proposalId: proposalIdOf(s) };
      case "cancel":
        return { type: name, proposer: account(s, "proposer"), proposalId: proposalIdOf(s) };
      case "veto":
      case "approveRotation":
        return { type: name, guardian: account(s, "guardian"), proposalId: proposalIdOf(s) };
    }
  })();
  return { kind: "op", op };
}

/** Integer-valued event fields (printed as plain integers, not 18-decimal amounts). */
const INTEGER_FIELDS = new Set([
  "epoch",
  "scale",
  "time",
  "paidSats",
  "proposalId",
  "snapshot",
  "startTime",
  "endTime",
  "eta",
  "approvals",
  "threshold",
]);

function jsonValue(key: string, value: unknown): unknown {
  if (typeof value === "bigint") return INTEGER_FIELDS.has(key) ? value.toString() : formatDecimal(value);
  if (Array.isArray(value)) return value.map((v) => jsonValue(key, v));
  return value;
}

export function eventToJson(event: ProtocolEvent): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(event)) out[k] = jsonValue(k, v);
  return out;
}

/** The documented result fields per operation (docs/scenarios.md). */
const RESULT_FIELDS: Partial<Record<Operation["type"], string[]>> = {
  openVault: ["fee", "debt"],
  adjustVault: ["fee", "debt"],
  closeVault: ["collateralReturned", "zkusdRepaid"],
  poolDeposit: ["btcGain"],
  poolWithdraw: ["zkusd", "btcGain"],
  claimGains: ["btcGain"],
  claimGainsToVault: ["btcGain"],
  claimSurplus: ["collateral"],
  liquidate: [
    "liquidatedDebt",
    "liquidatedCollateral",
    "offsetDebt",
    "redistributedDebt",
    "collateralCompensation",
    "gasReserve",
  ],
  liquidateBatch: [
    "liquidatedDebt",
    "liquidatedCollateral",
    "offsetDebt",
    "redistributedDebt",
    "collateralCompensation",
    "gasReserve",
  ],
  liquidateList: [
    "liquidatedDebt",
    "liquidatedCollateral",
    "offsetDebt",
    "redistributedDebt",
    "collateralCompensation",
    "gasReserve",
  ],
  redeem: ["zkusd", "btc", "fee"],
  propose: ["proposalId"],
  vote: ["votes"],
  queue: ["eta"],
};

export function stateToJson(state: State): Json {
  const summary = systemSummary(state);
  const vaults: Json = {};
  const balances: Json = {};
  const deposits: Json = {};
  const surplus: Json = {};
  for (const a of state.accountList) {
    if (a.status !== "nonExistent") {
      const v = vaultView(state, a);
      vaults[a.id] = {
        status: v.status,
        collateral: formatDecimal(v.collateral),
        debt: formatDecimal(v.debt),
        stake: formatDecimal(v.stake),
        rawCollateral: formatDecimal(v.rawCollateral),
        rawDebt: formatDecimal(v.rawDebt),
        pendingCollateralReward: formatDecimal(v.pendingCollateralReward),
        pendingDebtReward: formatDecimal(v.pendingDebtReward),
        icr: formatDecimal(v.icr),
      };
    }
    balances[a.id] = formatDecimal(a.balance);
    if (a.depositInitial > 0n) {
      const d = depositView(state, a);
      deposits[a.id] = {
        initial: formatDecimal(d.initial),
        compounded: formatDecimal(d.compounded),
        btcGain: formatDecimal(d.btcGain),
      };
    }
    if (a.surplus > 0n) surplus[a.id] = formatDecimal(a.surplus);
  }
  return {
    price: formatDecimal(summary.price),
    time: summary.time.toString(),
    totalCollateral: formatDecimal(summary.totalCollateral),
    totalDebt: formatDecimal(summary.totalDebt),
    tcr: formatDecimal(summary.tcr),
    recoveryMode: summary.recoveryMode,
    baseRate: formatDecimal(summary.baseRate),
    decayedBaseRate: formatDecimal(summary.decayedBaseRate),
    zkusdSupply: formatDecimal(summary.zkusdSupply),
    vaults,
    balances,
    pool: {
      total: formatDecimal(state.g.poolDeposits),
      P: formatDecimal(state.g.P),
      S: formatDecimal(currentSum(state)),
      epoch: state.g.currentEpoch.toString(),
      scale: state.g.currentScale.toString(),
      deposits,
    },
    redistribution: { L_collateral: formatDecimal(state.g.L_coll), L_debt: formatDecimal(state.g.L_debt) },
    collateralSurplus: surplus,
    governance: governanceToJson(state),
    stateRoot: stateRoot(state),
  };
}

/** The governance part of the scenario output (docs/scenarios.md). */
export function governanceToJson(state: State): Json {
  const gov = state.gov;
  const config: Json = {};
  for (const name of GOV_CONFIG_NAMES) config[name] = formatParameter(name, gov.config[name]);
  const proposals: Json = {};
  for (const p of gov.proposals) {
    proposals[p.id.toString()] = {
      state: proposalState(p, state.g.time),
      proposer: p.proposer,
      actions: p.actions.map(govActionToJson),
      snapshot: p.snapshot.toString(),
      endTime: p.endTime.toString(),
      eta: p.eta.toString(),
      quorum: formatDecimal(p.quorum),
      for: formatDecimal(p.forVotes),
      against: formatDecimal(p.againstVotes),
      abstain: formatDecimal(p.abstainVotes),
      vetoes: [...p.vetoes],
      rotationApprovals: [...p.rotationApprovals],
    };
  }
  const votingPower: Json = {};
  const delegates: Json = {};
  for (const a of state.accountList) {
    const last = a.votes[a.votes.length - 1];
    if (last && last.v > 0n) votingPower[a.id] = formatDecimal(last.v);
    if (a.delegate !== null) delegates[a.id] = a.delegate;
  }
  return {
    paused: gov.paused,
    shutdown: gov.shutdown,
    config,
    guardians: { keys: [...gov.guardians.keys], threshold: gov.guardians.threshold.toString() },
    oracles: gov.oracles
      ? {
          keys: gov.oracles.keys.map(([x, y]) => [x.toString(), y.toString()]),
          threshold: gov.oracles.threshold.toString(),
        }
      : null,
    proposals,
    votingPower,
    delegates,
  };
}

const ALLOWED_TOP_LEVEL = new Set(["params", "governance", "steps", "source", "description"]);

/** Runs a parsed scenario. Throws ScenarioFormatError for a malformed document or invalid params. */
export function runScenario(input: unknown): ScenarioOutput {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    throw new ScenarioFormatError('a scenario must be a JSON object with "params" and "steps"');
  }
  const doc = input as Json;
  for (const key of Object.keys(doc)) {
    if (!ALLOWED_TOP_LEVEL.has(key)) throw new ScenarioFormatError(`unknown top-level key "${key}"`);
  }
  if (!Array.isArray(doc.steps)) throw new ScenarioFormatError('"steps" must be an array');
  let params: ReturnType<typeof paramsFromJson>;
  try {
    params = paramsFromJson(doc.params);
  } catch (error) {
    throw new ScenarioFormatError(`invalid params: ${(error as Error).message}`);
  }
  let governance: ReturnType<typeof govGenesisFromJson>;
  try {
    governance = govGenesisFromJson(doc.governance);
  } catch (error) {
    throw new ScenarioFormatError(`invalid governance: ${(error as Error).message}`);
  }
  const state = createGenesisState(params, { time: 0n, governance });
  let time = 0n;
  // Step i runs at height i + 1 plus the empty blocks advanceTime steps added before it.
  let skipped = 0n;
  const steps: StepOutput[] = doc.steps.map((raw, i) => {
    let step: Step;
    try {
      step = parseStep(raw);
    } catch (error) {
      if (error instanceof ProtocolError)
        return { ok: false, error: { code: error.code, message: error.message } };
      throw error;
    }
    if (step.kind === "advanceTime") {
      time += step.seconds;
      skipped += step.blocks;
      advanceTime(state, time);
      return { ok: true, result: {}, events: [] };
    }
    const outcome = apply(state, step.op, { height: BigInt(i + 1) + skipped, time });
    if (!outcome.ok)
      return { ok: false, error: { code: outcome.error.code, message: outcome.error.message } };
    const result: Record<string, string> = {};
    for (const field of RESULT_FIELDS[step.op.type] ?? []) {
      const v = outcome.result[field];
      if (typeof v === "bigint") result[field] = INTEGER_FIELDS.has(field) ? v.toString() : formatDecimal(v);
    }
    return { ok: true, result, events: outcome.events.map(eventToJson) };
  });
  return { steps, state: stateToJson(state) };
}
