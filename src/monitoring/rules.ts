/**
 * Alert rules over metric series. A rule watches one metric with one condition (above, below, change
 * exceeds, rate exceeds); the AlertEngine turns breaches into alerts with a lifecycle:
 * fire (unless the rule is cooling down) → stay active while breached → resolve once the condition
 * has been clear for `resolveAfterMs` (auto-resolve), or when an operator resolves it.
 * Thresholds are bigints in the metric's unit (metrics.ts); time is milliseconds.
 */
import { formatMetric, isMetricName, METRICS, type MetricName, type MetricSample } from "./metrics.ts";

export const SEVERITIES = ["info", "warning", "critical", "emergency"] as const;
export type Severity = (typeof SEVERITIES)[number];
export const severityRank = (s: Severity): number => SEVERITIES.indexOf(s);

export type Condition =
  /** The newest value is strictly above the threshold. */
  | { readonly kind: "above"; readonly threshold: bigint }
  /** The newest value is strictly below the threshold. */
  | { readonly kind: "below"; readonly threshold: bigint }
  /**
   * |newest − value windowMs ago| exceeds `amount`; with `relative`, the change as an 18-decimal
   * fraction of the older value (0.1e18 = 10%) exceeds `amount`.
   */
  | {
      readonly kind: "changeExceeds";
      readonly amount: bigint;
      readonly windowMs: number;
      readonly relative?: boolean;
    }
  /** The metric moves faster than `perSecond` units per second, averaged over windowMs (either direction). */
  | { readonly kind: "rateExceeds"; readonly perSecond: bigint; readonly windowMs: number };

export interface AlertRule {
  readonly id: string;
  readonly metric: MetricName;
  readonly condition: Condition;
  readonly severity: Severity;
  /** A sentence for people: what it means and what to do. */
  readonly description: string;
  /** After an alert fires, the rule does not fire again for this long (even if it resolved). */
  readonly cooldownMs: number;
  /** Resolve automatically once the condition has been clear this long; null = only by hand. */
  readonly resolveAfterMs: number | null;
  readonly enabled?: boolean;
}

export interface Alert {
  /** Stable per rule and firing: `${ruleId}:${firedAt}`. Notification channels dedup on `ruleId`. */
  readonly id: string;
  readonly ruleId: string;
  readonly metric: MetricName;
  readonly severity: Severity;
  readonly title: string;
  readonly message: string;
  readonly description: string;
  readonly firedAt: number;
  /** The value that triggered it and the latest value seen while active. */
  readonly value: bigint;
  lastValue: bigint;
  resolvedAt: number | null;
  acknowledged: boolean;
}

export interface AlertEvent {
  readonly type: "fired" | "resolved";
  readonly alert: Alert;
  readonly at: number;
  /** What happened, in words: the alert's message when fired, "… no longer holds (now …)" when resolved. */
  readonly message?: string;
}

/** The event's sentence (events built without one fall back to the alert's message). */
export const eventMessage = (e: AlertEvent): string => e.message ?? e.alert.message;

function resolvedEvent(alert: Alert, rule: AlertRule | undefined, at: number): AlertEvent {
  const what = rule ? describeCondition(rule.metric, rule.condition) : alert.ruleId;
  return {
    type: "resolved",
    alert,
    at,
    message: `${what} no longer holds (now ${formatMetric(alert.metric, alert.lastValue)})`,
  };
}

/** Reads a metric's series; the engine passes the window it needs. */
export type SeriesReader = (metric: MetricName, from: number, to: number) => readonly MetricSample[];

