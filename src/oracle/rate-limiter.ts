/**
 * Token-bucket rate limiting per host, so the app never exceeds an exchange's public limits, however
 * many reads the UI asks for. Implemented as GCRA (the "virtual scheduling" form of a token bucket)
 * on integer microseconds: with emission interval T = ceil(1e6 / rate) µs and burst B, any interval
 * of W µs contains at most B + floor(W / T) ≤ B + rate × W / 1e6 grants — exact, no float drift.
 * A server's Retry-After pauses the host until then. The oracle keys buckets by base URL, which is
 * the exchange's host for public endpoints and keeps exchanges apart behind one proxy host.
 */
import { type Now, type Sleep, systemNow, timerSleep } from "./clock.ts";
import { OracleError } from "./errors.ts";

export interface RateLimit {
  /** Sustained requests per second (may be fractional, e.g. 0.5). */
  readonly requestsPerSecond: number;
  /** Requests allowed at once after a quiet period (the bucket's size). */
  readonly burst: number;
}

export class TokenBucket {
  readonly limit: RateLimit;
  private readonly intervalUs: number;
  private readonly toleranceUs: number;
  /** Theoretical arrival time of the next request, µs. */
  private tatUs = 0;
  private pausedUntilMs = 0;

  constructor(
    limit: RateLimit,
    private readonly now: Now = systemNow,
  ) {
    if (!(limit.requestsPerSecond > 0) || !Number.isFinite(limit.requestsPerSecond)) {
      throw new OracleError(
        "invalidSettings",
        `rate limit: requestsPerSecond must be > 0, got ${limit.requestsPerSecond}`,
      );
    }
    if (!Number.isInteger(limit.burst) || limit.burst < 1) {
      throw new OracleError(
        "invalidSettings",
        `rate limit: burst must be an integer ≥ 1, got ${limit.burst}`,
      );
    }
    this.limit = limit;
    this.intervalUs = Math.ceil(1_000_000 / limit.requestsPerSecond);
    this.toleranceUs = (limit.burst - 1) * this.intervalUs;
  }

  /** Takes a token if one is available now. */
  tryTake(): boolean {
    const nowMs = this.now();
    if (nowMs < this.pausedUntilMs) return false;
    const nowUs = Math.floor(nowMs * 1000);
    const tat = Math.max(this.tatUs, nowUs);
    if (tat - nowUs > this.toleranceUs) return false;
    this.tatUs = tat + this.intervalUs;
    return true;
  }

  /** Milliseconds until tryTake can succeed (0 when it can now). */
  msUntilAvailable(): number {
    const nowMs = this.now();
    const nowUs = Math.floor(nowMs * 1000);
    const waitUs = Math.max(this.tatUs, nowUs) - nowUs - this.toleranceUs;
    return Math.max(Math.ceil(Math.max(waitUs, 0) / 1000), this.pausedUntilMs - nowMs, 0);
  }

  /** Whether the bucket has refilled completely (forgetting it loses nothing: a new one starts full). */
  isFull(): boolean {
    const nowMs = this.now();
    return nowMs >= this.pausedUntilMs && this.tatUs <= Math.floor(nowMs * 1000);
  }

  /** No token before `untilMs` (a server's Retry-After). */
  pauseUntil(untilMs: number): void {
    this.pausedUntilMs = Math.max(this.pausedUntilMs, untilMs);
  }

  get pausedUntil(): number {
    return this.pausedUntilMs;
  }
}

export interface HostRateLimiterOptions {
  now?: Now;
  sleep?: Sleep;
  /** The limit for a host without its own (default 1 request/s, burst 2). */
  fallback?: RateLimit;
}

export interface TakeOptions {
  /** Give up (OracleError "throttled") rather than wait longer than this. */
  maxWaitMs?: number;
  signal?: AbortSignal;
}

/** One token bucket per host (e.g. "api.binance.com"). */
export class HostRateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly limits = new Map<string, RateLimit>();
  private readonly now: Now;
  private readonly sleep: Sleep;
  private readonly fallback: RateLimit;

  constructor(options: HostRateLimiterOptions = {}) {
    this.now = options.now ?? systemNow;
    this.sleep = options.sleep ?? timerSleep;
    this.fallback = options.fallback ?? { requestsPerSecond: 1, burst: 2 };
  }

  /** Sets a host's limit; when several sources share a host, the stricter rate and burst win. */
  setLimit(host: string, limit: RateLimit): void {
    const existing = this.limits.get(host);
    const merged = existing
      ? {
          requestsPerSecond: Math.min(existing.requestsPerSecond, limit.requestsPerSecond),
          burst: Math.min(existing.burst, limit.burst),
        }
      : limit;
    this.limits.set(host, merged);
    this.buckets.delete(host);
  }

  bucket(host: string): TokenBucket {
    let bucket = this.buckets.get(host);
    if (!bucket) {
      bucket = new TokenBucket(this.limits.get(host) ?? this.fallback, this.now);
      this.buckets.set(host, bucket);
    }
    return bucket;
  }

  /** Waits for a token for `host`, or fails if the wait would exceed `maxWaitMs`. */
  async take(host: string, options: TakeOptions = {}): Promise<void> {
    const bucket = this.bucket(host);
    const maxWait = options.maxWaitMs ?? Number.POSITIVE_INFINITY;
    let waited = 0;
    for (;;) {
      if (bucket.tryTake()) return;
      const wait = Math.max(bucket.msUntilAvailable(), 1);
      if (waited + wait > maxWait) {
        const paused = bucket.pausedUntil > this.now();
        throw new OracleError(
          "throttled",
          paused
            ? `${host}: the exchange asked us to wait; next request allowed in ${Math.ceil((bucket.pausedUntil - this.now()) / 1000)} s`
            : `${host}: local request limit reached (${bucket.limit.requestsPerSecond}/s, burst ${bucket.limit.burst}); next slot in ${wait} ms`,
        );
      }
      await this.sleep(wait, options.signal);
      waited += wait;
    }
  }

  pause(host: string, untilMs: number): void {
    this.bucket(host).pauseUntil(untilMs);
  }
}
