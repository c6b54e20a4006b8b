/**
 * Accepted prices kept for charts: a fixed-size ring in memory, oldest dropped first, with a
 * persistence hook the storage layer plugs into (it writes each point and hydrates the ring with
 * `load` on start). History is for display only: it is never used as a price when the oracle is
 * unavailable.
 */
import type { AggregationMethod } from "./aggregate.ts";
import { describeError } from "./errors.ts";
import type { SourceId } from "./types.ts";

export interface PricePoint {
  /** USD per BTC, 18 decimals. */
  readonly price: bigint;
  /** When it was aggregated, ms since the epoch. */
  readonly at: number;
  readonly method: AggregationMethod;
  /** The sources whose quotes were accepted. */
  readonly sources: readonly SourceId[];
}

export interface PriceHistoryOptions {
  /** Points kept in memory. Default 2,880 (24 h at one reading every 30 s). */
  capacity?: number;
  /** Called with every new point; a rejected promise goes to onPersistError, never to the caller. */
  persist?: (point: PricePoint) => void | Promise<void>;
  onPersistError?: (error: unknown, point: PricePoint) => void;
}

export class PriceHistory {
  readonly capacity: number;
  private readonly ring: Array<PricePoint | undefined>;
  private start = 0;
  private count = 0;

  constructor(private readonly options: PriceHistoryOptions = {}) {
    const capacity = options.capacity ?? 2_880;
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`price history: capacity must be an integer ≥ 1, got ${capacity}`);
    }
    this.capacity = capacity;
    this.ring = new Array(capacity);
  }

  get size(): number {
    return this.count;
  }

  /** Appends a point (it must not be older than the newest) and hands it to the persistence hook. */
  add(point: PricePoint): void {
    const newest = this.latest();
    if (newest && point.at < newest.at) {
      throw new RangeError(`price history: point at ${point.at} is older than the newest (${newest.at})`);
    }
    this.push(point);
    const persist = this.options.persist;
    if (!persist) return;
    const report = (error: unknown) =>
      this.options.onPersistError
        ? this.options.onPersistError(error, point)
        : console.warn(`price history: could not persist point at ${point.at}: ${describeError(error)}`);
    try {
      const pending = persist(point);
      if (pending) pending.catch(report);
    } catch (error) {
      report(error);
    }
  }

  /** Fills the ring from storage (sorted by time, the newest `capacity` kept), without persisting. */
  load(points: readonly PricePoint[]): void {
    const sorted = [...this.points(), ...points].sort((a, b) => a.at - b.at);
    this.start = 0;
    this.count = 0;
    this.ring.fill(undefined);
    for (const point of sorted.slice(-this.capacity)) this.push(point);
  }

  /** Points oldest first, optionally only those at or after `sinceMs`. */
  points(sinceMs = Number.NEGATIVE_INFINITY): PricePoint[] {
    const out: PricePoint[] = [];
    for (let i = 0; i < this.count; i++) {
      const point = this.ring[(this.start + i) % this.capacity] as PricePoint;
      if (point.at >= sinceMs) out.push(point);
    }
    return out;
  }

  latest(): PricePoint | null {
    return this.count === 0 ? null : (this.ring[(this.start + this.count - 1) % this.capacity] as PricePoint);
  }

  private push(point: PricePoint): void {
    if (this.count < this.capacity) {
      this.ring[(this.start + this.count) % this.capacity] = point;
      this.count++;
    } else {
      this.ring[this.start] = point;
      this.start = (this.start + 1) % this.capacity;
    }
  }
}
