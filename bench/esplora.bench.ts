/**
 * What syncing costs against a public Esplora server (issue 18): requests and bytes per synced block,
 * and the time to sync, for blocks of 2,000 ordinary transactions and 5 spells, on the devnet
 * rate-limited as blockstream.info is (5 requests/s per client, burst 10, 429 without CORS), with the
 * client at its default public caps (4 requests/s, burst 8, 6 in flight).
 *
 * - before: today's indexer, block transactions as JSON, 25 per page (the real Indexer, MemoryStore);
 * - after: one raw block per block (`/block/:hash/raw`, parsed and checked by src/btc/block.ts) and a
 *   raw previous transaction per spell for its actor (the request pattern of the raw-block sync
 *   issue 14 builds; measured here with the same client calls until the indexer switches to it).
 *
 * Syncing 1,000 such blocks at 5 requests/s takes hours the JSON way, so BLOCKS (default 2,
 * ESPLORA_BENCH_BLOCKS) are synced and the time for 1,000 is extrapolated linearly: per-block work is
 * the same for every block and the rate limit, not the CPU, sets the pace.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2wpkh, Transaction } from "@scure/btc-signer";
import { parseBlock, parseTx } from "../src/btc/block.ts";
import { PUBLIC_HOST_LIMITS } from "../src/btc/esplora-scheduler.ts";
import { EsploraClient, networkParams } from "../src/btc/index.ts";
import { opReturnPayload } from "../src/btc/psbt.ts";
import { hasSpellMagic } from "../src/btc/spell.ts";
import { type Devnet, startDevnet } from "../src/devnet/server.ts";
import { Indexer } from "../src/indexer/index.ts";
import { DEFAULT_PARAMS, initPoseidon } from "../src/protocol/index.ts";
import { MemoryStore } from "../src/storage/index.ts";
import { E18, ORACLE_KEYS, SpellWallet, TEST_CUSTODY } from "../test/indexer/chain.ts";
import type { Figure } from "./run.ts";

const TXS = 2_000;
const SPELLS = 5;
const BLOCKS = Number(process.env.ESPLORA_BENCH_BLOCKS ?? 2);
const NET = networkParams("regtest");

/** Mines a block of TXS one-in-one-out transactions and SPELLS spells; everything through the node, not HTTP. */
async function bigBlock(devnet: Devnet, esplora: EsploraClient): Promise<string> {
  const priv = secp256k1.utils.randomSecretKey();
  const pay = p2wpkh(secp256k1.getPublicKey(priv, true), NET);
  const each = 20_000n;
  const funding = await devnet.faucet(pay.address!, each * BigInt(TXS) + 1_000_000n);
  const wallets = Array.from({ length: SPELLS }, () => new SpellWallet(devnet, esplora));
  for (const w of wallets) await w.fund(1_000_000n);
  await devnet.mine(1);
  const meta = await devnet.chain.txMeta(funding);
  const vout = meta.tx.outputs.findIndex(
    (o: { value: number }) => BigInt(o.value) === each * BigInt(TXS) + 1_000_000n,
  );
  const fan = new Transaction({ version: 2 });
  fan.addInput({
    txid: funding,
    index: vout,
    witnessUtxo: { script: pay.script, amount: each * BigInt(TXS) + 1_000_000n },
  });
  for (let i = 0; i < TXS; i++) fan.addOutput({ script: pay.script, amount: each });
  fan.sign(priv);
  fan.finalize();
  await devnet.chain.broadcast(fan.hex);
  await devnet.mine(1);
  for (let i = 0; i < TXS; i++) {
    const tx = new Transaction({ version: 2 });
    tx.addInput({ txid: fan.id, index: i, witnessUtxo: { script: pay.script, amount: each } });
    tx.addOutput({ script: pay.script, amount: each - 1_000n });
    tx.sign(priv);
    tx.finalize();
    await devnet.chain.broadcast(tx.hex);
  }
  for (const [i, w] of wallets.entries())
    await w.cast({ type: "transfer", to: wallets[(i + 1) % SPELLS]!.address, amount: E18 });
  const [hash] = await devnet.mine(1);
  return hash!;
}

