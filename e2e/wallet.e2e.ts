/**
 * The sats-connect adapter in headless Chromium against an injected wallet provider
 * (window.XverseProviders.BitcoinProvider) whose key stays in Node and signs for real; the PSBT is
 * built in the page from the real regtest devnet's UTXOs, finalized, broadcast and mined. A rejected
 * signature request surfaces as WalletError("userRejected") and leaves no UTXO locked.
 *
 * The test page is this file's own bundle of src/btc (Vite JS API into a temp dir, served on
 * loopback); it needs neither the app build nor the stack's services.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { base64, hex } from "@scure/base";
import type { Browser, Page } from "playwright-core";
import { build } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePsbt, walletAccount } from "../src/btc/psbt.ts";
import { messageHash } from "../src/btc/wallet.ts";
import { type Devnet, startDevnet } from "../src/devnet/server.ts";
import { BROWSER_ALIASES } from "../vite.config.ts";
import { launchBrowser } from "./support/browser.ts";

const ROOT = resolve(import.meta.dirname, "..");
const ENTRY = `
import * as btc from ${JSON.stringify(join(ROOT, "src/btc/index.ts"))};
window.__btc = btc;
window.__ready = true;
`;

let dir: string;
let server: Server;
let pageUrl: string;
let devnet: Devnet;
let browser: Browser;

const priv = secp256k1.utils.randomSecretKey();
const pub = secp256k1.getPublicKey(priv, true);
const ordPriv = secp256k1.utils.randomSecretKey();
const payment = walletAccount(pub, "p2wpkh", "regtest");
const ordinals = walletAccount(secp256k1.getPublicKey(ordPriv, true), "p2tr", "regtest");

/** The fake wallet's behaviour, switchable per test; the key never enters the page. */
const wallet = { reject: false, calls: [] as string[] };

function walletHandler(method: string, params: Record<string, unknown>): unknown {
  wallet.calls.push(method);
  const ok = (result: unknown) => ({ jsonrpc: "2.0", id: "1", result });
  const network = { bitcoin: { name: "Regtest" }, stacks: { name: "testnet" }, spark: { name: "regtest" } };
  switch (method) {
    case "getInfo":
      return ok({
        version: "1.0.0",
        platform: "web",
        methods: ["getAddresses", "signPsbt", "signMessage", "wallet_getNetwork"],
        supports: [],
      });
    case "getAddresses":
      return ok({
        addresses: [
          {
            address: payment.address,
            publicKey: hex.encode(pub),
            purpose: "payment",
            addressType: "p2wpkh",
            walletType: "software",
          },
          {
            address: ordinals.address,
            publicKey: hex.encode(ordinals.publicKey.subarray(1)),
            purpose: "ordinals",
            addressType: "p2tr",
            walletType: "software",
          },
        ],
        network,
      });
    case "wallet_getNetwork":
      return ok(network);
    case "signPsbt": {
      if (wallet.reject)
        return { jsonrpc: "2.0", id: "1", error: { code: -32000, message: "User rejected the request." } };
      const tx = parsePsbt(base64.decode(params.psbt as string));
      const signInputs = params.signInputs as Record<string, number[]>;
      for (const i of signInputs[payment.address] ?? []) tx.signIdx(priv, i);
      return ok({ psbt: base64.encode(tx.toPSBT()) });
    }
    case "signMessage": {
      const sig = secp256k1.sign(messageHash(params.message as string), priv, {
        prehash: false,
        format: "recovered",
      });
      const out = new Uint8Array(65);
      out[0] = 27 + 12 + sig[0]!;
      out.set(sig.subarray(1), 1);
      return ok({
        signature: base64.encode(out),
        address: payment.address,
        messageHash: "",
        protocol: "ECDSA",
      });
    }
    default:
      return { jsonrpc: "2.0", id: "1", error: { code: -32601, message: `method ${method} not found` } };
  }
}

