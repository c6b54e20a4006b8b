/**
 * Who proposes the settlement at a height (docs/decisions.md §2a "Size and leadership", docs/custody.md): the
 * leader at height h is guardian ⌊h/6⌋ mod n, so leadership passes to the next guardian every 6
 * blocks. A leader that is down or idle therefore holds settlements up for at most one 6-block
 * window: after 6 idle blocks the next guardian leads and proposes the same deterministic plan.
 */

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