/** The raw-block sync's requests for one block: its hash, its bytes, and each spell's actor's previous transaction. */
async function syncRaw(esplora: EsploraClient, height: number): Promise<number> {
  const hash = await esplora.blockHash(height);
  const block = parseBlock(await esplora.blockRaw(hash), hash);
  let spells = 0;
  for (const tx of block.txs) {
    const spell = tx.outputs.some((o) => {
      if (o.script[0] !== 0x6a) return false;
      const payload = opReturnPayload(o.script);
      return !!payload && hasSpellMagic(payload);
    });
    if (!spell || tx.coinbase) continue;
    spells++;
    const first = tx.inputs[0]!;
    parseTx(await esplora.txRaw(first.prevTxid), first.prevTxid);
  }
  return spells;
}

export async function run(): Promise<Figure[]> {
  await initPoseidon();
  const devnet = await startDevnet({ port: 0, esplora: { rateLimit: { rps: 5, burst: 10 } } });
  try {
    // Building goes through the node; the few HTTP reads it needs go at the public caps.
    const builder = new EsploraClient({ baseUrl: devnet.url, limits: PUBLIC_HOST_LIMITS });
    const heights: number[] = [];
    for (let b = 0; b < BLOCKS; b++) {
      await bigBlock(devnet, builder);
      heights.push(devnet.chain.height);
    }
    // The big blocks are every third block (funding, fan-out, big block): the indexer syncs the
    // funding and fan-out blocks too; only the big blocks are counted below.
    const pause = () => new Promise((r) => setTimeout(r, 2_500)); // the server's bucket refills

    // Before: the real indexer, JSON pages, on a client at the public caps (its own origin: localhost).
    const jsonUrl = devnet.url.replace("127.0.0.1", "localhost");
    const json = new EsploraClient({ baseUrl: jsonUrl, limits: PUBLIC_HOST_LIMITS });
    const ix = await Indexer.open({
      store: new MemoryStore(),
      chain: json,
      startHeight: heights[0]!,
      params: { ...DEFAULT_PARAMS },
      verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
      custody: TEST_CUSTODY,
    });
    let limited = 0;
    let jsonRequests = 0;
    let jsonBytes = 0;
    let jsonMs = 0;
    for (const h of heights) {
      // Catch up to the block before (not counted), then index the big block alone.
      await ix.sync({ maxBlocks: h - 1 - ix.head.height });
      await pause();
      devnet.resetStats();
      const t = performance.now();
      await ix.sync({ maxBlocks: 1 });
      jsonMs += performance.now() - t;
      jsonRequests += devnet.stats.requests;
      jsonBytes += devnet.stats.bytes;
      limited += devnet.stats.limited;
    }
    const rejected = (await ix.store.rejected({})).length + (await ix.store.spells({})).length;
    if (rejected !== SPELLS * BLOCKS)
      throw new Error(`expected ${SPELLS * BLOCKS} spells, the indexer saw ${rejected}`);

    // After: raw blocks (own origin: 127.0.0.1 with the public caps).
    const raw = new EsploraClient({ baseUrl: devnet.url, limits: PUBLIC_HOST_LIMITS });
    let rawRequests = 0;
    let rawBytes = 0;
    let rawMs = 0;
    await pause();
    for (const h of heights) {
      devnet.resetStats();
      const t = performance.now();
      await raw.tipHeight(); // the sync's one tip request, as the indexer's
      const seen = await syncRaw(raw, h);
      rawMs += performance.now() - t;
      if (seen !== SPELLS) throw new Error(`expected ${SPELLS} spells in the raw block, found ${seen}`);
      rawRequests += devnet.stats.requests;
      rawBytes += devnet.stats.bytes;
      limited += devnet.stats.limited;
    }
    const per = (x: number) => x / BLOCKS;
    const label = `block of ${TXS} txs + ${SPELLS} spells`;
    return [
      { name: `requests per ${label}, JSON pages (before)`, value: per(jsonRequests), unit: "requests" },
      { name: `bytes per ${label}, JSON pages (before)`, value: per(jsonBytes), unit: "B" },
      { name: `requests per ${label}, raw block (after)`, value: per(rawRequests), unit: "requests" },
      { name: `bytes per ${label}, raw block (after)`, value: per(rawBytes), unit: "B" },
      {
        name: `sync 1,000 such blocks at 5 req/s, JSON pages (from ${BLOCKS})`,
        value: (per(jsonMs) * 1000) / 3_600_000,
        unit: "h",
      },
      {
        name: `sync 1,000 such blocks at 5 req/s, raw block (from ${BLOCKS})`,
        value: (per(rawMs) * 1000) / 60_000,
        unit: "min",
      },
      { name: "429 answers during the measured syncs", value: limited, unit: "answers", target: "0" },
    ];
  } finally {
    await devnet.close();
  }
}
