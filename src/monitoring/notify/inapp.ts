/**
 * In-app alerts: a small store the UI subscribes to (shaped for React's useSyncExternalStore:
 * `subscribe` + `getSnapshot` returning the same object until something changes).
 */
import type { Alert, AlertEvent } from "../rules.ts";

export interface InAppSnapshot {
  /** Alerts firing now, newest first. */
  readonly active: readonly Alert[];
  /** The last `historyLimit` events, newest first. */
  readonly history: readonly AlertEvent[];
}

export class InAppAlerts {
  private snapshot: InAppSnapshot = { active: [], history: [] };
  private readonly listeners = new Set<() => void>();

  constructor(private readonly historyLimit = 200) {}

  /** Feed it the AlertEngine's events: `engine.on((e) => inApp.push(e))`. */
  push(event: AlertEvent): void {
    const others = this.snapshot.active.filter((a) => a.ruleId !== event.alert.ruleId);
    this.snapshot = {
      active: event.type === "fired" ? [event.alert, ...others] : others,
      history: [event, ...this.snapshot.history].slice(0, this.historyLimit),
    };
    for (const listener of this.listeners) listener();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): InAppSnapshot => this.snapshot;
}
