/**
 * A live ticker over an exchange's public WebSocket stream. Browsers apply no CORS to WebSockets,
 * so this is how the app reads exchanges whose REST answers carry no CORS headers. The stream
 * subscribes on open, keeps the latest quote, sends the application pings some exchanges require,
 * treats a silent socket as dead, and reconnects with exponential backoff and full jitter.
 * The WebSocket constructor is injected: the browser's own, or the `ws` package in Node.
 */
import { type Now, type Random, systemNow, systemRandom } from "./clock.ts";
import { describeError, OracleError } from "./errors.ts";
import { toQuote } from "./quote.ts";
import { backoffDelay } from "./retry.ts";
import type { Quote, SourceDefinition } from "./types.ts";

/**
 * The part of a WebSocket the stream uses. Handler parameters are typed `never` so that both the
 * DOM WebSocket and `ws`'s WebSocket fit; the stream reads the events defensively.
 */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
}

export type WebSocketFactory = new (url: string) => WebSocketLike;

const OPEN = 1;

export interface StreamOptions {
  /** Overrides the source's public stream URL. */
  url?: string;
  WebSocket: WebSocketFactory;
  now?: Now;
  random?: Random;
  /** Reconnect backoff (full jitter). Default 1 s doubling to 60 s. */
  reconnectBaseMs?: number;
  reconnectMaxMs?: number;
  /** A socket with no message for this long is closed and reopened. Default 60 s. */
  idleTimeoutMs?: number;
  /** Overrides the exchange's application ping interval (tests). */
  heartbeatIntervalMs?: number;
  onQuote?: (quote: Quote) => void;
}

export type StreamState = "idle" | "connecting" | "open" | "waiting" | "stopped";

export interface StreamStatus {
  state: StreamState;
  url: string;
  /** The last thing that went wrong (refused upgrade, malformed message, exchange error), if any. */
  lastError: string | null;
  /** Failed connections in a row (reset by a ticker). */
  failures: number;
}

export class TickerStream {
  readonly url: string;
  private readonly now: Now;
  private readonly random: Random;
  private socket: WebSocketLike | null = null;
  private current: StreamState = "idle";
  private quote: Quote | null = null;
  private lastError: string | null = null;
  private failures = 0;
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeatTimer: ReturnType<typeof setInterval> | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    readonly def: SourceDefinition,
    private readonly options: StreamOptions,
  ) {
    this.url = options.url ?? def.stream.url;
    this.now = options.now ?? systemNow;
    this.random = options.random ?? systemRandom;
  }

  /** The latest ticker received, however old (aggregation judges its age). */
  latest(): Quote | null {
    return this.quote;
  }

  status(): StreamStatus {
    return { state: this.current, url: this.url, lastError: this.lastError, failures: this.failures };
  }

  start(): void {
    if (this.current !== "idle" && this.current !== "stopped") return;
    this.connect();
  }

  stop(): void {
    this.current = "stopped";
    this.clearTimers();
    const socket = this.socket;
    this.socket = null;
    if (socket) {
      socket.onopen = socket.onmessage = socket.onclose = null;
      // Keep an error handler: closing a socket that is still connecting reports an error (and
      // Node's `ws` throws an error event nobody listens to).
      socket.onerror = () => {};
      try {
        socket.close(1000, "stopped");
      } catch {
        // a socket still connecting may refuse to close; it is dropped either way
      }
    }
  }

  private connect(): void {
    this.current = "connecting";
    let socket: WebSocketLike;
    try {
      socket = new this.options.WebSocket(this.url);
    } catch (error) {
      this.fail(`cannot open ${this.url}: ${describeError(error)}`);
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.current = "open";
      for (const message of this.def.stream.subscribe) socket.send(message);
      const heartbeat = this.def.stream.heartbeat;
      if (heartbeat) {
        this.heartbeatTimer = setInterval(() => {
          if (socket.readyState === OPEN) socket.send(heartbeat.message);
        }, this.options.heartbeatIntervalMs ?? heartbeat.intervalMs);
      }
      this.touch(socket);
    };
    socket.onmessage = (event: { data?: unknown }) => {
      if (this.socket !== socket) return;
      this.touch(socket);
      this.handleMessage(socket, decodeData(event.data));
    };
    socket.onerror = (event: { message?: unknown; error?: unknown }) => {
      if (this.socket !== socket) return;
      const detail = typeof event?.message === "string" && event.message ? event.message : "connection error";
      this.fail(`${this.def.id} stream: ${detail}`);
    };
    socket.onclose = (event: { code?: unknown; reason?: unknown }) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.clearTimers();
      if (this.current === "connecting") this.failures++;
      if (this.lastError === null) {
        const reason = typeof event?.reason === "string" && event.reason ? ` (${event.reason})` : "";
        this.lastError = `${this.def.id} stream closed with code ${String(event?.code)}${reason}`;
      }
      this.scheduleReconnect();
    };
  }

  private handleMessage(socket: WebSocketLike, text: string): void {
    let event: ReturnType<SourceDefinition["stream"]["parse"]>;
    try {
      event = this.def.stream.parse(text);
      if (event.type === "ticker") {
        this.quote = toQuote(this.def, event.fields, "websocket", this.now());
        this.failures = 0;
        this.lastError = null;
        this.options.onQuote?.(this.quote);
        return;
      }
    } catch (error) {
      // One unreadable message does not condemn the socket; the latest good quote stays (and ages).
      this.fail(describeError(error));
      return;
    }
    if (event.type === "error") {
      this.failures++;
      this.fail(`${this.def.id} stream: ${event.message}`);
      socket.close(1000, "exchange error");
    } else if (event.type === "reconnect") {
      socket.close(1000, "reconnect requested");
    }
  }

  private scheduleReconnect(): void {
    if (this.current === "stopped") return;
    this.current = "waiting";
    const base = this.options.reconnectBaseMs ?? 1_000;
    const max = this.options.reconnectMaxMs ?? 60_000;
    // Full jitter, but never a zero wait: at least half the base delay.
    const delay = Math.max(
      Math.floor(base / 2),
      backoffDelay(this.failures + 1, { maxAttempts: 1, baseDelayMs: base, maxDelayMs: max }, this.random),
    );
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.current === "waiting") this.connect();
    }, delay);
  }

  private touch(socket: WebSocketLike): void {
    clearTimeout(this.idleTimer);
    const idle = this.options.idleTimeoutMs ?? 60_000;
    this.idleTimer = setTimeout(() => {
      if (this.socket !== socket) return;
      this.fail(`${this.def.id} stream: silent for ${idle} ms`);
      socket.close(4000, "idle");
    }, idle);
  }

  private fail(message: string): void {
    this.lastError = message;
  }

  private clearTimers(): void {
    clearTimeout(this.reconnectTimer);
    clearInterval(this.heartbeatTimer);
    clearTimeout(this.idleTimer);
    this.reconnectTimer = this.heartbeatTimer = this.idleTimer = undefined;
  }

  /** An error describing why there is no quote yet (for reports). */
  noQuoteError(): OracleError {
    const why = this.lastError ? ` (${this.lastError})` : "";
    return new OracleError("noQuote", `${this.def.id}: no ticker received on ${this.url} yet${why}`, {
      source: this.def.id,
    });
  }
}

function decodeData(data: unknown): string {
  if (typeof data === "string") return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return String(data);
}