/** Whether the rule's condition holds at `now`, and the value it looked at (null: not enough data). */
export function evaluateCondition(
  condition: Condition,
  series: readonly MetricSample[],
): { breached: boolean; value: bigint | null } {
  const newest = series[series.length - 1];
  if (!newest) return { breached: false, value: null };
  switch (condition.kind) {
    case "above":
      return { breached: newest.value > condition.threshold, value: newest.value };
    case "below":
      return { breached: newest.value < condition.threshold, value: newest.value };
    case "changeExceeds": {
      const oldest = series[0] as MetricSample;
      const change = abs(newest.value - oldest.value);
      if (!condition.relative) return { breached: change > condition.amount, value: newest.value };
      if (oldest.value === 0n) return { breached: change > 0n, value: newest.value };
      // change / |old| > amount / 1e18  ⇔  change·1e18 > amount·|old| (no rounding).
      return { breached: change * 10n ** 18n > condition.amount * abs(oldest.value), value: newest.value };
    }
    case "rateExceeds": {
      const oldest = series[0] as MetricSample;
      const elapsed = BigInt(newest.at - oldest.at);
      if (elapsed <= 0n) return { breached: false, value: newest.value };
      // |Δ| / (elapsed/1000) > perSecond  ⇔  |Δ|·1000 > perSecond·elapsed.
      const breached = abs(newest.value - oldest.value) * 1000n > condition.perSecond * elapsed;
      return { breached, value: newest.value };
    }
  }
}

const abs = (x: bigint) => (x < 0n ? -x : x);

/** How far back a condition looks: only the newest sample for thresholds, the window for changes. */
export function windowOf(condition: Condition): number {
  return condition.kind === "changeExceeds" || condition.kind === "rateExceeds" ? condition.windowMs : 0;
}

/** A short sentence of the condition in the metric's unit ("tcr below 1.6"). */
export function describeCondition(metric: MetricName, condition: Condition): string {
  if (METRICS[metric].unit === "flag") {
    if (condition.kind === "above" && condition.threshold === 0n) return `${metric} is on`;
    if (condition.kind === "below" && condition.threshold === 1n) return `${metric} is off`;
  }
  switch (condition.kind) {
    case "above":
      return `${metric} above ${formatMetric(metric, condition.threshold)}`;
    case "below":
      return `${metric} below ${formatMetric(metric, condition.threshold)}`;
    case "changeExceeds":
      return condition.relative
        ? `${metric} changes by more than ${formatMetric("tcr", condition.amount * 100n)}% within ${condition.windowMs / 1000} s`
        : `${metric} changes by more than ${formatMetric(metric, condition.amount)} within ${condition.windowMs / 1000} s`;
    case "rateExceeds":
      return `${metric} moves faster than ${formatMetric(metric, condition.perSecond)} per second over ${condition.windowMs / 1000} s`;
  }
}

interface RuleState {
  active: Alert | null;
  lastFiredAt: number | null;
  /** When the condition was last seen clear while an alert was active. */
  clearSince: number | null;
}

/** How far back a threshold rule looks for the newest sample (metrics arrive at different moments). */
export const DEFAULT_LOOKBACK_MS = 3_600_000;

/**
 * Evaluates rules against series and keeps each rule's alert state. Deterministic: the caller gives
 * the time (`evaluate(now)`), so recorded series replay the same way every time. Threshold rules
 * read the newest sample at most `lookbackMs` old; a metric with no sample that recent is "no data":
 * it neither fires nor resolves.
 */
export class AlertEngine {
  private readonly rules = new Map<string, AlertRule>();
  private readonly states = new Map<string, RuleState>();
  private readonly listeners = new Set<(event: AlertEvent) => void>();

  constructor(
    rules: readonly AlertRule[],
    private readonly read: SeriesReader,
    private readonly lookbackMs = DEFAULT_LOOKBACK_MS,
  ) {
    for (const rule of rules) this.addRule(rule);
  }

  addRule(rule: AlertRule): void {
    assertRule(rule);
    if (this.rules.has(rule.id)) throw new RangeError(`alert rule "${rule.id}" is defined twice`);
    this.rules.set(rule.id, rule);
    this.states.set(rule.id, { active: null, lastFiredAt: null, clearSince: null });
  }

  listRules(): AlertRule[] {
    return [...this.rules.values()];
  }

