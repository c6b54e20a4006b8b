/**
 * The browser store: IndexedDB through `idb`. One database per network (`zkusd-<network>`), stores
 * versioned by the database version with a list of migrations (each runs once, in order, inside the
 * upgrade transaction). Every DataStore method is one IndexedDB transaction: a block is written
 * completely or not at all, whatever happens to the tab.
 */
import { type DBSchema, type IDBPDatabase, type IDBPTransaction, openDB, type StoreNames } from "idb";
import {
  afterCursor,
  decodeCursor,
  emptyStats,
  encodeCursor,
  inRange,
  matches,
  pageLimit,
  updateStats,
} from "./events.ts";
import { historyLimit } from "./history.ts";
import { undoState } from "./memory.ts";
import {
  type BackupInfo,
  type BlockCommit,
  type BlockRecord,
  type DataStore,
  type EventKey,
  type EventPage,
  type EventQuery,
  type EventStats,
  type Head,
  type HeightRange,
  type HistoryPoint,
  type HistoryQuery,
  type PendingRecord,
  type PriceRecord,
  type RejectedRecord,
  type Snapshot,
  type SpellRecord,
  StaleWriteError,
  type StoredEvent,
  type UtxoLockRecord,
} from "./types.ts";

interface Schema extends DBSchema {
  meta: { key: string; value: unknown };
  /** `point`: the heights of blocks with a history point (records without one are not in it). */
  blocks: { key: number; value: BlockRecord; indexes: { point: number } };
  spells: { key: [number, number]; value: SpellRecord; indexes: { height: number } };
  rejected: { key: [number, number]; value: RejectedRecord; indexes: { height: number } };
  events: {
    key: EventKey;
    value: StoredEvent;
    indexes: { type: string; vault: string; account: string; height: number };
  };
  prices: { key: [number, number]; value: PriceRecord };
  settings: { key: string; value: unknown };
  locks: { key: string; value: UtxoLockRecord };
  pending: { key: string; value: PendingRecord };
  backups: { key: string; value: BackupInfo & { data: Uint8Array } };
}

type Name = StoreNames<Schema>;
type UpgradeTx = IDBPTransaction<Schema, Name[], "versionchange">;

/** Schema migrations: entry i upgrades version i to i + 1. Append; never edit a shipped one. */
const MIGRATIONS: ((db: IDBPDatabase<Schema>, tx: UpgradeTx) => void)[] = [
  (db) => {
    db.createObjectStore("meta");
    db.createObjectStore("blocks", { keyPath: "height" });
    db.createObjectStore("spells", { keyPath: ["height", "position"] }).createIndex("height", "height");
    db.createObjectStore("rejected", { keyPath: ["height", "position"] }).createIndex("height", "height");
    const events = db.createObjectStore("events", { keyPath: "key" });
    events.createIndex("type", "type");
    events.createIndex("vault", "vault");
    events.createIndex("account", "accounts", { multiEntry: true });
    events.createIndex("height", "height");
    db.createObjectStore("prices", { keyPath: ["height", "position"] });
    db.createObjectStore("settings");
    db.createObjectStore("locks", { keyPath: "outpoint" });
    db.createObjectStore("pending", { keyPath: "txid" });
    db.createObjectStore("backups", { keyPath: "id" });
  },
  // 2: history points ride on block records; this index lists only the blocks that have one.
  (_db, tx) => {
    tx.objectStore("blocks").createIndex("point", "point.height");
  },
];

export const DB_VERSION = MIGRATIONS.length;
/** How far below the window a commit looks for undo data to drop (a changed window size, a restore). */
const PRUNE_SPAN = 256;
const CHAIN_STORES = ["meta", "blocks", "spells", "rejected", "events", "prices"] as const;

export interface IdbStoreOptions {
  /** Database name (default "zkusd"); one per network. */
  name?: string;
  /** Called when another tab upgrades the schema: this connection closes. */
  onVersionChange?: () => void;
}

export async function openIdbStore(options: IdbStoreOptions = {}): Promise<IdbStore> {
  const db = await openDB<Schema>(options.name ?? "zkusd", DB_VERSION, {
    upgrade(db, oldVersion, _newVersion, tx) {
      for (let v = oldVersion; v < DB_VERSION; v++) MIGRATIONS[v]!(db, tx as unknown as UpgradeTx);
    },
    blocking() {
      db.close();
      options.onVersionChange?.();
    },
  });
  return new IdbStore(db);
}

/** Marks a request's promise as handled: when a transaction aborts, every queued request rejects too. */
function settled(writes: Promise<unknown>[]): Promise<unknown[]> {
  for (const w of writes) w.catch(() => undefined);
  return Promise.all(writes);
}

/** Array whose pushed promises are marked handled at once (see `settled`). */
class Writes extends Array<Promise<unknown>> {
  override push(...items: Promise<unknown>[]): number {
    for (const w of items) w.catch(() => undefined);
    return super.push(...items);
  }
}

