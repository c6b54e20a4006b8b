/**
 * Who proposes the settlement at a height (docs/decisions.md §2a "Size and leadership", docs/custody.md): the
 * leader at height h is guardian ⌊h/6⌋ mod n, so leadership passes to the next guardian every 6
 * blocks. A leader that is down or idle therefore holds settlements up for at most one 6-block
 * window: after 6 idle blocks the next guardian leads and proposes the same deterministic plan.
 */
import type { State } from "../protocol/index.ts";
import { epochKeys } from "../settlement/inflow.ts";

/** Blocks a guardian leads before the next one takes over. */
export const LEADER_WINDOW = 6;

/** Index (0..n-1, federation order) of the guardian that leads at `height`. */
export function leaderAt(height: number, n: number): number {
  if (!Number.isSafeInteger(height) || height < 0)
    throw new RangeError(`height ${height} is not a block height`);
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`a federation of ${n} guardians has no leader`);
  return Math.floor(height / LEADER_WINDOW) % n;
}

/** The first height ≥ `height` at which guardian `index` leads. */
export function nextLeadership(height: number, n: number, index: number): number {
  const window = Math.floor(height / LEADER_WINDOW);
  const offset = (((index - window) % n) + n) % n;
  return offset === 0 ? height : (window + offset) * LEADER_WINDOW;
}

/** A guardian this daemon knows by its custody key (hex) and can reach at its URL. */
export interface KnownGuardian {
  name: string;
  url: string;
  custodyKey: string;
}

/** Where one guardian sits for settlements at a state (docs/custody.md "Key epochs", "Liveness"). */
export interface SettlementSeat {
  /** Its index in the current custody key set; -1 when it is not in it (it then never leads). */
  index: number;
  /** Size and threshold of the current custody key set. */
  n: number;
  threshold: number;
  /**
   * The other known guardians to ask for signatures: those of the current set and those of every key
   * epoch that still holds a coin (the outgoing guardians until every old-epoch coin is rolled).
   */
  peers: { name: string; url: string; custodyKey: string }[];
}

/**
 * The settlement seat of the guardian with custody key `self` at `state`: leadership rotates over the
 * CURRENT custody key set (state.gov.guardians, which governance's rotation changes), and the peers are
 * every known guardian whose key can still sign a coin custody holds. Keys are compared in lowercase hex.
 */
export function settlementSeat(state: State, known: readonly KnownGuardian[], self: string): SettlementSeat {
  const lower = (k: string) => k.toLowerCase();
  const current = state.gov.guardians;
  const signing = new Set(current.keys.map(lower));
  for (const coin of state.custody.coins.values())
    for (const k of epochKeys(state, coin.epoch ?? 0)?.keys ?? []) signing.add(lower(k));
  const me = lower(self);
  const seen = new Set<string>([me]);
  const peers: SettlementSeat["peers"] = [];
  for (const g of known) {
    const key = lower(g.custodyKey);
    if (seen.has(key) || !signing.has(key)) continue;
    seen.add(key);
    peers.push({ name: g.name, url: g.url, custodyKey: g.custodyKey });
  }
  return {
    index: current.keys.map(lower).indexOf(me),
    n: current.keys.length,
    threshold: Number(current.threshold),
    peers,
  };
}
