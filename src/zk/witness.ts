/**
 * Witness builders: from engine state and one operation to the circuit's input. The engine applies
 * the operation to a copy of the state first, so an operation it rejects fails here with the engine's
 * own error, and the new root the proof claims is the engine's. The circuit recomputes that root
 * independently, so any disagreement between engine and circuit fails proving (tests rely on it).
 */
import {
  type Account,
  accountLeafValues,
  accountProof,
  apply,
  cloneState,
  findAccount,
  GLOBAL_FIELDS,
  ONE,
  type Operation,
  ownerHashOf,
  PARAM_NAMES,
  type State,
  stateRootParts,
} from "../protocol/index.ts";
import { ACCOUNTS_ARITY, ACCOUNTS_DEPTH } from "../protocol/stateRoot.ts";
import { type CircuitName, OPERATION_CODE, type VaultCircuit, ZkError } from "./circuits.ts";
import { attestationHash, operationHash } from "./hash.ts";

/** The global fields in the layout's order (docs/state-root.md). */
export const GLOBAL_FIELD_ORDER = GLOBAL_FIELDS;

/** A price attestation as signed by the oracles: Poseidon(price, timestamp, round). */
export interface Attestation {
  price: bigint;
  timestamp: bigint;
  round: bigint;
}

/** The operations that have a circuit. Amounts are 18-decimal integers. */
export type ZkOperation =
  | { type: "deposit"; owner: string; amount: bigint }
  | { type: "withdraw"; owner: string; amount: bigint }
  | { type: "mint"; owner: string; amount: bigint; maxFee?: bigint }
  | { type: "repay"; owner: string; amount: bigint }
  | { type: "liquidate"; owner: string; liquidator: string };

/** Where the operation lands: the time the spell declares (bound in the operation hash) and the attestation. */
export interface ProveContext {
  time: bigint;
  height?: bigint;
  attestation: Attestation;
}

/** A circuit input: decimal strings, nested arrays for 2-D signals (snarkjs format). */
export type CircuitInput = Record<string, string | string[]>;

export interface Witness {
  circuit: CircuitName;
  input: CircuitInput;
  /** Public signals the proof will carry, in circuit order. */
  publicSignals: string[];
  /** The state after the operation (the engine's), for the caller to keep if the spell confirms. */
  newState: State | null;
}

const dec = (x: bigint | number) => x.toString();

/** The engine operation a zk operation stands for. */
export function engineOperation(op: ZkOperation): Operation {
  switch (op.type) {
    case "deposit":
      return { type: "adjustVault", owner: op.owner, depositCollateral: op.amount };
    case "withdraw":
      return { type: "adjustVault", owner: op.owner, withdrawCollateral: op.amount };
    case "mint":
      return { type: "adjustVault", owner: op.owner, borrow: op.amount, maxFee: op.maxFee ?? ONE };
    case "repay":
      return { type: "adjustVault", owner: op.owner, repay: op.amount };
    case "liquidate":
      return { type: "liquidate", owner: op.owner, liquidator: op.liquidator };
  }
}

function vaultAccount(state: State, owner: string): Account {
  const a = findAccount(state, owner);
  if (a?.status !== "active") throw new ZkError("operationRejected", `${owner} has no active vault.`);
  return a!;
}

/** The account part of the leaf (balance, stability deposit, surplus), as the circuits take it. */
function accountFields(state: State, a: Account): string[] {
  const values = accountLeafValues(state, a.index);
  if (!values) throw new ZkError("operationRejected", `${a.id} has no account leaf.`);
  return values.slice(7).map(dec);
}

