/**
 * One REST ticker request: the source's real path on its (configurable) base URL, a timeout through
 * AbortController covering headers and body, and a classification of every way it can fail:
 *
 * - 451 / 403 → "blocked" (geo-blocks; Binance answers 451 to US users, Bybit's CloudFront 403s);
 * - a browser's TypeError ("Failed to fetch", "NetworkError…", "Load failed") → "blocked": the page
 *   cannot tell a missing CORS header from a network failure, so the source is set aside for a while
 *   and read over its WebSocket stream instead (CORS does not apply to WebSockets);
 * - 429 / 418 → "rateLimited" with the server's Retry-After; 5xx and Node's "fetch failed" →
 *   retryable; other statuses → "httpError"; a body that is not the expected JSON → "malformedResponse".
 */
import { type Now, systemNow } from "./clock.ts";
import { OracleError } from "./errors.ts";
import { parseJson } from "./parse.ts";
import { toQuote } from "./quote.ts";
import type { Quote, SourceDefinition } from "./types.ts";

/** The subset of `fetch` the oracle uses (globalThis.fetch fits). */
export type FetchFn = (
  url: string,
  init: { signal: AbortSignal; headers: Record<string, string> },
) => Promise<Response>;

export interface RestOptions {
  /** Overrides the source's public base URL (proxy, test server). */
  baseUrl?: string;
  fetch?: FetchFn;
  timeoutMs: number;
  now?: Now;
  signal?: AbortSignal;
}

/** The full request URL: base URL (any trailing slash dropped) + the exchange's path and query. */
export function restUrl(def: SourceDefinition, baseUrl: string = def.rest.baseUrl): string {
  return baseUrl.replace(/\/+$/, "") + def.rest.path;
}

/** Messages browsers give a fetch that failed before any readable response (CORS, offline, DNS). */
const BROWSER_FETCH_FAILURES = [
  /^Failed to fetch/i,
  /^NetworkError when attempting to fetch/i,
  /^Load failed/i,
];

export async function fetchRestQuote(def: SourceDefinition, options: RestOptions): Promise<Quote> {
  const fetchFn: FetchFn = options.fetch ?? ((url, init) => globalThis.fetch(url, init));
  const now = options.now ?? systemNow;
  const url = restUrl(def, options.baseUrl);
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new OracleError("timeout", `${def.id}: no answer within ${options.timeoutMs} ms`));
  }, options.timeoutMs);
  const forwardAbort = () => controller.abort(options.signal?.reason);
  if (options.signal?.aborted) forwardAbort();
  options.signal?.addEventListener("abort", forwardAbort, { once: true });
  try {
    let response: Response;
    let body: string;
    try {
      response = await fetchFn(url, { signal: controller.signal, headers: { accept: "application/json" } });
      body = await response.text();
    } catch (error) {
      throw classifyFailure(def, error, timedOut, options);
    }
    const receivedAt = now();
    if (!response.ok) throw httpFailure(def, response, body, receivedAt);
    const fields = def.rest.parse(parseJson(def.id, body));
    return toQuote(def, fields, "rest", receivedAt, readDate(response));
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", forwardAbort);
  }
}

function classifyFailure(
  def: SourceDefinition,
  error: unknown,
  timedOut: boolean,
  options: RestOptions,
): unknown {
  if (timedOut)
    return new OracleError("timeout", `${def.id}: no answer within ${options.timeoutMs} ms`, {
      source: def.id,
    });
  if (options.signal?.aborted) return options.signal.reason;
  if (error instanceof OracleError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof TypeError && BROWSER_FETCH_FAILURES.some((re) => re.test(message))) {
    return new OracleError(
      "blocked",
      `${def.id}: the browser refused the request (${message}): no CORS headers, a regional block, or offline`,
      { source: def.id, cause: error },
    );
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : "";
  return new OracleError("network", `${def.id}: ${message}${cause}`, {
    source: def.id,
    retryable: true,
    cause: error,
  });
}

function httpFailure(
  def: SourceDefinition,
  response: Response,
  body: string,
  receivedAt: number,
): OracleError {
  const status = response.status;
  const said = exchangeText(def, body);
  const detail = `${def.id}: HTTP ${status}${said ? `: ${said}` : ""}`;
  if (status === 451 || status === 403) {
    return new OracleError("blocked", `${detail} (blocked in this region)`, { source: def.id, status });
  }
  if (status === 429 || status === 418) {
    const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"), receivedAt);
    const wait = retryAfterMs === undefined ? "" : ` (retry after ${Math.ceil(retryAfterMs / 1000)} s)`;
    return new OracleError("rateLimited", `${detail}${wait}`, {
      source: def.id,
      status,
      retryable: true,
      retryAfterMs,
    });
  }
  return new OracleError("httpError", detail, { source: def.id, status, retryable: status >= 500 });
}

/** The exchange's own error text from a JSON error body, else the start of the body. */
function exchangeText(def: SourceDefinition, body: string): string {
  try {
    const text = def.rest.errorText(JSON.parse(body));
    if (text) return text;
  } catch {
    // not JSON (an HTML error page): fall through to a snippet
  }
  const flat = body
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  return flat.length > 200 ? `${flat.slice(0, 200)}…` : flat;
}

/** Retry-After as milliseconds from `nowMs`: delta-seconds or an HTTP date. */
export function parseRetryAfter(value: string | null, nowMs: number): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isFinite(at) ? Math.max(at - nowMs, 0) : undefined;
}

/** The HTTP Date header in ms, when the response exposes it (cross-origin browsers usually do not). */
function readDate(response: Response): number | null {
  const value = response.headers.get("date");
  if (value === null) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}
