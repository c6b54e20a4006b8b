/**
 * Data-layer benchmarks (issue 5), on the real regtest devnet (bcoin in-process, Esplora over loopback
 * HTTP: the figures include those round trips, as a browser's sync does):
 * - sync throughput, blocks/s and spells/s, with proof verification on and off, over a history of
 *   mixed operations (its vault opens proven) plus deposits, every vault operation with its real
 *   Groth16 proof;
 * - store write cost per block (commitBlock), IndexedDB = fake-indexeddb in Node (not Chromium's
 *   IndexedDB; the e2e tests cover Chromium for correctness, not speed), for a small state and for
 *   a 1,000-vault state (the state is rewritten per block);
 * - cold start from a checkpoint: verify the backup (checksum + state root from scratch), restore it
 *   into a fresh store, open the indexer and catch up to the tip.
 */
import "fake-indexeddb/auto";
import { dropMemoryCaches } from "../src/btc/esplora-cache.ts";
import { EsploraClient } from "../src/btc/index.ts";
import { startDevnet } from "../src/devnet/server.ts";
import { Indexer, type IndexerOptions, loadVerificationKeys } from "../src/indexer/index.ts";
import { BLOCKS_AHEAD } from "../src/indexer/source.ts";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  initPoseidon,
  serializeState,
  stateRoot,
} from "../src/protocol/index.ts";
import {
  type BlockCommit,
  createBackup,
  type DataStore,
  MemoryStore,
  openIdbStore,
  readBackup,
  restoreBackup,
} from "../src/storage/index.ts";
import { nodeArtifacts, terminateProver } from "../src/zk/node.ts";
import { attest, E18, mixedHistory, ORACLE_KEYS, TEST_CUSTODY } from "../test/indexer/chain.ts";
import type { Figure } from "./run.ts";

const PRICE = 60_000n * E18;
let dbs = 0;

