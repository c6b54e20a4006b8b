/**
 * Chain data verified, not trusted (issue 14), on the real regtest node: a proxy in front of the
 * devnet lies about blocks and transactions (test/support/lying-esplora.ts). Each lie stops the sync
 * with a reason and writes nothing wrong; told at random, lies make the sync slower, never different:
 * every block the client stores has the root of a clean replay, and it ends on the clean root. Then
 * a reorg deeper than the undo window, which the client recovers from by itself.
 */
import bcoin from "bcoin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EsploraClient } from "../../src/btc/index.ts";
import { type Devnet, startDevnet } from "../../src/devnet/server.ts";
import { type BlockNotice, Indexer, type IndexerOptions } from "../../src/indexer/index.ts";
import { DEFAULT_PARAMS, initPoseidon } from "../../src/protocol/index.ts";
import { createBackup, MemoryStore, restoreBackup } from "../../src/storage/index.ts";
import { LIES, type Lie, type LyingEsplora, startLyingEsplora } from "../support/lying-esplora.ts";
import { mixedHistory, ORACLE_KEYS, TEST_CUSTODY } from "./chain.ts";

let devnet: Devnet;
let esplora: EsploraClient;
let liar: LyingEsplora;
let startHeight: number;
let clean: Indexer;
let funded: Uint8Array;

const options = (chain: EsploraClient, store = new MemoryStore()): IndexerOptions => ({
  store,
  chain,
  startHeight,
  params: { ...DEFAULT_PARAMS },
  verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
  custody: TEST_CUSTODY,
});
let clients = 0;
/** A client of the liar with its own base URL, so no answer is shared through the per-host caches. */
const through = (url: string) =>
  new EsploraClient({ baseUrl: `${url}/c${++clients}`, retries: 0, timeoutMs: 5_000 });

/**
 * A client through the liar that starts after the block funding the wallets (restored from a
 * checkpoint there), so it has read none of the blocks whose outputs the spells spend.
 */
async function clientThroughLiar(): Promise<Indexer> {
  const store = new MemoryStore();
  await restoreBackup(store, funded);
  return Indexer.open(options(through(liar.url), store));
}

/** Every block the client stored has the clean replay's hash and root at that height. */
async function agreesWithClean(ix: Indexer): Promise<void> {
  for (const b of await ix.store.blocks()) {
    const ref = await clean.store.block(b.height);
    expect({ height: b.height, hash: b.hash, root: b.root }).toEqual({
      height: b.height,
      hash: ref?.hash,
      root: ref?.root,
    });
  }
}

beforeAll(async () => {
  await initPoseidon();
  devnet = await startDevnet({ port: 0 });
  esplora = new EsploraClient({ baseUrl: devnet.url, retries: 1 });
  startHeight = devnet.chain.height + 1;
  const baseTime = (await esplora.block(await esplora.blockHash(startHeight - 1))).timestamp;
  await mixedHistory(devnet, esplora, { wallets: 3, blocks: 8, baseTime });
  clean = await Indexer.open(options(esplora));
  await clean.sync({ maxBlocks: 1 });
  funded = await createBackup(clean.store);
  await clean.sync();
  expect((await clean.store.spells()).length).toBeGreaterThan(5);
  liar = await startLyingEsplora(devnet.url);
}, 240_000);

afterAll(async () => {
  await liar?.close();
  await devnet?.close();
});

describe("a lying Esplora", () => {
  for (const lie of LIES) {
    it(`${lie}: the sync stops with a reason, stores nothing wrong, and recovers when the source tells the truth`, async () => {
      const ix = await clientThroughLiar();
      liar.told = 0;
      liar.lie = () => lie;
      const error = await Promise.race([
        ix.sync().then(
          () => undefined,
          (e: Error) => e,
        ),
        new Promise<Error>((r) =>
          setTimeout(() => r(new Error("the sync did not stop within 20 s")), 20_000),
        ),
      ]);
      ix.stop();
      liar.lie = null;
      expect(liar.told).toBeGreaterThan(0);
      expect(error?.message ?? "no error: the lie was believed").not.toMatch(/did not stop|no error/);
      await agreesWithClean(ix);
      await ix.sync();
      expect(ix.head).toEqual(clean.head);
    });
  }

  it("told at random, lies slow the sync down but never change a root", async () => {
    let seed = 14;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    liar.told = 0;
    let attempts = 0;
    const reasons = new Set<string>();
    // Twenty clients, each from the checkpoint to the tip through the liar.
    for (let client = 0; client < 20; client++) {
      const ix = await clientThroughLiar();
      liar.lie = () => (random() < 0.4 ? LIES[Math.floor(random() * LIES.length)]! : null);
      while (ix.head.height < clean.head.height && attempts < 1_000) {
        attempts++;
        await ix.sync().catch((e: Error) => reasons.add(e.message.replace(/[0-9a-f]{64}/g, "<hash>")));
        await agreesWithClean(ix);
      }
      liar.lie = null;
      expect(ix.head).toEqual(clean.head);
    }
    console.log(
      `lying Esplora: ${liar.told} lies, ${attempts} sync attempts, ${reasons.size} distinct refusals`,
    );
    for (const r of reasons) console.log(`  ${r}`);
    expect(liar.told).toBeGreaterThan(50);
  });
});

describe("a reorg deeper than the undo window", () => {
  /** Mines `blocks` empty blocks on the block at `height`, replacing everything above it. */
  async function fork(height: number, blocks: number): Promise<void> {
    const node = devnet.chain.node;
    const miner = bcoin.Script.fromRaw(Buffer.from(devnet.chain.faucetScript)).getAddress();
    let tip = await node.chain.getEntry(height);
    for (let i = 0; i < blocks; i++) {
      const block = await node.miner.mineBlock(tip, miner);
      await node.chain.add(block);
      tip = await node.chain.getEntry(block.hash("hex"));
    }
  }

  it("recovers from the newest checkpoint below the fork, else from the start height, and says so", async () => {
    await devnet.mine(16);
    await clean.sync();
    const withCheckpoint = new MemoryStore();
    const a = await Indexer.open(options(esplora, withCheckpoint));
    const b = await Indexer.open(options(esplora));
    await a.sync({ maxBlocks: 3 });
    const checkpointHeight = a.head.height;
    await withCheckpoint.putBackup(
      { id: "auto-1-cp", createdAt: 1, height: checkpointHeight, root: a.head.root, bytes: 0 },
      await createBackup(withCheckpoint, 1),
    );
    await a.sync();
    await b.sync();
    const notices: BlockNotice[] = [];
    a.subscribe((n) => notices.push(n));
    b.subscribe((n) => notices.push(n));

    const top = devnet.chain.height;
    await fork(top - 13, 14); // 13 blocks replaced, one more on top: undo keeps 12
    expect(devnet.chain.height).toBe(top + 1);
    await a.sync();
    await b.sync();
    const fresh = await Indexer.open(options(esplora));
    await fresh.sync();
    expect(a.head).toEqual(fresh.head);
    expect(b.head).toEqual(fresh.head);
    const reorgs = notices.filter((n) => n.type === "reorg");
    expect(reorgs.map((n) => n.type === "reorg" && [n.recovered, n.to])).toEqual([
      ["checkpoint", checkpointHeight],
      ["start", startHeight - 1],
    ]);
    for (const n of reorgs) expect(n.type === "reorg" && n.message).toMatch(/13 blocks deep.*12 blocks kept/);
  });
});
