/**
 * Caching of immutable Esplora answers (docs/bitcoin.md): what a block hash or a confirmed txid
 * names never changes, so it is fetched once. A bounded in-memory LRU per host (shared by every
 * client, like the scheduler) in front of an optional persistent store (IndexedDB in the app,
 * src/storage/esplora-cache.ts), so a reload does not fetch it again either.
 */

/** A persistent key → text store; misses and failures both answer undefined (a cache never fails a request). */
export interface PersistentCache {
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
}

/** Blocks this deep are treated as final for caching `/block-height/:h` and confirmed transactions. */
export const CACHE_DEPTH = 6;

export class MemoryCache {
  private readonly map = new Map<string, string>();
  private bytes = 0;

  constructor(readonly maxBytes = 16 * 1024 * 1024) {}

  get(key: string): string | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    // Most recently used last.
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  put(key: string, value: string): void {
    if (value.length > this.maxBytes / 4) return; // one answer never crowds out the rest
    const old = this.map.get(key);
    if (old !== undefined) {
      this.bytes -= old.length;
      this.map.delete(key);
    }
    this.map.set(key, value);
    this.bytes += value.length;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= v.length;
    }
  }

  get size(): number {
    return this.map.size;
  }

  /** Drops an answer found to be wrong (a lying server's, see src/indexer/source.ts). */
  delete(key: string): void {
    const old = this.map.get(key);
    if (old === undefined) return;
    this.bytes -= old.length;
    this.map.delete(key);
  }
}

/** Raw blocks by key, least recently used dropped past the byte budget (default 32 MB). */
export class BytesCache {
  private readonly map = new Map<string, Uint8Array>();
  private bytes = 0;

  constructor(readonly maxBytes = 32 * 1024 * 1024) {}

  get(key: string): Uint8Array | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  put(key: string, value: Uint8Array): void {
    if (value.length > this.maxBytes / 4 || this.map.has(key)) return;
    this.map.set(key, value);
    this.bytes += value.length;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.maxBytes) break;
      this.map.delete(k);
      this.bytes -= v.length;
    }
  }
}

const memories = new Map<string, MemoryCache>();
const rawBlocks = new Map<string, BytesCache>();

/** The raw-block cache of a base URL (shared like the text cache). */
export function rawBlockCacheFor(baseUrl: string): BytesCache {
  let m = rawBlocks.get(baseUrl);
  if (!m) {
    m = new BytesCache();
    rawBlocks.set(baseUrl, m);
  }
  return m;
}
let persistent: PersistentCache | undefined;

/** The in-memory cache of a base URL (every client of it shares one). */
export function memoryCacheFor(baseUrl: string): MemoryCache {
  let m = memories.get(baseUrl);
  if (!m) {
    m = new MemoryCache();
    memories.set(baseUrl, m);
  }
  return m;
}

/** Sets the persistent cache every client uses (the app's engine worker and page set IndexedDB's). */
export function setPersistentCache(cache: PersistentCache | undefined): void {
  persistent = cache;
}

export function persistentCache(): PersistentCache | undefined {
  return persistent;
}

/** Forgets every in-memory answer (what a page reload does; tests). */
export function dropMemoryCaches(): void {
  memories.clear();
  rawBlocks.clear();
}
