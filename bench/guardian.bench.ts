/**
 * Guardian API under load on loopback (autocannon), against three real daemons over the regtest
 * devnet and the dev price feed:
 *  - read endpoints (status, vaults, at-risk, price, events) on a guardian whose allow list holds the
 *    loopback address (the server itself, not its limiter): requests/s and p99 latency;
 *  - POST /v1/settle of the leader's settlement of a withdrawal's payout (the guardian re-plans the
 *    settlement from its own replayed state, compares the txid, checks its settlement ledger and
 *    signs; the same transaction, so every repeat is a retry it signs again): requests/s and p99;
 *  - the rate limiter on a guardian with the `default` preset (10 req/s, burst 20 per IP): how many
 *    requests got through in the window against the bound burst + rate × seconds.
 * Bounded: each run is a few seconds with 10 connections.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import autocannon from "autocannon";
import {
  buildLedgerOp,
  buildOpenVault,
  EsploraClient,
  emptyProof,
  finalizePsbt,
  type Spell,
  type SpellOperation,
  signPsbtInputs,
  vaultDescriptor,
  walletAccount,
  walletUtxo,
} from "../src/btc/index.ts";
import { opReturnPayload } from "../src/btc/psbt-preview.ts";
import { startPriceFeed } from "../src/devnet/pricefeed.ts";
import { startDevnet } from "../src/devnet/server.ts";
import { guardianSetOf } from "../src/guardian/daemon.ts";
import { signPeerRequest } from "../src/guardian/peer-auth.ts";
import { PROTECTION_PRESETS } from "../src/guardian/protect.ts";
import { decodeAttestation } from "../src/oracle/index.ts";
import { DEFAULT_FINALITY_DEPTH, decodeSettleSpell, isSettlePayload } from "../src/settlement/index.ts";
import { proveSpell, terminateProver } from "../src/zk/node.ts";
import { startFederation, waitFor } from "../test/guardian/support.ts";
import type { Figure } from "./run.ts";

const E18 = 10n ** 18n;
const SAT = 10n ** 10n;
const SECONDS = 5;

export async function run(): Promise<Figure[]> {
  const devnet = await startDevnet({ port: 0 });
  const feed = await startPriceFeed({ price: "97000" });
  const esplora = new EsploraClient({ baseUrl: devnet.url });
  const fed = await startFederation({ esploraUrl: devnet.url, feed, startHeight: 1, startNow: false });
  // guardian-0 measures the server itself: loopback allow-listed (lists on), so the limiter never answers.
  fed.configs[0]!.protection = {
    preset: { ...PROTECTION_PRESETS.development, listsEnabled: true },
    allow: ["127.0.0.1"],
  };
  // guardian-2 measures the limiter: the seed's default preset.
  fed.configs[2]!.protection = { preset: "default" };
  await Promise.all([0, 1, 2].map((i) => fed.start(i)));
  const figures: Figure[] = [];
  try {
    const g0 = fed.guardians[0]!;
    const priv = secp256k1.utils.randomSecretKey();
    const acct = walletAccount(secp256k1.getPublicKey(priv, true), "p2wpkh", "regtest");
    await devnet.faucet(acct.address, 100_000_000n);
    await devnet.mine(1);
    const opts = async () => ({
      network: "regtest" as const,
      wallet: acct,
      walletUtxos: (await esplora.addressUtxos(acct.address)).map((u) =>
        walletUtxo(acct, "regtest", { txid: u.txid, vout: u.vout, value: BigInt(u.value) }),
      ),
      feeRate: 2,
      strategy: "largestFirst" as const,
    });
    const spell = (op: SpellOperation, attestation: Uint8Array, proof = emptyProof()): Spell => ({
      version: 1,
      op,
      attestation,
      proof,
    });
    const send = async (psbt: Uint8Array, inputs: number[]) => {
      await esplora.broadcast(finalizePsbt(signPsbtInputs(psbt, priv, inputs)).hex);
      await devnet.mine(1);
      const h = devnet.chain.height;
      await waitFor("sync", () => (fed.guardians.every((g) => g!.chain.height >= h) ? true : undefined));
    };
    const att = await waitFor("price attestation", async () => {
      const r = await fetch(`${g0.url}/v1/price`);
      return r.ok
        ? Uint8Array.from(Buffer.from(((await r.json()) as { attestation: string }).attestation, "hex"))
        : undefined;
    });
    const a = decodeAttestation(att);
    let built = buildLedgerOp(await opts(), { spell: spell({ type: "setPrice", price: a.price }, att) });
    await send(built.psbt, built.signInputs[acct.address]!);
    const vault = vaultDescriptor({ owner: acct.publicKey, guardians: guardianSetOf(fed.federation) });
    // every vault operation carries its proof, made on the guardian's state
    const proven = (op: SpellOperation) => proveSpell(spell(op, att), acct.address, g0.chain.state);
    built = buildOpenVault(await opts(), {
      spell: await proven({
        type: "openVault",
        collateral: 20_000_000n * SAT,
        borrow: 3_000n * E18,
        maxFee: 5n * 10n ** 16n,
        ownerKey: acct.publicKey,
        vaultOutput: 0,
      }),
      vault,
      collateralSats: 20_000_000n,
    });
    await send(built.psbt, built.signInputs[acct.address]!);
    // A wallet-only withdrawal: its confirmed spell makes the vault owe the wallet 0.01 BTC.
    const withdraw = buildLedgerOp(await opts(), {
      spell: await proven({ type: "adjustVault", withdrawCollateral: 1_000_000n * SAT }),
    });
    await send(withdraw.psbt, withdraw.signInputs[acct.address]!);
    const ids = [...g0.chain.state.custody.obligations.values()]
      .filter((o) => o.status === "open")
      .map((o) => o.id);
    if (ids.length !== 1) throw new Error(`expected one open obligation, found ${ids.length}`);
    // Buried D blocks, the leader's settlement reaches the mempool; it stays there (nobody mines).
    await devnet.mine(DEFAULT_FINALITY_DEPTH);
    const txid = await waitFor(
      "the leader's settlement in the mempool",
      async () => {
        const r = await fetch(`${devnet.url}/mempool/txids`);
        const list = r.ok ? ((await r.json()) as string[]) : [];
        return list[0];
      },
      60_000,
    );
    const settlementTx = await esplora.tx(txid);
    const opReturn = settlementTx.vout.find((o) => o.scriptpubkey.startsWith("6a"))!;
    const payload = opReturnPayload(Uint8Array.from(Buffer.from(opReturn.scriptpubkey, "hex")));
    const decoded = payload && isSettlePayload(payload) ? decodeSettleSpell(payload) : undefined;
    if (!decoded?.ok) throw new Error("the mempool transaction carries no settle spell");
    const settleBody = JSON.stringify({ ids, feeRate: decoded.spell.feeRate, txid });
    // Signed as guardian-1, a federation peer (POST /v1/settle refuses anyone else), fresh each request.
    const peerHeaders = () =>
      signPeerRequest(fed.keys[1]!, {
        method: "POST",
        path: "/v1/settle",
        body: settleBody,
        audience: fed.federation.members[0]!.custodyKey,
      });
    const first = await fetch(`${g0.url}/v1/settle`, {
      method: "POST",
      headers: { "content-type": "application/json", ...peerHeaders() },
      body: settleBody,
    });
    if (!first.ok) throw new Error(`the bench settlement is refused: ${await first.text()}`);

    const load = async (
      name: string,
      url: string,
      extra: Partial<Parameters<typeof autocannon>[0]> = {},
      target?: string,
    ) => {
      const r = await autocannon({ url, connections: 10, duration: SECONDS, timeout: 30, ...extra });
      const ok = r.statusCodeStats["200"]?.count ?? 0;
      figures.push({
        name: `${name}: requests/s`,
        value: Math.round(r.requests.average),
        unit: "req/s",
        ...(target ? { target } : {}),
      });
      figures.push({ name: `${name}: p99 latency`, value: r.latency.p99, unit: "ms" });
      if (ok !== r.requests.total)
        figures.push({ name: `${name}: non-200 answers`, value: r.requests.total - ok, unit: "requests" });
      return r;
    };
    await load("GET /v1/status", `${g0.url}/v1/status`);
    await load("GET /v1/vaults", `${g0.url}/v1/vaults`);
    await load("GET /v1/vaults/at-risk", `${g0.url}/v1/vaults/at-risk`);
    await load("GET /v1/price", `${g0.url}/v1/price`);
    await load("GET /v1/events", `${g0.url}/v1/events?limit=50`, { headers: { "accept-encoding": "br" } });
    await load(
      "POST /v1/settle (1 payout, peer-authenticated, re-planned, ledger checked, signed)",
      `${g0.url}/v1/settle`,
      {
        connections: 4,
        requests: [
          {
            method: "POST",
            path: "/v1/settle",
            body: settleBody,
            setupRequest: (req) => ({
              ...req,
              headers: { ...req.headers, "content-type": "application/json", ...peerHeaders() },
            }),
          },
        ],
      },
    );

    // The limiter: the default preset on guardian-2, one client IP (loopback), 10 connections flat out.
    const limited = fed.guardians[2]!;
    const before = { ...limited.protection.stats };
    const r = await autocannon({ url: `${limited.url}/v1/health`, connections: 10, duration: 3 });
    const admitted = limited.protection.stats.admitted - before.admitted;
    const refused = limited.protection.stats.limited - before.limited;
    const seconds = r.duration;
    const bound = 20 + Math.ceil(10 * seconds);
    figures.push({
      name: "limiter (default, 1 IP): requests sent",
      value: r.requests.total,
      unit: "requests",
    });
    figures.push({
      name: "limiter: admitted (200)",
      value: admitted,
      unit: "requests",
      target: `<= ${bound} (burst 20 + 10/s × ${seconds.toFixed(1)} s)`,
    });
    figures.push({ name: "limiter: refused (429)", value: refused, unit: "requests" });
    if (admitted > bound) throw new Error(`the rate limiter admitted ${admitted} > ${bound}`);
  } finally {
    await fed.stopAll();
    await feed.close();
    await devnet.close();
    await terminateProver();
  }
  return figures;
}
