/**
 * The price oracle of one browser (or one CLI run): reads every enabled exchange concurrently —
 * REST through a per-host token bucket, a per-source circuit breaker and retry with backoff, or the
 * exchange's WebSocket stream — and aggregates the quotes under the validation rules. A source
 * whose REST endpoint turns out blocked here (CORS, 451/403) is set aside for `blockedRetryMs` and,
 * when a WebSocket constructor is available, read over its stream from then on.
 */
import { ProtocolError } from "../protocol/errors.ts";
import {
  type AggregationRules,
  aggregate,
  DEFAULT_RULES,
  type PriceReading,
  type SourceReport,
} from "./aggregate.ts";
import {
  BREAKER_PRESETS,
  type BreakerConfig,
  type BreakerPreset,
  type BreakerStatus,
  CircuitBreaker,
} from "./circuit-breaker.ts";
import { type Now, type Random, type Sleep, systemNow, systemRandom, timerSleep } from "./clock.ts";
import { OracleError } from "./errors.ts";
import type { PriceHistory } from "./history.ts";
import { HostRateLimiter } from "./rate-limiter.ts";
import { type FetchFn, fetchRestQuote } from "./rest.ts";
import { DEFAULT_RETRY, type RetryPolicy, retry } from "./retry.ts";
import { SOURCES } from "./sources/index.ts";
import { type StreamStatus, TickerStream, type WebSocketFactory } from "./stream.ts";
import {
  type Quote,
  type QuoteCurrency,
  SOURCE_IDS,
  type SourceDefinition,
  type SourceId,
  type Transport,
} from "./types.ts";

export interface SourceSettings {
  /** Default true. */
  enabled?: boolean;
  /** REST base URL (a proxy, a test server); default the exchange's public one. */
  baseUrl?: string;
  /** WebSocket stream URL; default the exchange's public one. */
  streamUrl?: string;
  /** "auto" (default): the source's preferred browser transport when a WebSocket is given, else REST. */
  transport?: Transport | "auto";
}

export interface OracleSettings {
  sources?: Partial<Record<SourceId, SourceSettings>>;
  /** Per request (headers and body). Default 5 s. */
  timeoutMs?: number;
  /** No retry wait or local rate-limit wait of a round ends after this. Default 10 s. */
  roundTimeoutMs?: number;
  rules?: Partial<AggregationRules>;
  /** Circuit breaker per source: a preset name or a full config. Default "default". */
  breaker?: BreakerPreset | BreakerConfig;
  retry?: Partial<RetryPolicy>;
  /** How long a source found blocked is left alone before REST is tried again. Default 30 min. */
  blockedRetryMs?: number;
  /** Pause after a 429 that carries no Retry-After. Default 30 s. */
  rateLimitPauseMs?: number;
  stream?: {
    reconnectBaseMs?: number;
    reconnectMaxMs?: number;
    idleTimeoutMs?: number;
    heartbeatIntervalMs?: number;
  };
}

export interface OracleDeps {
  fetch?: FetchFn;
  /** The browser's WebSocket, or `ws` in Node; without it every source is read over REST. */
  WebSocket?: WebSocketFactory;
  now?: Now;
  random?: Random;
  sleep?: Sleep;
  /** Accepted prices are appended here. */
  history?: PriceHistory;
}

export interface SourceHealth {
  readonly source: SourceId;
  readonly name: string;
  readonly quoteCurrency: QuoteCurrency;
  readonly transport: Transport;
  /** Set when REST was found blocked here: until when it is left alone, and why. */
  readonly blocked: { readonly until: number; readonly reason: string } | null;
  readonly breaker: BreakerStatus;
  readonly stream: StreamStatus | null;
}

interface SourceState {
  readonly def: SourceDefinition;
  readonly settings: SourceSettings;
  /** The rate limiter's key: the base URL (one per exchange, even behind one proxy host). */
  readonly host: string;
  readonly breaker: CircuitBreaker;
  transport: Transport;
  blocked: { until: number; reason: string } | null;
  stream: TickerStream | null;
}

/** Failures that say something about the exchange's health (our own throttling and blocks do not). */
const BREAKER_FAILURES = new Set<OracleError["code"]>([
  "timeout",
  "network",
  "httpError",
  "malformedResponse",
  "exchangeError",
  "rateLimited",
]);

