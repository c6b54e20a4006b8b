/** The app side against loopback guardians: k of n, who answered, refusals, a tampering guardian. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { base64 } from "@scure/base";
import { afterAll, describe, expect, it } from "vitest";
import { buildLedgerOp, emptyProof, walletAccount, walletUtxo } from "../btc/index.ts";
import { collectCosignatures } from "./client.ts";
import { FederationError, fetchFederation, type PublishedFederation } from "./federation.ts";

const owner = walletAccount(
  secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true),
  "p2wpkh",
  "regtest",
);
const build = (feeRate: number) =>
  buildLedgerOp(
    {
      network: "regtest",
      wallet: owner,
      walletUtxos: [walletUtxo(owner, "regtest", { txid: "44".repeat(32), vout: 0, value: 500_000n })],
      feeRate,
    },
    {
      spell: { version: 1, op: { type: "claimGains" }, attestation: new Uint8Array(0), proof: emptyProof() },
    },
  ).psbt;
const psbt = build(2);
const other = build(3);

const servers: Server[] = [];
async function guardian(behave: "sign" | "refuse" | "tamper" | "slow"): Promise<string> {
  const server = createServer((req, res) => {
    req.resume();
    req.on("end", () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(body));
      };
      if (behave === "refuse")
        return reply(422, { error: { code: "refused", reason: "badProof: the proof does not verify" } });
      if (behave === "slow")
        return setTimeout(() => reply(200, { psbt: base64.encode(psbt), signedInputs: [] }), 2_000);
      reply(200, { psbt: base64.encode(behave === "tamper" ? other : psbt), signedInputs: [1] });
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterAll(() => {
  for (const s of servers) s.closeAllConnections();
  for (const s of servers) s.close();
});

describe("collecting co-signatures", () => {
  it("stops at k signatures and reports every guardian: signed, refused with the reason, down, still pending", async () => {
    const endpoints = [
      { name: "a", url: await guardian("refuse") },
      { name: "b", url: await guardian("sign") },
      { name: "c", url: "http://127.0.0.1:9" },
      { name: "d", url: await guardian("slow") },
      { name: "e", url: await guardian("sign") },
    ];
    const out = await collectCosignatures(endpoints, psbt, { threshold: 2 });
    expect(out.quorum).toBe(true);
    expect(out.signed.length).toBe(2);
    const by = Object.fromEntries(out.answers.map((a) => [a.guardian, a]));
    expect(by.a).toMatchObject({
      status: "refused",
      code: "refused",
      reason: "badProof: the proof does not verify",
    });
    expect(by.b?.status).toBe("signed");
    expect(by.c?.status).toBe("unreachable");
    expect(by.d?.status).toBe("pending");
    expect(by.e?.status).toBe("signed");
  });

  it("does not count a guardian that returns another transaction", async () => {
    const out = await collectCosignatures(
      [
        { name: "honest", url: await guardian("sign") },
        { name: "tamper", url: await guardian("tamper") },
      ],
      psbt,
      { threshold: 2 },
    );
    expect(out.quorum).toBe(false);
    expect(out.answers.find((a) => a.guardian === "tamper")).toMatchObject({
      status: "refused",
      code: "differentTransaction",
    });
  });
});

const member = (i: number) => ({
  name: `guardian-${i}`,
  url: `http://127.0.0.1:${18491 + i}`,
  custodyKey: `02${String(i).repeat(64)}`,
  oracleKey: [`${i}1`, `${i}2`] as [string, string],
});
const published: PublishedFederation = {
  network: "regtest",
  threshold: 2,
  csvBlocks: 26_280,
  members: [member(1), member(2), member(3)],
  oracleThreshold: 2,
  startHeight: 1,
  params: {},
};

async function publisher(body: unknown): Promise<string> {
  const server = createServer((req, res) => {
    res.writeHead(req.url === "/v1/federation" ? 200 : 404, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("learning the federation from its guardians", () => {
  it("accepts it when k guardians publish the same one, even with one down", async () => {
    const urls = [await publisher(published), await publisher(published), "http://127.0.0.1:9"];
    expect(await fetchFederation(urls)).toEqual(published);
  });

  it("refuses a federation that fewer than k guardians vouch for", async () => {
    const urls = [await publisher(published), "http://127.0.0.1:9"];
    await expect(fetchFederation(urls)).rejects.toMatchObject({ code: "tooFewAnswers" });
  });

  it("refuses when one guardian publishes different keys (no key swap through one URL)", async () => {
    const swapped = {
      ...published,
      members: [member(1), member(2), { ...member(3), custodyKey: `03${"4".repeat(64)}` }],
    };
    const urls = [await publisher(published), await publisher(published), await publisher(swapped)];
    const error = await fetchFederation(urls).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(FederationError);
    expect(error).toMatchObject({ code: "disagreement" });
  });

  it("treats a malformed answer as no answer, and no URL as a configuration error", async () => {
    const bad = { ...published, members: [{ ...member(1), custodyKey: "not hex" }] };
    const urls = [await publisher(bad), await publisher(published)];
    await expect(fetchFederation(urls)).rejects.toMatchObject({ code: "tooFewAnswers" });
    await expect(fetchFederation([" "])).rejects.toMatchObject({ code: "noGuardians" });
  });
});
