/**
 * The persistent cache of immutable Esplora answers (src/btc/esplora-cache.ts decides what is
 * immutable): its own small IndexedDB database, so it never shares a schema version with the data
 * store, and dropping it (another network, a full disk, a browser's eviction) loses nothing but
 * requests. At most `maxEntries` answers; past that the oldest fifth goes. Every failure is a miss.
 */
import { type DBSchema, type IDBPDatabase, openDB } from "idb";
import type { PersistentCache } from "../btc/esplora-cache.ts";

interface CacheSchema extends DBSchema {
  answers: { key: string; value: { key: string; value: string; at: number }; indexes: { at: number } };
}

/** Schema migrations: entry i upgrades version i to i + 1. Append; never edit a shipped one. */
const MIGRATIONS: ((db: IDBPDatabase<CacheSchema>) => void)[] = [
  (db) => {
    db.createObjectStore("answers", { keyPath: "key" }).createIndex("at", "at");
  },
];

export interface IdbEsploraCacheOptions {
  /** Database name (default "zkusd-esplora-cache"). */
  name?: string;
  /** Most answers kept (default 5,000). */
  maxEntries?: number;
  /** The clock (tests). */
  now?: () => number;
}

export async function openIdbEsploraCache(options: IdbEsploraCacheOptions = {}): Promise<IdbEsploraCache> {
  const db = await openDB<CacheSchema>(options.name ?? "zkusd-esplora-cache", MIGRATIONS.length, {
    upgrade(db, oldVersion) {
      for (let v = oldVersion; v < MIGRATIONS.length; v++) MIGRATIONS[v]!(db);
    },
    blocking() {
      db.close();
    },
  });
  return new IdbEsploraCache(db, options.maxEntries ?? 5_000, options.now ?? Date.now);
}

export class IdbEsploraCache implements PersistentCache {
  private puts = 0;

  constructor(
    private readonly db: IDBPDatabase<CacheSchema>,
    readonly maxEntries: number,
    private readonly now: () => number,
  ) {}

  async get(key: string): Promise<string | undefined> {
    try {
      return (await this.db.get("answers", key))?.value;
    } catch {
      return undefined;
    }
  }

  async put(key: string, value: string): Promise<void> {
    try {
      await this.db.put("answers", { key, value, at: this.now() });
      // Counting is a scan: check every 100th write.
      if (++this.puts % 100 === 0 || this.puts === 1) await this.prune();
    } catch {
      /* a cache that cannot write is a cache that misses */
    }
  }

  /** Drops the oldest fifth when over the cap. */
  async prune(): Promise<void> {
    const count = await this.db.count("answers");
    if (count <= this.maxEntries) return;
    const drop = count - Math.floor(this.maxEntries * 0.8);
    const tx = this.db.transaction("answers", "readwrite");
    let cursor = await tx.store.index("at").openCursor();
    for (let i = 0; cursor && i < drop; i++) {
      await cursor.delete();
      cursor = await cursor.continue();
    }
    await tx.done;
  }

  async count(): Promise<number> {
    return this.db.count("answers");
  }

  close(): void {
    this.db.close();
  }
}
