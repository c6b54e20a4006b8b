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

export async function startHttp(options: HttpOptions, port: number, host = "127.0.0.1"): Promise<HttpServer> {
  const { protection, log } = options;
  const maxBody = options.maxBodyBytes ?? 256 * 1024;
  const requestTimeout = options.requestTimeoutMs ?? 30_000;
  const routes = options.routes.map((r) => ({ ...r, ...compile(r.path) }));
  let inFlight = 0;
  let closing = false;

  const send = (
    req: IncomingMessage,
    res: ServerResponse,
    status: number,
    value: unknown,
    extra: Record<string, string> = {},
  ) => {
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
    if (body.length >= (options.compressMinBytes ?? 1024)) {
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
    if (closing || status === 413) headers.connection = "close";
    res.writeHead(status, headers);
    res.end(body);
  };

  const cors = (req: IncomingMessage): Record<string, string> => {
    const origin = req.headers.origin;
    if (!origin || !(options.corsOrigins.includes(origin) || options.corsOrigins.includes("*"))) return {};
    return {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": "GET, POST, OPTIONS",
      "access-control-allow-headers": "content-type, x-api-key",
      "access-control-max-age": "600",
    };
  };

  const readBody = (req: IncomingMessage): Promise<{ raw: Buffer; value: unknown }> =>
    new Promise((resolve, reject) => {
      const declared = Number(req.headers["content-length"] ?? 0);
      if (declared > maxBody) {
        reject(
          Object.assign(new GuardianError("invalidRequest", `body larger than ${maxBody} bytes`), {
            status: 413,
          }),
        );
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
          reject(
            Object.assign(new GuardianError("invalidRequest", `body larger than ${maxBody} bytes`), {
              status: 413,
            }),
          );
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

  const server = createServer(async (req, res) => {
    const started = performance.now();
    const ip = normalizeIp(req.socket.remoteAddress);
    // A request target that does not parse as a URL (e.g. absolute-form with a bad host) is answered 400 below.
    let url = new URL("http://guardian/");
    let badTarget = false;
    try {
      url = new URL(req.url ?? "/", "http://guardian");
    } catch {
      badTarget = true;
    }
    const method = req.method ?? "GET";
    const corsHeaders = cors(req);
    let status = 200;
    inFlight++;
    try {
      if (method === "OPTIONS") {
        status = 204;
        res.writeHead(204, corsHeaders);
        res.end();
        return;
      }
      const route = routes.find((r) => r.method === method && r.re.test(url.pathname));
      const pathMatches = routes.some((r) => r.re.test(url.pathname));
      const apiKey = req.headers["x-api-key"];
      const admission = protection.admit(
        ip,
        typeof apiKey === "string" ? apiKey : undefined,
        route?.cost ?? 1,
      );
      if (!admission.ok) {
        status = admission.status;
        send(
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
        return;
      }
      if (badTarget) throw new GuardianError("invalidRequest", "the request URL does not parse");
      if (!route) {
        status = pathMatches ? 405 : 404;
        send(
          req,
          res,
          status,
          {
            error: {
              code: pathMatches ? "methodNotAllowed" : "notFound",
              reason: `${method} ${url.pathname}`,
            },
          },
          corsHeaders,
        );
        req.resume();
        return;
      }
      const m = route.re.exec(url.pathname)!;
      const params = Object.fromEntries(route.names.map((n, i) => [n, decodePathParam(m[i + 1]!)]));
      let body: { raw: Buffer; value: unknown } = { raw: Buffer.alloc(0), value: undefined };
      if (method === "POST") body = await readBody(req);
      else req.resume();
      const controller = new AbortController();
      const deadline = route.timeoutMs ?? requestTimeout;
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
        const value = await Promise.race([
          route.handler({
            method,
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
        send(req, res, 200, value, corsHeaders);
      } finally {
        clearTimeout(timer);
      }
    } catch (error) {
      const e = error as GuardianError & { status?: number };
      status = e.status ?? (e instanceof GuardianError ? STATUS[e.code] : 500);
      const payload =
        e instanceof GuardianError
          ? { error: { code: e.code, reason: e.detail } }
          : { error: { code: "internal", reason: "internal error" } };
      if (!(e instanceof GuardianError)) log.error("request failed", { path: url.pathname, error: e });
      send(req, res, status, payload, corsHeaders);
      req.resume();
    } finally {
      inFlight--;
      log.info("request", {
        method,
        path: url.pathname,
        status,
        ms: Math.round((performance.now() - started) * 10) / 10,
        ip,
      });
    }
  });
  server.requestTimeout = requestTimeout + 5_000;
  server.headersTimeout = 10_000;
  server.keepAliveTimeout = 5_000;
  server.maxConnections = protection.preset.globalConnections;
  const sockets = new Set<Socket>();
  server.on("connection", (socket: Socket) => {
    const ip = normalizeIp(socket.remoteAddress);
    if (closing || !protection.openConnection(ip)) {
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
      closing = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const until = Date.now() + graceMs;
      while (inFlight > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
