/**
 * One request scheduler per Esplora host (docs/bitcoin.md, "Talking to Esplora"): a token bucket
 * (requests per second, burst), a cap on requests in flight, and a host-wide pause after a rate
 * limit. Every EsploraClient for the same origin shares it, so the app's many short-lived clients
 * (one per query) and the indexer together stay under the host's limits.
 *
 * Defaults sit below the public limits (blockstream.info: 5 requests/s per IP, burst 10, 10
 * connections; mempool.space publishes none and warns of 429s and bans): 4 requests/s, burst 8,
 * 6 in flight. A loopback host (the devnet, one's own node on this machine) has no cap unless set.
 */

export interface HostLimits {
  /** Requests started per second, sustained. */
  rps: number;
  /** Requests that may start at once after an idle spell. */
  burst: number;
  /** Requests in flight at once. */
  concurrency: number;
}

export const PUBLIC_HOST_LIMITS: Readonly<HostLimits> = { rps: 4, burst: 8, concurrency: 6 };
export const LOCAL_HOST_LIMITS: Readonly<HostLimits> = { rps: Infinity, burst: Infinity, concurrency: 64 };

/**
 * Caps a user or an operator may set (the Settings screen, the guardian's config): at least one
 * request every ten seconds and one at a time, at most what a loopback server takes without strain.
 */
export const HOST_LIMIT_BOUNDS: Readonly<
  Record<keyof HostLimits, { min: number; max: number; whole: boolean }>
> = {
  rps: { min: 0.1, max: 1000, whole: false },
  burst: { min: 1, max: 1000, whole: true },
  concurrency: { min: 1, max: 64, whole: true },
};

const LIMIT_LABEL: Readonly<Record<keyof HostLimits, string>> = {
  rps: "requests per second",
  burst: "burst",
  concurrency: "requests at once",
};

/** What is wrong with caps about to be set, one sentence each (empty: they can be set). */
export function hostLimitsProblems(limits: Partial<HostLimits>): string[] {
  const out: string[] = [];
  for (const key of Object.keys(HOST_LIMIT_BOUNDS) as (keyof HostLimits)[]) {
    const v = limits[key];
    if (v === undefined) continue;
    const b = HOST_LIMIT_BOUNDS[key];
    if (
      typeof v !== "number" ||
      !Number.isFinite(v) ||
      v < b.min ||
      v > b.max ||
      (b.whole && !Number.isInteger(v))
    )
      out.push(`${LIMIT_LABEL[key]}: ${b.whole ? "a whole number" : "a number"} from ${b.min} to ${b.max}`);
  }
  return out;
}

/**
 * Caps as the scheduler keeps them: a finite rate always comes with a finite burst (one second's
 * worth when none is set), else an idle spell would bank unlimited requests.
 */
function normalized(limits: HostLimits): HostLimits {
  if (Number.isFinite(limits.rps) && !Number.isFinite(limits.burst))
    return { ...limits, burst: Math.max(1, Math.ceil(limits.rps)) };
  return limits;
}

/** Longest a host is paused for after one answer (a Retry-After beyond it is clipped). */
export const MAX_PAUSE_MS = 120_000;

const isLoopback = (host: string) => /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])$/i.test(host);

export function originOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).origin;
  } catch {
    return baseUrl;
  }
}

export function defaultLimitsFor(baseUrl: string): HostLimits {
  let host = "";
  try {
    host = new URL(baseUrl).hostname;
  } catch {
    /* not a URL: public limits */
  }
  return { ...(isLoopback(host) ? LOCAL_HOST_LIMITS : PUBLIC_HOST_LIMITS) };
}

/**
 * Parses Retry-After (delay-seconds or an HTTP date) into milliseconds from `now`; undefined when
 * absent or unreadable.
 */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const at = Date.parse(v);
  return Number.isFinite(at) ? Math.max(0, at - now) : undefined;
}

type Waiter = () => void;

export class HostScheduler {
  limits: HostLimits;
  private tokens: number;
  private refilledAt = Date.now();
  private active = 0;
  private readonly queue: Waiter[] = [];
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** No request starts before this time (a rate limit or an outage answered). */
  private pausedUntil = 0;
  /** Rate-limit answers in a row; the pause without Retry-After doubles with each. */
  private strikes = 0;
  /** Requests per second in effect: the limit, or less while recovering from a rate limit. */
  private rate: number;
  /** Counters for the bench and the health screen. */
  readonly stats = { requests: 0, bytes: 0, rateLimited: 0, cacheHits: 0 };