const upTo = (range: HeightRange | undefined) =>
  range?.fromHeight === undefined && range?.toHeight === undefined
    ? undefined
    : IDBKeyRange.bound(range.fromHeight ?? 0, range.toHeight ?? Number.MAX_SAFE_INTEGER);

/**
 * The head is kept as two records of `meta`: "head" (height, hash, time, root) and "state" (the
 * serialized state), so a block that changed nothing rewrites only the small one, and a commit's
 * check of the stored head reads no state. A "head" written before carries its state itself.
 */
type HeadRecord = Omit<Head, "state"> & { state?: Head["state"] };
type MetaReader = { get(key: string): Promise<unknown> };
type MetaStore = MetaReader & { put(value: unknown, key: string): Promise<unknown> };

async function readHead(meta: MetaReader): Promise<Head | undefined> {
  const head = (await meta.get("head")) as HeadRecord | undefined;
  if (!head || head.state) return head as Head | undefined;
  return { ...head, state: (await meta.get("state")) as Head["state"] };
}

/** The puts writing `head` (its state too, unless `keepState`: the stored one is the same). */
function writeHead(meta: MetaStore, head: Head, keepState = false): Promise<unknown>[] {
  const { state, ...rest } = head;
  return keepState ? [meta.put(rest, "head")] : [meta.put(rest, "head"), meta.put(state, "state")];
}

export class IdbStore implements DataStore {
  /**
   * After this store's last commit (the head it wrote, by hash): no block at or below `below` holds
   * undo data. Another writer (a tab, a rollback, a restore) moves the head, and the next commit
   * looks over the whole span again.
   */
  private undoClean: { hash: string; below: number } | undefined;

  constructor(readonly db: IDBPDatabase<Schema>) {}

  async head() {
    const tx = this.db.transaction(["meta"]);
    const head = await readHead(tx.objectStore("meta"));
    await tx.done;
    return head;
  }

  async initHead(head: Head) {
    const tx = this.db.transaction(["meta"], "readwrite");
    if (await tx.objectStore("meta").get("head")) {
      tx.abort();
      throw new StaleWriteError("the store already has a head");
    }
    await settled(writeHead(tx.objectStore("meta"), head));
    await tx.done;
  }

  async commitBlock(c: BlockCommit) {
    const tx = this.db.transaction([...CHAIN_STORES], "readwrite");
    try {
      const meta = tx.objectStore("meta");
      const head = (await meta.get("head")) as HeadRecord | undefined;
      if (!head || c.block.height !== head.height + 1 || c.block.prev.hash !== head.hash) {
        throw new StaleWriteError(
          `block ${c.block.height} does not extend the stored head ${head ? head.height : "(none)"}`,
        );
      }
      const blocks = tx.objectStore("blocks");
      const writes = new Writes();
      const next: Head = {
        height: c.block.height,
        hash: c.block.hash,
        time: c.block.time,
        root: c.block.root,
        state: c.state,
      };
      // A block that changed nothing keeps the stored state (unless it is still inside an old head).
      writes.push(...writeHead(meta, next, c.unchanged === true && !head.state), blocks.put(c.block));
      for (const s of c.spells) writes.push(tx.objectStore("spells").put(s));
      for (const r of c.rejected) writes.push(tx.objectStore("rejected").put(r));
      for (const e of c.events) writes.push(tx.objectStore("events").put(e));
      for (const p of c.prices) writes.push(tx.objectStore("prices").put(p));
      if (c.events.length > 0) {
        const stats = ((await meta.get("stats")) as EventStats | undefined) ?? emptyStats();
        writes.push(meta.put(updateStats(stats, c.events, 1), "stats"));
      }
      // Drop undo snapshots that fell out of the reorg window (older ones went at earlier blocks).
      // When this store wrote the head itself, only the blocks that left the window since are read:
      // the whole span, one cursor step per record (257 a block), was most of a replay's store time.
      const floor = Math.max(0, c.pruneUndoBelow - PRUNE_SPAN);
      const clean = this.undoClean?.hash === head.hash ? this.undoClean.below + 1 : 0;
      const from = Math.max(floor, clean);
      if (from <= Math.max(floor, c.pruneUndoBelow))
        for (const b of await blocks.getAll(IDBKeyRange.bound(from, Math.max(floor, c.pruneUndoBelow))))
          if (b.undo) writes.push(blocks.put({ ...b, undo: null }));
      await settled(writes);
      await tx.done;
      this.undoClean = { hash: c.block.hash, below: c.pruneUndoBelow };
    } catch (error) {
      try {
        tx.abort();
      } catch {
        // already finished or aborted
      }
      await tx.done.catch(() => undefined);
      throw error;
    }
  }

