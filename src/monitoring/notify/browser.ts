/**
 * Desktop notifications through the browser's Notification API, feature-detected: where the API is
 * missing (Node, some mobile browsers) or permission is not granted, nothing is shown and `notify`
 * says why.
 */
import type { AlertEvent } from "../rules.ts";

interface NotificationLike {
  permission: "default" | "granted" | "denied";
  requestPermission(): Promise<"default" | "granted" | "denied">;
  new (title: string, options?: { body?: string; tag?: string; requireInteraction?: boolean }): unknown;
}

const api = (): NotificationLike | undefined =>
  (globalThis as { Notification?: NotificationLike }).Notification;

export const browserNotificationsSupported = (): boolean => typeof api() === "function";

/** Asks for permission (call from a user gesture); resolves to the resulting permission or "unsupported". */
export async function requestNotificationPermission(): Promise<
  "default" | "granted" | "denied" | "unsupported"
> {
  const N = api();
  if (!N) return "unsupported";
  if (N.permission !== "default") return N.permission;
  return N.requestPermission();
}

/** Shows one notification per event; `tag` replaces an earlier one for the same rule. */
export function notifyBrowser(event: AlertEvent): "shown" | "unsupported" | "notPermitted" {
  const N = api();
  if (!N) return "unsupported";
  if (N.permission !== "granted") return "notPermitted";
  const { alert } = event;
  const title = event.type === "fired" ? `zkUSD ${alert.title}` : `zkUSD resolved: ${alert.ruleId}`;
  new N(title, {
    body: event.type === "fired" ? `${alert.message}\n${alert.description}` : alert.message,
    tag: `zkusd-${alert.ruleId}`,
    requireInteraction:
      event.type === "fired" && (alert.severity === "critical" || alert.severity === "emergency"),
  });
  return "shown";
}
