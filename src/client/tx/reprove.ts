/**
 * When the app proves a vault operation again (issue 16, docs/zk.md "Vault proofs"): a vault proof
 * speaks about the vault's stored record before the operation and the context the circuit reads
 * (price, parameters, redistribution totals, recovery mode). If either moved between proving and
 * broadcasting, the chain would refuse the spell (`proofInvalid`), so the flow proves again before the
 * user signs; if a refusal comes back at confirmation (the vault changed in the same block, or the
 * borrowing fee rose above the declared one), it proves again against the new state in a new
 * transaction the user signs. Other vaults' changes never make it re-prove.
 */
import { findAccount, type State } from "../../protocol/index.ts";
import { recordValues, vaultContext, vaultRecord } from "../../zk/vault.ts";

/** How many times one flow proves again before it stops and says so. */
export const MAX_REPROVES = 2;

/** The vault's record as the circuit sees it, or null when the owner has no account (an open). */
const record = (state: State, owner: string): bigint[] | null =>
  findAccount(state, owner) ? recordValues(vaultRecord(state, owner)) : null;

const sameValues = (a: readonly bigint[] | null, b: readonly bigint[] | null) =>
  a === b || (a !== null && b !== null && a.length === b.length && a.every((v, i) => v === b[i]));

/**
 * What moved under a proof made on `proved` when the engine now holds `now`: "vault" (the owner's
 * record), "context" (what the circuit reads from the global state), or null (the proof still holds).
 */
export function proofBasisMoved(proved: State, now: State, owner: string): "vault" | "context" | null {
  if (!sameValues(record(proved, owner), record(now, owner))) return "vault";
  if (!sameValues(Object.values(vaultContext(proved)), Object.values(vaultContext(now)))) return "context";
  return null;
}

/** A refusal as the engine records it (RejectReason). */
export interface Refusal {
  code?: string;
  message: string;
  detail?: string;
}

/**
 * Whether a refused proven spell is worth proving again, and the plain sentence why: an invalid
 * proof of the app's own making means the vault (or the context) changed before it confirmed; a
 * declared fee below the engine's means the fee rose. Any other refusal is final.
 */
export function refusalAdvice(r: Refusal): { reprove: true; why: string } | { reprove: false } {
  if (r.code === "proofInvalid")
    return {
      reprove: true,
      why: "your vault (or the price, a parameter or a redistribution reaching it) changed between your proof and the block, so the proof no longer matched it",
    };
  if (r.code === "feeBelowCurrent" || r.detail === "feeBelowCurrent")
    return {
      reprove: true,
      why: "the borrowing fee rose above the fee your spell declared before it confirmed",
    };
  return { reprove: false };
}
