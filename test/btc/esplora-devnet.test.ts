/**
 * The Esplora client and the indexer against the devnet behaving as the public servers do (issue
 * 18): 10 transactions per block page (a self-hosted mempool backend), 200 {"confirmed":false} for an
 * unknown transaction, the 500-UTXO cap (set to 3 here), no `witness` on a legacy input, a per-client
 * rate limit answered with 429 and no CORS headers. Real bcoin regtest node, real HTTP.
 */
import "fake-indexeddb/auto";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2pkh, p2wpkh, Script, Transaction } from "@scure/btc-signer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PUBLIC_HOST_LIMITS } from "../../src/btc/esplora-scheduler.ts";
import { EsploraClient, networkParams, setHostLimits } from "../../src/btc/index.ts";
import { revHex } from "../../src/devnet/regtestChain.ts";
import { type Devnet, startDevnet } from "../../src/devnet/server.ts";
import { Indexer } from "../../src/indexer/index.ts";
import { DROP_AFTER_MS } from "../../src/indexer/pending.ts";
import { DEFAULT_PARAMS, initPoseidon } from "../../src/protocol/index.ts";
import { MemoryStore } from "../../src/storage/index.ts";
import { ORACLE_KEYS, SpellWallet, TEST_CUSTODY } from "../indexer/chain.ts";

const MALFORMED = Uint8Array.from([0x7a, 0x6b, 0x55, 0x53, 0x44, 0x01, 0x10, 0xff]);
const NET = networkParams("regtest");

let devnet: Devnet;
let esplora: EsploraClient;

beforeAll(async () => {
  await initPoseidon();
  devnet = await startDevnet({ port: 0, esplora: { pageSize: 10, utxoCap: 3 } });
  esplora = new EsploraClient({ baseUrl: devnet.url, retries: 1 });
}, 240_000);
afterAll(async () => {
  await devnet?.close();
});

const openIndexer = async (startHeight: number) =>
  Indexer.open({
    store: new MemoryStore(),
    chain: esplora,
    startHeight,
    params: { ...DEFAULT_PARAMS },
    verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
    custody: TEST_CUSTODY,
  });

/** A one-input transaction from a P2WPKH key, paying `to` (and an optional OP_RETURN). */
function spend(
  priv: Uint8Array,
  u: { txid: string; vout: number; amount: bigint },
  to: Uint8Array,
  fee: bigint,
): Transaction {
  const pay = p2wpkh(secp256k1.getPublicKey(priv, true), NET);
  const tx = new Transaction({ version: 2, allowUnknownOutputs: true });
  tx.addInput({
    txid: u.txid,
    index: u.vout,
    witnessUtxo: { script: pay.script, amount: u.amount },
    sequence: 0xfffffffd,
  });
  tx.addOutput({ script: to, amount: u.amount - fee });
  tx.sign(priv);
  tx.finalize();
  return tx;
}

