import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EsploraClient, EsploraError } from "./esplora.ts";

// A tiny local HTTP server scripted per path: the client's retry/timeout logic against real sockets.
let server: Server;
let base: string;
const hits = new Map<string, number>();
let lastPost: { contentType?: string; body: string } | undefined;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? "/";
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (path === "/blocks/tip/height") return res.end(n < 3 ? "" : "812");
      if (path === "/flaky/blocks/tip/height") {
        if (n <= 2) return res.writeHead(n === 1 ? 429 : 503).end("slow down");
        return res.end("812");
      }
      if (path === "/down/blocks/tip/height") return res.writeHead(500).end("boom");
      if (path === "/slow/blocks/tip/height") return void setTimeout(() => res.end("1"), 500);
      if (path === "/tx/aa/status") return res.writeHead(404).end("Transaction not found");
      if (path === "/tx" && req.method === "POST") {
        lastPost = { contentType: req.headers["content-type"], body };
        if (body === "bad") return res.writeHead(400).end("sendrawtransaction RPC error: TX decode failed");
        return res.end("f".repeat(64));
      }
      if (path === "/fee-estimates") return res.end('{"1": 5.2, "6": 2}');
      if (path === "/garbage/fee-estimates") return res.end("<html>");
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (path = "", extra = {}) =>
  new EsploraClient({ baseUrl: `${base}${path}/`, backoffMs: 5, ...extra });

describe("EsploraClient", () => {
  it("retries 429 and 5xx with backoff, then succeeds", async () => {
    expect(await client("/flaky").tipHeight()).toBe(812);
    expect(hits.get("/flaky/blocks/tip/height")).toBe(3);
  });

  it("gives up after the retries with a typed http error", async () => {
    const e = await client("/down", { retries: 2 })
      .tipHeight()
      .catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EsploraError);
    expect(e).toMatchObject({ kind: "http", status: 500 });
    expect(hits.get("/down/blocks/tip/height")).toBe(3);
  });

  it("times out slow answers", async () => {
    const e = await client("/slow", { timeoutMs: 50, retries: 0 })
      .tipHeight()
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: "timeout" });
  });

  it("types not-found, parse errors and rejected broadcasts", async () => {
    await expect(client().txStatus("aa")).rejects.toMatchObject({ kind: "notFound", status: 404 });
    await expect(client("/garbage").feeEstimates()).rejects.toMatchObject({ kind: "parse" });
    await expect(client().broadcast("bad")).rejects.toMatchObject({ kind: "rejected", status: 400 });
    expect(await client().feeEstimates()).toEqual({ "1": 5.2, "6": 2 });
  });

  it("broadcasts hex as a plain-text simple request and returns the txid", async () => {
    expect(await client().broadcast("0200")).toBe("f".repeat(64));
    expect(lastPost).toEqual({ contentType: "text/plain;charset=UTF-8", body: "0200" });
  });

  it("reports network errors when nothing listens", async () => {
    const e = await new EsploraClient({ baseUrl: "http://127.0.0.1:1", retries: 0 })
      .tipHeight()
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: "network" });
  });
});
