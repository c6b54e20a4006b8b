/**
 * The Node store: everything in memory, optionally persisted to one JSON file after each write
 * (`openFileStore`): written to a temporary file, flushed, then renamed over the old one, so a crash
 * leaves either the previous file or the new one, never half a block. Used by the guardian daemon,
 * the CLI and tests. Same semantics as the IndexedDB store (each method is atomic).
 */
import {
  afterCursor,
  compareKeys,
  decodeCursor,
  emptyStats,
  encodeCursor,
  inRange,
  matches,
  pageLimit,
  updateStats,
} from "./events.ts";
import { selectHistory } from "./history.ts";
import { fromJson, toJson } from "./json.ts";
import {
  type BackupInfo,
  type BlockCommit,
  type BlockRecord,
  type DataStore,
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

/** Everything the memory store holds; the file store writes exactly this. */
export interface MemoryData {
  format: "zkusd-store";
  version: 1;
  head?: Head;
  blocks: BlockRecord[];
  spells: SpellRecord[];
  rejected: RejectedRecord[];
  events: StoredEvent[];
  prices: PriceRecord[];
  stats: EventStats;
  settings: Record<string, unknown>;
  locks: UtxoLockRecord[];
  pending: PendingRecord[];
  backups: { info: BackupInfo; bytes: Uint8Array }[];
}

const emptyData = (): MemoryData => ({
  format: "zkusd-store",
  version: 1,
  blocks: [],
  spells: [],
  rejected: [],
  events: [],
  prices: [],
  stats: emptyStats(),
  settings: {},
  locks: [],
  pending: [],
  backups: [],
});

const copy = <T>(v: T): T => structuredClone(v);

/** The state at `height` from the blocks above it (see BlockRecord). Throws when it was pruned. */
export function undoState(head: Head, above: readonly BlockRecord[], height: number): Head["state"] {
  if (above[0]?.height !== height + 1) throw new Error(`block ${height + 1} is not stored: cannot roll back`);
  const changed = above.find((b) => b.changed);
  if (!changed) return head.state;
  if (!changed.undo)
    throw new Error(`no undo data to roll back to height ${height} (beyond the reorg window)`);
  return changed.undo;
}

export class MemoryStore implements DataStore {
  protected data: MemoryData;

  constructor(
    data?: MemoryData,
    private readonly persist?: (data: MemoryData) => Promise<void>,
  ) {
    this.data = data ?? emptyData();
  }

  /** Runs a write on a copy and swaps it in only when the write (and its persistence) succeeded. */
  private async write(fn: (d: MemoryData) => void): Promise<void> {
    const next: MemoryData = { ...this.data };
    fn(next);
    if (this.persist) await this.persist(next);
    this.data = next;
  }

  async head() {
    return this.data.head && copy(this.data.head);
  }

  async initHead(head: Head) {
    if (this.data.head) throw new StaleWriteError("the store already has a head");
    await this.write((d) => {
      d.head = copy(head);
    });
  }

  async commitBlock(c: BlockCommit) {
    const head = this.data.head;
    if (!head || c.block.height !== head.height + 1) {
      throw new StaleWriteError(
        `block ${c.block.height} does not extend the stored head ${head ? head.height : "(none)"}`,
      );
    }
    await this.write((d) => {
      d.head = {
        height: c.block.height,
        hash: c.block.hash,
        time: c.block.time,
        root: c.block.root,
        // Nothing changed: the stored state stays (it is never mutated in place).
        state: c.unchanged ? head.state : copy(c.state),
      };
      d.blocks = [
        ...d.blocks.map((b) => (b.height <= c.pruneUndoBelow && b.undo ? { ...b, undo: null } : b)),
        copy(c.block),
      ];
      d.spells = [...d.spells, ...copy(c.spells)];
      d.rejected = [...d.rejected, ...copy(c.rejected)];
      d.events = [...d.events, ...copy(c.events)];
      d.prices = [...d.prices, ...copy(c.prices)];
      d.stats = updateStats(copy(d.stats), c.events, 1);
    });
  }

  async rollback(height: number): Promise<Head> {
    const head = this.data.head;
    if (!head) throw new Error("nothing to roll back: the store is empty");
    if (height >= head.height) return copy(head);
    const above = this.data.blocks.filter((b) => b.height > height).sort((a, b) => a.height - b.height);
    const state = undoState(head, above, height);
    const removed = this.data.events.filter((e) => e.height > height);
    const newHead: Head = { height, ...above[0]!.prev, state: copy(state) };
    await this.write((d) => {
      d.head = newHead;
      d.blocks = d.blocks.filter((b) => b.height <= height);
      d.spells = d.spells.filter((s) => s.height <= height);
      d.rejected = d.rejected.filter((s) => s.height <= height);
      d.events = d.events.filter((e) => e.height <= height);
      d.prices = d.prices.filter((p) => p.height <= height);
      d.stats = updateStats(copy(d.stats), removed, -1);
    });
    return copy(newHead);
  }

  async block(height: number) {
    const b = this.data.blocks.find((x) => x.height === height);
    return b && copy(b);
  }
  async blocks(range?: HeightRange) {
    return copy(this.data.blocks.filter((b) => inRange(b.height, range)));
  }
  async spells(range?: HeightRange) {
    return copy(this.data.spells.filter((b) => inRange(b.height, range)));
  }
  async rejected(range?: HeightRange) {
    return copy(this.data.rejected.filter((b) => inRange(b.height, range)));
  }
  async prices(range?: HeightRange) {
    return copy(this.data.prices.filter((b) => inRange(b.height, range)));
  }
  async history(q: HistoryQuery = {}): Promise<HistoryPoint[]> {
    return copy(selectHistory(this.data.blocks, q));
  }

  async events(q: EventQuery = {}): Promise<EventPage> {
    const limit = pageLimit(q);
    const cursor = q.after === undefined ? undefined : decodeCursor(q.after);
    const sorted = [...this.data.events].sort((a, b) => compareKeys(a.key, b.key));
    if (q.order === "desc") sorted.reverse();
    const out: StoredEvent[] = [];
    let more = false;
    for (const e of sorted) {
      if (!afterCursor(e.key, q, cursor) || !matches(e, q)) continue;
      if (out.length === limit) {
        more = true;
        break;
      }
      out.push(e);
    }
    const page: EventPage = { events: copy(out) };
    if (more) page.next = encodeCursor(out[out.length - 1]!.key);
    return page;
  }

  async eventStats() {
    return copy(this.data.stats);
  }

  async getSetting<T>(key: string) {
    return copy(this.data.settings[key]) as T | undefined;
  }
  async setSetting(key: string, value: unknown) {
    await this.write((d) => {
      d.settings = { ...d.settings, [key]: copy(value) };
    });
  }

  async locks() {
    return copy(this.data.locks);
  }
  async putLock(lock: UtxoLockRecord) {
    await this.write((d) => {
      d.locks = [...d.locks.filter((l) => l.outpoint !== lock.outpoint), copy(lock)];
    });
  }
  async deleteLock(outpoint: string) {
    await this.write((d) => {
      d.locks = d.locks.filter((l) => l.outpoint !== outpoint);
    });
  }

  async pending() {
    return copy(this.data.pending);
  }
  async putPending(p: PendingRecord) {
    await this.write((d) => {
      d.pending = [...d.pending.filter((x) => x.txid !== p.txid), copy(p)];
    });
  }
  async deletePending(txid: string) {
    await this.write((d) => {
      d.pending = d.pending.filter((x) => x.txid !== txid);
    });
  }

  async exportSnapshot(): Promise<Snapshot> {
    const d = this.data;
    if (!d.head) throw new Error("nothing to export: the store is empty");
    return copy({
      head: d.head,
      blocks: d.blocks.map((b) => ({ ...b, undo: null })),
      spells: d.spells,
      rejected: d.rejected,
      events: d.events,
      prices: d.prices,
      settings: d.settings,
    });
  }

  async replaceAll(s: Snapshot) {
    await this.write((d) => {
      d.head = copy(s.head);
      d.blocks = copy(s.blocks);
      d.spells = copy(s.spells);
      d.rejected = copy(s.rejected);
      d.events = copy(s.events);
      d.prices = copy(s.prices);
      d.settings = { ...d.settings, ...copy(s.settings) };
      d.stats = updateStats(emptyStats(), s.events, 1);
    });
  }

  async putBackup(info: BackupInfo, bytes: Uint8Array) {
    await this.write((d) => {
      d.backups = [
        ...d.backups.filter((b) => b.info.id !== info.id),
        { info: copy(info), bytes: bytes.slice() },
      ];
    });
  }
  async listBackups() {
    return this.data.backups.map((b) => copy(b.info)).sort((a, b) => a.createdAt - b.createdAt);
  }
  async getBackup(id: string) {
    return this.data.backups.find((b) => b.info.id === id)?.bytes.slice();
  }
  async deleteBackup(id: string) {
    await this.write((d) => {
      d.backups = d.backups.filter((b) => b.info.id !== id);
    });
  }

  async close() {}
}

/** Serializes the store's data (the file format of `openFileStore`). */
export const encodeStoreFile = (data: MemoryData): string => toJson(data);

export function decodeStoreFile(text: string): MemoryData {
  const data = fromJson<MemoryData>(text);
  if (data?.format !== "zkusd-store") throw new Error("not a zkUSD store file");
  if (data.version !== 1) throw new Error(`unsupported store file version ${String(data.version)}`);
  return data;
}
