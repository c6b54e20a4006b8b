/**
 * The guardian's HTTP plumbing on node:http (no framework: a dozen routes do not need one): JSON
 * bodies with a size limit, CORS for the configured app origins, gzip/brotli compression, request
 * timeouts, the Protection admission check, one structured log line per request, graceful close.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from "node:http";
import type { AddressInfo, Socket } from "node:net";
import { brotliCompressSync, gzipSync, constants as zlib } from "node:zlib";
import { GuardianError } from "./errors.ts";
import type { Logger } from "./log.ts";
import { normalizeIp, type Protection } from "./protect.ts";

export interface Request {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  body: unknown;
  /** The body's bytes as received (what a peer signature covers); empty for GET. */
  rawBody: Uint8Array;
  headers: IncomingHttpHeaders;
  ip: string;
  signal: AbortSignal;
}

export type Handler = (req: Request) => Promise<unknown> | unknown;

export interface Route {
  method: "GET" | "POST";
  /** "/v1/vaults/:owner" style. */
  path: string;
  handler: Handler;
  /** Rate-limit tokens this route costs (default 1). */
  cost?: number;
  /** Handler deadline, ms (default the server's). */
  timeoutMs?: number;
}

export interface HttpOptions {
  routes: Route[];
  protection: Protection;
  log: Logger;
  corsOrigins: string[];
  maxBodyBytes?: number;
  requestTimeoutMs?: number;
  /** Bodies at least this large are compressed when the client accepts it. Default 1024. */
  compressMinBytes?: number;
}

export interface HttpServer {
  server: Server;
  url: string;
  close(graceMs?: number): Promise<void>;
}

/** JSON with bigints as decimal strings and bytes as hex. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) =>
    typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? Buffer.from(v).toString("hex") : v,
  );
}

const STATUS: Record<GuardianError["code"], number> = {
  invalidConfig: 500,
  invalidRequest: 400,
  notFound: 404,
  notSynced: 503,
  refused: 422,
  rateLimited: 429,
  forbidden: 403,
  unavailable: 503,
  unauthenticated: 401,
  conflict: 409,
};

/** A path segment's value; a malformed escape (a lone %, %E0%A4) is the client's error, 400. */
function decodePathParam(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new GuardianError("invalidRequest", "malformed percent-escape in the URL path");
  }
}

function compile(path: string): { re: RegExp; names: string[] } {
  const names: string[] = [];
  const re = new RegExp(
    `^${path.replace(/:([a-zA-Z]+)/g, (_m, n: string) => {
      names.push(n);
      return "([^/]+)";
    })}$`,
  );
  return { re, names };
}

type CompiledRoute = Route & { re: RegExp; names: string[] };

/** What every request of one server shares: its options, routes, and whether it is closing. */
interface ServerState {
  options: HttpOptions;
  routes: CompiledRoute[];
  maxBody: number;
  requestTimeout: number;
  inFlight: number;
  closing: boolean;
}

/** Answers JSON, compressed when large and the client accepts it; nothing when an answer has gone. */
function send(
  s: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  value: unknown,
  extra: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  let body: Buffer = Buffer.from(toJson(value));
  const headers: Record<string, string> = {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "x-content-type-options": "nosniff",
    vary: "origin, accept-encoding",
    ...extra,
  };
  const accept = String(req.headers["accept-encoding"] ?? "");
  if (body.length >= (s.options.compressMinBytes ?? 1024)) {
    if (/\bbr\b/.test(accept)) {
      body = brotliCompressSync(body, { params: { [zlib.BROTLI_PARAM_QUALITY]: 4 } });
      headers["content-encoding"] = "br";
    } else if (/\bgzip\b/.test(accept)) {
      body = gzipSync(body, { level: 6 });
      headers["content-encoding"] = "gzip";
    }
  }
  headers["content-length"] = String(body.length);
  // A refused oversized body is not read further: the connection closes after the answer.
  if (s.closing || status === 413) headers.connection = "close";
  res.writeHead(status, headers);
  res.end(body);
}

function cors(req: IncomingMessage, corsOrigins: string[]): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin || !(corsOrigins.includes(origin) || corsOrigins.includes("*"))) return {};
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-methods": "GET, POST, OPTIONS",
    "access-control-allow-headers": "content-type, x-api-key",
    "access-control-max-age": "600",
  };
}

const tooLarge = (maxBody: number) =>
  Object.assign(new GuardianError("invalidRequest", `body larger than ${maxBody} bytes`), { status: 413 });

/** The JSON body, refused (413) past `maxBody` whether declared or streamed. */
function readBody(req: IncomingMessage, maxBody: number): Promise<{ raw: Buffer; value: unknown }> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > maxBody) {
      reject(tooLarge(maxBody));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      if (over) return; // drained and dropped; the answer closes the connection
      size += c.length;
      if (size > maxBody) {
        over = true;
        chunks.length = 0;
        reject(tooLarge(maxBody));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => {
      if (over) return;
      const raw = Buffer.concat(chunks);
      if (size === 0) return resolve({ raw, value: undefined });
      try {
        resolve({ raw, value: JSON.parse(raw.toString("utf8")) });
      } catch {
        reject(new GuardianError("invalidRequest", "the body is not JSON"));
      }
    });
    req.on("error", reject);
  });
}

