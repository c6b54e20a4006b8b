/**
 * How often to ask Esplora for the tip (docs/bitcoin.md, "Talking to Esplora"). Blocks come about
 * every ten minutes, so polling every few seconds while nothing changes spends the host's rate limit
 * for nothing: the wait grows by half after each poll that found no new block, up to `maxMs`, and
 * returns to `baseMs` when one arrives. A hidden browser tab waits at least `hiddenMs`.
 */
export interface PollPolicy {
  /** Wait after a poll that found a new block (and the first). */
  baseMs: number;
  /** Longest wait while idle. */
  maxMs: number;
  /** Shortest wait while the tab is hidden (browser only). */
  hiddenMs?: number;
}

/** The wait before the next poll after `idlePolls` polls in a row that found no new block. */
export function nextPollMs(p: PollPolicy, idlePolls: number, hidden = false): number {
  const grown = Math.min(p.maxMs, p.baseMs * 1.5 ** Math.max(0, Math.min(idlePolls, 40)));
  const wait = Math.max(p.baseMs, grown);
  return hidden ? Math.max(wait, p.hiddenMs ?? wait) : wait;
}
