/**
 * History points in both stores (memory and IndexedDB on fake-indexeddb): stored with the block
 * record, read by range and limit (the latest points, oldest first), dropped by a rollback, carried
 * by backups, and the same answers from both stores; a bad query is refused with a RangeError.
 */
import "fake-indexeddb/auto";
import { openDB } from "idb";
import { beforeAll, describe, expect, it } from "vitest";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  initPoseidon,
  type Operation,
  type State,
  serializeState,
  stateRoot,
} from "../protocol/index.ts";
import {
  type BlockCommit,
  createBackup,
  type DataStore,
  type Head,
  historyPoint,
  MAX_HISTORY,
  MemoryStore,
  openIdbStore,
  restoreBackup,
} from "./index.ts";

const E18 = 10n ** 18n;
let dbs = 0;
const freshIdb = () => openIdbStore({ name: `history-${process.pid}-${dbs++}` });

/** Block h's operations: a price, then a vault every other block; odd blocks above 1 are empty. */
function ops(h: number): Operation[] {
  if (h === 1) return [{ type: "setPrice", price: 60_000n * E18 }];
  if (h % 2 === 1) return [];
  return [{ type: "openVault", owner: `owner-${h}`, collateral: E18, borrow: (2_000n + BigInt(h)) * E18 }];
}

/** Writes `n` blocks the way the indexer does: a point only on blocks that changed the state. */
async function fill(store: DataStore, n: number): Promise<State> {
  const state = createGenesisState({ ...DEFAULT_PARAMS }, { time: 1_700_000_000n, height: 0n });
  let head: Head = {
    height: 0,
    hash: "h0",
    time: 1_700_000_000,
    root: stateRoot(state),
    state: serializeState(state),
  };
  await store.initHead(head);
  for (let height = 1; height <= n; height++) {
    const time = 1_700_000_000 + height * 600;
    const undo = serializeState(state);
    for (const op of ops(height)) {
      const r = apply(state, op, { height: BigInt(height), time: BigInt(time) });
      if (!r.ok) throw r.error;
    }
    const changed = ops(height).length > 0;
    const root = changed ? stateRoot(state) : head.root;
    const commit: BlockCommit = {
      block: {
        height,
        hash: `h${height}`,
        time,
        root,
        spells: ops(height).length,
        rejected: 0,
        events: 0,
        changed,
        prev: { hash: head.hash, time: head.time, root: head.root },
        undo: changed ? undo : null,
        ...(changed ? { point: historyPoint(state, { height, time }) } : {}),
      },
      state: serializeState(state),
      spells: [],
      rejected: [],
      events: [],
      prices: [],
      pruneUndoBelow: height - 4,
    };
    await store.commitBlock(commit);
    head = { height, hash: `h${height}`, time, root, state: commit.state };
  }
  return state;
}

beforeAll(() => initPoseidon());

describe.each([
  ["IndexedDB (fake-indexeddb)", freshIdb],
  ["memory", async () => new MemoryStore()],
])("%s store: history", (_name, open) => {
  it("returns the points of the changed blocks, latest `limit` in the range, oldest first", async () => {
    const store = await open();
    const state = await fill(store, 12);
    const all = await store.history();
    expect(all.map((p) => p.height)).toEqual([1, 2, 4, 6, 8, 10, 12]);
    expect(all.at(-1)).toEqual(historyPoint(state, { height: 12, time: 1_700_000_000 + 12 * 600 }));
    expect(all[0]!.totalDebt).toBe(0n);
    expect(all.at(-1)!.zkusdSupply).toBeGreaterThan(all[1]!.zkusdSupply);
    expect((await store.history({ fromHeight: 3, toHeight: 8 })).map((p) => p.height)).toEqual([4, 6, 8]);
    expect((await store.history({ limit: 2 })).map((p) => p.height)).toEqual([10, 12]);
    expect((await store.history({ toHeight: 7, limit: 2 })).map((p) => p.height)).toEqual([4, 6]);
    expect(await store.history({ fromHeight: 9, toHeight: 3 })).toEqual([]);
    expect(await store.history({ limit: MAX_HISTORY * 10 })).toEqual(all);
  });

  it("drops the points above a rollback, and a backup carries them", async () => {
    const store = await open();
    await fill(store, 10);
    const before = await store.history();
    await store.rollback(7);
    expect(await store.history()).toEqual(before.filter((p) => p.height <= 7));
    const restored = await open();
    await restoreBackup(restored, await createBackup(store, 1));
    expect(await restored.history()).toEqual(await store.history());
  });

  it("refuses a bad query with a RangeError", async () => {
    const store = await open();
    await fill(store, 2);
    for (const q of [{ limit: 0 }, { limit: 1.5 }, { fromHeight: -1 }, { toHeight: Number.NaN }]) {
      await expect(store.history(q)).rejects.toThrow(RangeError);
    }
  });
});

describe("history in both stores", () => {
  it("the memory and IndexedDB stores answer alike", async () => {
    const [idb, memory] = [await freshIdb(), new MemoryStore()];
    await fill(idb, 15);
    await fill(memory, 15);
    for (const q of [{}, { fromHeight: 5 }, { toHeight: 9 }, { limit: 3 }, { fromHeight: 2, toHeight: 2 }]) {
      expect(await idb.history(q)).toEqual(await memory.history(q));
    }
  });

  it("a database from before history points (version 1) upgrades: old blocks have none", async () => {
    const name = `history-v1-${process.pid}`;
    // Version 1's blocks store as its migration made it, with one block record without a point.
    const v1 = await openDB(name, 1, {
      upgrade(db) {
        db.createObjectStore("blocks", { keyPath: "height" });
        for (const s of [
          "meta",
          "spells",
          "rejected",
          "events",
          "prices",
          "settings",
          "locks",
          "pending",
          "backups",
        ])
          db.createObjectStore(s);
      },
    });
    await v1.put("blocks", { height: 1, hash: "h1", changed: true });
    v1.close();
    const store = await openIdbStore({ name });
    expect(await store.history()).toEqual([]);
    expect((await store.block(1))?.hash).toBe("h1");
    await store.close();
  });
});
