/**
 * History points (docs/storage.md, "History"): the engine's system figures after each block that
 * changed the state, stored with the block record, so reorgs and chain resets drop them with it.
 * Both stores answer `history()` with these rules.
 */
import { type State, systemSummary } from "../protocol/index.ts";
import type { BlockRecord, HistoryPoint, HistoryQuery } from "./types.ts";

export const DEFAULT_HISTORY = 1_000;
export const MAX_HISTORY = 5_000;

/** The point for a block: `systemSummary` of the state after it (all O(1) reads of the totals). */
export function historyPoint(state: State, block: { height: number; time: number }): HistoryPoint {
  const s = systemSummary(state);
  return {
    height: block.height,
    time: block.time,
    price: s.price,
    totalCollateral: s.totalCollateral,
    totalDebt: s.totalDebt,
    zkusdSupply: s.zkusdSupply,
    tcr: s.tcr,
  };
}

/** Checks a query (RangeError, nothing read) and returns how many points it may return. */
export function historyLimit(q: HistoryQuery): number {
  for (const key of ["fromHeight", "toHeight"] as const) {
    const v = q[key];
    if (v !== undefined && (!Number.isSafeInteger(v) || v < 0))
      throw new RangeError(`${key} must be a non-negative integer`);
  }
  const limit = q.limit ?? DEFAULT_HISTORY;
  if (!Number.isInteger(limit) || limit < 1) throw new RangeError("limit must be a positive integer");
  return Math.min(limit, MAX_HISTORY);
}

/** The latest `limit` points of `blocks` in the query's range, oldest first (the memory store). */
export function selectHistory(blocks: readonly BlockRecord[], q: HistoryQuery): HistoryPoint[] {
  const limit = historyLimit(q);
  const from = q.fromHeight ?? 0;
  const to = q.toHeight ?? Number.MAX_SAFE_INTEGER;
  const points = blocks
    .filter((b) => b.point !== undefined && b.height >= from && b.height <= to)
    .sort((a, b) => a.height - b.height)
    .map((b) => b.point!);
  return points.slice(Math.max(0, points.length - limit));
}
