import { describe, expect, it } from "vitest";
import { clientOf, PROTECTION_PRESETS, Protection } from "./protect.ts";

const clock = () => {
  let t = 1_000_000;
  return { now: () => t, advance: (ms: number) => (t += ms) };
};

describe("request protection", () => {
  it("keeps the seed's presets (rpc/rate_limiter.rs)", () => {
    expect(PROTECTION_PRESETS.default).toMatchObject({
      anonymous: { rps: 10, burst: 20 },
      apiKey: { rps: 100, burst: 200 },
      cleanupSec: 60,
      ttlSec: 300,
      connectionsPerIp: 100,
      globalConnections: 10_000,
      listsEnabled: true,
    });
    expect(PROTECTION_PRESETS.high_traffic).toMatchObject({
      anonymous: { rps: 50, burst: 100 },
      apiKey: { rps: 500, burst: 1000 },
      connectionsPerIp: 500,
      globalConnections: 50_000,
    });
    expect(PROTECTION_PRESETS.development).toMatchObject({
      anonymous: { rps: 1000, burst: 2000 },
      apiKey: { rps: 5000, burst: 10_000 },
      listsEnabled: false,
    });
  });

  it("an IP gets its burst at once, then the sustained rate, and is told when to retry", () => {
    const c = clock();
    const p = new Protection({ preset: "default", now: c.now });
    for (let i = 0; i < 20; i++) expect(p.admit("10.0.0.1", undefined).ok).toBe(true);
    const refused = p.admit("10.0.0.1", undefined);
    expect(refused).toMatchObject({ ok: false, status: 429, retryAfterSec: 1 });
    // Another IP has its own bucket.
    expect(p.admit("10.0.0.2", undefined).ok).toBe(true);
    // 10 requests/s: one more token every 100 ms.
    c.advance(100);
    expect(p.admit("10.0.0.1", undefined).ok).toBe(true);
    expect(p.admit("10.0.0.1", undefined).ok).toBe(false);
    // Over one second no more than burst + rate requests pass.
    c.advance(10_000);
    let passed = 0;
    for (let ms = 0; ms < 1000; ms += 5) {
      if (p.admit("10.0.0.1", undefined).ok) passed++;
      c.advance(5);
    }
    expect(passed).toBeLessThanOrEqual(20 + 10);
    expect(passed).toBeGreaterThanOrEqual(20 + 9);
    p.stop();
  });

  it("a known API key gets the key bucket, whatever its IP; an unknown key counts as anonymous", () => {
    const c = clock();
    const p = new Protection({ preset: "default", apiKeys: ["k1"], now: c.now });
    let keyed = 0;
    for (let i = 0; i < 300; i++) if (p.admit(`10.0.0.${i % 7}`, "k1").ok) keyed++;
    expect(keyed).toBe(200);
    let anon = 0;
    for (let i = 0; i < 50; i++) if (p.admit("10.0.0.9", "not-a-key").ok) anon++;
    expect(anon).toBe(20);
    p.stop();
  });

  it("refuses deny-listed IPs and lets allow-listed ones through without limit, except in development", () => {
    const p = new Protection({ preset: "default", allow: ["::ffff:127.0.0.1"], deny: ["10.6.6.6"] });
    expect(p.admit("10.6.6.6", undefined)).toMatchObject({ ok: false, status: 403 });
    for (let i = 0; i < 100; i++) expect(p.admit("127.0.0.1", undefined).ok).toBe(true);
    const dev = new Protection({ preset: "development", deny: ["10.6.6.6"] });
    expect(dev.admit("10.6.6.6", undefined).ok).toBe(true);
    p.stop();
    dev.stop();
  });

  it("caps connections per IP and globally, and frees them on close", () => {
    const p = new Protection({
      preset: { ...PROTECTION_PRESETS.default, connectionsPerIp: 2, globalConnections: 3 },
    });
    expect(p.openConnection("a")).toBe(true);
    expect(p.openConnection("a")).toBe(true);
    expect(p.openConnection("a")).toBe(false);
    expect(p.openConnection("b")).toBe(true);
    expect(p.openConnection("c")).toBe(false);
    p.closeConnection("a");
    expect(p.openConnection("c")).toBe(true);
    expect(p.stats.connectionsRefused).toBe(2);
    p.stop();
  });

  it("drops buckets idle longer than the ttl", () => {
    const c = clock();
    const p = new Protection({ preset: "default", now: c.now });
    p.admit("1.1.1.1", undefined);
    c.advance(200_000);
    p.admit("2.2.2.2", undefined);
    c.advance(200_000);
    p.sweep();
    expect(p.trackedClients).toBe(1);
    p.stop();
  });
});

