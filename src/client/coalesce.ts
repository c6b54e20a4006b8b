/**
 * Live updates without starving the screens: while the app catches up, the engine reports many
 * blocks a second, and each one used to reload the preview copy (a full state snapshot) and refetch
 * every engine view, cancelling the previews in flight, so a form's verdict never settled until the
 * sync ended. `coalesce(run, quietMs)` runs at once when idle; calls that come while a run (and the
 * quiet spell after it) lasts become one more run at its end, so the last block is never missed and
 * each verdict stays on screen at least `quietMs`.
 */
export function coalesce(
  run: () => Promise<unknown>,
  quietMs: number,
  wait: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
): () => void {
  let busy = false;
  let again = false;
  const loop = async () => {
    busy = true;
    try {
      do {
        again = false;
        await run().catch(() => undefined); // a failed refresh is reported by the views themselves
        await wait(quietMs);
      } while (again);
    } finally {
      busy = false;
    }
  };
  return () => {
    if (busy) again = true;
    else void loop();
  };
}