  /** Subscribes to fired/resolved events; returns the unsubscribe function. */
  on(listener: (event: AlertEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Evaluates every enabled rule at `now` and returns the events it produced (also sent to listeners). */
  evaluate(now: number): AlertEvent[] {
    const events: AlertEvent[] = [];
    for (const rule of this.rules.values()) {
      if (rule.enabled === false) continue;
      const state = this.states.get(rule.id) as RuleState;
      const window = windowOf(rule.condition);
      const series = this.read(rule.metric, now - (window > 0 ? window : this.lookbackMs), now);
      const { breached, value } = evaluateCondition(rule.condition, series);
      if (value === null) continue;
      if (state.active) {
        state.active.lastValue = value;
        if (breached) {
          state.clearSince = null;
          continue;
        }
        state.clearSince ??= now;
        if (rule.resolveAfterMs !== null && now - state.clearSince >= rule.resolveAfterMs) {
          state.active.resolvedAt = now;
          events.push(resolvedEvent(state.active, rule, now));
          state.active = null;
          state.clearSince = null;
        }
        continue;
      }
      if (!breached) continue;
      if (state.lastFiredAt !== null && now - state.lastFiredAt < rule.cooldownMs) continue;
      const alert: Alert = {
        id: `${rule.id}:${now}`,
        ruleId: rule.id,
        metric: rule.metric,
        severity: rule.severity,
        title: `${rule.severity.toUpperCase()}: ${rule.id}`,
        message: `${describeCondition(rule.metric, rule.condition)} (now ${formatMetric(rule.metric, value)})`,
        description: rule.description,
        firedAt: now,
        value,
        lastValue: value,
        resolvedAt: null,
        acknowledged: false,
      };
      state.active = alert;
      state.lastFiredAt = now;
      state.clearSince = null;
      events.push({ type: "fired", alert, at: now, message: alert.message });
    }
    for (const event of events) for (const listener of this.listeners) listener(event);
    return events;
  }

  /** Alerts currently firing, most severe first. */
  active(): Alert[] {
    return [...this.states.values()]
      .map((s) => s.active)
      .filter((a): a is Alert => a !== null)
      .sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || a.firedAt - b.firedAt);
  }

  acknowledge(ruleId: string): boolean {
    const alert = this.states.get(ruleId)?.active;
    if (!alert) return false;
    alert.acknowledged = true;
    return true;
  }

  /** Resolves a rule's active alert by hand (rules with resolveAfterMs null need this). */
  resolve(ruleId: string, now: number): AlertEvent | null {
    const state = this.states.get(ruleId);
    if (!state?.active) return null;
    state.active.resolvedAt = now;
    const event = resolvedEvent(state.active, this.rules.get(ruleId), now);
    state.active = null;
    state.clearSince = null;
    for (const listener of this.listeners) listener(event);
    return event;
  }
}

/** Checks a rule's shape at the boundary (config files, the UI's rule editor). */
export function assertRule(rule: AlertRule): void {
  const where = `alert rule "${rule.id}"`;
  if (typeof rule.id !== "string" || !/^[a-zA-Z0-9][a-zA-Z0-9._-]{0,63}$/.test(rule.id))
    throw new RangeError(
      `alert rule id must be 1-64 letters, digits, ".", "_" or "-", got ${JSON.stringify(rule.id)}`,
    );
  if (!isMetricName(rule.metric))
    throw new RangeError(`${where}: unknown metric ${JSON.stringify(rule.metric)}`);
  if (!SEVERITIES.includes(rule.severity))
    throw new RangeError(`${where}: severity must be one of ${SEVERITIES.join(", ")}`);
  const duration = (name: string, v: unknown, allowNull = false) => {
    if (allowNull && v === null) return;
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`${where}: ${name} must be a whole number of milliseconds ≥ 0`);
  };
  duration("cooldownMs", rule.cooldownMs);
  duration("resolveAfterMs", rule.resolveAfterMs, true);
  const c = rule.condition;
  if (c.kind === "changeExceeds" || c.kind === "rateExceeds") {
    duration("windowMs", c.windowMs);
    if (c.windowMs <= 0) throw new RangeError(`${where}: windowMs must be positive`);
  } else if (c.kind !== "above" && c.kind !== "below") {
    throw new RangeError(`${where}: unknown condition ${JSON.stringify((c as { kind: unknown }).kind)}`);
  }
}
