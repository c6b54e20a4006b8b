/**
 * Checking one decoded spell and applying it (docs/storage.md, "What the indexer checks"):
 * attestation (quorum of the registered oracle keys, price agreement, declared time), then the
 * Groth16 proof against the engine's own roots for operations that have a circuit, then the engine,
 * whose new state root must compute before the operation commits. A spell that fails any step changes
 * nothing and comes back with a typed reason; so does one whose check throws anything at all (the
 * total rule, docs/storage.md): `applySpell` never throws, so no spell can stop the indexer.
 */
import { type Spell, toOperation } from "../btc/spell.ts";
import {
  type Attestation,
  decodeAttestation,
  type OracleKeySet,
  verifyAttestation,
} from "../oracle/index.ts";
import { apply, type Operation, type ProtocolEvent, type State, stateRoot } from "../protocol/index.ts";
import type { ProofStatus, RejectReason } from "../storage/index.ts";
// The verifier's own modules, not src/zk/index.ts: the index also exports the prover, whose snarkjs
// would add megabytes to the engine worker that only ever verifies.
import type { CircuitName } from "../zk/circuits.ts";
import {
  isVaultOperation,
  type VaultOperation,
  vaultContext,
  vaultPublicSignals,
  vaultRecord,
} from "../zk/vault.ts";
import { type VerificationKey, verifyProof } from "../zk/verifier.ts";

/** Operations valued at a price: they must carry an attestation of the state's price (setPrice: of its own). */
export const PRICED: ReadonlySet<Operation["type"]> = new Set<Operation["type"]>([
  "setPrice",
  "openVault",
  "adjustVault",
  "liquidate",
  "liquidateBatch",
  "liquidateList",
  "redeem",
]);

export interface VerifierConfig {
  /** Verify Groth16 proofs (default true). Off only for benchmarks or trusted replays; recorded per spell. */
  proofs: boolean;
  /** The registered oracle keys and quorum (the guardian set's price keys). */
  oracleKeys: OracleKeySet;
  /** Verification keys by circuit (hash-checked artifacts: src/zk ArtifactLoader). */
  verificationKeys: Partial<Record<CircuitName, VerificationKey>>;
  /** How far a declared time may be after the block's header time, seconds (default 7200, Bitcoin's rule). */
  futureToleranceSec?: number;
  /**
   * How much older than the block's header time an attestation may be, seconds (default
   * MAX_ATTESTATION_AGE_SEC). A consensus rule: every client must use the same value.
   */
  maxAttestationAgeSec?: number;
  /** Set by the indexer to batch a block's proofs (src/indexer/proofs.ts); absent: each is verified now. */
  deferProof?: (vk: VerificationKey, publicSignals: bigint[], proof: Uint8Array) => boolean;
}

/** A proof check: deferred into the block's batch when one is collected, else verified here. */
const proofHolds = (config: VerifierConfig, vk: VerificationKey, signals: bigint[], proof: Uint8Array) =>
  config.deferProof ? config.deferProof(vk, signals, proof) : verifyProof(vk, signals, proof);

/**
 * An attestation older than this, against the header time of the block that confirms its spell, is
 * refused (one hour: six blocks of slack for a transaction waiting in the mempool). Without it, a
 * stranger could keep the low price of a past dip and post it hours later to liquidate vaults that are
 * healthy at the real price. Bitcoin's header times are themselves only loosely bound, which is why the
 * window is an hour and not the oracle's five-minute staleness.
 */
export const MAX_ATTESTATION_AGE_SEC = 3600;

/** Where the spell is: block, position, transaction, header time. */
export interface SpellPlace {
  height: number;
  position: number;
  txid: string;
  blockTime: number;
}

export type SpellOutcome =
  | { ok: true; op: Operation; events: ProtocolEvent[]; proof: ProofStatus; time: bigint }
  | { ok: false; op: Operation; reason: RejectReason };

/**
 * Which circuit proves an operation, if any: every change an owner makes to their own vault (open,
 * adjust in any combination, close) has the one vault proof, and a spell must carry it. Liquidation, redemption and the rest are
 * the engine's rule alone (docs/zk.md says why).
 */
export function circuitOf(op: Operation): { circuit: "vault" } | null {
  return isVaultOperation(op) ? { circuit: "vault" } : null;
}

const reject = (op: Operation, code: RejectReason["code"], message: string, detail?: string) =>
  ({ ok: false, op, reason: detail ? { code, message, detail } : { code, message } }) as const;

/** Thrown from `beforeCommit` to roll the operation back with this outcome (an invalid proof). */
class Refused extends Error {
  constructor(readonly outcome: SpellOutcome) {
    super("refused");
  }
}

/** The new root must compute before the operation commits (a value outside the field rolls it back). */
const rootComputes = (state: State) => {
  stateRoot(state);
};

/**
 * Checks and applies one spell to `state` (mutated on success only). The actor is the owner of the
 * transaction's first input (docs/spell-format.md). Never throws: anything that goes wrong is the
 * spell's rejection (`internalError` with what went wrong), and the state is as before.
 */
