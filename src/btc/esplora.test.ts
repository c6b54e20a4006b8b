import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { EsploraClient, EsploraError, type EsploraTx } from "./esplora.ts";
import { MemoryCache } from "./esplora-cache.ts";
import {
  HostScheduler,
  hostLimitsProblems,
  LOCAL_HOST_LIMITS,
  retryAfterMs,
  setHostLimits,
} from "./esplora-scheduler.ts";
import { nextPollMs } from "./poll.ts";

// A tiny local HTTP server scripted per path: the client's retry/timeout logic against real sockets.
let server: Server;
let base: string;
const hits = new Map<string, number>();
let lastPost: { contentType?: string; body: string } | undefined;
const times = new Map<string, number[]>();

const H = (c: string) => c.repeat(64);
/** A real transaction (a coinbase with an OP_RETURN) and its txid: txHex checks the bytes hash to it. */
const TX_HEX =
  "02000000010000000000000000000000000000000000000000000000000000000000000000ffffffff0a03e8030004666f726765ffffffff0100000000000000000c6a0a7a6b555344666f72676500000000";
const TXID = "e927afed5ddb00c86d638ddbaca9d56fdee33196f4b190dd472f83934d96b56f";
const fakeTx = (txid: string, vin: [string, number][], vout: [string | undefined, number][]): EsploraTx => ({
  txid,
  version: 2,
  locktime: 0,
  vin: vin.map(([t, v]) => ({ txid: t, vout: v, is_coinbase: false, sequence: 0 })),
  vout: vout.map(([address, value]) => ({
    scriptpubkey: "00",
    scriptpubkey_type: "unknown",
    ...(address ? { scriptpubkey_address: address } : {}),
    value,
  })),
  size: 100,
  weight: 400,
  status: { confirmed: true, block_height: 1 },
});
// 23 transactions in block "b…b", served 10 per page as a self-hosted mempool backend does.
const blockTxList = Array.from({ length: 23 }, (_, i) => fakeTx(i.toString(16).padStart(64, "0"), [], []));
// An address over the 500-UTXO cap: 3 confirmed history pages and one mempool transaction.
const ADDR = "tb1qbusy";
const history = [
  fakeTx(
    H("1"),
    [[H("0"), 0]],
    [
      [ADDR, 1000],
      [ADDR, 2000],
    ],
  ),
  fakeTx(
    H("2"),
    [[H("1"), 0]],
    [
      [ADDR, 500],
      ["tb1qother", 400],
    ],
  ),
  fakeTx(H("3"), [[H("9"), 1]], [[ADDR, 700]]),
];
const mempoolTx = { ...fakeTx(H("4"), [[H("2"), 0]], [["tb1qother", 450]]), status: { confirmed: false } };

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    const path = req.url ?? "/";
    const n = (hits.get(path) ?? 0) + 1;
    hits.set(path, n);
    times.set(path, [...(times.get(path) ?? []), Date.now()]);
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
      // mempool.space: the route is deprecated (203); the mempool backend's route answers instead.
      if (path === "/mempool/fee-estimates") return res.writeHead(203).end('{"1": 99}');
      if (path === "/mempool/v1/fees/recommended")
        return res.end('{"fastestFee":12,"halfHourFee":8,"hourFee":5,"economyFee":2,"minimumFee":1}');
      if (path === "/bare/v1/fees/recommended")
        return res.end('{"fastestFee":3,"halfHourFee":2,"hourFee":1}');
      if (path === "/limited/blocks/tip/height") {
        if (n === 1) return res.writeHead(429).end("Too Many Requests");
        if (n === 2) return res.writeHead(429, { "retry-after": "1" }).end("Too Many Requests");
        return res.end("5");
      }
      // A 429 without CORS headers, as blockstream.info sends it: the browser reports a network failure.
      if (path === "/nocors/blocks/tip/height") {
        if (n <= 2) return res.writeHead(429).end("Too Many Requests");
        return res.writeHead(200, { "access-control-allow-origin": "*" }).end("6");
      }
      if (path.startsWith("/paced/")) return void setTimeout(() => res.end("7"), 30);
      const page = /^\/(p10|p25|short)\/block\/b{64}\/txs(?:\/(\d+))?$/.exec(path);
      if (page) {
        const size = page[1] === "p25" ? 25 : 10;
        const start = Number(page[2] ?? 0);
        if (start % size) return res.writeHead(400).end(`start index must be a multiple of ${size}`);
        const list = page[1] === "short" ? blockTxList.slice(0, 15) : blockTxList;
        return res.end(JSON.stringify(list.slice(start, start + size)));
      }
      if (path === `/tx/${TXID}/hex`) return res.end(TX_HEX);
      if (path === `/tx/${H("e")}/hex`) return res.end(TX_HEX); // not transaction e…e
      if (path === `/tx/${H("c")}`)
        return res.end(
          JSON.stringify({ ...fakeTx(H("c"), [], []), status: { confirmed: true, block_height: 10 } }),
        );
      if (path === `/tx/${H("d")}`)
        return res.end(
          JSON.stringify({ ...fakeTx(H("d"), [], []), status: { confirmed: true, block_height: 99 } }),
        );
      if (path === "/blocks/tip/height/x") return res.end("100");
      if (path === "/block-height/10" || path === "/block-height/99") return res.end(H("e"));
      if (path === `/tx/${H("c")}/outspends`)
        return res.end('[{"spent":false},{"spent":true,"txid":"' + H("f") + '","vin":0}]');
      if (path.startsWith(`/tx/${H("c")}/outspend/`)) return res.writeHead(404).end("Not Found");
      // Real servers: 200 {"confirmed":false} for a transaction they never saw; /tx/:txid is 404.
      if (path === `/tx/${H("a")}/status`) return res.end('{"confirmed":false}');
      if (path === `/tx/${H("a")}`) return res.writeHead(404).end("Transaction not found");
      if (path === `/tx/${H("b")}/status`) return res.end('{"confirmed":false}');
      if (path === `/tx/${H("b")}`) return res.end(JSON.stringify({ ...mempoolTx, txid: H("b") }));
      if (path === `/address/${ADDR}/utxo`)
        return res
          .writeHead(400)
          .end("Too many unspent transaction outputs (>500). Contact support to raise limits.");
      if (path === `/address/${ADDR}/txs/mempool`) return res.end(JSON.stringify([mempoolTx]));
      if (path === `/address/${ADDR}/txs/chain`) return res.end(JSON.stringify([history[0]]));
      if (path === `/address/${ADDR}/txs/chain/${H("1")}`)
        return res.end(JSON.stringify([history[1], history[2]]));
      if (path === `/address/${ADDR}/txs/chain/${H("3")}`) return res.end("[]");
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

