/**
 * Fans alert events out to operator channels (webhooks and e-mail), each with a minimum severity.
 * Delivery failures are returned per channel, never thrown: one dead webhook must not silence the
 * others. E-mail goes through an injected sender (the Node SMTP client in src/monitoring/node.ts), so
 * this module stays usable in the browser.
 */
import { type AlertEvent, eventMessage, type Severity, severityRank } from "../rules.ts";
import { alertEventJson, redact, sendWebhook, type WebhookTarget, webhookRequest } from "./webhooks.ts";

export interface EmailTarget {
  readonly kind: "email";
  readonly from: string;
  readonly to: readonly string[];
}

export type ChannelTarget = WebhookTarget | EmailTarget;

export interface Channel {
  /** Shown in delivery results and logs. Default: the target's kind. */
  readonly name?: string;
  readonly target: ChannelTarget;
  /** Events of rules below this severity are not sent. Default "warning". */
  readonly minSeverity?: Severity;
}

export interface EmailMessage {
  readonly from: string;
  readonly to: readonly string[];
  readonly subject: string;
  readonly text: string;
}

export type EmailSender = (message: EmailMessage) => Promise<unknown>;

export interface DeliveryResult {
  readonly channel: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** Subject and plain-text body of an alert e-mail. */
export function alertEmail(event: AlertEvent, source: string): { subject: string; text: string } {
  const a = event.alert;
  const json = alertEventJson(event, source);
  const subject =
    event.type === "fired"
      ? `[zkUSD ${a.severity.toUpperCase()}] ${a.ruleId}: ${a.message}`
      : `[zkUSD RESOLVED] ${a.ruleId}`;
  const text = [
    eventMessage(event),
    "",
    a.description,
    "",
    `Rule:     ${a.ruleId}`,
    `Severity: ${a.severity}`,
    `Value:    ${json.alert.display}`,
    `Fired:    ${json.alert.firedAt}`,
    ...(json.alert.resolvedAt ? [`Resolved: ${json.alert.resolvedAt}`] : []),
    `Source:   ${source}`,
  ].join("\n");
  return { subject, text };
}

export class Notifier {
  constructor(
    private readonly channels: readonly Channel[],
    private readonly options: {
      source: string;
      sendEmail?: EmailSender;
      fetch?: typeof fetch;
      timeoutMs?: number;
    },
  ) {}

  async notify(event: AlertEvent): Promise<DeliveryResult[]> {
    const due = this.channels.filter(
      (c) => severityRank(event.alert.severity) >= severityRank(c.minSeverity ?? "warning"),
    );
    return Promise.all(due.map((c) => this.deliver(c, event)));
  }

  private async deliver(channel: Channel, event: AlertEvent): Promise<DeliveryResult> {
    const name = channel.name ?? channel.target.kind;
    try {
      const target = channel.target;
      if (target.kind === "email") {
        if (!this.options.sendEmail) throw new Error("no SMTP relay is configured");
        await this.options.sendEmail({
          from: target.from,
          to: target.to,
          ...alertEmail(event, this.options.source),
        });
      } else {
        await sendWebhook(webhookRequest(target, event, this.options.source), {
          fetch: this.options.fetch,
          timeoutMs: this.options.timeoutMs,
        });
      }
      return { channel: name, ok: true };
    } catch (error) {
      return { channel: name, ok: false, error: redact((error as Error).message) };
    }
  }
}
