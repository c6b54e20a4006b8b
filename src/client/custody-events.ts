/**
 * The custody events a user sees (docs/custody.md "What a user sees"), in the words `zkusd custody`
 * uses: breaches (a protocol coin spent off-plan), missed rolls (an escape of a debt-carrying coin),
 * reorg losses, obligations overdue (open 144 blocks) and the invariant status at the engine's height.
 */
import { type ProtocolEventType, SATOSHI } from "../protocol/index.ts";
import type { StoredEvent } from "../storage/types.ts";
import { formatBtc } from "./format.ts";

/** The event types the custody section lists (the invariant events give the status). */
export const CUSTODY_EVENT_TYPES: ProtocolEventType[] = [
  "CustodyBreach",
  "MissedRoll",
  "ReorgLoss",
  "ObligationOverdue",
  "CustodyInvariantBroken",
];

export interface CustodyEventLine {
  height: number;
  txid: string;
  /** "breach" and "invariant" are red; the others warnings. */
  severity: "breach" | "warning";
  label: string;
  text: string;
}

const btc = (sats: bigint) => formatBtc(sats * SATOSHI);
const whose = (v: string | null) => (v === null ? "the pool" : `vault ${v}`);

/** One custody event as a line, or undefined for another type. */
export function custodyEventLine(e: StoredEvent): CustodyEventLine | undefined {
  const at = { height: e.height, txid: e.txid };
  const ev = e.event;
  switch (ev.type) {
    case "CustodyBreach":
      return {
        ...at,
        severity: "breach",
        label: "CUSTODY BREACH",
        text: `coin ${ev.outpoint} of ${whose(ev.vault)} (${btc(ev.sats)}) spent by a transaction that is not an accepted settlement (path: ${ev.path})`,
      };
    case "MissedRoll":
      return {
        ...at,
        severity: "breach",
        label: "Missed roll",
        text: `vault ${ev.owner}'s coin ${ev.outpoint} (${btc(ev.sats)}, from block ${ev.coinHeight}) was escaped by its owner: the guardians (key epoch ${ev.epoch}, ${ev.threshold}-of-${ev.guardians.length}) did not roll it in time`,
      };
    case "ReorgLoss":
      return {
        ...at,
        severity: "breach",
        label: "Reorg loss",
        text: `coin ${ev.outpoint} of ${whose(ev.vault)} (${btc(ev.sats)}) left custody: settlement ${ev.settlement} was undone by a ${ev.depth}-block reorg`,
      };
    case "ObligationOverdue":
      return {
        ...at,
        severity: "warning",
        label: "Payout overdue",
        text: `obligation ${ev.id.slice(0, 16)} has been open ${ev.blocks} blocks without a settlement`,
      };
    case "CustodyInvariantBroken":
      return {
        ...at,
        severity: "breach",
        label: "Invariants broken",
        text: ev.problems.join("; "),
      };
    default:
      return undefined;
  }
}

/**
 * The invariant status at `height` (the engine's), as `zkusd custody` words it: broken when the
 * indexer's check after that block failed, else "custody and ledger agree".
 */
export function custodyStatus(events: readonly StoredEvent[], height: number): { ok: boolean; text: string } {
  const broken = events.find((e) => e.event.type === "CustodyInvariantBroken" && e.height >= height);
  return broken
    ? { ok: false, text: `CUSTODY BREACH: the check after block ${broken.height} failed` }
    : { ok: true, text: `custody and ledger agree (checked after block ${height})` };
}
