/**
 * What the guardian checks in a spell before it trusts it, shared by the chain follower (which skips
 * spells that fail) and the co-signer (which refuses them): its attestation (a quorum of the oracle
 * keys signed it; for vault operations its price is the state's, as the circuits require) and its
 * Groth16 proof for the operations that have a circuit (docs/zk.md), checked against public signals
 * the guardian recomputes from its own state.
 *
 * Time: a spell declares its time through its attestation (the timestamp the oracles signed). The
 * circuits bind that time in the operation hash, so the engine applies a spell at its declared time;
 * a spell without an attestation is applied at the state's current time (docs/guardian.md).
 */
import type { Spell } from "../btc/index.ts";
import {
  type Attestation,
  decodeAttestation,
  type OracleKeySet,
  verifyAttestation,
} from "../oracle/index.ts";
import type { Operation, State } from "../protocol/index.ts";
import {
  buildWitness,
  type CircuitName,
  type VerificationKey,
  verifyProof,
  type ZkOperation,
} from "../zk/index.ts";

export type Check<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Decodes and checks a spell's attestation against the oracle key set. Empty field → null. */
export function checkAttestation(bytes: Uint8Array, oracles: OracleKeySet): Check<Attestation | null> {
  if (bytes.length === 0) return { ok: true, value: null };
  let attestation: Attestation;
  try {
    attestation = decodeAttestation(bytes);
  } catch (error) {
    return { ok: false, reason: `the attestation does not decode: ${(error as Error).message}` };
  }
  const quorum = verifyAttestation(attestation, oracles);
  if (!quorum.valid) return { ok: false, reason: `the price attestation is not valid: ${quorum.reason}` };
  return { ok: true, value: attestation };
}

/** The circuit operation of an engine operation, or null when the operation has no circuit yet. */
export function zkOperationOf(op: Operation): ZkOperation | null {
  if (op.type === "liquidate") return { type: "liquidate", owner: op.owner, liquidator: op.liquidator };
  if (op.type !== "adjustVault") return null;
  const parts = [
    op.depositCollateral !== undefined ? "deposit" : null,
    op.withdrawCollateral !== undefined ? "withdraw" : null,
    op.borrow !== undefined ? "mint" : null,
    op.repay !== undefined ? "repay" : null,
  ].filter((x) => x !== null);
  if (parts.length !== 1) return null; // combined adjustments have no single circuit
  if (op.depositCollateral !== undefined)
    return { type: "deposit", owner: op.owner, amount: op.depositCollateral };
  if (op.withdrawCollateral !== undefined)
    return { type: "withdraw", owner: op.owner, amount: op.withdrawCollateral };
  if (op.borrow !== undefined)
    return {
      type: "mint",
      owner: op.owner,
      amount: op.borrow,
      ...(op.maxFee !== undefined ? { maxFee: op.maxFee } : {}),
    };
  return { type: "repay", owner: op.owner, amount: op.repay! };
}

export type VerificationKeys = Partial<Record<CircuitName, VerificationKey>>;

export type ProofCheck =
  | { ok: true; circuit: CircuitName | null }
  | { ok: false; reason: string; circuit: CircuitName | null };

const ALL_ZERO = (b: Uint8Array) => b.every((x) => x === 0);

/**
 * Checks the spell's proof for `op` on `state` at the declared time. Operations without a circuit
 * pass with `circuit: null` (the guardian's own replay is then the only check, and it says so).
 * The public signals are recomputed here from the guardian's state, never taken from the spell.
 */
export function checkProof(
  state: State,
  op: Operation,
  spell: Spell,
  attestation: Attestation | null,
  time: bigint,
  keys: VerificationKeys,
): ProofCheck {
  const zkOp = zkOperationOf(op);
  if (!zkOp) return { ok: true, circuit: null };
  const circuit: CircuitName = zkOp.type;
  if (!attestation)
    return { ok: false, circuit, reason: `a ${circuit} spell must carry a price attestation` };
  const vk = keys[circuit];
  if (!vk) return { ok: false, circuit, reason: `no verification key for the ${circuit} circuit` };
  if (ALL_ZERO(spell.proof)) return { ok: false, circuit, reason: `the ${circuit} spell carries no proof` };
  let signals: string[];
  try {
    signals = buildWitness(zkOp, state, {
      time,
      attestation: {
        price: attestation.price,
        timestamp: BigInt(attestation.timestamp),
        round: attestation.round,
      },
    }).publicSignals;
  } catch (error) {
    return { ok: false, circuit, reason: (error as Error).message };
  }
  if (!verifyProof(vk, signals, spell.proof)) {
    return {
      ok: false,
      circuit,
      reason: `the ${circuit} proof does not verify against this guardian's state root and the spell's operation`,
    };
  }
  return { ok: true, circuit };
}

/** Checks that tie an attestation to the state: setPrice must carry its own price; others the state's. */
export function checkAttestedPrice(
  op: Operation,
  attestation: Attestation | null,
  state: State,
): Check<null> {
  if (op.type === "setPrice") {
    if (!attestation) return { ok: false, reason: "a setPrice spell must carry the oracles' attestation" };
    if (attestation.price !== op.price)
      return { ok: false, reason: `setPrice ${op.price} but the attestation says ${attestation.price}` };
    return { ok: true, value: null };
  }
  if (attestation && attestation.price !== state.g.price) {
    return {
      ok: false,
      reason: `the spell's attested price ${attestation.price} is not the state's price ${state.g.price} (post the setPrice first)`,
    };
  }
  return { ok: true, value: null };
}

/** The time a spell is applied at: its attestation's timestamp, else the state's time. */
export function declaredTime(attestation: Attestation | null, state: State): bigint {
  return attestation ? BigInt(attestation.timestamp) : state.g.time;
}
