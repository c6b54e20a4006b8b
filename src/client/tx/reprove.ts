/**
 * When the app proves a vault operation again (issue 16, docs/zk.md "Vault proofs"): a vault proof
 * speaks about the vault's stored record before the operation and the context the circuit reads
 * (price, parameters, redistribution totals, recovery mode). If either moved between proving and
 * broadcasting, the chain would refuse the spell (`proofInvalid`), so the flow goes back to the price
 * attestation and proves again before the user signs (and a transaction signed meanwhile is not sent);
 * if a refusal comes back at confirmation (the vault changed in the same block, or the borrowing fee
 * rose above the declared one), it does the same in a new transaction the user signs. Other vaults'
 * changes never make it re-prove. `whatMoved` says in words what changed, for the progress.
 */
import { findAccount, type State, type VaultStatus } from "../../protocol/index.ts";
import { recordValues, vaultContext, vaultRecord } from "../../zk/vault.ts";
import { formatBtc, formatUsd, formatZkusd } from "../format.ts";

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

/** A change of a vault's amount in words: "collateral 1 BTC → 1.1 BTC". */
const change = (what: string, from: bigint, to: bigint, format: (v: bigint) => string) =>
  from === to ? [] : [`${what} ${format(from)} → ${format(to)}`];

const STATUS_WORDS: Record<VaultStatus, string> = {
  nonExistent: "it does not exist",
  active: "it is open",
  closedByOwner: "it was closed",
  closedByLiquidation: "it was liquidated",
  closedByRedemption: "it was closed by a redemption",
};

/** How the owner's record moved, in words, or null (it did not). */
function vaultMove(proved: State, now: State, owner: string): string | null {
  const before = findAccount(proved, owner);
  const after = findAccount(now, owner);
  if (!before && !after) return null;
  if (!before) return "your vault changed (it was opened meanwhile)";
  if (!after) return "your vault changed (it is gone)";
  const parts = [
    ...(before.status === after.status ? [] : [STATUS_WORDS[after.status]]),
    ...change("collateral", before.coll, after.coll, formatBtc),
    ...change("debt", before.debt, after.debt, formatZkusd),
  ];
  // A record moves without its amounts only when a redistribution share was applied to it.
  return `your vault changed (${parts.length > 0 ? parts.join(", ") : "a redistribution share was applied to it"})`;
}

/**
 * What moved under a proof made on `proved` when the engine now holds `now`, in words for the
 * progress ("your vault changed (collateral 1 BTC → 1.1 BTC)"), or null when the proof still holds.
 */
export function whatMoved(proved: State, now: State, owner: string): string | null {
  const moved = proofBasisMoved(proved, now, owner);
  if (moved === null) return null;
  if (moved === "vault") return vaultMove(proved, now, owner);
  const [a, b] = [vaultContext(proved), vaultContext(now)];
  const parts = [
    ...(a.price === b.price ? [] : [`the price moved (${formatUsd(a.price)} → ${formatUsd(b.price)})`]),
    ...(a.Lcoll !== b.Lcoll || a.Ldebt !== b.Ldebt
      ? ["a liquidation's redistribution reached your vault"]
      : []),
    ...(a.Lcoll === b.Lcoll &&
    a.Ldebt === b.Ldebt &&
    (a.stakesSnapshot !== b.stakesSnapshot || a.collSnapshot !== b.collSnapshot)
      ? ["a liquidation moved the protocol's stake snapshots"]
      : []),
    ...(a.recovery !== b.recovery ? [b.recovery ? "recovery mode began" : "recovery mode ended"] : []),
    ...(a.flags !== b.flags ? ["the protocol was paused or shut down, or resumed"] : []),
  ];
  return parts.length > 0 ? parts.join("; ") : "a protocol parameter changed (governance)";
}
