/**
 * The data layer's storage (docs/storage.md): one `DataStore` interface with an IndexedDB
 * implementation (browser) and a memory/file one (Node: guardian, CLI, tests); the event store's
 * queries; backup files (docs/decisions.md §7), automatic backups and checkpoints. `openFileStore` is Node-only
 * and lives in ./file.ts.
 */
export * from "./backup.ts";
export { IdbEsploraCache, type IdbEsploraCacheOptions, openIdbEsploraCache } from "./esplora-cache.ts";
export { dayOf, decodeCursor, encodeCursor, storedEvent } from "./events.ts";
export { DEFAULT_HISTORY, historyPoint, MAX_HISTORY } from "./history.ts";
export { DB_VERSION, IdbStore, type IdbStoreOptions, openIdbStore } from "./idb.ts";
export { fromJson, plain, toJson } from "./json.ts";
export { decodeStoreFile, encodeStoreFile, type MemoryData, MemoryStore } from "./memory.ts";
export * from "./types.ts";