// Each test starts at the host's full rate (an earlier test's 429s slowed the shared scheduler down).
// Setting the same caps again keeps a slowdown, so other caps first, then the loopback defaults:
// without this the tests after the 429 ones ran at a few requests a second (47 s instead of 9 s).
beforeEach(() => {
  if (!base) return;
  setHostLimits(base, { rps: 1 });
  setHostLimits(base, LOCAL_HOST_LIMITS);
});

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

  it("pauses the host on 429: about a second without Retry-After, Retry-After's delay with it", async () => {
    expect(await client("/limited").tipHeight()).toBe(5);
    const [t1, t2, t3] = times.get("/limited/blocks/tip/height")!;
    expect(t2! - t1!).toBeGreaterThanOrEqual(700); // 1 s ± 25 % jitter, not the old 5 ms
    expect(t3! - t2!).toBeGreaterThanOrEqual(990); // Retry-After: 1
  });

  it("treats a 429 without CORS headers (a browser's network failure) as a rate limit: pauses, then succeeds", async () => {
    // What a browser does with a cross-origin answer lacking Access-Control-Allow-Origin.
    const browserFetch: typeof fetch = async (url, init) => {
      const res = await fetch(url, init);
      if (!res.headers.get("access-control-allow-origin")) throw new TypeError("Failed to fetch");
      return res;
    };
    expect(await client("/nocors", { fetch: browserFetch, backoffMs: 1 }).tipHeight()).toBe(6);
    const [t1, t2] = times.get("/nocors/blocks/tip/height")!;
    expect(t2! - t1!).toBeGreaterThanOrEqual(700);
  });

  it("keeps to the host's rate and concurrency caps", async () => {
    const local = `http://localhost:${new URL(base).port}/paced`;
    let open = 0;
    let most = 0;
    const counting: typeof fetch = async (u, i) => {
      most = Math.max(most, ++open);
      try {
        const r = await fetch(u, i);
        return new Response(await r.text(), { status: r.status, headers: r.headers });
      } finally {
        open--;
      }
    };
    const c = new EsploraClient({
      baseUrl: local,
      fetch: counting,
      limits: { rps: 20, burst: 2, concurrency: 2 },
    });
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 10 }, () => c.tipHeight()));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(380); // (10 − burst 2) / 20 per s
    expect(most).toBe(2);
  });

  it("pages a block by what each page returned (10 or 25) and checks the count", async () => {
    for (const p of ["/p10", "/p25"]) {
      const txs = await client(p).blockTxsAll(H("b"), 23);
      expect(txs.map((t) => t.txid)).toEqual(blockTxList.map((t) => t.txid));
    }
    await expect(client("/short").blockTxsAll(H("b"), 23)).rejects.toMatchObject({ kind: "incomplete" });
    await expect(client("/p25").blockTxsAll(H("b"), 22)).rejects.toMatchObject({ kind: "incomplete" });
  });

  it("caches immutable answers: a transaction's hex, deep confirmed transactions and block hashes", async () => {
    const c = client();
    expect(await c.txHex(TXID)).toBe(TX_HEX);
    expect(await client().txHex(TXID)).toBe(TX_HEX); // another client of the host
    expect(hits.get(`/tx/${TXID}/hex`)).toBe(1);
    // Bytes that do not hash to the txid asked for are refused, never kept.
    await expect(c.txHex(H("e"))).rejects.toThrow(/not transaction/);
    await expect(c.txHex(H("e"))).rejects.toThrow(/not transaction/);
    expect(hits.get(`/tx/${H("e")}/hex`)).toBe(2);
    const tipped = new EsploraClient({
      baseUrl: base,
      fetch: (u, i) => fetch(String(u).replace("/blocks/tip/height", "/blocks/tip/height/x"), i),
    });
    await tipped.tipHeight(); // tip 100
    await c.tx(H("c")); // height 10: final
    await c.tx(H("c"));
    await c.tx(H("d")); // height 99: two confirmations, not cached
    await c.tx(H("d"));
    expect(hits.get(`/tx/${H("c")}`)).toBe(1);
    expect(hits.get(`/tx/${H("d")}`)).toBe(2);
    await c.blockHash(10);
    await c.blockHash(10);
    await c.blockHash(99);
    await c.blockHash(99);
    expect(hits.get("/block-height/10")).toBe(1);
    expect(hits.get("/block-height/99")).toBe(2);
  });

  it("falls back from a deprecated /fee-estimates (203) or a missing one to /v1/fees/recommended", async () => {
    expect(await client("/mempool").feeEstimates()).toEqual({ "1": 12, "3": 8, "6": 5, "144": 2, "1008": 1 });
    expect(await client("/bare").feeEstimates()).toEqual({ "1": 3, "3": 2, "6": 1 });
  });

  it("asks /outspends, never the per-output route a mempool backend lacks", async () => {
    expect(await client().outspend(H("c"), 1)).toEqual({ spent: true, txid: H("f"), vin: 0 });
    expect(hits.get(`/tx/${H("c")}/outspend/1`)).toBeUndefined();
    await expect(client().outspend(H("c"), 5)).rejects.toMatchObject({ kind: "notFound" });
  });

  it("tells an unknown transaction (200 {confirmed:false}, /tx 404) from one in the mempool", async () => {
    expect(await client().txState(H("a"))).toEqual({ state: "unknown" });
    expect(await client().txState(H("b"))).toEqual({ state: "mempool" });
    expect(await client().txState("aa")).toEqual({ state: "unknown" }); // the devnet's old 404
  });

  it("lists an address over the server's 500-UTXO cap from its history", async () => {
    const utxos = await client().addressUtxos(ADDR);
    expect(utxos.map((u) => `${u.txid.slice(0, 1)}:${u.vout}:${u.value}`).sort()).toEqual([
      "1:1:2000",
      "3:0:700",
    ]);
  });

  it("reports network errors when nothing listens", async () => {
    const e = await new EsploraClient({ baseUrl: "http://127.0.0.1:1", retries: 0 })
      .tipHeight()
      .catch((x: unknown) => x);
    expect(e).toMatchObject({ kind: "network" });
  });
});