/** Runs a matched route's handler under its deadline (503 and an aborted signal when it passes). */
async function runRoute(
  s: ServerState,
  route: CompiledRoute,
  req: IncomingMessage,
  url: URL,
  ip: string,
): Promise<unknown> {
  const m = route.re.exec(url.pathname)!;
  const params = Object.fromEntries(route.names.map((n, i) => [n, decodePathParam(m[i + 1]!)]));
  let body: { raw: Buffer; value: unknown } = { raw: Buffer.alloc(0), value: undefined };
  if (req.method === "POST") body = await readBody(req, s.maxBody);
  else req.resume();
  const controller = new AbortController();
  const deadline = route.timeoutMs ?? s.requestTimeout;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(
        Object.assign(new GuardianError("unavailable", `the request took longer than ${deadline} ms`), {
          status: 503,
        }),
      );
    }, deadline);
  });
  try {
    return await Promise.race([
      route.handler({
        method: route.method,
        path: url.pathname,
        query: url.searchParams,
        params,
        body: body.value,
        rawBody: body.raw,
        headers: req.headers,
        ip,
        signal: controller.signal,
      }),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One request: preflight, admission (Protection), routing (404/405), the handler, and errors as
 * `{ error: { code, reason } }` with the GuardianError's status. Returns the status it answered.
 */
async function serve(s: ServerState, req: IncomingMessage, res: ServerResponse, ip: string, url: URL | null) {
  const method = req.method ?? "GET";
  const path = url?.pathname ?? "/";
  const corsHeaders = cors(req, s.options.corsOrigins);
  try {
    if (method === "OPTIONS") {
      res.writeHead(204, corsHeaders);
      res.end();
      return 204;
    }
    const route = s.routes.find((r) => r.method === method && r.re.test(path));
    const refused = admit(s, req, res, ip, route?.cost ?? 1, corsHeaders);
    if (refused !== null) return refused;
    if (!url) throw new GuardianError("invalidRequest", "the request URL does not parse");
    if (!route) {
      const pathMatches = s.routes.some((r) => r.re.test(path));
      const status = pathMatches ? 405 : 404;
      const code = pathMatches ? "methodNotAllowed" : "notFound";
      send(s, req, res, status, { error: { code, reason: `${method} ${path}` } }, corsHeaders);
      req.resume();
      return status;
    }
    send(s, req, res, 200, await runRoute(s, route, req, url, ip), corsHeaders);
    return 200;
  } catch (error) {
    const e = error as GuardianError & { status?: number };
    const status = e.status ?? (e instanceof GuardianError ? STATUS[e.code] : 500);
    const payload =
      e instanceof GuardianError
        ? { error: { code: e.code, reason: e.detail } }
        : { error: { code: "internal", reason: "internal error" } };
    if (!(e instanceof GuardianError)) s.options.log.error("request failed", { path, error: e });
    send(s, req, res, status, payload, corsHeaders);
    req.resume();
    return status;
  }
}

/** Protection's admission check: the refusal's status once answered (403/429), or null when admitted. */
function admit(
  s: ServerState,
  req: IncomingMessage,
  res: ServerResponse,
  ip: string,
  cost: number,
  corsHeaders: Record<string, string>,
): number | null {
  const apiKey = req.headers["x-api-key"];
  const admission = s.options.protection.admit(ip, typeof apiKey === "string" ? apiKey : undefined, cost);
  if (admission.ok) return null;
  const status = admission.status;
  send(
    s,
    req,
    res,
    status,
    { error: { code: status === 429 ? "rateLimited" : "forbidden", reason: admission.reason } },
    {
      ...corsHeaders,
      ...(admission.retryAfterSec ? { "retry-after": String(admission.retryAfterSec) } : {}),
    },
  );
  req.resume();
  return status;
}

export async function startHttp(options: HttpOptions, port: number, host = "127.0.0.1"): Promise<HttpServer> {
  const { protection, log } = options;
  const s: ServerState = {
    options,
    routes: options.routes.map((r) => ({ ...r, ...compile(r.path) })),
    maxBody: options.maxBodyBytes ?? 256 * 1024,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    inFlight: 0,
    closing: false,
  };
  const server = createServer(async (req, res) => {
    const started = performance.now();
    const ip = normalizeIp(req.socket.remoteAddress);
    // A request target that does not parse as a URL (e.g. absolute-form with a bad host) is answered 400.
    let url: URL | null = null;
    try {
      url = new URL(req.url ?? "/", "http://guardian");
    } catch {
      url = null;
    }
    let status = 500;
    s.inFlight++;
    try {
      status = await serve(s, req, res, ip, url);
    } finally {
      s.inFlight--;
      log.info("request", {
        method: req.method ?? "GET",
        path: url?.pathname ?? "/",
        status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ip,
      });
    }
  });
  server.requestTimeout = s.requestTimeout + 5_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = protection.preset.globalConnections;
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    const ip = normalizeIp(socket.remoteAddress);
    if (s.closing || !protection.openConnection(ip)) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.once("close", () => {
      sockets.delete(socket);
      protection.closeConnection(ip);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  return {
    server,
    url: `http://${host}:${address.port}`,
    async close(graceMs = 10_000) {
      s.closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const until = Date.now() + graceMs;
      while (s.inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      for (const sock of sockets) sock.destroy();
      await closed;
    },
  };
}