export class PriceOracle {
  readonly rules: AggregationRules;
  private readonly states: SourceState[];
  private readonly limiter: HostRateLimiter;
  private readonly now: Now;
  private readonly random: Random;
  private readonly sleep: Sleep;
  private readonly timeoutMs: number;
  private readonly roundTimeoutMs: number;
  private readonly retryPolicy: RetryPolicy;
  private readonly blockedRetryMs: number;
  private readonly rateLimitPauseMs: number;

  constructor(
    private readonly settings: OracleSettings = {},
    private readonly deps: OracleDeps = {},
  ) {
    this.now = deps.now ?? systemNow;
    this.random = deps.random ?? systemRandom;
    this.sleep = deps.sleep ?? timerSleep;
    this.rules = { ...DEFAULT_RULES, ...settings.rules };
    this.timeoutMs = positive(settings.timeoutMs ?? 5_000, "timeoutMs");
    this.roundTimeoutMs = positive(settings.roundTimeoutMs ?? 10_000, "roundTimeoutMs");
    this.retryPolicy = { ...DEFAULT_RETRY, ...settings.retry };
    this.blockedRetryMs = positive(settings.blockedRetryMs ?? 30 * 60_000, "blockedRetryMs");
    this.rateLimitPauseMs = positive(settings.rateLimitPauseMs ?? 30_000, "rateLimitPauseMs");
    const breakerConfig =
      typeof settings.breaker === "string"
        ? BREAKER_PRESETS[settings.breaker]
        : (settings.breaker ?? BREAKER_PRESETS.default);
    this.limiter = new HostRateLimiter({ now: this.now, sleep: this.sleep });
    this.states = [];
    for (const id of SOURCE_IDS) {
      const sourceSettings = settings.sources?.[id] ?? {};
      if (sourceSettings.enabled === false) continue;
      const def = SOURCES[id];
      const baseUrl = sourceSettings.baseUrl ?? def.rest.baseUrl;
      urlHost(baseUrl, ["http:", "https:"], `${id} baseUrl`);
      const host = baseUrl.replace(/\/+$/, "");
      if (sourceSettings.streamUrl !== undefined)
        urlHost(sourceSettings.streamUrl, ["ws:", "wss:"], `${id} streamUrl`);
      this.limiter.setLimit(host, def.limits);
      const wanted = sourceSettings.transport ?? "auto";
      if (wanted === "websocket" && !deps.WebSocket) {
        throw new OracleError(
          "invalidSettings",
          `${id}: transport "websocket" needs a WebSocket implementation`,
        );
      }
      const transport: Transport =
        wanted === "auto" ? (deps.WebSocket ? def.browser.preferred : "rest") : wanted;
      this.states.push({
        def,
        settings: sourceSettings,
        host,
        breaker: new CircuitBreaker(breakerConfig, {
          now: this.now,
          source: id,
          isFailure: (error) => error instanceof OracleError && BREAKER_FAILURES.has(error.code),
        }),
        transport,
        blocked: null,
        stream: null,
      });
    }
  }

  /** Reads all sources and aggregates them; appends an accepted price to the history. */
  async readPrice(signal?: AbortSignal): Promise<PriceReading> {
    const deadline = this.now() + this.roundTimeoutMs;
    const reports = await Promise.all(this.states.map((state) => this.readSource(state, deadline, signal)));
    const reading = aggregate(reports, this.now(), this.rules);
    const history = this.deps.history;
    if (reading.status === "ok" && reading.price !== null && history) {
      const newest = history.latest();
      if (!newest || newest.at <= reading.at) {
        history.add({
          price: reading.price,
          at: reading.at,
          method: reading.method,
          sources: reading.sources.filter((s) => s.accepted).map((s) => s.source),
        });
      }
    }
    return reading;
  }

  /** Opens the streams of the sources read over WebSocket (the app calls this at start). */
  startStreams(): void {
    for (const state of this.states) if (state.transport === "websocket") this.ensureStream(state);
  }

