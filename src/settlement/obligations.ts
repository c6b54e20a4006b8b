/**
 * BTC out is the settlement of a confirmed obligation (docs/decisions.md §2a rule 2). After the engine applies a
 * spell, `recordObligations` turns what it granted into obligations; no BTC moves in the spell's own
 * transaction. One rule, in two steps:
 *
 * 1. Payouts (to a script outside custody), for the engine's `paidSats` (already rounded down, the
 *    remainder in the engine's dust account): withdraw and close pay from the VAULT's coins;
 *    stability-pool gains, surplus, redemption and the liquidator's compensation pay from the POOL
 *    (main coin), which holds the pool, the redistribution reserve, the surplus and BTC fees.
 * 2. Balancing moves: every vault the spell touched must end with coins of exactly
 *    floor(stored collateral / 1e10) sats (0 once it is closed). The difference between that and
 *    its custody position (coins − what it owes + what is in transit to it) becomes one internal
 *    obligation between the vault and the pool: a liquidation moves the vault's coins to the pool,
 *    applied redistribution rewards and gains claimed to a vault move pool BTC to it, a redemption's
 *    drawn collateral moves to the pool (which pays the redeemer), and sub-satoshi rounding settles
 *    with the pool.
 *
 * Obligation ids are sha256(txid ‖ u32 index), so a reorg that keeps the transaction keeps them.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { hex } from "@scure/base";
import { lenientHexBytes } from "../btc/scripts.ts";
import {
  type AccountId,
  addObligation,
  coinSats,
  type Obligation,
  type ProtocolEvent,
  SATOSHI,
  type State,
} from "../protocol/index.ts";

/** Default largest fee share a payee accepts when the spell names none, sats. */
export const DEFAULT_PAYOUT_MAX_FEE = 5_000n;

/** Where an operation's payouts go: the spell's payout script or the actor's own, and its max fee. */
export interface Payout {
  /** Output script, lowercase hex. */
  script: string;
  maxFee: bigint;
  /** The spell named the script (not the actor's own): a vault owner's payouts there are marked `byOwner`. */
  named?: boolean;
}

/** sha256(txid bytes (display order) ‖ index as 4 bytes big-endian), hex. */
export function obligationId(txid: string, index: number): string {
  const bytes = new Uint8Array(36);
  bytes.set(lenientHexBytes(txid, 32));
  new DataView(bytes.buffer).setUint32(32, index);
  return hex.encode(sha256(bytes));
}

/** A vault's custody position in sats: its coins, less what it owes, plus what is in transit to it. */
export function vaultPosition(state: State, vault: AccountId): bigint {
  let p = coinSats(state.custody, vault);
  for (const o of state.custody.obligations.values()) {
    if (o.status !== "open") continue;
    if (o.source === vault) p -= o.sats;
    if (o.to === vault) p += o.sats;
  }
  return p;
}

/** What a vault's coins must hold once every open obligation is settled: its ledger collateral in sats. */
export function vaultTargetSats(state: State, vault: AccountId): bigint {
  const a = state.accounts.get(vault);
  // Rounded down: the sub-satoshi remainder stays with the pool (protocol-favouring).
  return a && a.status === "active" ? a.coll / SATOSHI : 0n;
}

/** Vaults an operation's events name (their stored collateral may have changed). */
function touchedVaults(events: readonly ProtocolEvent[]): AccountId[] {
  const out = new Set<AccountId>();
  for (const e of events) {
    const owner = (e as { owner?: unknown }).owner;
    if (typeof owner === "string") out.add(owner);
  }
  return [...out].sort();
}

/** The event that says an obligation was recorded. */
export function obligationRecorded(o: Obligation): Extract<ProtocolEvent, { type: "ObligationRecorded" }> {
  return { type: "ObligationRecorded", id: o.id, source: o.source, script: o.script, to: o.to, sats: o.sats };
}

/**
 * Records the obligations of an applied spell (state mutated). `payout` is where its payouts go.
 * Returns the obligations created, in id-index order.
 */
export function recordObligations(
  state: State,
  events: readonly ProtocolEvent[],
  place: { txid: string; height: number },
  payout: Payout,
): Obligation[] {
  const created: Obligation[] = [];
  const add = (
    source: AccountId | null,
    sats: bigint,
    dest: { script: string } | { to: AccountId | null },
    byOwner = false,
  ) => {
    if (sats <= 0n) return;
    const o: Obligation = {
      id: obligationId(place.txid, created.length),
      source,
      script: "script" in dest ? dest.script : "",
      ...("to" in dest ? { to: dest.to } : {}),
      sats,
      maxFee: "script" in dest ? payout.maxFee : 0n,
      height: BigInt(place.height),
      ...(byOwner ? { byOwner: true as const } : {}),
      status: "open",
      settledBy: null,
    };
    addObligation(state.custody, o);
    created.push(o);
  };
  for (const e of events) {
    switch (e.type) {
      case "CollateralWithdrawn":
      case "VaultClosed":
        // The owner's own BTC wherever he sends it: an escape before it is settled counts it as his.
        add(e.owner, e.paidSats, { script: payout.script }, payout.named === true);
        break;
      case "GainsClaimed":
        if (!e.toVault) add(null, e.paidSats, { script: payout.script });
        break;
      case "SurplusClaimed":
      case "Redeemed":
      case "Liquidation":
        add(null, e.paidSats, { script: payout.script });
        break;
      default:
        break;
    }
  }
  for (const vault of touchedVaults(events)) {
    if (!state.custody.vaultKeys.has(vault) && coinSats(state.custody, vault) === 0n) {
      // A vault custody never held (none on chain): nothing to balance.
      if (vaultTargetSats(state, vault) === 0n) continue;
    }
    const gap = vaultPosition(state, vault) - vaultTargetSats(state, vault);
    if (gap > 0n) add(vault, gap, { to: null });
    else if (gap < 0n) add(null, -gap, { to: vault });
  }
  return created;
}
