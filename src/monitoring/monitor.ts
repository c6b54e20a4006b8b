/**
 * The monitor: records samples, keeps the recent window in memory for the rules, writes everything
 * to a persistent series store (IndexedDB in the app) for charts, evaluates the alert rules at each
 * recording and hands the resulting events to its listeners (in-app store, browser notifications,
 * operator channels).
 */
import type { MetricName, MetricSample } from "./metrics.ts";
import {
  AlertEngine,
  type AlertEngine as AlertEngineType,
  type AlertEvent,
  type AlertRule,
  windowOf,
} from "./rules.ts";
import { MemorySeriesStore, type SeriesStore } from "./series.ts";

export interface MonitorOptions {
  readonly rules: readonly AlertRule[];
  /** Where samples are kept for history; default: memory only. */
  readonly store?: SeriesStore;
  /** How much history the in-memory window keeps beyond the longest rule window (default 1 h). */
  readonly retainMs?: number;
}

export class Monitor {
  readonly recent = new MemorySeriesStore();
  readonly alerts: AlertEngineType;
  private readonly store: SeriesStore | null;
  private readonly retainMs: number;
  private lastPrune = Number.NEGATIVE_INFINITY;

  constructor(options: MonitorOptions) {
    this.store = options.store ?? null;
    this.alerts = new AlertEngine(options.rules, (metric, from, to) =>
      this.recent.rangeSync(metric, from, to),
    );
    const longest = Math.max(0, ...options.rules.map((r) => windowOf(r.condition)));
    this.retainMs = longest + (options.retainMs ?? 3_600_000);
  }

  /** Records samples taken at one moment and evaluates the rules at that moment. */
  async record(samples: readonly MetricSample[], now = latestAt(samples)): Promise<AlertEvent[]> {
    for (const s of samples) this.recent.insert(s);
    if (this.store) await this.store.append(samples);
    const events = this.alerts.evaluate(now);
    if (now - this.lastPrune > this.retainMs) {
      await this.recent.prune(now - this.retainMs);
      this.lastPrune = now;
    }
    return events;
  }

  on(listener: (event: AlertEvent) => void): () => void {
    return this.alerts.on(listener);
  }

  /** The newest value of every metric in the window. */
  async latest(): Promise<Partial<Record<MetricName, bigint>>> {
    const out: Partial<Record<MetricName, bigint>> = {};
    for (const metric of this.recent.metrics()) {
      const s = await this.recent.latest(metric);
      if (s) out[metric] = s.value;
    }
    return out;
  }
}

function latestAt(samples: readonly MetricSample[]): number {
  if (samples.length === 0) throw new RangeError("monitor: record() needs at least one sample or a time");
  return Math.max(...samples.map((s) => s.at));
}