  constructor(limits: HostLimits) {
    this.limits = normalized({ ...limits });
    this.tokens = this.limits.burst;
    this.rate = this.limits.rps;
  }

  /** Changes the caps; caps equal to the ones in effect change nothing (a slowdown after a 429 stays). */
  setLimits(limits: Partial<HostLimits>): void {
    const next = normalized({ ...this.limits, ...limits });
    if (
      next.rps === this.limits.rps &&
      next.burst === this.limits.burst &&
      next.concurrency === this.limits.concurrency
    )
      return;
    this.limits = next;
    this.rate = this.limits.rps;
    this.refilledAt = Date.now();
    this.tokens = Math.min(this.tokens, this.limits.burst);
    this.pump();
  }

  /** Runs `fn` when the host's caps allow it. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    await new Promise<void>((resolve) => {
      this.queue.push(resolve);
      this.pump();
    });
    try {
      return await fn();
    } finally {
      this.active--;
      this.pump();
    }
  }

  /**
   * The host said "too many" (429/503, or a network failure that may be a 429 without CORS
   * headers): pause every request to it for Retry-After when given, else 1 s doubling per answer in
   * a row up to a minute, with jitter so many tabs do not come back together.
   */
  backOff(retryAfter: number | undefined, random = Math.random, now = Date.now()): number {
    this.stats.rateLimited++;
    // Answers to requests already in flight when the pause began are one event, not many.
    if (retryAfter === undefined && now < this.pausedUntil) return this.pausedUntil - now;
    this.strikes++;
    const pause =
      retryAfter !== undefined
        ? Math.min(retryAfter, MAX_PAUSE_MS)
        : Math.min(1_000 * 2 ** (this.strikes - 1), 60_000) * (0.75 + 0.5 * random());
    this.pausedUntil = Math.max(this.pausedUntil, now + pause);
    this.tokens = 0;
    // Slow down, then speed up again answer by answer (halve now, +5 % per good answer).
    this.rate = Math.max(0.5, (Number.isFinite(this.rate) ? this.rate : 10) / 2);
    return pause;
  }

  /** An ordinary answer: the rate-limit streak is over. */
  ok(bytes: number): void {
    this.strikes = 0;
    this.stats.bytes += bytes;
    if (this.rate < this.limits.rps) {
      this.rate *= 1.05;
      if (this.rate >= Math.min(this.limits.rps, 100)) this.rate = this.limits.rps;
    }
  }

  /** Milliseconds until the host may be asked again (0: now). */
  pausedFor(now = Date.now()): number {
    return Math.max(0, this.pausedUntil - now);
  }

  private refill(now: number): void {
    if (this.rate === Infinity) {
      this.tokens = Infinity;
      this.refilledAt = now;
      return;
    }
    // Slowed down after a rate limit: the burst shrinks with the rate.
    const burst =
      this.rate < this.limits.rps ? Math.max(1, Math.min(this.limits.burst, this.rate)) : this.limits.burst;
    const tokens = Number.isFinite(this.tokens) ? this.tokens : burst;
    this.tokens = Math.min(burst, tokens + ((now - this.refilledAt) / 1000) * this.rate);
    this.refilledAt = now;
  }

  private pump(): void {
    if (this.timer) return;
    const now = Date.now();
    this.refill(now);
    while (this.queue.length > 0 && this.active < this.limits.concurrency) {
      const wait = this.pausedFor(now);
      if (wait > 0) {
        this.wake(wait);
        return;
      }
      if (this.tokens < 1) {
        this.wake(Math.ceil(((1 - this.tokens) / this.rate) * 1000));
        return;
      }
      this.tokens--;
      this.active++;
      this.stats.requests++;
      this.queue.shift()!();
    }
  }

  private wake(ms: number): void {
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(1, ms),
    );
  }
}

const schedulers = new Map<string, HostScheduler>();

/** The scheduler every client of this host shares (created with the host's default limits). */
export function schedulerFor(baseUrl: string): HostScheduler {
  const origin = originOf(baseUrl);
  let s = schedulers.get(origin);
  if (!s) {
    s = new HostScheduler(defaultLimitsFor(baseUrl));
    schedulers.set(origin, s);
  }
  return s;
}

/** Sets a host's caps (Settings, the guardian's config, tests, the bench). */
export function setHostLimits(baseUrl: string, limits: Partial<HostLimits>): void {
  schedulerFor(baseUrl).setLimits(limits);
}
