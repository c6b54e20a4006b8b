/**
 * A circuit breaker per source. Closed: calls pass; it opens after `failureThreshold` consecutive
 * failures, or when at least `minRequests` calls in the last `windowMs` failed at `failureRatePercent`
 * or more. Open: calls are rejected without being made, until `resetTimeoutMs` has passed. Half-open:
 * calls pass as probes; one failure reopens it, `successThreshold` successes close it.
 * Presets are the seed's (`utils/circuit_breaker.rs`), where the window was declared but unused; here
 * it is used as described.
 */
import { type Now, systemNow } from "./clock.ts";
import { describeError, OracleError } from "./errors.ts";
import type { SourceId } from "./types.ts";

export interface BreakerConfig {
  readonly failureThreshold: number;
  readonly successThreshold: number;
  readonly resetTimeoutMs: number;
  readonly windowMs: number;
  readonly minRequests: number;
  readonly failureRatePercent: number;
}

export const BREAKER_PRESETS = {
  default: {
    failureThreshold: 5,
    successThreshold: 3,
    resetTimeoutMs: 30_000,
    windowMs: 60_000,
    minRequests: 10,
    failureRatePercent: 50,
  },
  strict: {
    failureThreshold: 3,
    successThreshold: 5,
    resetTimeoutMs: 60_000,
    windowMs: 30_000,
    minRequests: 5,
    failureRatePercent: 30,
  },
  relaxed: {
    failureThreshold: 10,
    successThreshold: 2,
    resetTimeoutMs: 15_000,
    windowMs: 120_000,
    minRequests: 20,
    failureRatePercent: 70,
  },
} as const satisfies Record<string, BreakerConfig>;

export type BreakerPreset = keyof typeof BREAKER_PRESETS;
export type BreakerState = "closed" | "open" | "halfOpen";

export interface BreakerStatus {
  state: BreakerState;
  /** Why it opened (the last failure), while open or half-open. */
  reason: string | null;
  /** When an open breaker lets the next probe through (ms since the epoch). */
  retryAt: number | null;
}

export interface BreakerOptions {
  now?: Now;
  /** Names the breaker in errors. */
  source?: SourceId;
  /** Which errors count as failures (default: all). Others pass through and count as nothing. */
  isFailure?: (error: unknown) => boolean;
}

export class CircuitBreaker {
  readonly config: BreakerConfig;
  private readonly now: Now;
  private readonly source: SourceId | undefined;
  private readonly isFailure: (error: unknown) => boolean;
  private current: "closed" | "open" | "halfOpen" = "closed";
  private consecutiveFailures = 0;
  private halfOpenSuccesses = 0;
  private openedAt = 0;
  private lastFailure: string | null = null;
  /** Outcomes in the rolling window, oldest first: [time, failed]. */
  private window: Array<[number, boolean]> = [];

  constructor(config: BreakerConfig | BreakerPreset = "default", options: BreakerOptions = {}) {
    this.config = typeof config === "string" ? BREAKER_PRESETS[config] : config;
    validate(this.config);
    this.now = options.now ?? systemNow;
    this.source = options.source;
    this.isFailure = options.isFailure ?? (() => true);
  }

  /** The state as of now (an open breaker whose reset timeout has passed reads as half-open). */
  get state(): BreakerState {
    if (this.current === "open" && this.now() - this.openedAt >= this.config.resetTimeoutMs)
      return "halfOpen";
    return this.current;
  }

  status(): BreakerStatus {
    const state = this.state;
    return {
      state,
      reason: state === "closed" ? null : this.lastFailure,
      retryAt: state === "open" ? this.openedAt + this.config.resetTimeoutMs : null,
    };
  }

  /** Runs `fn` unless the breaker is open; records its outcome. */
  async execute<T>(fn: () => Promise<T>): Promise<T> {
    const state = this.state;
    if (state === "open") {
      const seconds = Math.ceil((this.openedAt + this.config.resetTimeoutMs - this.now()) / 1000);
      const who = this.source ? `${this.source}: ` : "";
      throw new OracleError(
        "circuitOpen",
        `${who}paused after repeated failures (last: ${this.lastFailure ?? "unknown"}); next try in ${seconds} s`,
        { source: this.source },
      );
    }
    if (state === "halfOpen" && this.current === "open") {
      this.current = "halfOpen";
      this.halfOpenSuccesses = 0;
    }
    let result: T;
    try {
      result = await fn();
    } catch (error) {
      if (this.isFailure(error)) this.recordFailure(error);
      throw error;
    }
    this.recordSuccess();
    return result;
  }

  recordSuccess(): void {
    const now = this.now();
    this.record(now, false);
    this.consecutiveFailures = 0;
    if (this.current === "halfOpen") {
      this.halfOpenSuccesses++;
      if (this.halfOpenSuccesses >= this.config.successThreshold) {
        this.current = "closed";
        this.window = [];
        this.lastFailure = null;
      }
    }
  }

  recordFailure(error: unknown): void {
    const now = this.now();
    this.lastFailure = describeError(error);
    if (this.current === "halfOpen") {
      this.open(now);
      return;
    }
    if (this.current === "open") return;
    this.record(now, true);
    this.consecutiveFailures++;
    const failures = this.window.filter(([, failed]) => failed).length;
    const rateTripped =
      this.window.length >= this.config.minRequests &&
      failures * 100 >= this.config.failureRatePercent * this.window.length;
    if (this.consecutiveFailures >= this.config.failureThreshold || rateTripped) this.open(now);
  }

  private open(now: number): void {
    this.current = "open";
    this.openedAt = now;
    this.consecutiveFailures = 0;
    this.halfOpenSuccesses = 0;
    this.window = [];
  }

  private record(now: number, failed: boolean): void {
    this.window.push([now, failed]);
    const oldest = now - this.config.windowMs;
    while (this.window.length > 0 && (this.window[0]?.[0] ?? now) <= oldest) this.window.shift();
  }
}

function validate(config: BreakerConfig): void {
  for (const key of ["failureThreshold", "successThreshold", "minRequests"] as const) {
    if (!Number.isInteger(config[key]) || config[key] < 1) {
      throw new OracleError(
        "invalidSettings",
        `circuit breaker: ${key} must be an integer ≥ 1, got ${config[key]}`,
      );
    }
  }
  for (const key of ["resetTimeoutMs", "windowMs"] as const) {
    if (!(config[key] >= 0)) throw new OracleError("invalidSettings", `circuit breaker: ${key} must be ≥ 0`);
  }
  if (!(config.failureRatePercent > 0 && config.failureRatePercent <= 100)) {
    throw new OracleError("invalidSettings", "circuit breaker: failureRatePercent must be in (0, 100]");
  }
}
