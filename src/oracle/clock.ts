/**
 * Time and randomness are injected everywhere in the oracle (tests pass fake ones); these are the
 * real defaults.
 */

/** Milliseconds since the epoch. */
export type Now = () => number;
/** A uniform number in [0, 1). */
export type Random = () => number;
/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const systemNow: Now = () => Date.now();
export const systemRandom: Random = () => Math.random();

export const timerSleep: Sleep = (ms, signal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