  /** Per source: transport, blocked state, breaker and stream status (the oracle panel). */
  health(): SourceHealth[] {
    return this.states.map((state) => ({
      source: state.def.id,
      name: state.def.name,
      quoteCurrency: state.def.quoteCurrency,
      transport: state.transport,
      blocked: state.blocked,
      breaker: state.breaker.status(),
      stream: state.stream?.status() ?? null,
    }));
  }

  /** Closes every stream. */
  close(): void {
    for (const state of this.states) state.stream?.stop();
  }

  private async readSource(
    state: SourceState,
    deadline: number,
    signal?: AbortSignal,
  ): Promise<SourceReport> {
    const base = { source: state.def.id, quoteCurrency: state.def.quoteCurrency, transport: state.transport };
    try {
      if (state.transport === "websocket") {
        const stream = this.ensureStream(state);
        const quote = stream.latest();
        if (!quote) throw stream.noQuoteError();
        return { ...base, quote };
      }
      return { ...base, quote: await this.fetchRest(state, deadline, signal) };
    } catch (error) {
      if (error instanceof OracleError && error.code === "blocked") this.markBlocked(state, error);
      return { ...base, error };
    }
  }

  private async fetchRest(state: SourceState, deadline: number, signal?: AbortSignal): Promise<Quote> {
    const id = state.def.id;
    if (state.blocked && this.now() < state.blocked.until) {
      const minutes = Math.ceil((state.blocked.until - this.now()) / 60_000);
      throw new OracleError("blocked", `${state.blocked.reason}; not asked again for ${minutes} min`, {
        source: id,
      });
    }
    return retry(
      () =>
        state.breaker.execute(async () => {
          await this.limiter.take(state.host, { maxWaitMs: Math.max(deadline - this.now(), 0), signal });
          try {
            return await fetchRestQuote(state.def, {
              baseUrl: state.settings.baseUrl,
              fetch: this.deps.fetch,
              timeoutMs: this.timeoutMs,
              now: this.now,
              signal,
            });
          } catch (error) {
            if (error instanceof OracleError && error.code === "rateLimited") {
              this.limiter.pause(state.host, this.now() + (error.retryAfterMs ?? this.rateLimitPauseMs));
            }
            throw error;
          }
        }),
      { ...this.retryPolicy, random: this.random, sleep: this.sleep, now: this.now, deadline, signal },
    );
  }

  private markBlocked(state: SourceState, error: OracleError): void {
    if (state.transport !== "rest" || (state.blocked && this.now() < state.blocked.until)) return;
    state.blocked = { until: this.now() + this.blockedRetryMs, reason: error.message };
    if (this.deps.WebSocket && state.settings.transport !== "rest") {
      state.transport = "websocket";
      this.ensureStream(state);
    }
  }

  private ensureStream(state: SourceState): TickerStream {
    if (!state.stream) {
      const WebSocket = this.deps.WebSocket;
      if (!WebSocket)
        throw new OracleError("invalidSettings", `${state.def.id}: no WebSocket implementation`);
      state.stream = new TickerStream(state.def, {
        url: state.settings.streamUrl,
        WebSocket,
        now: this.now,
        random: this.random,
        ...this.settings.stream,
      });
    }
    state.stream.start();
    return state.stream;
  }
}

/**
 * The price an operation may use, or ProtocolError "priceUnavailable" with the reason. Operations
 * that need a price call this; there is no fallback to an older price.
 */
export function requirePrice(reading: PriceReading): bigint {
  if (reading.status !== "ok" || reading.price === null) {
    throw new ProtocolError("priceUnavailable", `No valid BTC price: ${reading.reason ?? "unknown reason"}`);
  }
  return reading.price;
}

function positive(value: number, name: string): number {
  if (!(value > 0) || !Number.isFinite(value)) {
    throw new OracleError("invalidSettings", `oracle: ${name} must be a positive number, got ${value}`);
  }
  return value;
}

function urlHost(url: string, protocols: readonly string[], name: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new OracleError("invalidSettings", `${name}: ${JSON.stringify(url)} is not a URL`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new OracleError(
      "invalidSettings",
      `${name}: expected ${protocols.join(" or ")} URL, got ${JSON.stringify(url)}`,
    );
  }
  return parsed.host;
}
