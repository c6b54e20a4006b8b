import { execFile } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  DEFAULT_PRICES,
  type ExchangeServer,
  startExchangeServer,
} from "../../test/support/exchange-server.ts";
import { SOURCE_IDS } from "./types.ts";

let server: ExchangeServer;
beforeAll(async () => {
  server = await startExchangeServer();
});
afterAll(async () => {
  await server.close();
});

/** Runs the real binary (`node bin/zkusd.mjs …`) with the ZKUSD_ORACLE_URL_* variables set. */
function zkusd(args: string[], env: Record<string, string> = server.env()) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["bin/zkusd.mjs", ...args],
      { env: { ...process.env, ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("zkusd oracle price", () => {
  it("--json prints the aggregate and every source's quote against the exchanges' real formats", async () => {
    server.setAll("good");
    server.set("okx", "outlier");
    const { code, stdout, stderr } = await zkusd(["oracle", "price", "--json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(Object.keys(out)).toEqual(["status", "price", "sources", "sourceUrls"]);
    // It says where it read each exchange: here the loopback servers the environment names.
    expect(out.sourceUrls).toEqual(
      Object.fromEntries(SOURCE_IDS.map((id) => [id, server.env()[`ZKUSD_ORACLE_URL_${id.toUpperCase()}`]])),
    );
    expect(out.status).toBe("ok");
    // Median of the five accepted (okx is 8% high): bitstamp's 97003.25.
    expect(out.price).toBe("97003.25");
    expect(out.sources.map((s: { source: string }) => s.source)).toEqual([...SOURCE_IDS]);
    for (const source of out.sources) {
      expect(Object.keys(source)).toEqual(["source", "price", "volume", "timestamp", "accepted", "reason"]);
      expect(typeof source.price).toBe("string");
      expect(typeof source.volume).toBe("string");
      expect(Number.isInteger(source.timestamp)).toBe(true);
    }
    expect(out.sources[0]).toMatchObject({
      source: "binance",
      price: DEFAULT_PRICES.binance,
      volume: "18234.5123",
      accepted: true,
      reason: null,
    });
    expect(out.sources[4]).toMatchObject({ source: "okx", price: "104781.6", accepted: false });
    expect(out.sources[4].reason).toMatch(/^outlier: 8\.\d\d% from the median/);
  });

  it("says unavailable (exit 3) and why when fewer than three sources are valid", async () => {
    server.setAll("good");
    server.set("binance", "rateLimited");
    server.set("coinbase", "stale");
    server.set("kraken", "malformed");
    server.set("bitstamp", "geoblock");
    const { code, stdout } = await zkusd(["oracle", "price", "--json", "--timeout", "1000"]);
    expect(code).toBe(3);
    const out = JSON.parse(stdout);
    expect(out.status).toBe("unavailable");
    expect(out.price).toBeNull();
    expect(
      out.sources.map((s: { accepted: boolean; reason: string | null }) => [
        s.accepted,
        s.reason?.split(":")[0] ?? null,
      ]),
    ).toEqual([
      [false, "rateLimited"],
      [false, "stale"],
      [false, "malformedResponse"],
      [false, "blocked"],
      [true, null],
      [true, null],
    ]);
  });

  it("prints a readable table without --json", async () => {
    server.setAll("good");
    server.set("bybit", "hang");
    const { code, stdout } = await zkusd(["oracle", "price", "--timeout", "500"]);
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines[0]).toBe("BTC/USD 97003.25 (median of 5 sources)");
    expect(lines[1]).toMatch(/^ {2}binance +97012\.34 USDT +via rest \d+ s old: accepted$/);
    expect(lines[6]).toBe(
      "  bybit     -                          via rest: rejected (timeout: bybit: no answer within 500 ms)",
    );
  });

  it("refuses a base URL that is not http(s) (exit 1) and a bad option (exit 2)", async () => {
    const bad = await zkusd(["oracle", "price"], { ...server.env(), ZKUSD_ORACLE_URL_OKX: "ftp://example" });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("okx baseUrl: expected http: or https: URL");
    const usage = await zkusd(["oracle", "price", "--timeout", "soon"]);
    expect(usage.code).toBe(2);
  });
});
