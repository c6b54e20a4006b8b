import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Alert, AlertEvent } from "../rules.ts";
import { notifyBrowser } from "./browser.ts";
import { InAppAlerts } from "./inapp.ts";
import { Notifier } from "./notifier.ts";

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: unknown;
}

let server: Server;
let base: string;
const received: Received[] = [];
let failNext = false;

beforeAll(async () => {
  server = createServer((req, res) => {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c) => {
      text += c;
    });
    req.on("end", () => {
      received.push({
        method: req.method ?? "",
        url: req.url ?? "",
        headers: req.headers,
        body: JSON.parse(text),
      });
      if (failNext) {
        failNext = false;
        res.writeHead(500).end("boom");
        return;
      }
      // Each tool's real success answer shape.
      if (req.url?.startsWith("/v2/enqueue")) {
        res.writeHead(202, { "content-type": "application/json" });
        res.end(JSON.stringify({ status: "success", message: "Event processed", dedup_key: "x" }));
      } else if (req.url?.includes("/sendMessage")) {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ ok: true, result: {} }));
      } else {
        res.writeHead(204).end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const FIRED_AT = Date.UTC(2026, 10, 24, 12, 0, 0);
const alert = (): Alert => ({
  id: `recovery-mode:${FIRED_AT}`,
  ruleId: "recovery-mode",
  metric: "tcr",
  severity: "critical",
  title: "CRITICAL: recovery-mode",
  message: "tcr below 1.5 (now 1.461)",
  description: "The system is in recovery mode <now> & then.",
  firedAt: FIRED_AT,
  value: 1_461_000_000_000_000_000n,
  lastValue: 1_461_000_000_000_000_000n,
  resolvedAt: null,
  acknowledged: false,
});

function notifier() {
  return new Notifier(
    [
      { target: { kind: "json", url: `${base}/hook`, headers: { authorization: "Bearer t" } } },
      { target: { kind: "discord", url: `${base}/api/webhooks/1/abc` } },
      { target: { kind: "telegram", botToken: "123:SECRET", chatId: -1001, apiBase: base } },
      { target: { kind: "pagerduty", routingKey: "R0UTING", url: `${base}/v2/enqueue` } },
      { target: { kind: "json", url: `${base}/info-only` }, minSeverity: "emergency" },
    ],
    { source: "zkusd-test" },
  );
}

describe("operator webhooks on a loopback HTTP server", () => {
  it("a fired alert reaches each tool in its own format", async () => {
    received.length = 0;
    const event: AlertEvent = { type: "fired", alert: alert(), at: FIRED_AT };
    const results = await notifier().notify(event);
    expect(results).toEqual([
      { channel: "json", ok: true },
      { channel: "discord", ok: true },
      { channel: "telegram", ok: true },
      { channel: "pagerduty", ok: true },
    ]);
    const by = (p: string) => received.find((r) => r.url.startsWith(p))!;
    for (const r of received) {
      expect(r.method).toBe("POST");
      expect(r.headers["content-type"]).toBe("application/json");
    }

    const generic = by("/hook");
    expect(generic.headers.authorization).toBe("Bearer t");
    expect(generic.body).toEqual({
      type: "fired",
      source: "zkusd-test",
      at: "2026-11-24T12:00:00.000Z",
      alert: {
        id: `recovery-mode:${FIRED_AT}`,
        rule: "recovery-mode",
        metric: "tcr",
        severity: "critical",
        title: "CRITICAL: recovery-mode",
        message: "tcr below 1.5 (now 1.461)",
        description: "The system is in recovery mode <now> & then.",
        firedAt: "2026-11-24T12:00:00.000Z",
        resolvedAt: null,
        value: "1461000000000000000",
        lastValue: "1461000000000000000",
        display: "1.461",
      },
    });

    // Discord: https://discord.com/developers/docs/resources/webhook#execute-webhook
    const discord = by("/api/webhooks/1/abc").body as Record<string, unknown>;
    expect(Object.keys(discord)).toEqual(["content", "embeds"]);
    expect(discord.content).toBe("[CRITICAL] recovery-mode: tcr below 1.5 (now 1.461)");
    const [embed] = discord.embeds as Record<string, unknown>[];
    expect(Object.keys(embed!)).toEqual(["title", "description", "color", "fields", "timestamp"]);
    expect(embed).toMatchObject({
      title: "[CRITICAL] recovery-mode",
      color: 0xe67e22,
      timestamp: "2026-11-24T12:00:00.000Z",
    });
    expect(Number.isInteger(embed!.color)).toBe(true);
    for (const f of embed!.fields as Record<string, unknown>[]) {
      expect(typeof f.name).toBe("string");
      expect(typeof f.value).toBe("string");
      expect(typeof f.inline).toBe("boolean");
    }

    // Telegram: POST /bot<token>/sendMessage {chat_id, text, parse_mode}; HTML escaped.
    const telegram = by("/bot123:SECRET/sendMessage").body as Record<string, unknown>;
    expect(Object.keys(telegram)).toEqual(["chat_id", "text", "parse_mode"]);
    expect(telegram.chat_id).toBe(-1001);
    expect(telegram.parse_mode).toBe("HTML");
    expect(telegram.text).toContain("<b>[CRITICAL] recovery-mode</b>");
    expect(telegram.text).toContain("recovery mode &lt;now&gt; &amp; then.");

    // PagerDuty Events v2: https://developer.pagerduty.com/docs/events-api-v2/trigger-events/
    const pd = by("/v2/enqueue").body as Record<string, unknown>;
    expect(pd).toEqual({
      routing_key: "R0UTING",
      dedup_key: "zkusd-recovery-mode",
      event_action: "trigger",
      payload: {
        summary: "recovery-mode: tcr below 1.5 (now 1.461)",
        source: "zkusd-test",
        severity: "error",
        timestamp: "2026-11-24T12:00:00.000Z",
        component: "tcr",
        custom_details: {
          description: "The system is in recovery mode <now> & then.",
          value: "1461000000000000000",
          alert: `recovery-mode:${FIRED_AT}`,
        },
      },
    });
    // The emergency-only channel was not called.
    expect(received.some((r) => r.url === "/info-only")).toBe(false);
  });

  it("resolving sends PagerDuty a resolve with the same dedup key", async () => {
    received.length = 0;
    const a = { ...alert(), resolvedAt: FIRED_AT + 60_000 };
    await notifier().notify({ type: "resolved", alert: a, at: FIRED_AT + 60_000 });
    expect(received.find((r) => r.url === "/v2/enqueue")!.body).toEqual({
      routing_key: "R0UTING",
      dedup_key: "zkusd-recovery-mode",
      event_action: "resolve",
    });
    const discord = received.find((r) => r.url.startsWith("/api/webhooks"))!.body as {
      embeds: { color: number }[];
    };
    expect(discord.embeds[0]!.color).toBe(0x2ecc71);
  });

  it("a failing channel is reported, the others still deliver, and tokens never appear in errors", async () => {
    received.length = 0;
    const n = new Notifier(
      [
        { target: { kind: "telegram", botToken: "999:TOPSECRET", chatId: 1, apiBase: base } },
        { target: { kind: "json", url: `${base}/hook` } },
      ],
      { source: "t" },
    );
    failNext = true;
    const results = await n.notify({ type: "fired", alert: alert(), at: FIRED_AT });
    expect(results[0]).toMatchObject({ channel: "telegram", ok: false });
    expect(results[0]!.error).toContain("/bot<token>/sendMessage answered 500");
    expect(results[0]!.error).not.toContain("TOPSECRET");
    expect(results[1]).toEqual({ channel: "json", ok: true });
  });

  it("an e-mail channel without an SMTP relay says so", async () => {
    const n = new Notifier([{ target: { kind: "email", from: "a@b.c", to: ["d@e.f"] } }], { source: "t" });
    expect(await n.notify({ type: "fired", alert: alert(), at: 0 })).toEqual([
      { channel: "email", ok: false, error: "no SMTP relay is configured" },
    ]);
  });
});

describe("in-app and browser notifications", () => {
  it("the in-app store keeps active alerts and history and tells subscribers", () => {
    const store = new InAppAlerts();
    let calls = 0;
    const unsubscribe = store.subscribe(() => calls++);
    const before = store.getSnapshot();
    store.push({ type: "fired", alert: alert(), at: 1 });
    expect(store.getSnapshot()).not.toBe(before);
    expect(store.getSnapshot().active.map((a) => a.ruleId)).toEqual(["recovery-mode"]);
    store.push({ type: "resolved", alert: alert(), at: 2 });
    expect(store.getSnapshot().active).toEqual([]);
    expect(store.getSnapshot().history.map((e) => e.type)).toEqual(["resolved", "fired"]);
    unsubscribe();
    store.push({ type: "fired", alert: alert(), at: 3 });
    expect(calls).toBe(2);
  });

  it("browser notifications are feature-detected and need permission", () => {
    const g = globalThis as { Notification?: unknown };
    expect(notifyBrowser({ type: "fired", alert: alert(), at: 0 })).toBe("unsupported");
    const shown: [string, { tag?: string; requireInteraction?: boolean }][] = [];
    class FakeNotification {
      static permission = "denied";
      static requestPermission = async () => "denied";
      constructor(title: string, options: { tag?: string }) {
        shown.push([title, options]);
      }
    }
    g.Notification = FakeNotification;
    try {
      expect(notifyBrowser({ type: "fired", alert: alert(), at: 0 })).toBe("notPermitted");
      FakeNotification.permission = "granted";
      expect(notifyBrowser({ type: "fired", alert: alert(), at: 0 })).toBe("shown");
      expect(shown[0]![0]).toBe("zkUSD CRITICAL: recovery-mode");
      expect(shown[0]![1]).toMatchObject({ tag: "zkusd-recovery-mode", requireInteraction: true });
    } finally {
      delete g.Notification;
    }
  });
});
