import "fake-indexeddb/auto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  deserializeState,
  initPoseidon,
  type Operation,
  type State,
  serializeState,
  stateRoot,
} from "../protocol/index.ts";
import { openFileStore } from "./file.ts";
import {
  autoBackup,
  BACKUP_CHECKS,
  BackupError,
  type BlockCommit,
  CHAIN_SETTING,
  type ChainIdentity,
  createBackup,
  type DataStore,
  type EventQuery,
  encodeBackup,
  type Head,
  MemoryStore,
  openIdbStore,
  readBackup,
  restoreBackup,
  StaleWriteError,
  type StoredEvent,
  storedEvent,
} from "./index.ts";

const E18 = 10n ** 18n;
let dbCount = 0;
const freshIdb = () => openIdbStore({ name: `test-${process.pid}-${dbCount++}` });

/** A little chain of engine-made blocks: price, vaults from several owners, transfers, repayments. */
function blockOps(height: number): Operation[] {
  const who = (i: number) => `bcrt1q-owner-${i}`;
  if (height === 1) return [{ type: "setPrice", price: 60_000n * E18 }];
  const i = height;
  return [
    { type: "openVault", owner: who(i), collateral: 1n * E18, borrow: 3_000n * E18 },
    { type: "transfer", from: who(i), to: who(i - 1), amount: 10n * E18 },
    { type: "poolDeposit", owner: who(i), amount: 100n * E18 },
  ];
}

class Chain {
  state: State = createGenesisState({ ...DEFAULT_PARAMS }, { time: 1_700_000_000n, height: 0n });
  head: Head;
  constructor() {
    this.head = {
      height: 0,
      hash: "h0",
      time: 1_700_000_000,
      root: stateRoot(this.state),
      state: serializeState(this.state),
    };
  }
  /** The commit for a block that changes nothing (no spell): the stored state stays. */
  empty(): BlockCommit {
    const height = this.head.height + 1;
    const time = 1_700_000_000 + height * 600;
    const { root, state } = this.head;
    const commit: BlockCommit = {
      block: {
        height,
        hash: `h${height}`,
        time,
        root,
        spells: 0,
        rejected: 0,
        events: 0,
        changed: false,
        prev: { hash: this.head.hash, time: this.head.time, root },
        undo: null,
      },
      state,
      unchanged: true,
      spells: [],
      rejected: [],
      events: [],
      prices: [],
      pruneUndoBelow: height - 3,
    };
    this.head = { height, hash: `h${height}`, time, root, state };
    return commit;
  }
  /** The commit for the next block (state moves in memory). */
  next(): BlockCommit {
    const height = this.head.height + 1;
    const time = 1_700_000_000 + height * 600;
    const undo = serializeState(this.state);
    const events: StoredEvent[] = [];
    blockOps(height).forEach((op, position) => {
      const r = apply(this.state, op, {
        height: BigInt(height),
        time: BigInt(time),
        txid: `tx${height}-${position}`,
      });
      if (!r.ok) throw r.error;
      r.events.forEach((e, n) => {
        events.push(storedEvent(e, { height, position, n, txid: `tx${height}-${position}`, time }));
      });
    });
    const root = stateRoot(this.state);
    const commit: BlockCommit = {
      block: {
        height,
        hash: `h${height}`,
        time,
        root,
        spells: blockOps(height).length,
        rejected: 0,
        events: events.length,
        changed: true,
        prev: { hash: this.head.hash, time: this.head.time, root: this.head.root },
        undo,
      },
      state: serializeState(this.state),
      spells: [],
      rejected: [],
      events,
      prices: [],
      pruneUndoBelow: height - 3,
    };
    this.head = { height, hash: `h${height}`, time, root, state: commit.state };
    return commit;
  }
}

async function filled(store: DataStore, blocks: number): Promise<Chain> {
  const chain = new Chain();
  await store.initHead(chain.head);
  for (let i = 0; i < blocks; i++) await store.commitBlock(chain.next());
  return chain;
}