describe("the client and the indexer against a devnet behaving like the public servers", () => {
  it("indexes every transaction of a block served 10 per page (finding 2: none skipped, positions right)", async () => {
    const startHeight = devnet.chain.height + 1;
    const wallets = [0, 1, 2].map(() => new SpellWallet(devnet, esplora));
    for (const w of wallets) await w.fund(1_000_000n);
    await devnet.mine(1);
    for (const w of wallets) for (let i = 0; i < 10; i++) await w.send(MALFORMED);
    const [hash] = await devnet.mine(1);
    const txids = await esplora.blockTxids(hash!);
    expect(txids.length).toBe(31);
    const ix = await openIndexer(startHeight);
    await ix.sync();
    const rejected = await ix.store.rejected({});
    expect(rejected.length).toBe(30);
    for (const r of rejected) expect(txids[r.position]).toBe(r.txid);
  }, 120_000);

  it("answers 200 {confirmed:false} for an unknown transaction; txState tells unknown, mempool and confirmed apart", async () => {
    const unknown = "ab".repeat(32);
    expect(await esplora.txStatus(unknown)).toEqual({ confirmed: false });
    expect(await esplora.txState(unknown)).toEqual({ state: "unknown" });
    const txid = await devnet.faucet(
      p2wpkh(secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true), NET).address!,
      50_000n,
    );
    expect(await esplora.txState(txid)).toEqual({ state: "mempool" });
    await devnet.mine(1);
    expect((await esplora.txState(txid)).state).toBe("confirmed");
  }, 60_000);

  it("says plainly when a pending transaction was replaced or dropped (finding 3)", async () => {
    const priv = secp256k1.utils.randomSecretKey();
    const pay = p2wpkh(secp256k1.getPublicKey(priv, true), NET);
    const f1 = await devnet.faucet(pay.address!, 100_000n);
    const f2 = await devnet.faucet(pay.address!, 100_000n);
    await devnet.mine(1);
    const coin = async (txid: string) => {
      const tx = await esplora.tx(txid);
      const vout = tx.vout.findIndex((o) => o.scriptpubkey_address === pay.address);
      return { txid, vout, amount: BigInt(tx.vout[vout]!.value) };
    };
    const c1 = await coin(f1);
    const c2 = await coin(f2);
    const ix = await openIndexer(devnet.chain.height);
    const t0 = Date.now();
    // A: sent and tracked, then replaced by B spending the same coin.
    const a = spend(priv, c1, pay.script, 1_000n);
    await esplora.broadcast(a.hex);
    await ix.trackPending(a.id, t0);
    expect((await ix.pending(t0))[0]?.status).toEqual({ state: "waiting", inMempool: true });
    const pool = devnet.chain.node.mempool;
    pool.removeEntry(pool.getEntry(revHex(a.id)));
    const b = spend(priv, c1, Script.encode(["RETURN", new Uint8Array([1])]), 5_000n);
    await esplora.broadcast(b.hex);
    // C: sent and tracked, then gone from every mempool with its coin unspent.
    const c = spend(priv, c2, pay.script, 1_000n);
    await esplora.broadcast(c.hex);
    await ix.trackPending(c.id, t0);
    pool.removeEntry(pool.getEntry(revHex(c.id)));

    const soon = await ix.pending(t0 + 1_000);
    const byId = (list: typeof soon, id: string) => list.find((p) => p.txid === id)!;
    expect(byId(soon, a.id).status).toEqual({ state: "replaced", by: b.id });
    expect(byId(soon, a.id).note).toMatch(/^Replaced: its coins were spent by transaction/);
    expect(byId(soon, c.id).status).toEqual({ state: "waiting", inMempool: false });
    const later = await ix.pending(t0 + DROP_AFTER_MS);
    expect(byId(later, c.id).status).toEqual({ state: "dropped" });
    expect(byId(later, c.id).note).toMatch(/^Dropped: /);
    // A day on, both leave the list.
    expect(await ix.pending(t0 + 25 * 3_600_000)).toEqual([]);
  }, 60_000);

  it("lists an address over the UTXO cap from its history (finding 4)", async () => {
    const priv = secp256k1.utils.randomSecretKey();
    const address = p2wpkh(secp256k1.getPublicKey(priv, true), NET).address!;
    const sent: string[] = [];
    for (let i = 0; i < 5; i++) sent.push(await devnet.faucet(address, BigInt(10_000 + i)));
    await devnet.mine(1);
    const raw = await fetch(`${devnet.url}/address/${address}/utxo`);
    expect(raw.status).toBe(400);
    expect(await raw.text()).toMatch(/^Too many unspent transaction outputs \(>3\)/);
    const utxos = await esplora.addressUtxos(address);
    expect(utxos.map((u) => u.txid).sort()).toEqual([...sent].sort());
    expect(utxos.map((u) => u.value).sort()).toEqual([10_000, 10_001, 10_002, 10_003, 10_004]);
  }, 60_000);

  it("serves no witness field on a legacy input, and the indexer reads its spell all the same", async () => {
    const priv = secp256k1.utils.randomSecretKey();
    const legacy = p2pkh(secp256k1.getPublicKey(priv, true), NET);
    const funding = await devnet.faucet(legacy.address!, 100_000n);
    await devnet.mine(1);
    const startHeight = devnet.chain.height + 1;
    const ftx = await esplora.tx(funding);
    const vout = ftx.vout.findIndex((o) => o.scriptpubkey_address === legacy.address);
    const tx = new Transaction({ version: 2, allowUnknownOutputs: true });
    tx.addInput({ txid: funding, index: vout, nonWitnessUtxo: await esplora.txHex(funding) });
    tx.addOutput({ script: Script.encode(["RETURN", MALFORMED]), amount: 0n });
    tx.addOutput({ script: legacy.script, amount: 90_000n });
    tx.sign(priv);
    tx.finalize();
    const txid = await esplora.broadcast(tx.hex);
    await devnet.mine(1);
    const json = await esplora.tx(txid);
    expect("witness" in json.vin[0]!).toBe(false);
    const ix = await openIndexer(startHeight);
    await ix.sync();
    const [r] = await ix.store.rejected({});
    expect(r).toMatchObject({ txid, actor: legacy.address, reason: { code: "malformedSpell" } });
  }, 60_000);
});