export function applySpell(
  state: State,
  spell: Spell,
  actor: string,
  place: SpellPlace,
  config: VerifierConfig,
  /** A rule on the engine's events before they commit (custody's `belowMinPayout`): a reason rolls the spell back. */
  eventsCheck?: (events: readonly ProtocolEvent[]) => RejectReason | null,
): SpellOutcome {
  const op = toOperation(spell.op, actor);
  try {
    return check(state, spell, op, place, config, eventsCheck);
  } catch (error) {
    if (error instanceof Refused) return error.outcome;
    // The engine rolled back whatever it had started (its journal); nothing else here writes the state.
    const what = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return reject(op, "internalError", `checking the spell failed: ${what.slice(0, 500)}`);
  }
}

function check(
  state: State,
  spell: Spell,
  op: Operation,
  place: SpellPlace,
  config: VerifierConfig,
  eventsCheck?: (events: readonly ProtocolEvent[]) => RejectReason | null,
): SpellOutcome {
  const eventsHold = (events: readonly ProtocolEvent[]) => {
    const refused = eventsCheck?.(events);
    if (refused) throw new Refused({ ok: false, op, reason: refused });
  };
  let att: Attestation | undefined;
  if (spell.attestation.length > 0) {
    try {
      att = decodeAttestation(spell.attestation);
    } catch (error) {
      return reject(op, "badAttestation", `the attestation does not decode: ${(error as Error).message}`);
    }
    const quorum = verifyAttestation(att, config.oracleKeys);
    if (!quorum.valid) return reject(op, "badAttestation", `the attestation is not valid: ${quorum.reason}`);
  }
  if (PRICED.has(op.type)) {
    if (!att) return reject(op, "missingAttestation", `${op.type} needs a price attestation`);
    const expected = op.type === "setPrice" ? op.price : state.g.price;
    if (att.price !== expected) {
      return reject(
        op,
        "badAttestation",
        `the attested price ${att.price} is not ${op.type === "setPrice" ? "the spell's" : "the state's"} price ${expected}`,
      );
    }
  }
  // The declared time: the attestation's timestamp; else the state's own time.
  const time = att ? BigInt(att.timestamp) : state.g.time;
  const tolerance = BigInt(config.futureToleranceSec ?? 7200);
  if (time > BigInt(place.blockTime) + tolerance) {
    return reject(
      op,
      "timeInFuture",
      `declared time ${time} is after the block time ${place.blockTime} + ${tolerance}s`,
    );
  }
  const maxAge = BigInt(config.maxAttestationAgeSec ?? MAX_ATTESTATION_AGE_SEC);
  if (att && time < BigInt(place.blockTime) - maxAge) {
    return reject(
      op,
      "stalePrice",
      `the attestation (signed at ${time}) is more than ${maxAge}s older than the block time ${place.blockTime}`,
    );
  }
  // The engine's clock never goes back, and a spell attested a little before another in the same
  // block (another user's, or a stranger's copying the newest attestation ahead of it) runs at the
  // later time instead of failing `timeWentBackwards`: the price check above already holds it to the
  // price in force, and the age check to a fresh attestation. A setPrice keeps its own time, so an
  // older attestation can never set the price back (engine: timeWentBackwards).
  const clock = op.type !== "setPrice" && time < state.g.time ? state.g.time : time;
  const ctx = { height: BigInt(place.height), time: clock, txid: place.txid, index: place.position };
  const circuit = circuitOf(op);

  if (!circuit || !config.proofs) {
    const r = apply(state, op, ctx, {
      beforeCommit: (st, events) => {
        eventsHold(events);
        rootComputes(st);
      },
    });
    if (!r.ok) return reject(op, "ruleViolated", r.error.message, r.error.code);
    return { ok: true, op, events: r.events, proof: circuit ? "skipped" : "noCircuit", time };
  }

  // Every operation with a circuit must carry its proof (issue 16): no change an owner makes to a
  // vault goes unproven (docs/zk.md "Which spells must carry the proof").
  if (spell.proof.every((b) => b === 0))
    return reject(op, "proofMissing", `${circuit.circuit} needs a proof`);
  const vk = config.verificationKeys[circuit.circuit];
  if (!vk) return reject(op, "proofInvalid", `no verification key for ${circuit.circuit}`);
  // The proof speaks about this vault's stored record, not the state root (docs/zk.md "Vault proofs"):
  // the record before is the engine's current one, the context what the engine reads now, and the
  // record after the engine's own result. Other vaults' changes cannot invalidate it.
  const vaultOp = op as VaultOperation;
  const before = vaultRecord(state, vaultOp.owner);
  const context = vaultContext(state);
  const r = apply(state, op, ctx, {
    beforeCommit: (_st, events) => {
      eventsHold(events);
      rootComputes(state);
      const signals = vaultPublicSignals(before, vaultRecord(state, vaultOp.owner), vaultOp, context);
      if (!proofHolds(config, vk, signals, spell.proof)) {
        const undeclared =
          vaultOp.type !== "closeVault" && (vaultOp.borrow ?? 0n) > 0n && vaultOp.fee === undefined
            ? " (a proven borrowing spell declares its fee)"
            : "";
        throw new Refused(
          reject(
            op,
            "proofInvalid",
            `the vault proof does not verify for the engine's change to the vault${undeclared}`,
          ),
        );
      }
    },
  });
  if (!r.ok) return reject(op, "ruleViolated", r.error.message, r.error.code);
  return { ok: true, op, events: r.events, proof: "verified", time };
}
