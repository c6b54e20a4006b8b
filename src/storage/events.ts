/**
 * The event store's shared logic: which vault and accounts an event names (its indexes), cursors,
 * filters and statistics. Both stores (IndexedDB and memory/file) use these, so they answer alike.
 */
import type { ProtocolEvent } from "../protocol/index.ts";
import type { EventKey, EventQuery, EventStats, StoredEvent } from "./types.ts";

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 500;

/** Event types whose `owner` is a vault owner (the vault index). */
const VAULT_EVENTS = new Set<string>([
  "VaultOpened",
  "CollateralDeposited",
  "CollateralWithdrawn",
  "DebtMinted",
  "DebtRepaid",
  "VaultClosed",
  "VaultLiquidated",
  "VaultRedeemed",
  "SurplusClaimed",
]);

const ACCOUNT_FIELDS = ["owner", "liquidator", "redeemer", "from", "to", "spender", "account"] as const;

/** UTC day of a time in seconds, YYYY-MM-DD. */
export const dayOf = (time: number): string => new Date(time * 1000).toISOString().slice(0, 10);

/** Builds the stored form of one engine event with its indexes. */
export function storedEvent(
  e: ProtocolEvent,
  where: { height: number; position: number; n: number; txid: string; time: number; actor?: string },
): StoredEvent {
  const fields = e as unknown as Record<string, unknown>;
  const accounts = new Set<string>();
  if (where.actor) accounts.add(where.actor);
  for (const f of ACCOUNT_FIELDS) if (typeof fields[f] === "string") accounts.add(fields[f] as string);
  if (e.type === "Redeemed") for (const v of e.vaults) accounts.add(v);
  const stored: StoredEvent = {
    key: [where.height, where.position, where.n],
    height: where.height,
    position: where.position,
    n: where.n,
    txid: where.txid,
    time: where.time,
    day: dayOf(where.time),
    type: e.type,
    accounts: [...accounts],
    event: e,
  };
  if (VAULT_EVENTS.has(e.type) && typeof fields.owner === "string") stored.vault = fields.owner as string;
  return stored;
}

export function encodeCursor(key: EventKey): string {
  return key.join(".");
}

export function decodeCursor(cursor: string): EventKey {
  const parts = cursor.split(".");
  if (parts.length !== 3 || !parts.every((p) => /^\d{1,15}$/.test(p))) {
    throw new RangeError(`invalid event cursor ${JSON.stringify(cursor)}`);
  }
  return parts.map(Number) as EventKey;
}

export function compareKeys(a: EventKey, b: EventKey): number {
  return a[0] - b[0] || a[1] - b[1] || a[2] - b[2];
}

export function pageLimit(q: EventQuery): number {
  const limit = q.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
  return Math.min(limit, MAX_PAGE);
}

/** True when the event passes every filter of the query except the cursor. */
export function matches(e: StoredEvent, q: EventQuery): boolean {
  if (q.types && q.types.length > 0 && !q.types.includes(e.type)) return false;
  if (q.vault !== undefined && e.vault !== q.vault) return false;
  if (q.account !== undefined && !e.accounts.includes(q.account)) return false;
  if (q.fromHeight !== undefined && e.height < q.fromHeight) return false;
  if (q.toHeight !== undefined && e.height > q.toHeight) return false;
  return true;
}

/** True when `key` lies beyond the cursor in the query's order. */
export function afterCursor(key: EventKey, q: EventQuery, cursor: EventKey | undefined): boolean {
  if (!cursor) return true;
  const c = compareKeys(key, cursor);
  return q.order === "desc" ? c < 0 : c > 0;
}

export const emptyStats = (): EventStats => ({ total: 0, byType: {}, byDay: {} });

/** Adds (sign 1) or removes (sign -1) events from the statistics, in place. */
export function updateStats(stats: EventStats, events: readonly StoredEvent[], sign: 1 | -1): EventStats {
  for (const e of events) {
    stats.total += sign;
    stats.byType[e.type] = (stats.byType[e.type] ?? 0) + sign;
    if (stats.byType[e.type] === 0) delete stats.byType[e.type];
    stats.byDay[e.day] ??= {};
    const day = stats.byDay[e.day]!;
    day[e.type] = (day[e.type] ?? 0) + sign;
    if (day[e.type] === 0) delete day[e.type];
    if (Object.keys(day).length === 0) delete stats.byDay[e.day];
  }
  return stats;
}

export function inRange(height: number, range: { fromHeight?: number; toHeight?: number } = {}): boolean {
  return (
    (range.fromHeight === undefined || height >= range.fromHeight) &&
    (range.toHeight === undefined || height <= range.toHeight)
  );
}