async function allEvents(store: DataStore, q: EventQuery): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  let after: string | undefined;
  do {
    const page = await store.events({ ...q, ...(after ? { after } : {}) });
    out.push(...page.events);
    after = page.next;
  } while (after);
  return out;
}

beforeAll(() => initPoseidon());

describe.each([
  ["IndexedDB (fake-indexeddb)", freshIdb],
  ["memory", async () => new MemoryStore()],
])("%s store", (_name, open) => {
  it("keeps the head, blocks and events of every committed block", async () => {
    const store = await open();
    const chain = await filled(store, 5);
    const head = await store.head();
    expect(head?.height).toBe(5);
    expect(head?.root).toBe(chain.head.root);
    expect((await store.blocks()).map((b) => b.height)).toEqual([1, 2, 3, 4, 5]);
    expect((await allEvents(store, {})).length).toBe((await store.eventStats()).total);
  });

  it("refuses a block that does not extend the head, so a block is never applied twice", async () => {
    const store = await open();
    const chain = new Chain();
    await store.initHead(chain.head);
    const b1 = chain.next();
    await store.commitBlock(b1);
    await expect(store.commitBlock(b1)).rejects.toBeInstanceOf(StaleWriteError);
    chain.next(); // skip a block: the next write does not extend the head
    const b3 = chain.next();
    await expect(store.commitBlock(b3)).rejects.toBeInstanceOf(StaleWriteError);
    expect((await store.head())?.height).toBe(1);
    expect((await store.blocks()).length).toBe(1);
  });

  it("rolls back to a height: state, blocks, events and statistics as they were", async () => {
    const store = await open();
    const chain = new Chain();
    await store.initHead(chain.head);
    const heads: Head[] = [];
    const stats = [];
    for (let i = 0; i < 6; i++) {
      await store.commitBlock(chain.next());
      heads.push((await store.head())!);
      stats.push(await store.eventStats());
    }
    const back = await store.rollback(4);
    expect(back).toEqual(heads[3]);
    expect(await store.head()).toEqual(heads[3]);
    expect(await store.eventStats()).toEqual(stats[3]);
    expect((await allEvents(store, {})).every((e) => e.height <= 4)).toBe(true);
    // Undo data older than the window is pruned: rolling back further is refused, nothing changes.
    await expect(store.rollback(0)).rejects.toThrow(/undo/);
    expect((await store.head())?.height).toBe(4);
  });

  it("keeps undo data only for the blocks in the window, after every commit and after a rollback", async () => {
    const store = await open();
    const chain = new Chain();
    await store.initHead(chain.head);
    // Window 3 (Chain.next): after a commit at H, blocks above H - 3 hold undo data, none below.
    const holdUndo = async () => (await store.blocks()).filter((b) => b.undo !== null).map((b) => b.height);
    const window = (head: number) => [head - 2, head - 1, head].filter((h) => h >= 1);
    for (let i = 0; i < 9; i++) {
      await store.commitBlock(chain.next());
      expect(await holdUndo()).toEqual(window(chain.head.height));
    }
    // Rolled back two blocks, then four others: the window moves on over the new branch (a block
    // pruned before the rollback has none to get back).
    const pruned = chain.head.height - 3;
    const back = await store.rollback(chain.head.height - 2);
    chain.head = back;
    chain.state = deserializeState(back.state);
    for (let i = 0; i < 4; i++) {
      await store.commitBlock(chain.next());
      expect(await holdUndo()).toEqual(window(chain.head.height).filter((h) => h > pruned));
    }
  });

  it("a block that changed nothing keeps the stored state; rollbacks over such blocks land on it", async () => {
    const store = await open();
    const chain = await filled(store, 3);
    const changed = chain.head;
    for (let i = 0; i < 3; i++) await store.commitBlock(chain.empty());
    expect(await store.head()).toEqual(chain.head);
    expect((await store.head())?.state).toEqual(changed.state);
    // Back over empty blocks only: the state stays; back over the changed one too: its undo.
    const back = await store.rollback(4);
    expect(back.state).toEqual(changed.state);
    chain.head = back;
    chain.state = deserializeState(back.state);
    await store.commitBlock(chain.next());
    const before = (await store.blocks()).find((b) => b.height === 5)!.undo;
    await store.commitBlock(chain.empty());
    expect((await store.rollback(4)).state).toEqual(before);
    expect((await store.exportSnapshot()).head.state).toEqual(before);
  });

  it("pages events by cursor in both orders and filters by type, vault, account and range", async () => {
    const store = await open();
    const mem = new MemoryStore();
    await filled(store, 8);
    await filled(mem, 8);
    const everything = await allEvents(mem, { limit: 500 });
    const vaults = [...new Set(everything.flatMap((e) => (e.vault ? [e.vault] : [])))];
    const accounts = [...new Set(everything.flatMap((e) => e.accounts))];
    const types = [...new Set(everything.map((e) => e.type))];
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            types: fc.subarray(types, { minLength: 1, maxLength: 2 }),
            vault: fc.constantFrom(...vaults),
            account: fc.constantFrom(...accounts),
            fromHeight: fc.integer({ min: 0, max: 9 }),
            toHeight: fc.integer({ min: 0, max: 9 }),
            order: fc.constantFrom("asc" as const, "desc" as const),
            limit: fc.integer({ min: 1, max: 7 }),
          },
          { requiredKeys: ["limit"] },
        ),
        async (q) => {
          const got = await allEvents(store, q);
          const expected = everything
            .filter(
              (e) =>
                (!q.types || q.types.includes(e.type)) &&
                (q.vault === undefined || e.vault === q.vault) &&
                (q.account === undefined || e.accounts.includes(q.account)) &&
                (q.fromHeight === undefined || e.height >= q.fromHeight) &&
                (q.toHeight === undefined || e.height <= q.toHeight),
            )
            .map((e) => e.key);
          if (q.order === "desc") expected.reverse();
          expect(got.map((e) => e.key)).toEqual(expected);
        },
      ),
      { numRuns: 300 },
    );
  });

  it("counts events per type and per day", async () => {
    const store = await open();
    await filled(store, 4);
    const stats = await store.eventStats();
    const events = await allEvents(store, {});
    expect(stats.total).toBe(events.length);
    expect(stats.byType.VaultOpened).toBe(3);
    expect(
      Object.values(stats.byDay)
        .flatMap((d) => Object.values(d))
        .reduce((a, b) => a + (b ?? 0), 0),
    ).toBe(events.length);
  });

  it("keeps settings, UTXO locks and pending spells", async () => {
    const store = await open();
    await store.setSetting("esploraUrl", "http://127.0.0.1:18443");
    await store.putLock({ outpoint: "aa:0", until: 5, state: "signing" });
    await store.putPending({ txid: "bb", addedAt: 1, opType: "transfer" });
    expect(await store.getSetting("esploraUrl")).toBe("http://127.0.0.1:18443");
    expect(await store.locks()).toEqual([{ outpoint: "aa:0", until: 5, state: "signing" }]);
    await store.deleteLock("aa:0");
    expect(await store.locks()).toEqual([]);
    expect((await store.pending()).map((p) => p.txid)).toEqual(["bb"]);
  });

  it("round-trips a backup to the same root and refuses every single-byte corruption", async () => {
    const store = await open();
    const chain = await filled(store, 3);
    const bytes = await createBackup(store, 1_800_000_000_000);
    const restored = await open();
    const header = await restoreBackup(restored, bytes);
    expect(header.root).toBe(chain.head.root);
    expect((await restored.head())?.root).toBe(chain.head.root);
    expect(await allEvents(restored, {})).toEqual(await allEvents(store, {}));
    for (let i = 0; i < bytes.length; i++) {
      const bad = bytes.slice();
      bad[i]! ^= 1 << (i % 8);
      expect(() => readBackup(bad), `byte ${i}`).toThrow(BackupError);
    }
  });

  it("keeps automatic backups within the retention", async () => {
    const store = await open();
    await filled(store, 2);
    for (let day = 0; day < 5; day++)
      await autoBackup(store, { intervalMs: 1000, keep: 3 }, 10_000 + day * 1000);
    expect(await autoBackup(store, { intervalMs: 1000, keep: 3 }, 14_500)).toBeUndefined();
    expect((await store.listBackups()).map((b) => b.createdAt)).toEqual([12_000, 13_000, 14_000]);
    const newest = await store.getBackup((await store.listBackups())[2]!.id);
    expect(readBackup(newest!).header.height).toBe(2);
  });
});

