/**
 * Retry with exponential backoff and full jitter: before attempt n+1 wait a uniform random time in
 * [0, min(maxDelay, baseDelay × 2^(n-1))) — jitter spreads the retries of many browsers so they do
 * not hit an exchange in lockstep. A server's Retry-After is a floor on the wait. Retries stop at
 * `maxAttempts`, when `shouldRetry` says no, or when the wait would pass the caller's deadline.
 */
import { type Now, type Random, type Sleep, systemNow, systemRandom, timerSleep } from "./clock.ts";
import { OracleError } from "./errors.ts";

export interface RetryPolicy {
  /** Total attempts including the first (1 = no retry). */
  readonly maxAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 250, maxDelayMs: 4_000 };

export interface RetryOptions extends Partial<RetryPolicy> {
  random?: Random;
  sleep?: Sleep;
  now?: Now;
  /** No wait may end after this time (ms since the epoch). */
  deadline?: number;
  signal?: AbortSignal;
  /** Default: OracleError.retryable. */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/** The jittered wait before the attempt after `attempt` (1-based). */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: Random = systemRandom): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

const defaultShouldRetry = (error: unknown): boolean => error instanceof OracleError && error.retryable;

export async function retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const policy: RetryPolicy = {
    maxAttempts: options.maxAttempts ?? DEFAULT_RETRY.maxAttempts,
    baseDelayMs: options.baseDelayMs ?? DEFAULT_RETRY.baseDelayMs,
    maxDelayMs: options.maxDelayMs ?? DEFAULT_RETRY.maxDelayMs,
  };
  if (!Number.isInteger(policy.maxAttempts) || policy.maxAttempts < 1) {
    throw new OracleError(
      "invalidSettings",
      `retry: maxAttempts must be an integer ≥ 1, got ${policy.maxAttempts}`,
    );
  }
  const random = options.random ?? systemRandom;
  const sleep = options.sleep ?? timerSleep;
  const now = options.now ?? systemNow;
  const shouldRetry = options.shouldRetry ?? defaultShouldRetry;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (error) {
      if (attempt >= policy.maxAttempts || !shouldRetry(error, attempt) || options.signal?.aborted)
        throw error;
      const retryAfter = error instanceof OracleError ? (error.retryAfterMs ?? 0) : 0;
      const delay = Math.max(backoffDelay(attempt, policy, random), retryAfter);
      if (options.deadline !== undefined && now() + delay >= options.deadline) throw error;
      options.onRetry?.(error, attempt, delay);
      await sleep(delay, options.signal);
    }
  }
}
