import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { GuardianKeys } from "./keys.ts";
import { PEER_HEADERS, PeerAuthenticator, signPeerRequest } from "./peer-auth.ts";
import { SIGNED_PRICES_FILE, SignedPrices } from "./signed-prices.ts";

const [a, b, c] = [0, 1, 2].map(() => GuardianKeys.generate().keys) as [
  GuardianKeys,
  GuardianKeys,
  GuardianKeys,
];
const body = '{"price":"1","timestamp":1,"round":"1"}';
const bytes = new TextEncoder().encode(body);

function setup(now = 1_000_000) {
  let t = now;
  const auth = new PeerAuthenticator({
    self: b.custodyPublicKeyHex,
    members: () => [a.custodyPublicKey, b.custodyPublicKey],
    now: () => t,
  });
  const sign = (keys = a, audience = b.custodyPublicKeyHex, text = body) =>
    signPeerRequest(keys, { method: "POST", path: "/v1/attest", body: text, audience }, t);
  return { auth, sign, advance: (ms: number) => (t += ms) };
}

describe("peer request authentication", () => {
  it("accepts a member's signed request once; refuses a replay, a stranger, another audience, a changed body", () => {
    const { auth, sign } = setup();
    const h = sign();
    expect(auth.verify("POST", "/v1/attest", h, bytes)).toEqual({ ok: true, peer: a.custodyPublicKeyHex });
    expect(auth.verify("POST", "/v1/attest", h, bytes)).toMatchObject({ ok: false, reason: /replayed/ });
    expect(auth.verify("POST", "/v1/attest", sign(c), bytes)).toMatchObject({
      ok: false,
      reason: /custody set/,
    });
    expect(auth.verify("POST", "/v1/attest", sign(a, c.custodyPublicKeyHex), bytes)).toMatchObject({
      ok: false,
      reason: /bad peer signature/,
    });
    expect(auth.verify("POST", "/v1/attest", sign(), new TextEncoder().encode(`${body} `))).toMatchObject({
      ok: false,
      reason: /bad peer signature/,
    });
    expect(auth.verify("POST", "/v1/other", sign(), bytes)).toMatchObject({ ok: false });
    expect(auth.verify("POST", "/v1/attest", sign(b), bytes)).toMatchObject({ ok: false, reason: /itself/ });
    expect(auth.verify("POST", "/v1/attest", {}, bytes)).toMatchObject({ ok: false, reason: /missing/ });
    const bad = { ...sign(), [PEER_HEADERS.signature]: "zz" };
    expect(auth.verify("POST", "/v1/attest", bad, bytes)).toMatchObject({ ok: false, reason: /malformed/ });
  });

  it("refuses requests signed too long ago, in the future, or before it started", () => {
    const { auth, sign, advance } = setup();
    const old = sign();
    advance(31_000);
    expect(auth.verify("POST", "/v1/attest", old, bytes)).toMatchObject({
      ok: false,
      reason: /30000 ms off/,
    });
    advance(-62_000);
    const early = sign();
    advance(31_000);
    expect(auth.verify("POST", "/v1/attest", early, bytes)).toMatchObject({
      ok: false,
      reason: /before this guardian started/,
    });
  });
});

describe("signed prices: one statement per timestamp, persisted, bounded", () => {
  const st = (price: bigint, timestamp: number, round = BigInt(timestamp)) => ({ price, timestamp, round });

  it("allows the same statement again, refuses another price or round, and remembers across a reopen", () => {
    const dir = mkdtempSync(join(tmpdir(), "zkusd-signed-"));
    const s = new SignedPrices(dir);
    expect(s.claim(st(100n, 5_000))).toEqual({ ok: true, again: false });
    expect(s.claim(st(100n, 5_000))).toEqual({ ok: true, again: true });
    expect(s.claim(st(99n, 5_000))).toMatchObject({ ok: false, code: "conflict" });
    expect(s.claim(st(100n, 5_000, 7n))).toMatchObject({ ok: false, code: "conflict" });
    const reopened = new SignedPrices(dir);
    expect(reopened.claim(st(99n, 5_000))).toMatchObject({ ok: false, code: "conflict" });
    expect(reopened.claim(st(99n, 5_001))).toEqual({ ok: true, again: false });
  });

  it("keeps a retention window, refuses anything below that floor for good, and compacts its file", () => {
    const dir = mkdtempSync(join(tmpdir(), "zkusd-signed-"));
    const s = new SignedPrices(dir, 1_000);
    for (let t = 0; t < 9_000; t += 20) expect(s.claim(st(100n, t)).ok).toBe(true);
    expect(s.size).toBeLessThanOrEqual(51);
    expect(s.claim(st(1n, 100))).toMatchObject({ ok: false, code: "tooOld" });
    const lines = readFileSync(join(dir, SIGNED_PRICES_FILE), "utf8").trim().split("\n").length;
    expect(lines).toBeLessThanOrEqual(2 * 51 + 100);
    const reopened = new SignedPrices(dir, 1_000);
    expect(reopened.floor).toBe(8_980 - 1_000);
    expect(reopened.claim(st(1n, 8_980))).toMatchObject({ ok: false, code: "conflict" });
  });
});