describe("backup files", () => {
  let bytes: Uint8Array;
  let store: MemoryStore;
  beforeAll(async () => {
    store = new MemoryStore();
    await filled(store, 2);
    bytes = await createBackup(store, 1);
  });

  const refuses = async (file: Uint8Array, code: string) => {
    const target = new MemoryStore();
    await filled(target, 1);
    const before = await target.exportSnapshot();
    await expect(restoreBackup(target, file)).rejects.toMatchObject({ code });
    expect(await target.exportSnapshot()).toEqual(before);
  };

  it("refuses truncated files and files with trailing bytes, touching nothing", async () => {
    await refuses(bytes.slice(0, bytes.length - 1), "truncated");
    await refuses(bytes.slice(0, 40), "tooShort");
    await refuses(Uint8Array.from([...bytes, 0]), "trailingBytes");
  });

  it("refuses a file from a newer format version", async () => {
    const future = bytes.slice();
    future[9] = 3;
    await refuses(future, "futureVersion");
  });

  it("refuses a well-formed file whose state does not hash to its root", async () => {
    const snapshot = await store.exportSnapshot();
    snapshot.head.state.g.price = "1";
    await refuses(encodeBackup(snapshot, 1), "rootMismatch");
  });

  it("refuses a checkpoint whose root is not the trusted one, and says so", async () => {
    const target = new MemoryStore();
    const refusal = restoreBackup(target, bytes, `0x${"11".repeat(32)}`);
    await expect(refusal).rejects.toMatchObject({ code: "trustedRootMismatch" });
    const message = await refusal.catch((e: Error) => e.message);
    expect(message).toMatch(/not the trusted root/);
    expect(message).toMatch(/\(trusted root check: the trusted root is 0x1111/);
    expect(message).not.toMatch(/does not hash/);
    expect(await target.head()).toBeUndefined();
  });

  it("names the check that failed in every refusal", async () => {
    for (const [file, code] of [
      [bytes.slice(0, bytes.length - 1), "truncated"],
      [Uint8Array.from([...bytes.slice(0, 100), bytes[100]! ^ 1, ...bytes.slice(101)]), "checksumMismatch"],
    ] as const) {
      const error = await restoreBackup(new MemoryStore(), file).catch((e: BackupError) => e);
      expect(error).toBeInstanceOf(BackupError);
      expect((error as BackupError).code).toBe(code);
      expect((error as BackupError).message).toContain(`(${BACKUP_CHECKS[code]} check`);
    }
  });
});

describe("backups and the chain they are of", () => {
  const regtest: ChainIdentity = { network: "regtest", startHeight: 1, anchor: "ab".repeat(32) };
  const source = async (chain?: ChainIdentity, settings: Record<string, unknown> = {}) => {
    const store = new MemoryStore();
    await filled(store, 2);
    if (chain) await store.setSetting(CHAIN_SETTING, chain);
    for (const [k, v] of Object.entries(settings)) await store.setSetting(k, v);
    return store;
  };

  it("a backup records the network, the start height and the anchor block hash", async () => {
    const bytes = await createBackup(await source(regtest), 5);
    expect(readBackup(bytes).header).toMatchObject({ version: 2, chain: regtest });
    // A store that does not know its chain writes none (and cannot be checked on restore).
    expect(readBackup(await createBackup(await source(), 5)).header.chain).toBeUndefined();
  });

  it("refuses another chain's file with a sentence that says so, touching nothing", async () => {
    const bytes = await createBackup(await source(regtest), 5);
    for (const ours of [
      { ...regtest, network: "signet" as const },
      { ...regtest, startHeight: 2 },
      { ...regtest, anchor: "cd".repeat(32) },
    ]) {
      const target = await source(ours);
      const before = await target.exportSnapshot();
      const error = await restoreBackup(target, bytes).catch((e: BackupError) => e);
      expect(error).toMatchObject({ code: "otherChain" });
      expect((error as Error).message).toMatch(
        /^This backup is from another chain than the one this client follows/,
      );
      expect((error as Error).message).toContain("(chain check: the file is of regtest from height 1");
      expect(await target.exportSnapshot()).toEqual(before);
    }
    // The same chain restores; so does a store that records no chain yet, which then records the file's.
    await restoreBackup(await source(regtest), bytes);
    const fresh = new MemoryStore();
    await restoreBackup(fresh, bytes);
    expect(await fresh.getSetting(CHAIN_SETTING)).toEqual(regtest);
    // A file that does not say which chain it is from is refused by a store that knows its own.
    const unknown = await createBackup(await source(), 5);
    await expect(restoreBackup(await source(regtest), unknown)).rejects.toMatchObject({
      code: "unknownChain",
    });
  });

  it("never imports sync or federation settings from a file", async () => {
    const hostile = {
      sync: {
        esploraUrl: "https://evil.example/api",
        startHeight: 501,
        oracleKeys: { keys: [["1", "2"]], threshold: 1 },
        proofs: false,
      },
      guardians: ["https://evil.example/guardian"],
    };
    const bytes = await createBackup(await source(regtest, hostile), 5);
    expect(new TextDecoder().decode(bytes)).not.toContain("evil.example");
    const ours = { esploraUrl: "https://mempool.space/signet/api", startHeight: 501, proofs: true };
    const target = await source(regtest, { sync: ours });
    await restoreBackup(target, bytes);
    expect(await target.getSetting("sync")).toEqual(ours);
    expect(await target.getSetting("guardians")).toBeUndefined();
    // An older file that still carries settings in its records: they are ignored too.
    const snapshot = await (await source(regtest, hostile)).exportSnapshot();
    const legacy = encodeBackup(snapshot, 5, regtest);
    expect(new TextDecoder().decode(legacy)).not.toContain("evil.example");
  });
});

describe("IndexedDB durability", () => {
  it("state survives closing and reopening the database", async () => {
    const name = `reopen-${process.pid}`;
    const a = await openIdbStore({ name });
    const chain = await filled(a, 3);
    await a.close();
    const b = await openIdbStore({ name });
    expect((await b.head())?.root).toBe(chain.head.root);
    expect((await b.blocks()).length).toBe(3);
    await b.close();
  });

  it("a head written with its state inside (before the state had its own record) keeps it through empty blocks", async () => {
    const name = `old-head-${process.pid}`;
    const a = await openIdbStore({ name });
    const chain = await filled(a, 2);
    // The head as stores wrote it before: one record with the state.
    await a.db.delete("meta", "state");
    await a.db.put("meta", chain.head, "head");
    await a.commitBlock(chain.empty());
    await a.commitBlock(chain.empty());
    await a.close();
    const b = await openIdbStore({ name });
    expect(await b.head()).toEqual(chain.head);
    await b.close();
  });

  it("a block write that fails midway leaves nothing of the block", async () => {
    const store = await freshIdb();
    const chain = await filled(store, 2);
    const before = await store.exportSnapshot();
    const commit = chain.next();
    // An uncloneable value in the last event makes the transaction fail after other puts were issued.
    (commit.events[commit.events.length - 1] as unknown as { event: unknown }).event = () => 0;
    await expect(store.commitBlock(commit)).rejects.toThrow();
    expect(await store.exportSnapshot()).toEqual(before);
  });
});

describe("file store", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "zkusd-store-"));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it("persists every block and reopens with the same head and events", async () => {
    const path = join(dir, "store.json");
    const a = await openFileStore(path);
    const chain = await filled(a, 3);
    const b = await openFileStore(path);
    expect((await b.head())?.root).toBe(chain.head.root);
    expect(await allEvents(b, {})).toEqual(await allEvents(a, {}));
    expect(JSON.parse(await readFile(path, "utf8")).format).toBe("zkusd-store");
  });
});
