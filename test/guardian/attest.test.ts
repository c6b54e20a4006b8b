/**
 * Hostile requests to POST /v1/attest on a running 2-of-3 federation (real daemons over a devnet and
 * the dev price feed): nobody but a federation peer gets a price signed, a guardian signs one statement
 * per timestamp ever (also across a restart), and a captured peer request cannot be replayed.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type PriceFeed, startPriceFeed } from "../../src/devnet/pricefeed.ts";
import { type Devnet, startDevnet } from "../../src/devnet/server.ts";
import { oracleSetOf } from "../../src/guardian/daemon.ts";
import { GuardianKeys } from "../../src/guardian/keys.ts";
import { signPeerRequest } from "../../src/guardian/peer-auth.ts";
import { combineSignatures, verifyAttestation } from "../../src/oracle/index.ts";
import { startFederation, type TestFederation, waitFor } from "./support.ts";

const E18 = 10n ** 18n;
let devnet: Devnet;
let feed: PriceFeed;
let fed: TestFederation;

beforeAll(async () => {
  devnet = await startDevnet({ port: 0 });
  feed = await startPriceFeed({ price: "97000" });
  fed = await startFederation({
    esploraUrl: devnet.url,
    feed,
    startHeight: 1,
    // Only the first publication (at start): the seconds the tests use stay free of scheduled ones.
    overrides: { prices: { readIntervalMs: 1_000, publishIntervalMs: 600_000 } },
  });
  // Every guardian has a fresh reading of its own (it co-signs only near it).
  await waitFor("fresh readings", () => fed.guardians.every((g) => g?.prices.latestReading?.status === "ok"));
}, 180_000);

afterAll(async () => {
  await fed?.stopAll();
  await feed?.close();
  await devnet?.close();
});

const body = (price: bigint, timestamp: number) =>
  JSON.stringify({ price: price.toString(), timestamp, round: String(timestamp) });

/** POST /v1/attest to guardian `to`, signed as guardian `from` (or by `signer`, or unsigned). */
async function attest(
  to: number,
  text: string,
  auth: { from?: number; signer?: GuardianKeys; headers?: Record<string, string> } = {},
): Promise<{
  status: number;
  json: {
    signature?: { signer: number; R8: [string, string]; S: string };
    error?: { code: string; reason: string };
  };
  headers: Record<string, string>;
}> {
  const keys = auth.signer ?? (auth.from !== undefined ? fed.keys[auth.from] : undefined);
  const headers =
    auth.headers ??
    (keys
      ? signPeerRequest(keys, {
          method: "POST",
          path: "/v1/attest",
          body: text,
          audience: fed.federation.members[to]!.custodyKey,
        })
      : {});
  const res = await fetch(`${fed.guardians[to]!.url}/v1/attest`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: text,
  });
  return { status: res.status, json: (await res.json()) as never, headers };
}

const nowSec = () => Math.floor(Date.now() / 1000);

describe("POST /v1/attest is for federation peers only, one statement per timestamp", () => {
  it("refuses an unauthenticated request (401) and signs nothing", async () => {
    const t = nowSec() - 3;
    const unsigned = await attest(1, body(96_200n * E18, t));
    expect(unsigned.status).toBe(401);
    expect(unsigned.json.signature).toBeUndefined();
    expect(unsigned.json.error?.code).toBe("unauthenticated");
    // A key outside the federation, and a peer's signature over another body, are no better.
    const stranger = await attest(1, body(96_200n * E18, t), { signer: GuardianKeys.generate().keys });
    expect(stranger.status).toBe(401);
    const signed = await attest(1, body(97_000n * E18, t), { from: 0 });
    const swapped = await attest(1, body(96_200n * E18, t), { headers: { ...signed.headers } });
    expect(swapped.status).toBe(401);
    // …nor a request signed for another guardian.
    const other = signPeerRequest(fed.keys[0]!, {
      method: "POST",
      path: "/v1/attest",
      body: body(96_200n * E18, t - 1),
      audience: fed.federation.members[2]!.custodyKey,
    });
    expect((await attest(1, body(96_200n * E18, t - 1), { headers: other })).status).toBe(401);
  });

  it("signs one price per (timestamp, round): a second, lower price for it is refused with 409", async () => {
    const t = nowSec() - 6;
    const first = await attest(1, body(97_000n * E18, t), { from: 0 });
    expect(first.status).toBe(200);
    const s = first.json.signature!;
    const one = combineSignatures({ price: 97_000n * E18, timestamp: t, round: BigInt(t) }, [
      { signer: s.signer, R8: [BigInt(s.R8[0]), BigInt(s.R8[1])], S: BigInt(s.S) },
    ]);
    expect(verifyAttestation(one, { ...oracleSetOf(fed.federation), threshold: 1 })).toEqual({
      valid: true,
      signers: [1],
    });
    // 0.8% under market: within the co-sign tolerance, but the timestamp is taken.
    const lower = await attest(1, body(96_200n * E18, t), { from: 2 });
    expect(lower.status).toBe(409);
    expect(lower.json.error?.code).toBe("conflict");
    // Another round for the same timestamp is the same conflict.
    const round = JSON.stringify({ price: (96_200n * E18).toString(), timestamp: t, round: String(t + 1) });
    expect((await attest(1, round, { from: 0 })).status).toBe(409);
    // The same statement again (a retry, fresh nonce) is answered.
    expect((await attest(1, body(97_000n * E18, t), { from: 2 })).status).toBe(200);
  });

  it("refuses a replayed peer request (401)", async () => {
    const t = nowSec() - 9;
    const first = await attest(2, body(97_000n * E18, t), { from: 0 });
    expect(first.status).toBe(200);
    const replay = await attest(2, body(97_000n * E18, t), { headers: first.headers });
    expect(replay.status).toBe(401);
    expect(replay.json.error?.reason).toMatch(/replay/);
  });

  it("remembers what it signed across a restart: a conflicting request afterwards is refused (409)", async () => {
    const t = nowSec() - 12;
    expect((await attest(1, body(97_000n * E18, t), { from: 0 })).status).toBe(200);
    await fed.stop(1);
    await fed.start(1);
    await waitFor("guardian-1's reading", () => fed.guardians[1]?.prices.latestReading?.status === "ok");
    const lower = await attest(1, body(96_200n * E18, t), { from: 2 });
    expect(lower.status).toBe(409);
    expect(lower.json.error?.reason).toMatch(/already signed price 97000/);
  });

  it("the federation still publishes quorum attestations between its members", async () => {
    const published = await waitFor("a quorum attestation", async () => {
      const res = await fetch(`${fed.guardians[0]!.url}/v1/attestations`);
      const { attestations } = (await res.json()) as { attestations: { signers: number[] }[] };
      return attestations.find((a) => a.signers.length >= 2);
    });
    expect(published.signers.length).toBeGreaterThanOrEqual(2);
  });
});
