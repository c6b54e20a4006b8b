/**
 * The vault circuit's witness, from engine state and one vault operation. The engine applies the
 * operation to a copy of the state first, so an operation it rejects fails here with the engine's own
 * error, and the record after that the proof claims is the engine's. The circuit recomputes that record
 * independently, so any disagreement between engine and circuit fails proving (tests rely on it).
 */
import { apply, cloneState, type State } from "../protocol/index.ts";
import { type CircuitName, ZkError } from "./circuits.ts";
import {
  isVaultOperation,
  recordValues,
  type VaultOperation,
  vaultContext,
  vaultOpFields,
  vaultPublicSignals,
  vaultRecord,
} from "./vault.ts";

/** A price attestation as signed by the oracles: Poseidon(price, timestamp, round). */
export interface Attestation {
  price: bigint;
  timestamp: bigint;
  round: bigint;
}

/** The operations that have a circuit: an owner's change to their own vault (engine operations). */
export type ZkOperation = VaultOperation;

/** Where the operation lands: the time the spell declares (its attestation's timestamp) and the attestation. */
export interface ProveContext {
  time: bigint;
  height?: bigint;
  attestation: Attestation;
}

/** A circuit input: decimal strings (snarkjs format). */
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

/** True when the operation borrows (and so must declare its fee to be proven). */
export const borrows = (op: ZkOperation): boolean =>
  op.type === "openVault" || (op.type === "adjustVault" && (op.borrow ?? 0n) > 0n);

/**
 * The operation with its borrowing fee declared: the engine's fee on `state` at `ctx.time` (the quote
 * the app shows). A declared fee stays valid while the engine's fee does not rise above it, which only a
 * redemption does (the base rate otherwise decays); the fee charged is the declared one.
 */
export function withDeclaredFee(
  op: ZkOperation,
  state: State,
  ctx: Pick<ProveContext, "time" | "height">,
): ZkOperation {
  if (op.type === "closeVault" || !borrows(op)) return op;
  const { fee: _declared, ...undeclared } = op;
  const r = apply(cloneState(state), undeclared, { height: ctx.height ?? state.height, time: ctx.time });
  if (!r.ok) throw new ZkError("operationRejected", `${r.error.code}: ${r.error.message}`);
  return { ...op, fee: r.result.fee as bigint };
}

/**
 * Builds the vault circuit's input for `op` on `state` (not modified). Throws ZkError("operationRejected")
 * with the engine's reason when the engine refuses the operation, "priceMismatch" when the attestation
 * is not the state's price, and "malformedInput" when a borrowing operation declares no fee
 * (withDeclaredFee). Requires `await initPoseidon()` (the engine's state root).
 */
export function buildWitness(
  op: ZkOperation,
  state: State,
  ctx: ProveContext,
  options: { requireEngineAccepts?: boolean } = {},
): Witness {
  if (!isVaultOperation(op)) throw new ZkError("unsupportedOperation", `${(op as { type: string }).type}.`);
  // a close is not valued at a price (no attestation needed on chain): the state's price is what counts
  if (op.type !== "closeVault" && ctx.attestation.price !== state.g.price) {
    throw new ZkError("priceMismatch", `attested ${ctx.attestation.price}, state price ${state.g.price}.`);
  }
  if (borrows(op) && op.type !== "closeVault" && op.fee === undefined) {
    throw new ZkError("malformedInput", "a borrowing operation must declare its fee (withDeclaredFee).");
  }
  const before = vaultRecord(state, op.owner);
  const context = vaultContext(state);
  const next = cloneState(state);
  const result = apply(next, op, { height: ctx.height ?? state.height, time: ctx.time });
  // requireEngineAccepts: false builds the input anyway (soundness tests of rejected operations); the
  // claimed record after is then the one before and proving must fail.
  if (!result.ok && options.requireEngineAccepts !== false) {
    throw new ZkError("operationRejected", `${result.error.code}: ${result.error.message}`);
  }
  const after = result.ok ? vaultRecord(next, op.owner) : before;
  const publicSignals = vaultPublicSignals(before, after, op, context).map(dec);
  const [ownerHash, status, coll, debt, stake, snapColl, snapDebt] = recordValues(before).map(dec);
  const f = vaultOpFields(op);
  return {
    circuit: "vault",
    publicSignals,
    newState: result.ok ? next : null,
    input: {
      recordBefore: publicSignals[0]!,
      recordAfter: publicSignals[1]!,
      operationHash: publicSignals[2]!,
      contextHash: publicSignals[3]!,
      ownerHash: ownerHash!,
      status: status!,
      coll: coll!,
      debt: debt!,
      stake: stake!,
      snapColl: snapColl!,
      snapDebt: snapDebt!,
      kind: dec(f.kind),
      deposit: dec(f.deposit),
      withdraw: dec(f.withdraw),
      borrow: dec(f.borrow),
      repay: dec(f.repay),
      fee: dec(f.fee),
      maxFee: dec(f.maxFee),
      price: dec(context.price),
      MCR: dec(context.MCR),
      CCR: dec(context.CCR),
      gasReserve: dec(context.gasReserve),
      minNetDebt: dec(context.minNetDebt),
      feeFloor: dec(context.feeFloor),
      Lcoll: dec(context.Lcoll),
      Ldebt: dec(context.Ldebt),
      stakesSnapshot: dec(context.stakesSnapshot),
      collSnapshot: dec(context.collSnapshot),
      recovery: dec(context.recovery),
      flags: dec(context.flags),
    },
  };
}
