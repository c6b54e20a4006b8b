/**
 * What syncing costs against a public Esplora server (issue 18): requests and bytes per synced block,
 * and the time to sync, for blocks of 2,000 ordinary transactions and 5 spells, on the devnet
 * rate-limited as blockstream.info is (5 requests/s per client, burst 10, 429 without CORS), with the
 * client at its default public caps (4 requests/s, burst 8, 6 in flight).
 *
 * - after: the real Indexer's own sync (src/indexer, MemoryStore) over the devnet's Esplora, which
 *   serves bcoin's real formats (raw blocks, raw transactions, headers): `ix.sync` of the big block
 *   alone, counted by the server. "continuous": the indexer synced the blocks before it, so the
 *   spells' actors' previous outputs are in memory; "cold": a freshly opened indexer (a restart, or
 *   actors funded long before), which fetches each actor's previous transaction.
 * - before: the JSON-page sync (25 transactions a page) no longer exists in the indexer; its figures
 *   are the ones this bench measured through the real indexer at commit 9d34412.
 *
 * Syncing 1,000 such blocks cannot be built here (two million transactions through the node), so
 * its time is estimated from the measured figures: the requests per block at the client's sustained
 * cap (4/s, below the server's 5/s) plus the measured time to fetch, check and apply one block.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2wpkh, Transaction } from "@scure/btc-signer";
import { PUBLIC_HOST_LIMITS } from "../src/btc/esplora-scheduler.ts";
import { EsploraClient, networkParams } from "../src/btc/index.ts";
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
    const open = (store: MemoryStore, chain: EsploraClient) =>
      Indexer.open({
        store,
        chain,
        startHeight: heights[0]! - 2,
        params: { ...DEFAULT_PARAMS },
        verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
        custody: TEST_CUSTODY,
      });
    let limited = 0;
    /** Syncs each big block alone through `ix()` (after catching up to the block before, not counted). */
    const measure = async (ix: () => Promise<Indexer>) => {
      let requests = 0;
      let bytes = 0;
      let ms = 0;
      for (const h of heights) {
        const before = await ix();
        await before.sync({ maxBlocks: h - 1 - before.head.height });
        const measured = await ix();
        await pause();
        devnet.resetStats();
        const t = performance.now();
        if ((await measured.sync({ maxBlocks: 1 })) !== 1) throw new Error(`block ${h} was not indexed`);
        ms += performance.now() - t;
        requests += devnet.stats.requests;
        bytes += devnet.stats.bytes;
        limited += devnet.stats.limited;
      }
      const seen = async (store: MemoryStore) =>
        (await store.rejected({})).length + (await store.spells({})).length;
      return { requests: requests / BLOCKS, bytes: bytes / BLOCKS, ms: ms / BLOCKS, seen };
    };

    // Continuous: one indexer follows the chain (own origin 127.0.0.1, the public caps).
    const warmStore = new MemoryStore();
    const warmIx = await open(
      warmStore,
      new EsploraClient({ baseUrl: devnet.url, limits: PUBLIC_HOST_LIMITS }),
    );
    const warm = await measure(async () => warmIx);
    // Cold: the indexer is opened afresh for the measured block (own origin localhost, the public caps).
    const coldStore = new MemoryStore();
    const coldChain = new EsploraClient({
      baseUrl: devnet.url.replace("127.0.0.1", "localhost"),
      limits: PUBLIC_HOST_LIMITS,
    });
    const cold = await measure(() => open(coldStore, coldChain));
    for (const store of [warmStore, coldStore]) {
      const spells = await warm.seen(store);
      if (spells !== SPELLS * BLOCKS)
        throw new Error(`expected ${SPELLS * BLOCKS} spells, the indexer saw ${spells}`);
    }

    // 1,000 blocks: the client's sustained cap paces the requests; the block's own work adds to it.
    const thousandMin = (m: { requests: number; ms: number }) =>
      (1000 * (m.requests / PUBLIC_HOST_LIMITS.rps + m.ms / 1000)) / 60;
    const label = `block of ${TXS} txs + ${SPELLS} spells`;
    const BEFORE = "recorded at 9d34412, JSON pages";
    return [
      { name: `requests per ${label} (before: ${BEFORE})`, value: 84.5, unit: "requests" },
      { name: `bytes per ${label} (before: ${BEFORE})`, value: 2_100_000, unit: "B" },
      {
        name: `requests per ${label}, indexer sync (after, continuous)`,
        value: warm.requests,
        unit: "requests",
      },
      { name: `bytes per ${label}, indexer sync (after, continuous)`, value: warm.bytes, unit: "B" },
      { name: `requests per ${label}, indexer sync (after, cold)`, value: cold.requests, unit: "requests" },
      { name: `bytes per ${label}, indexer sync (after, cold)`, value: cold.bytes, unit: "B" },
      { name: `one ${label}: fetch, check and apply (after, continuous)`, value: warm.ms, unit: "ms" },
      { name: `sync 1,000 such blocks at 5 req/s (before: ${BEFORE}, from 2)`, value: 5.3, unit: "h" },
      {
        name: "sync 1,000 such blocks at 5 req/s (after, continuous; measured requests at 4/s + measured work)",
        value: thousandMin(warm),
        unit: "min",
      },
      {
        name: "sync 1,000 such blocks at 5 req/s (after, cold; measured requests at 4/s + measured work)",
        value: thousandMin(cold),
        unit: "min",
      },
      { name: "429 answers during the measured syncs", value: limited, unit: "answers", target: "0" },
    ];
  } finally {
    await devnet.close();
  }
}