function stateInputs(state: State, a: Account) {
  const parts = stateRootParts(state);
  const path = accountProof(state, a.index);
  if (
    path.pathIndices.length !== ACCOUNTS_DEPTH ||
    path.siblings.length !== ACCOUNTS_DEPTH * (ACCOUNTS_ARITY - 1)
  ) {
    throw new Error("accounts tree shape changed: the circuits need rebuilding");
  }
  return {
    parts,
    common: {
      ownerHash: dec(a.ownerHash),
      g: GLOBAL_FIELD_ORDER.map((k) => dec(state.g[k])),
      params: PARAM_NAMES.map((k) => {
        const v = state.params[k];
        return typeof v === "boolean" ? (v ? "1" : "0") : dec(v);
      }),
      allowancesRoot: dec(parts.allowancesRoot),
      sumsRoot: dec(parts.sumsRoot),
      governanceHash: dec(parts.governanceHash),
      otherGlobalsHash: dec(parts.otherGlobalsHash),
      otherParamsHash: dec(parts.otherParamsHash),
      coll: dec(a.coll),
      debt: dec(a.debt),
      stake: dec(a.stake),
      snapColl: dec(a.snapshotLColl),
      snapDebt: dec(a.snapshotLDebt),
      siblings: path.siblings.map(dec),
      positions: path.pathIndices.map(dec),
    },
  };
}

/**
 * Builds the witness input for `op` on `state` (not modified). Throws ZkError("operationRejected")
 * with the engine's reason when the engine refuses the operation, and "priceMismatch" when the
 * attestation is not the state's price. Requires `await initPoseidon()` (engine state root).
 */
export function buildWitness(
  op: ZkOperation,
  state: State,
  ctx: ProveContext,
  options: { requireEngineAccepts?: boolean } = {},
): Witness {
  const att = ctx.attestation;
  if (att.price !== state.g.price) {
    throw new ZkError("priceMismatch", `attested ${att.price}, state price ${state.g.price}.`);
  }
  const a = vaultAccount(state, op.owner);
  const { parts, common } = stateInputs(state, a);
  const next = cloneState(state);
  const result = apply(next, engineOperation(op), { height: ctx.height ?? state.height, time: ctx.time });
  // requireEngineAccepts: false builds the input anyway (examples and soundness tests of rejected
  // operations); the claimed new root is then the old one and proving must fail.
  if (!result.ok && options.requireEngineAccepts !== false) {
    throw new ZkError("operationRejected", `${result.error.code}: ${result.error.message}`);
  }
  const after = result.ok ? next : null;
  const attHash = attestationHash(att);
  const attInputs = { price: dec(att.price), attTimestamp: dec(att.timestamp), attRound: dec(att.round) };
  if (op.type === "liquidate") {
    const liquidatorHash = ownerHashOf(op.liquidator);
    const opHash = operationHash(OPERATION_CODE.liquidate, a.ownerHash, liquidatorHash, 0n, ctx.time);
    const publicSignals = [dec(parts.stateRoot), dec(opHash), dec(attHash)];
    // liquidate opens every global group itself, so it takes no otherGlobalsHash
    const {
      coll,
      debt,
      stake,
      snapColl,
      snapDebt,
      siblings,
      positions,
      otherGlobalsHash: _,
      ...rest
    } = common;
    return {
      circuit: "liquidate",
      publicSignals,
      newState: after,
      input: {
        oldRoot: publicSignals[0]!,
        operationHash: publicSignals[1]!,
        attestationHash: publicSignals[2]!,
        ...rest,
        liquidatorHash: dec(liquidatorHash),
        time: dec(ctx.time),
        ...attInputs,
        coll,
        debt,
        stake,
        snapColl,
        snapDebt,
        account: accountFields(state, a),
        siblings,
        positions,
      },
    };
  }
  const circuit: VaultCircuit = op.type;
  const maxFee = op.type === "mint" ? (op.maxFee ?? ONE) : 0n;
  const opHash = operationHash(OPERATION_CODE[circuit], a.ownerHash, op.amount, maxFee, ctx.time);
  const newRoot = after ? stateRootParts(after).stateRoot : parts.stateRoot;
  const publicSignals = [dec(parts.stateRoot), dec(newRoot), dec(opHash), dec(attHash)];
  return {
    circuit,
    publicSignals,
    newState: after,
    input: {
      oldRoot: publicSignals[0]!,
      newRoot: publicSignals[1]!,
      operationHash: publicSignals[2]!,
      attestationHash: publicSignals[3]!,
      ...common,
      amount: dec(op.amount),
      maxFee: dec(maxFee),
      time: dec(ctx.time),
      ...attInputs,
      account: accountFields(state, a),
    },
  };
}