async function newPage(): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.exposeFunction("__fakeWallet", (m: string, p: Record<string, unknown>) => walletHandler(m, p));
  await page.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    const provider = {
      request: (m: string, p: unknown) => (w.__fakeWallet as (m: string, p: unknown) => unknown)(m, p),
    };
    w.XverseProviders = { BitcoinProvider: provider };
    w.btc_providers = [{ id: "XverseProviders.BitcoinProvider", name: "Test Wallet", icon: "data:," }];
  });
  await page.goto(pageUrl);
  await page.waitForFunction(() => (window as unknown as { __ready?: boolean }).__ready === true);
  return page;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zkusd-wallet-e2e-"));
  await writeFile(join(dir, "entry.ts"), ENTRY);
  await writeFile(
    join(dir, "index.html"),
    `<!doctype html><meta charset="utf-8"><title>wallet e2e</title><script type="module" src="./entry.ts"></script>`,
  );
  await build({
    configFile: false,
    root: dir,
    logLevel: "warn",
    resolve: { alias: BROWSER_ALIASES },
    build: { outDir: join(dir, "dist"), emptyOutDir: true, minify: false, target: "es2022" },
  });
  server = createServer(async (req, res) => {
    const path = (req.url ?? "/").split("?")[0]!;
    const file = join(dir, "dist", path === "/" ? "index.html" : path);
    try {
      const body = await readFile(file);
      const type =
        { ".html": "text/html", ".js": "text/javascript" }[extname(file)] ?? "application/octet-stream";
      res.writeHead(200, { "content-type": type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  pageUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  devnet = await startDevnet({ port: 0 });
  await devnet.faucet(payment.address, 100_000_000n);
  await devnet.mine(1);
  browser = await launchBrowser();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await devnet?.close();
  await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** In the page: connect, build an open-vault PSBT from the devnet's UTXOs, sign with locks, broadcast. */
async function openVaultInPage(page: Page, esplora: string, guardianKeys: string[]) {
  return page.evaluate(
    async ({ esplora, guardianKeys }) => {
      const btc = (window as unknown as { __btc: typeof import("../src/btc/index.ts") }).__btc;
      const w = new btc.SatsConnectWallet();
      const addrs = await w.getAddresses();
      const account = btc.walletAccount(addrs.payment.publicKey, addrs.payment.type, addrs.network);
      const chain = new btc.EsploraClient({ baseUrl: esplora });
      const tracker = new btc.UtxoTracker();
      const utxos = await chain.addressUtxos(account.address);
      tracker.setUtxos(
        account.address,
        utxos.map((u) =>
          btc.walletUtxo(account, "regtest", { txid: u.txid, vout: u.vout, value: BigInt(u.value) }),
        ),
      );
      const vault = btc.vaultDescriptor({
        owner: account.publicKey,
        guardians: { threshold: 2, keys: guardianKeys.map((k) => btc.fromHex(k)) },
      });
      const built = btc.buildOpenVault(
        { network: "regtest", wallet: account, walletUtxos: tracker.spendable(account.address), feeRate: 2 },
        {
          spell: {
            version: 1,
            op: { type: "openVault", collateral: 2_000_000n * 10n ** 10n, borrow: 2_000n * 10n ** 18n },
            attestation: new Uint8Array(64),
            proof: new Uint8Array(128),
          },
          vault,
          collateralSats: 2_000_000n,
        },
      );
      const summary = btc.summarizePsbt(built.psbt, "regtest", {
        vaults: [vault],
        wallet: [account.address],
      });
      let error: { name: string; code: string; message: string } | undefined;
      let txid: string | undefined;
      try {
        const { id, signed } = await btc.signWithLocks({ tracker, wallet: w, built });
        txid = await btc.broadcastWithLocks({ tracker, chain, id, psbts: [signed] });
      } catch (e) {
        const err = e as { name: string; code: string; message: string };
        error = { name: err.name, code: err.code, message: err.message };
      }
      const message = await w.signMessage(account.address, "zkUSD e2e");
      return {
        address: account.address,
        network: addrs.network,
        ordinals: addrs.ordinals?.address,
        locked: tracker.lockedOutpoints(),
        spendable: tracker.spendable(account.address).length,
        outputs: summary.outputs.map((o) => o.kind),
        spellOp: summary.spell?.op.type,
        txid,
        error,
        signature: message.signature,
      };
    },
    { esplora, guardianKeys },
  );
}

describe("sats-connect adapter in Chromium", () => {
  const guardianKeys = [0, 1, 2].map(() =>
    hex.encode(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true)),
  );

  it("a rejected signature request is a typed userRejected error and leaves nothing locked", async () => {
    wallet.reject = true;
    wallet.calls = [];
    const page = await newPage();
    const r = await openVaultInPage(page, devnet.url, guardianKeys);
    expect(r.error).toMatchObject({ name: "WalletError", code: "userRejected" });
    expect(r.txid).toBeUndefined();
    expect(r.locked).toEqual([]);
    expect(r.spendable).toBe(1);
    expect(wallet.calls).toContain("signPsbt");
    await page.context().close();
  });

  it("connects, signs an open-vault PSBT with the injected wallet's real key, and the node mines it", async () => {
    wallet.reject = false;
    const page = await newPage();
    const r = await openVaultInPage(page, devnet.url, guardianKeys);
    expect(r.error).toBeUndefined();
    expect(r.address).toBe(payment.address);
    expect(r.ordinals).toBe(ordinals.address);
    expect(r.network).toBe("regtest");
    expect(r.outputs).toEqual(["vault", "spell", "change"]);
    expect(r.spellOp).toBe("openVault");
    // Broadcast: the spent coin stays reserved until the chain no longer lists it.
    expect(r.locked.length).toBe(1);
    await devnet.mine(1);
    const status = await fetch(`${devnet.url}/tx/${r.txid}/status`).then((x) => x.json());
    expect(status.confirmed).toBe(true);
    // BIP137 signature recovers to the payment key.
    const sig = base64.decode(r.signature);
    const recovered = secp256k1.Signature.fromBytes(sig.subarray(1), "compact")
      .addRecoveryBit(sig[0]! - 39)
      .recoverPublicKey(messageHash("zkUSD e2e"))
      .toBytes(true);
    expect(hex.encode(recovered)).toBe(hex.encode(pub));
    await page.context().close();
  });
});