describe("clients: IPv4 addresses and IPv6 /64s, in bounded state", () => {
  it("names the client: IPv4 as is, IPv4-mapped IPv6 as its IPv4, other IPv6 by /64", () => {
    expect(clientOf("10.0.0.1")).toBe("10.0.0.1");
    expect(clientOf("::ffff:10.0.0.1")).toBe("10.0.0.1");
    expect(clientOf("::ffff:a00:1")).toBe("10.0.0.1");
    expect(clientOf("2001:db8:1:2:3:4:5:6")).toBe("2001:db8:1:2::/64");
    expect(clientOf("2001:db8:1:2::99")).toBe("2001:db8:1:2::/64");
    expect(clientOf("2001:DB8:1:2:ffff::1")).toBe("2001:db8:1:2::/64");
    expect(clientOf("::1")).toBe("0:0:0:0::/64");
    expect(clientOf("unknown")).toBe("unknown");
  });

  it("200,000 rotating IPv6 addresses in one /64 × 4 co-sign-cost requests get one client's budget", () => {
    const c = clock();
    const p = new Protection({ preset: "default", now: c.now });
    let admitted = 0;
    for (let i = 0; i < 200_000; i++) {
      const ip = `2001:db8:aa:bb:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}:1:2`;
      for (let r = 0; r < 4; r++) if (p.admit(ip, undefined, 5).ok) admitted++;
    }
    // The burst (20 tokens) buys 4 requests of cost 5; the clock stands still.
    expect(admitted).toBe(4);
    expect(p.trackedClients).toBe(1);
    // IPv4-mapped and plain IPv4 share one bucket too.
    for (let i = 0; i < 4; i++) expect(p.admit("::ffff:10.1.1.1", undefined, 5).ok).toBe(true);
    expect(p.admit("10.1.1.1", undefined, 5).ok).toBe(false);
    p.stop();
  });

  it("keeps at most maxClients buckets however many /64s come (50,000 distinct /64s × 4 requests)", () => {
    const c = clock();
    const p = new Protection({ preset: "default", now: c.now });
    let admitted = 0;
    for (let i = 0; i < 50_000; i++) {
      const ip = `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}::1`;
      for (let r = 0; r < 4; r++) if (p.admit(ip, undefined, 5).ok) admitted++;
    }
    const max = PROTECTION_PRESETS.default.maxClients;
    expect(p.trackedClients).toBe(max);
    // Each tracked client had its burst (4 × 5 tokens); the 30,000 beyond the table shared one.
    expect(admitted).toBe(max * 4 + 4);
    expect(p.stats.overflowed).toBe((50_000 - max) * 4);
    p.stop();
  });

  it("a flood of new clients cannot reset an attacker's spent budget; a refilled bucket may be forgotten", () => {
    const c = clock();
    const p = new Protection({ preset: { ...PROTECTION_PRESETS.default, maxClients: 3 }, now: c.now });
    for (let i = 0; i < 20; i++) expect(p.admit("10.6.6.6", undefined).ok).toBe(true);
    expect(p.admit("10.6.6.6", undefined).ok).toBe(false);
    // The attacker rotates through fresh clients to push its spent bucket out of the table.
    for (let i = 0; i < 1_000; i++) p.admit(`10.7.${i >> 8}.${i & 255}`, undefined);
    expect(p.trackedClients).toBeLessThanOrEqual(3);
    expect(p.admit("10.6.6.6", undefined).ok).toBe(false);
    // The fresh clients beyond the table shared one overflow budget: 20 requests, not 20 each.
    expect(p.stats.overflowed).toBeGreaterThan(900);
    // Once every bucket has refilled (2 s at 10/s for 20), the least recently used is forgotten for a newcomer.
    c.advance(3_000);
    expect(p.admit("10.8.0.1", undefined).ok).toBe(true);
    expect(p.trackedClients).toBe(3);
    p.stop();
  });

  it("counts connections per client (/64), not per address", () => {
    const p = new Protection({ preset: { ...PROTECTION_PRESETS.default, connectionsPerIp: 2 } });
    expect(p.openConnection("2001:db8:1:2::1")).toBe(true);
    expect(p.openConnection("2001:db8:1:2::2")).toBe(true);
    expect(p.openConnection("2001:db8:1:2::3")).toBe(false);
    expect(p.openConnection("2001:db8:1:3::1")).toBe(true);
    p.stop();
  });
});