/** Wraps a store so every commitBlock is timed. */
function timed(store: DataStore, times: number[]): DataStore {
  const commit = store.commitBlock.bind(store);
  store.commitBlock = async (c: BlockCommit) => {
    const t = performance.now();
    await commit(c);
    times.push(performance.now() - t);
  };
  return store;
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/**
 * What a block that changes nothing costs the indexer and its store, over a state of `vaults`
 * vaults, mean ms over 20 blocks: "before", the state serialized for the block and written with the
 * head again; "now", the serialized state kept from the block before and not written again.
 */
async function emptyBlockCost(store: DataStore, vaults: number, now: boolean): Promise<number> {
  const state = createGenesisState({ ...DEFAULT_PARAMS }, { time: 1_700_000_000n, height: 0n });
  apply(state, { type: "setPrice", price: PRICE }, { height: 0n, time: 1_700_000_000n });
  for (let i = 0; i < vaults; i++) {
    const r = apply(
      state,
      { type: "openVault", owner: `owner-${i}`, collateral: E18, borrow: 3_000n * E18 },
      { height: 0n, time: 1_700_000_000n },
    );
    if (!r.ok) throw r.error;
  }
  const root = stateRoot(state);
  let kept = serializeState(state);
  await store.initHead({ height: 0, hash: "h0", time: 0, root, state: kept });
  const times: number[] = [];
  for (let h = 1; h <= 20; h++) {
    const t = performance.now();
    const serialized = now ? kept : serializeState(state);
    await store.commitBlock({
      block: {
        height: h,
        hash: `h${h}`,
        time: 0,
        root,
        spells: 0,
        rejected: 0,
        events: 0,
        changed: false,
        prev: { hash: `h${h - 1}`, time: 0, root },
        undo: null,
      },
      state: serialized,
      ...(now ? { unchanged: true } : {}),
      spells: [],
      rejected: [],
      events: [],
      prices: [],
      pruneUndoBelow: h - 12,
    });
    kept = serialized;
    times.push(performance.now() - t);
  }
  return mean(times);
}

/** Commit cost for a state of `vaults` vaults: 20 blocks of one spell each, mean ms per block. */
async function writeCost(store: DataStore, vaults: number): Promise<number> {
  const state = createGenesisState({ ...DEFAULT_PARAMS }, { time: 1_700_000_000n, height: 0n });
  apply(state, { type: "setPrice", price: PRICE }, { height: 0n, time: 1_700_000_000n });
  for (let i = 0; i < vaults; i++) {
    const r = apply(
      state,
      { type: "openVault", owner: `owner-${i}`, collateral: E18, borrow: 3_000n * E18 },
      { height: 0n, time: 1_700_000_000n },
    );
    if (!r.ok) throw r.error;
  }
  let root = stateRoot(state);
  await store.initHead({ height: 0, hash: "h0", time: 0, root, state: serializeState(state) });
  const times: number[] = [];
  for (let h = 1; h <= 20; h++) {
    const undo = serializeState(state);
    const r = apply(
      state,
      { type: "transfer", from: "owner-0", to: `x-${h}`, amount: E18 },
      { height: BigInt(h), time: 1_700_000_000n },
    );
    if (!r.ok) throw r.error;
    const prev = { hash: `h${h - 1}`, time: 0, root };
    root = stateRoot(state);
    const t = performance.now();
    // What the indexer writes per block: serialize the state, then one transaction.
    await store.commitBlock({
      block: {
        height: h,
        hash: `h${h}`,
        time: 0,
        root,
        spells: 1,
        rejected: 0,
        events: 1,
        changed: true,
        prev,
        undo,
      },
      state: serializeState(state),
      spells: [],
      rejected: [],
      events: [],
      prices: [],
      pruneUndoBelow: h - 12,
    });
    times.push(performance.now() - t);
  }
  return mean(times);
}

export async function run(): Promise<Figure[]> {
  await initPoseidon();
  const figures: Figure[] = [];
  const devnet = await startDevnet({ port: 0 });
  try {
    const esplora = new EsploraClient({ baseUrl: devnet.url, retries: 1 });
    const artifacts = nodeArtifacts();
    const verificationKeys = await loadVerificationKeys(artifacts);
    const startHeight = devnet.chain.height + 1;
    const baseTime = (await esplora.block(await esplora.blockHash(startHeight - 1))).timestamp;
    const { wallets } = await mixedHistory(devnet, esplora, { wallets: 4, blocks: 60, baseTime });
    const options = (store: DataStore, proofs: boolean): IndexerOptions => ({
      store,
      chain: esplora,
      startHeight,
      params: { ...DEFAULT_PARAMS },
      verifier: { proofs, oracleKeys: ORACLE_KEYS, verificationKeys },
      custody: TEST_CUSTODY,
    });
    // Deposits with real proofs, one per block, proven against a follower's state.
    const follower = await Indexer.open(options(new MemoryStore(), true));
    for (let i = 0; i < 4; i++) {
      await follower.sync();
      const a = attest(PRICE, baseTime + 600 + i * 60, BigInt(10 + i));
      await wallets[i]!.castProven(
        { type: "adjustVault", depositCollateral: E18 / 100n },
        a.bytes,
        follower.state,
      );
      await devnet.mine(1);
    }
    await terminateProver();

    for (const proofs of [true, false]) {
      const store = new MemoryStore();
      const ix = await Indexer.open(options(store, proofs));
      const t = performance.now();
      const blocks = await ix.sync();
      const seconds = (performance.now() - t) / 1000;
      const spells = await store.spells();
      // every vault operation is proven: the history's 4 opens and the 4 deposits
      if (spells.filter((s) => s.proof === (proofs ? "verified" : "skipped")).length !== 8) {
        throw new Error("expected 8 proven spells (4 opens, 4 deposits)");
      }
      const label = proofs ? "proofs verified" : "proofs off";
      figures.push({ name: `sync ${blocks} blocks, ${label}`, value: blocks / seconds, unit: "blocks/s" });
      figures.push({ name: `  spells, ${label}`, value: spells.length / seconds, unit: "spells/s" });
    }

    // Per-block write cost inside a real sync (IndexedDB = fake-indexeddb).
    const times: number[] = [];
    const idb = timed(await openIdbStore({ name: `bench-${dbs++}` }), times);
    const synced = await Indexer.open(options(idb, true));
    await synced.sync();
    figures.push({
      name: "store write per block during sync (fake-indexeddb)",
      value: mean(times),
      unit: "ms",
    });
    for (const vaults of [10, 1000]) {
      for (const now of [false, true])
        for (const [kind, open] of [
          ["fake-indexeddb", () => openIdbStore({ name: `bench-${dbs++}` })],
          ["memory", async () => new MemoryStore()],
        ] as const)
          figures.push({
            name: `empty block, ${vaults}-vault state (${kind}), ${now ? "state kept (now)" : "state serialized and written (before)"}`,
            value: await emptyBlockCost(await open(), vaults, now),
            unit: "ms",
          });
      figures.push({
        name: `commitBlock, ${vaults}-vault state (fake-indexeddb)`,
        value: await writeCost(await openIdbStore({ name: `bench-${dbs++}` }), vaults),
        unit: "ms",
      });
      figures.push({
        name: `commitBlock, ${vaults}-vault state (memory)`,
        value: await writeCost(new MemoryStore(), vaults),
        unit: "ms",
      });
    }

    // Cold start: a checkpoint 10 blocks behind the tip, verified, restored, then caught up.
    const checkpointStore = new MemoryStore();
    const behind = await Indexer.open(options(checkpointStore, true));
    await behind.sync({ maxBlocks: synced.head.height - startHeight - 9 });
    const checkpoint = await createBackup(checkpointStore);
    const t0 = performance.now();
    readBackup(checkpoint);
    const verifyMs = performance.now() - t0;
    const fresh = await openIdbStore({ name: `bench-${dbs++}` });
    await restoreBackup(fresh, checkpoint);
    const cold = await Indexer.open(options(fresh, true));
    const caught = await cold.sync();
    const coldMs = performance.now() - t0;
    if (cold.head.root !== synced.head.root) throw new Error("checkpoint start reached another root");
    figures.push({
      name: `cold start from a checkpoint (${checkpoint.length} B) + ${caught} blocks`,
      value: coldMs,
      unit: "ms",
    });
    figures.push({ name: "  of which backup verification (checksum + root)", value: verifyMs, unit: "ms" });
    const full = await Indexer.open(options(new MemoryStore(), true));
    const t1 = performance.now();
    await full.sync();
    figures.push({
      name: `full sync from the start height (${full.head.height - startHeight + 1} blocks)`,
      value: performance.now() - t1,
      unit: "ms",
    });

    // A long replay of mostly empty blocks (what a fresh browser does on the e2e stack), old and
    // new side by side: every block asked for in its turn (two round trips, one after the other)
    // against the next blocks asked for ahead while one is applied (src/indexer/source.ts).
    await devnet.mine(400);
    for (const [label, blocksAhead] of [
      ["each block in its turn (before)", 0],
      [`${BLOCKS_AHEAD} blocks asked ahead (now)`, BLOCKS_AHEAD],
    ] as const) {
      dropMemoryCaches(); // both start with nothing cached (the caches are shared per host)
      const replay = await Indexer.open({ ...options(new MemoryStore(), true), blocksAhead });
      const t = performance.now();
      const blocks = await replay.sync();
      figures.push({
        name: `replay of ${blocks} blocks, ${label}`,
        value: blocks / ((performance.now() - t) / 1000),
        unit: "blocks/s",
      });
    }
  } finally {
    await devnet.close();
  }
  return figures;
}