describe("HostScheduler and caches", () => {
  it("reads Retry-After as seconds or as an HTTP date", () => {
    expect(retryAfterMs("3")).toBe(3000);
    expect(retryAfterMs(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
    expect(retryAfterMs(null)).toBeUndefined();
    expect(retryAfterMs("soon")).toBeUndefined();
  });

  it("doubles the pause for each rate limit in a row and caps a long Retry-After", () => {
    const s = new HostScheduler({ rps: 5, burst: 10, concurrency: 10 });
    const t = Date.now();
    expect(s.backOff(undefined, () => 0.5, t)).toBe(1000);
    expect(s.backOff(undefined, () => 0.5, t + 10)).toBe(990); // the same event: no escalation
    expect(s.backOff(undefined, () => 0.5, t + 1500)).toBe(2000);
    expect(s.backOff(3_600_000, () => 0.5, t + 1500)).toBe(120_000);
    s.ok(1);
    expect(s.backOff(undefined, () => 0.5, t + 200_000)).toBe(1000);
  });

  it("refuses caps outside their bounds, one sentence per cap", () => {
    expect(hostLimitsProblems({})).toEqual([]);
    expect(hostLimitsProblems({ rps: 0.5, burst: 1, concurrency: 64 })).toEqual([]);
    expect(hostLimitsProblems({ rps: 0, burst: 2.5, concurrency: 65 })).toEqual([
      "requests per second: a number from 0.1 to 1000",
      "burst: a whole number from 1 to 1000",
      "requests at once: a whole number from 1 to 64",
    ]);
    expect(hostLimitsProblems({ rps: Number.NaN })).toHaveLength(1);
    expect(hostLimitsProblems({ rps: Infinity })).toHaveLength(1);
  });

  it("gives a rate set on an uncapped (loopback) host a burst of one second, so idling banks no flood", () => {
    const s = new HostScheduler({ rps: Infinity, burst: Infinity, concurrency: 64 });
    s.setLimits({ rps: 2.5 });
    expect(s.limits).toEqual({ rps: 2.5, burst: 3, concurrency: 64 });
  });

  it("keeps the slowdown after a rate limit when the same caps are set again (each new client sets them)", async () => {
    const s = new HostScheduler({ rps: 5, burst: 1, concurrency: 1 });
    const t = Date.now();
    s.backOff(0, () => 0.5, t); // slowed to 2.5 requests/s, no pause
    s.setLimits({ rps: 5, burst: 1, concurrency: 1 });
    // At 2.5/s the second request waits ~400 ms for its token; at a rate reset to 5/s, ~200 ms.
    await s.run(async () => undefined);
    const started = Date.now();
    await s.run(async () => undefined);
    expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  });

  it("keeps the memory cache under its byte budget, dropping the least recently used", () => {
    const m = new MemoryCache(100);
    m.put("a", "x".repeat(20));
    m.put("b", "x".repeat(20));
    m.get("a");
    for (const k of ["c", "d", "e", "f"]) m.put(k, "x".repeat(20));
    expect(m.get("b")).toBeUndefined();
    expect(m.get("a")).toBeDefined();
    m.put("huge", "x".repeat(60));
    expect(m.get("huge")).toBeUndefined();
  });
});

describe("nextPollMs", () => {
  it("grows by half per idle poll up to the cap, resets on a block, waits longer when hidden", () => {
    const p = { baseMs: 2_000, maxMs: 15_000, hiddenMs: 60_000 };
    expect(nextPollMs(p, 0)).toBe(2_000);
    expect(nextPollMs(p, 1)).toBe(3_000);
    expect(nextPollMs(p, 2)).toBe(4_500);
    expect(nextPollMs(p, 10)).toBe(15_000);
    expect(nextPollMs(p, 1_000)).toBe(15_000);
    expect(nextPollMs(p, 0, true)).toBe(60_000);
  });
});
