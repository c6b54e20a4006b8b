/**
 * Operator notifications as HTTP requests in the exact formats the tools take: generic JSON,
 * Discord webhooks, Telegram's Bot API (sendMessage) and PagerDuty Events API v2. Building a request
 * is pure (`webhookRequest`); `sendWebhook` posts it with fetch and a timeout.
 */
import { formatMetric } from "../metrics.ts";
import { type AlertEvent, eventMessage, type Severity } from "../rules.ts";

export type WebhookTarget =
  | { readonly kind: "json"; readonly url: string; readonly headers?: Readonly<Record<string, string>> }
  | { readonly kind: "discord"; readonly url: string }
  | {
      readonly kind: "telegram";
      readonly botToken: string;
      readonly chatId: string | number;
      /** Default https://api.telegram.org */
      readonly apiBase?: string;
    }
  | {
      readonly kind: "pagerduty";
      readonly routingKey: string;
      /** Default https://events.pagerduty.com/v2/enqueue */
      readonly url?: string;
    };

export interface HttpRequest {
  readonly url: string;
  readonly method: "POST";
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Where the alert came from, shown in every message (e.g. "zkusd-cli@host", "guardian-1"). */
export interface NotifySource {
  readonly source: string;
}

/** The generic JSON body: the event with values as strings (bigint-safe). */
export function alertEventJson(event: AlertEvent, source: string) {
  const a = event.alert;
  return {
    type: event.type,
    source,
    at: new Date(event.at).toISOString(),
    alert: {
      id: a.id,
      rule: a.ruleId,
      metric: a.metric,
      severity: a.severity,
      title: a.title,
      message: eventMessage(event),
      description: a.description,
      firedAt: new Date(a.firedAt).toISOString(),
      resolvedAt: a.resolvedAt === null ? null : new Date(a.resolvedAt).toISOString(),
      value: a.value.toString(),
      lastValue: a.lastValue.toString(),
      display: formatMetric(a.metric, a.lastValue),
    },
  };
}

/** Discord embed colours by severity (decimal RGB); green for resolved. */
export const DISCORD_COLORS: Readonly<Record<Severity | "resolved", number>> = {
  info: 0x3498db,
  warning: 0xf1c40f,
  critical: 0xe67e22,
  emergency: 0xe74c3c,
  resolved: 0x2ecc71,
};

/** PagerDuty's severities are critical, error, warning, info. */
export const PAGERDUTY_SEVERITY: Readonly<Record<Severity, "critical" | "error" | "warning" | "info">> = {
  emergency: "critical",
  critical: "error",
  warning: "warning",
  info: "info",
};

const escapeHtml = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const headline = (event: AlertEvent) =>
  event.type === "fired"
    ? `[${event.alert.severity.toUpperCase()}] ${event.alert.ruleId}`
    : `[RESOLVED] ${event.alert.ruleId}`;

export function webhookRequest(target: WebhookTarget, event: AlertEvent, source: string): HttpRequest {
  const a = event.alert;
  const json = (url: string, body: unknown, headers: Record<string, string> = {}): HttpRequest => ({
    url,
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  switch (target.kind) {
    case "json":
      return json(target.url, alertEventJson(event, source), { ...target.headers });
    case "discord":
      return json(target.url, {
        content: `${headline(event)}: ${eventMessage(event)}`,
        embeds: [
          {
            title: headline(event),
            description: event.type === "fired" ? a.description : eventMessage(event),
            color: DISCORD_COLORS[event.type === "fired" ? a.severity : "resolved"],
            fields: [
              { name: "Metric", value: a.metric, inline: true },
              { name: "Value", value: formatMetric(a.metric, a.lastValue), inline: true },
              { name: "Severity", value: a.severity, inline: true },
              { name: "Source", value: source, inline: true },
            ],
            timestamp: new Date(event.at).toISOString(),
          },
        ],
      });
    case "telegram": {
      const base = (target.apiBase ?? "https://api.telegram.org").replace(/\/+$/, "");
      const text =
        `<b>${escapeHtml(headline(event))}</b>\n${escapeHtml(eventMessage(event))}` +
        (event.type === "fired" ? `\n${escapeHtml(a.description)}` : "") +
        `\n<i>${escapeHtml(source)} · ${new Date(event.at).toISOString()}</i>`;
      return json(`${base}/bot${target.botToken}/sendMessage`, {
        chat_id: target.chatId,
        text,
        parse_mode: "HTML",
      });
    }
    case "pagerduty": {
      const url = target.url ?? "https://events.pagerduty.com/v2/enqueue";
      // One incident per rule: resolve closes the incident the trigger opened.
      const common = { routing_key: target.routingKey, dedup_key: `zkusd-${a.ruleId}` };
      if (event.type === "resolved") return json(url, { ...common, event_action: "resolve" });
      return json(url, {
        ...common,
        event_action: "trigger",
        payload: {
          summary: `${a.ruleId}: ${a.message}`.slice(0, 1024),
          source,
          severity: PAGERDUTY_SEVERITY[a.severity],
          timestamp: new Date(event.at).toISOString(),
          component: a.metric,
          custom_details: { description: a.description, value: a.value.toString(), alert: a.id },
        },
      });
    }
  }
}

export class WebhookError extends Error {
  override readonly name = "WebhookError";
  constructor(
    message: string,
    readonly status: number | null,
  ) {
    super(message);
  }
}

/** Posts a built request; throws WebhookError on a non-2xx answer or a timeout. */
export async function sendWebhook(
  request: HttpRequest,
  options: { timeoutMs?: number; fetch?: typeof fetch } = {},
): Promise<void> {
  const doFetch = options.fetch ?? fetch;
  let response: Response;
  try {
    response = await doFetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: request.body,
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw new WebhookError(`${redact(request.url)}: ${(error as Error).message}`, null);
  }
  if (!response.ok) {
    const text = (await response.text().catch(() => "")).slice(0, 200);
    throw new WebhookError(
      `${redact(request.url)} answered ${response.status} ${text}`.trim(),
      response.status,
    );
  }
  await response.body?.cancel().catch(() => {});
}

/** Telegram tokens sit in the path: never print them. */
export const redact = (url: string) => url.replace(/\/bot[^/]+\//, "/bot<token>/");
