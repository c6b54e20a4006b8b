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

/** Least recently used entries dropped past a byte budget (an entry's size is its length). */
class LruCache<V extends { length: number }> {
  private readonly map = new Map<string, V>();
  private bytes = 0;

  constructor(readonly maxBytes: number) {}

  get(key: string): V | undefined {
    const v = this.map.get(key);
    if (v === undefined) return undefined;
    // Most recently used last.
    this.map.delete(key);
    this.map.set(key, v);
    return v;
  }

  has(key: string): boolean {
    return this.map.has(key);
  }

  put(key: string, value: V): void {
    if (value.length > this.maxBytes / 4) return; // one answer never crowds out the rest
    this.delete(key);
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

/** Text answers by key (default budget 16 MB); a new answer for a key replaces the old. */
export class MemoryCache extends LruCache<string> {
  constructor(maxBytes = 16 * 1024 * 1024) {
    super(maxBytes);
  }
}

/** Raw blocks by key (default budget 32 MB); the first block stored for a key stays. */
export class BytesCache extends LruCache<Uint8Array> {
  constructor(maxBytes = 32 * 1024 * 1024) {
    super(maxBytes);
  }

  override put(key: string, value: Uint8Array): void {
    if (!this.has(key)) super.put(key, value);
  }
}

const memories = new Map<string, MemoryCache>();
const rawBlocks = new Map<string, BytesCache>();

/** The cache a registry holds for a base URL, made on first use (every client of the URL shares it). */
function sharedFor<C>(registry: Map<string, C>, baseUrl: string, make: () => C): C {
  let m = registry.get(baseUrl);
  if (!m) {
    m = make();
    registry.set(baseUrl, m);
  }
  return m;
}

/** The raw-block cache of a base URL (shared like the text cache). */
export const rawBlockCacheFor = (baseUrl: string): BytesCache =>
  sharedFor(rawBlocks, baseUrl, () => new BytesCache());
let persistent: PersistentCache | undefined;

/** The in-memory cache of a base URL (every client of it shares one). */
export const memoryCacheFor = (baseUrl: string): MemoryCache =>
  sharedFor(memories, baseUrl, () => new MemoryCache());

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