  async rollback(height: number): Promise<Head> {
    this.undoClean = undefined;
    const tx = this.db.transaction([...CHAIN_STORES], "readwrite");
    const meta = tx.objectStore("meta");
    const head = await readHead(meta);
    if (!head) {
      tx.abort();
      throw new Error("nothing to roll back: the store is empty");
    }
    if (height >= head.height) {
      await tx.done;
      return head;
    }
    const above = IDBKeyRange.lowerBound(height + 1);
    let state: Head["state"];
    try {
      state = undoState(head, await tx.objectStore("blocks").getAll(above), height);
    } catch (error) {
      tx.abort();
      await tx.done.catch(() => undefined);
      throw error;
    }
    const first = (await tx.objectStore("blocks").get(height + 1))!;
    const removed = await tx.objectStore("events").index("height").getAll(above);
    const newHead: Head = { height, ...first.prev, state };
    const stats = ((await meta.get("stats")) as EventStats | undefined) ?? emptyStats();
    await settled([
      ...writeHead(meta, newHead),
      meta.put(updateStats(stats, removed, -1), "stats"),
      tx.objectStore("blocks").delete(above),
      tx.objectStore("spells").delete(IDBKeyRange.lowerBound([height + 1, 0])),
      tx.objectStore("rejected").delete(IDBKeyRange.lowerBound([height + 1, 0])),
      tx.objectStore("events").delete(IDBKeyRange.lowerBound([height + 1, 0, 0])),
      tx.objectStore("prices").delete(IDBKeyRange.lowerBound([height + 1, 0])),
    ]);
    await tx.done;
    return newHead;
  }

  async block(height: number) {
    return this.db.get("blocks", height);
  }
  async blocks(range?: HeightRange) {
    return this.db.getAll("blocks", upTo(range));
  }
  async spells(range?: HeightRange) {
    return this.db.getAllFromIndex("spells", "height", upTo(range));
  }
  async rejected(range?: HeightRange) {
    return this.db.getAllFromIndex("rejected", "height", upTo(range));
  }
  async prices(range?: HeightRange) {
    return (await this.db.getAll("prices")).filter((p) => inRange(p.height, range));
  }

  /** Walks the `point` index down from the range's top, so only blocks with a point are read. */
  async history(q: HistoryQuery = {}): Promise<HistoryPoint[]> {
    const limit = historyLimit(q);
    const from = q.fromHeight ?? 0;
    const to = q.toHeight ?? Number.MAX_SAFE_INTEGER;
    if (from > to) return []; // IDBKeyRange.bound throws a DataError for an empty range
    const tx = this.db.transaction("blocks");
    const out: HistoryPoint[] = [];
    let c = await tx.store.index("point").openCursor(IDBKeyRange.bound(from, to), "prev");
    while (c && out.length < limit) {
      out.push(c.value.point!);
      c = await c.continue();
    }
    await tx.done;
    return out.reverse();
  }

  /**
   * Walks one index (vault, account or a single type, else the primary key) in key order and filters
   * the rest; an index's entries with one value come in primary-key order, so cursors stay exact.
   */
  async events(q: EventQuery = {}): Promise<EventPage> {
    const limit = pageLimit(q);
    const cursorKey = q.after === undefined ? undefined : decodeCursor(q.after);
    const direction = q.order === "desc" ? "prev" : "next";
    const tx = this.db.transaction("events");
    const store = tx.objectStore("events");
    const lo: EventKey = [q.fromHeight ?? 0, 0, 0];
    const hi: EventKey = [
      q.toHeight ?? Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER,
    ];
    // An empty height range (from above to), or a cursor already past its end, has no events;
    // IDBKeyRange.bound would throw a DataError for it.
    const emptyRange =
      indexedDB.cmp(lo, hi) > 0 ||
      (cursorKey !== undefined &&
        (q.order === "desc" ? indexedDB.cmp(lo, cursorKey) >= 0 : indexedDB.cmp(cursorKey, hi) >= 0));
    if (emptyRange) return { events: [] };
    const out: StoredEvent[] = [];
    let more = false;
    const take = (e: StoredEvent): boolean => {
      if (!afterCursor(e.key, q, cursorKey) || !matches(e, q)) return true;
      if (out.length === limit) {
        more = true;
        return false;
      }
      out.push(e);
      return true;
    };
    const indexed: [("vault" | "account" | "type")?, string?] =
      q.vault !== undefined
        ? ["vault", q.vault]
        : q.account !== undefined
          ? ["account", q.account]
          : q.types?.length === 1
            ? ["type", q.types[0]]
            : [];
    if (indexed[0]) {
      let c = await store.index(indexed[0]).openCursor(IDBKeyRange.only(indexed[1]!), direction);
      // Jump to the cursor (or the range start) inside the index's run of equal values.
      const start = cursorKey ?? (q.order === "desc" ? hi : lo);
      const before = (k: EventKey) => indexedDB.cmp(k, start) * (q.order === "desc" ? -1 : 1) < 0;
      if (c && before(c.primaryKey)) c = await c.continuePrimaryKey(indexed[1]!, start);
      while (c) {
        const e = c.value;
        if (q.order === "desc" ? e.height < lo[0] : e.height > hi[0]) break;
        if (!take(e)) break;
        c = await c.continue();
      }
    } else {
      const range =
        cursorKey === undefined
          ? IDBKeyRange.bound(lo, hi)
          : q.order === "desc"
            ? IDBKeyRange.bound(lo, cursorKey, false, true)
            : IDBKeyRange.bound(cursorKey, hi, true, false);
      let c = await store.openCursor(range, direction);
      while (c) {
        if (!take(c.value)) break;
        c = await c.continue();
      }
    }
    await tx.done;
    const page: EventPage = { events: out };
    if (more) page.next = encodeCursor(out[out.length - 1]!.key);
    return page;
  }