describe("a devnet rate-limited like blockstream.info (5 requests/s, burst 10, 429 without CORS)", () => {
  let limited: Devnet;
  beforeAll(async () => {
    limited = await startDevnet({ port: 0, esplora: { rateLimit: { rps: 5, burst: 10 } } });
  }, 240_000);
  afterAll(async () => {
    await limited?.close();
  });

  it("a client at the default public caps (4/s, burst 8, 6 in flight) is never refused", async () => {
    const c = new EsploraClient({ baseUrl: limited.url, limits: PUBLIC_HOST_LIMITS });
    limited.resetStats();
    const t0 = Date.now();
    const heights = await Promise.all(Array.from({ length: 25 }, () => c.tipHeight()));
    expect(new Set(heights).size).toBe(1);
    expect(limited.stats.limited).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(4_000); // (25 − 8) / 4 per s
  }, 60_000);

  it("an uncapped client is refused, backs off and still gets every answer (finding 1)", async () => {
    const c = new EsploraClient({ baseUrl: limited.url.replace("127.0.0.1", "localhost"), retries: 3 });
    await new Promise((r) => setTimeout(r, 2_500)); // the server's bucket refills
    limited.resetStats();
    const heights = await Promise.all(Array.from({ length: 25 }, () => c.tipHeight()));
    expect(new Set(heights).size).toBe(1);
    expect(limited.stats.limited).toBeGreaterThan(0);
  }, 120_000);

  it("in a browser the 429 without CORS headers is a network failure: still paused and retried (finding 4)", async () => {
    // The browser's rule: a cross-origin answer without Access-Control-Allow-Origin is unreadable.
    const browserFetch: typeof fetch = async (url, init) => {
      const res = await fetch(url, { ...init, headers: { origin: "http://localhost:5173" } });
      if (!res.headers.get("access-control-allow-origin")) throw new TypeError("Failed to fetch");
      return res;
    };
    // The host uncapped again (the first test capped it), as a browser's client of a loopback host.
    setHostLimits(limited.url, { rps: Infinity, burst: Infinity, concurrency: 64 });
    const c = new EsploraClient({ baseUrl: limited.url, fetch: browserFetch, retries: 4, backoffMs: 1 });
    await new Promise((r) => setTimeout(r, 2_500));
    limited.resetStats();
    const heights = await Promise.all(Array.from({ length: 25 }, () => c.tipHeight()));
    expect(c.stats().rateLimited).toBeGreaterThan(0); // the failures paused the host
    expect(new Set(heights).size).toBe(1);
    expect(limited.stats.limited).toBeGreaterThan(0);
  }, 120_000);
});
