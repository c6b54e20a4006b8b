/** The app side against loopback guardians: k of n, who answered, refusals, a tampering guardian. */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { base64 } from "@scure/base";
import { afterAll, describe, expect, it } from "vitest";
import { buildLedgerOp, emptyProof, walletAccount, walletUtxo } from "../btc/index.ts";
import { collectCosignatures } from "./client.ts";

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
