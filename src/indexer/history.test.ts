/**
 * History points on the real regtest devnet (bcoin in-process, Esplora over loopback HTTP): the
 * indexer records one point per block that changed the state — the engine's `systemSummary` then —
 * none for empty blocks or blocks whose spells were all rejected, drops them with a reorg, and a
 * memory store and an IndexedDB store (fake-indexeddb) that followed the same chain answer alike.
 */
import "fake-indexeddb/auto";
import bcoin from "bcoin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { attest, E18, ORACLE_KEYS, SpellWallet, TEST_CUSTODY } from "../../test/indexer/chain.ts";
import { EsploraClient } from "../btc/index.ts";
import { type Devnet, startDevnet } from "../devnet/server.ts";
import { DEFAULT_PARAMS, initPoseidon, systemSummary } from "../protocol/index.ts";
import { MemoryStore, openIdbStore } from "../storage/index.ts";
import { Indexer, type IndexerOptions } from "./index.ts";

const PRICE = 60_000n * E18;
let devnet: Devnet;
let esplora: EsploraClient;
let startHeight: number;
let baseTime: number;

const options = (store: IndexerOptions["store"]): IndexerOptions => ({
  store,
  chain: esplora,
  startHeight,
  params: { ...DEFAULT_PARAMS },
  // No circuit-covered shapes below (setPrice, openVault, transfer): nothing to prove.
  verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
  custody: TEST_CUSTODY,
});

beforeAll(async () => {
  await initPoseidon();
  devnet = await startDevnet({ port: 0 });
  esplora = new EsploraClient({ baseUrl: devnet.url, retries: 1 });
  startHeight = devnet.chain.height + 1;
  baseTime = (await esplora.block(await esplora.blockHash(startHeight - 1))).timestamp;
}, 120_000);

afterAll(async () => {
  await devnet?.close();
});

describe("history points", () => {
  it("one per block that changed the state, the engine's figures, dropped by a reorg", async () => {
    const [alice, bob] = [0, 1].map(() => new SpellWallet(devnet, esplora)) as [SpellWallet, SpellWallet];
    for (const w of [alice, bob]) await w.fund(200_000_000n);
    await devnet.mine(1); // no spell: no point

    const memory = await Indexer.open(options(new MemoryStore()));
    const idb = await Indexer.open(options(await openIdbStore({ name: "history-follower" })));
    /** Mines a block, syncs both clients, and returns the engine's summary after it. */
    const step = async () => {
      await devnet.mine(1);
      await memory.sync();
      await idb.sync();
      expect(idb.head).toEqual(memory.head);
      return { height: memory.head.height, time: memory.head.time, s: systemSummary(memory.state) };
    };
    const expected: { height: number; time: number; s: ReturnType<typeof systemSummary> }[] = [];

    await alice.cast({ type: "setPrice", price: PRICE }, attest(PRICE, baseTime + 60, 1n).bytes);
    expected.push(await step());
    const open = attest(PRICE, baseTime + 120, 2n).bytes;
    await alice.cast({ type: "openVault", collateral: E18, borrow: 5_000n * E18, maxFee: E18 / 20n }, open);
    await bob.cast(
      { type: "openVault", collateral: E18 / 2n, borrow: 4_000n * E18, maxFee: E18 / 20n },
      open,
    );
    expected.push(await step());
    await step(); // an empty block
    // A spell the engine refuses (more than alice holds) changes nothing: no point.
    await alice.cast({ type: "transfer", to: bob.address, amount: 1_000_000n * E18 });
    const refused = await step();
    expect((await memory.store.block(refused.height))?.point).toBeUndefined();
    await alice.cast({ type: "transfer", to: bob.address, amount: 100n * E18 });
    expected.push(await step());
    await bob.cast({ type: "poolDeposit", amount: 1_000n * E18 });
    expected.push(await step()); // supply unchanged, the state is not: a point

    const points = await memory.store.history();
    const blocks = await memory.store.blocks();
    // Exactly the changed blocks have a point, and it is the engine's summary after the block.
    expect(points.map((p) => p.height)).toEqual(blocks.filter((b) => b.changed).map((b) => b.height));
    expect(points).toEqual(
      expected.map(({ height, time, s }) => ({
        height,
        time,
        price: s.price,
        totalCollateral: s.totalCollateral,
        totalDebt: s.totalDebt,
        zkusdSupply: s.zkusdSupply,
        tcr: s.tcr,
      })),
    );
    expect(points.length).toBe(4);
    expect(points[1]!.zkusdSupply).toBeGreaterThan(9_000n * E18);
    // The IndexedDB store answers the same, for every range and limit.
    expect(await idb.store.history()).toEqual(points);
    const mid = points[1]!.height;
    for (const q of [{ fromHeight: mid }, { toHeight: mid }, { limit: 2 }, { fromHeight: mid, limit: 1 }]) {
      expect(await idb.store.history(q)).toEqual(await memory.store.history(q));
    }
    expect(await idb.store.history({ limit: 2 })).toEqual(points.slice(-2));

    // A 2-block reorg onto empty blocks: the points above the fork go with their blocks.
    const before = memory.head.height;
    const node = devnet.chain.node;
    const miner = bcoin.Script.fromRaw(Buffer.from(devnet.chain.faucetScript)).getAddress();
    let tip = await node.chain.getEntry(before - 2);
    for (let i = 0; i < 3; i++) {
      const block = await node.miner.mineBlock(tip, miner);
      await node.chain.add(block);
      tip = await node.chain.getEntry(block.hash("hex"));
    }
    await memory.sync();
    await idb.sync();
    const kept = points.filter((p) => p.height <= before - 2);
    expect(kept.length).toBeLessThan(points.length);
    expect(await memory.store.history()).toEqual(kept);
    expect(await idb.store.history()).toEqual(kept);
    // The last point is the state the clients hold now.
    const now = systemSummary(memory.state);
    expect(kept.at(-1)!.zkusdSupply).toBe(now.zkusdSupply);
    expect(kept.at(-1)!.tcr).toBe(now.tcr);
  }, 180_000);
});