  async eventStats() {
    return ((await this.db.get("meta", "stats")) as EventStats | undefined) ?? emptyStats();
  }

  async getSetting<T>(key: string) {
    return (await this.db.get("settings", key)) as T | undefined;
  }
  async setSetting(key: string, value: unknown) {
    await this.db.put("settings", value, key);
  }
  async locks() {
    return this.db.getAll("locks");
  }
  async putLock(lock: UtxoLockRecord) {
    await this.db.put("locks", lock);
  }
  async deleteLock(outpoint: string) {
    await this.db.delete("locks", outpoint);
  }
  async pending() {
    return this.db.getAll("pending");
  }
  async putPending(p: PendingRecord) {
    await this.db.put("pending", p);
  }
  async deletePending(txid: string) {
    await this.db.delete("pending", txid);
  }

  async exportSnapshot(): Promise<Snapshot> {
    const tx = this.db.transaction([...CHAIN_STORES, "settings"]);
    const head = await readHead(tx.objectStore("meta"));
    if (!head) throw new Error("nothing to export: the store is empty");
    const [blocks, spells, rejected, events, prices, keys, values] = await Promise.all([
      tx.objectStore("blocks").getAll(),
      tx.objectStore("spells").getAll(),
      tx.objectStore("rejected").getAll(),
      tx.objectStore("events").getAll(),
      tx.objectStore("prices").getAll(),
      tx.objectStore("settings").getAllKeys(),
      tx.objectStore("settings").getAll(),
    ]);
    await tx.done;
    const settings: Record<string, unknown> = {};
    keys.forEach((k, i) => {
      settings[k] = values[i];
    });
    return {
      head,
      blocks: blocks.map((b) => ({ ...b, undo: null })),
      spells,
      rejected,
      events,
      prices,
      settings,
    };
  }

  /** Drops everything learnt from the chain (head, blocks, spells, events, prices); settings stay. */
  async clearChain(): Promise<void> {
    this.undoClean = undefined;
    const tx = this.db.transaction([...CHAIN_STORES], "readwrite");
    await Promise.all(CHAIN_STORES.map((n) => tx.objectStore(n).clear()));
    await tx.done;
  }

  async replaceAll(s: Snapshot) {
    this.undoClean = undefined;
    const tx = this.db.transaction([...CHAIN_STORES, "settings"], "readwrite");
    await Promise.all(CHAIN_STORES.map((n) => tx.objectStore(n).clear()));
    const writes = new Writes();
    writes.push(
      ...writeHead(tx.objectStore("meta"), s.head),
      tx.objectStore("meta").put(updateStats(emptyStats(), s.events, 1), "stats"),
    );
    for (const b of s.blocks) writes.push(tx.objectStore("blocks").put(b));
    for (const x of s.spells) writes.push(tx.objectStore("spells").put(x));
    for (const x of s.rejected) writes.push(tx.objectStore("rejected").put(x));
    for (const x of s.events) writes.push(tx.objectStore("events").put(x));
    for (const x of s.prices) writes.push(tx.objectStore("prices").put(x));
    for (const [k, v] of Object.entries(s.settings)) writes.push(tx.objectStore("settings").put(v, k));
    await settled(writes);
    await tx.done;
  }

  async putBackup(info: BackupInfo, bytes: Uint8Array) {
    await this.db.put("backups", { ...info, data: bytes });
  }
  async listBackups() {
    const all = await this.db.getAll("backups");
    return all
      .map(({ data: _data, ...info }) => info as BackupInfo)
      .sort((a, b) => a.createdAt - b.createdAt);
  }
  async getBackup(id: string) {
    return (await this.db.get("backups", id))?.data;
  }
  async deleteBackup(id: string) {
    await this.db.delete("backups", id);
  }

  async close() {
    this.db.close();
  }
}
