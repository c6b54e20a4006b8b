/**
 * Time series of metric samples behind one small interface, in memory (tests, the CLI, a worker's
 * cache) or in IndexedDB (the app). The monitor's database is its own ("zkusd-monitoring"), apart
 * from the data layer's stores.
 */
import type { DBSchema, IDBPDatabase } from "idb";
import { openDB } from "idb";
import { isMetricName, type MetricName, type MetricSample } from "./metrics.ts";

export interface SeriesStore {
  /** Adds samples; a sample with the same metric and time as a stored one replaces it. */
  append(samples: readonly MetricSample[]): Promise<void>;
  /** Samples of one metric with from ≤ at ≤ to, oldest first. */
  range(metric: MetricName, from?: number, to?: number): Promise<MetricSample[]>;
  /** The newest sample of a metric, or null. */
  latest(metric: MetricName): Promise<MetricSample | null>;
  /** Drops samples older than `before` (ms); returns how many were dropped. */
  prune(before: number): Promise<number>;
}

/** Sorted arrays per metric; binary search for ranges. */
export class MemorySeriesStore implements SeriesStore {
  private readonly series = new Map<MetricName, MetricSample[]>();

  async append(samples: readonly MetricSample[]): Promise<void> {
    for (const s of samples) this.insert(s);
  }

  /** Synchronous append for callers that evaluate rules in the same tick. */
  insert(sample: MetricSample): void {
    const list = this.series.get(sample.metric) ?? [];
    if (!this.series.has(sample.metric)) this.series.set(sample.metric, list);
    const last = list[list.length - 1];
    if (!last || last.at < sample.at) {
      list.push(sample);
      return;
    }
    const i = lowerBound(list, sample.at);
    if (list[i]?.at === sample.at) list[i] = sample;
    else list.splice(i, 0, sample);
  }

  async range(metric: MetricName, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY) {
    return this.rangeSync(metric, from, to);
  }

  rangeSync(metric: MetricName, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY) {
    const list = this.series.get(metric) ?? [];
    return list.slice(lowerBound(list, from), upperBound(list, to));
  }

  async latest(metric: MetricName): Promise<MetricSample | null> {
    const list = this.series.get(metric);
    return list?.[list.length - 1] ?? null;
  }

  async prune(before: number): Promise<number> {
    let dropped = 0;
    for (const [metric, list] of this.series) {
      const i = lowerBound(list, before);
      dropped += i;
      this.series.set(metric, list.slice(i));
    }
    return dropped;
  }

  metrics(): MetricName[] {
    return [...this.series.keys()];
  }
}

function lowerBound(list: readonly MetricSample[], at: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as MetricSample).at < at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function upperBound(list: readonly MetricSample[], at: number): number {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((list[mid] as MetricSample).at <= at) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export const MONITORING_DB = "zkusd-monitoring";
const SAMPLES = "samples";

/** Stored row: the value as a decimal string (bigint survives every IndexedDB implementation that way). */
interface SampleRow {
  metric: string;
  at: number;
  value: string;
}

interface MonitoringSchema extends DBSchema {
  samples: { key: [string, number]; value: SampleRow; indexes: { byTime: number } };
}

/** IndexedDB series: one object store keyed by [metric, at], indexed by time for pruning. */
export class IdbSeriesStore implements SeriesStore {
  private constructor(private readonly db: IDBPDatabase<MonitoringSchema>) {}

  /** Opens (and on first use creates) the monitoring database in this context's IndexedDB. */
  static async open(name = MONITORING_DB): Promise<IdbSeriesStore> {
    const db = await openDB<MonitoringSchema>(name, 1, {
      upgrade(database) {
        const store = database.createObjectStore(SAMPLES, { keyPath: ["metric", "at"] });
        store.createIndex("byTime", "at");
      },
    });
    return new IdbSeriesStore(db);
  }

  async append(samples: readonly MetricSample[]): Promise<void> {
    const tx = this.db.transaction(SAMPLES, "readwrite");
    for (const s of samples) void tx.store.put({ metric: s.metric, at: s.at, value: s.value.toString() });
    await tx.done;
  }

  async range(metric: MetricName, from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY) {
    const lo = Number.isFinite(from) ? from : -Number.MAX_VALUE;
    const hi = Number.isFinite(to) ? to : Number.MAX_VALUE;
    const rows = await this.db.getAll(SAMPLES, IDBKeyRange.bound([metric, lo], [metric, hi]));
    return rows.map(fromRow);
  }

  async latest(metric: MetricName): Promise<MetricSample | null> {
    const tx = this.db.transaction(SAMPLES);
    const range = IDBKeyRange.bound([metric, -Number.MAX_VALUE], [metric, Number.MAX_VALUE]);
    const cursor = await tx.store.openCursor(range, "prev");
    return cursor ? fromRow(cursor.value) : null;
  }

  async prune(before: number): Promise<number> {
    const tx = this.db.transaction(SAMPLES, "readwrite");
    let dropped = 0;
    let cursor = await tx.store.index("byTime").openCursor(IDBKeyRange.upperBound(before, true));
    while (cursor) {
      await cursor.delete();
      dropped++;
      cursor = await cursor.continue();
    }
    await tx.done;
    return dropped;
  }

  close(): void {
    this.db.close();
  }
}

function fromRow(row: SampleRow): MetricSample {
  if (!isMetricName(row.metric)) throw new Error(`monitoring store: unknown metric "${row.metric}"`);
  return { metric: row.metric, at: row.at, value: BigInt(row.value) };
}
