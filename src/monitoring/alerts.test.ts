import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PARAMS, initPoseidon, ONE } from "../protocol/index.ts";
import { defaultRules, ruleFromJson, ruleToJson } from "./defaults.ts";
import type { MetricSample } from "./metrics.ts";
import { Monitor } from "./monitor.ts";
import { recordScenario } from "./replay.ts";
import { AlertEngine, type AlertEvent, type AlertRule, evaluateCondition } from "./rules.ts";
import { MemorySeriesStore } from "./series.ts";

beforeAll(async () => {
  await initPoseidon();
});

const slide = JSON.parse(readFileSync("test/fixtures/monitoring/price-slide.json", "utf8"));

/** Replays a recording through a monitor, one evaluation per recorded time. */
async function replay(rules: AlertRule[]) {
  const recorded = recordScenario(slide);
  const monitor = new Monitor({ rules });
  const events: AlertEvent[] = [];
  for (const at of recorded.times) {
    events.push(
      ...(await monitor.record(
        recorded.samples.filter((s) => s.at === at),
        at,
      )),
    );
  }
  return { events, monitor, recorded };
}

const brief = (events: AlertEvent[]) => events.map((e) => `${e.at / 1000}s ${e.type} ${e.alert.ruleId}`);

describe("default rules on a recorded price slide (test/fixtures/monitoring/price-slide.json)", () => {
  it("TCR sliding below CCR raises recovery mode, which resolves as the price recovers", async () => {
    const { events, recorded } = await replay(defaultRules(DEFAULT_PARAMS));
    // The recording itself: TCR crosses CCR (1.5) between 38,500 and 37,000 and back at 39,000.
    const tcr = (t: number) => recorded.samples.find((s) => s.metric === "tcr" && s.at === t * 1000)?.value;
    expect(tcr(3600)! > DEFAULT_PARAMS.CCR).toBe(true);
    expect(tcr(4200)! < DEFAULT_PARAMS.CCR).toBe(true);
    expect(tcr(5400)! > DEFAULT_PARAMS.CCR).toBe(true);
    expect(brief(events)).toEqual([
      "1200s fired price-swing", // 60,000 → 50,000 within the hour
      "3000s fired tcr-near-ccr", // TCR 1.579 < CCR + 0.1
      "4200s fired recovery-mode", // TCR 1.461
      "4200s fired vaults-liquidatable", // bob's ICR 1.219 < TCR in recovery mode
      "4800s fired pool-coverage-low", // bob (ICR 1.186) at risk: pool 15,000 < debt 30,350
      "5400s resolved recovery-mode", // TCR 1.540
      "5400s resolved vaults-liquidatable",
      "5400s resolved pool-coverage-low",
      "6000s resolved tcr-near-ccr", // TCR 1.619
      "6000s resolved price-swing", // 42,000 → 41,000 within the hour
      // 6600 s: 40,000 → 45,000 is a 12.5% swing, but the rule fired at 1200 s: cooling down (100 min).
      "7200s fired price-swing", // 38,500 → 50,000, cooldown over
    ]);
    const recovery = events.find((e) => e.alert.ruleId === "recovery-mode" && e.type === "fired")!;
    expect(recovery.alert.severity).toBe("critical");
    expect(recovery.alert.message).toBe("recoveryMode is on (now yes)");
    const resolved = events.find((e) => e.alert.ruleId === "recovery-mode" && e.type === "resolved")!;
    expect(resolved.message).toBe("recoveryMode is on no longer holds (now no)");
    const near = events.find((e) => e.alert.ruleId === "tcr-near-ccr")!;
    expect(near.alert.message).toMatch(/^tcr below 1\.6 \(now 1\.579/);
  });

  it("alerts stay active while breached: one fired event per episode, not one per sample", async () => {
    const { events, monitor } = await replay(defaultRules());
    expect(events.filter((e) => e.alert.ruleId === "recovery-mode").map((e) => e.type)).toEqual([
      "fired",
      "resolved",
    ]);
    expect(monitor.alerts.active().map((a) => a.ruleId)).toEqual(["price-swing"]);
  });

  it("a rule the operator must resolve stays active after the condition clears", async () => {
    const rules = defaultRules().map((r) => (r.id === "recovery-mode" ? { ...r, resolveAfterMs: null } : r));
    const { events, monitor } = await replay(rules);
    expect(events.some((e) => e.type === "resolved" && e.alert.ruleId === "recovery-mode")).toBe(false);
    expect(monitor.alerts.active()[0]!.ruleId).toBe("recovery-mode"); // most severe first
    const resolved = monitor.alerts.resolve("recovery-mode", 8_000_000);
    expect(resolved?.alert.resolvedAt).toBe(8_000_000);
    expect(monitor.alerts.active().some((a) => a.ruleId === "recovery-mode")).toBe(false);
  });

  it("auto-resolve waits until the condition has been clear for resolveAfterMs", async () => {
    const rules = defaultRules().map((r) =>
      r.id === "recovery-mode" ? { ...r, resolveAfterMs: 1_200_000 } : r,
    );
    const { events } = await replay(rules);
    // Clear from 5400 s on; resolved 20 minutes later.
    expect(brief(events).filter((e) => e.includes("recovery-mode"))).toEqual([
      "4200s fired recovery-mode",
      "6600s resolved recovery-mode",
    ]);
  });
});

const series = (values: [number, bigint][], metric: MetricSample["metric"] = "tcr"): MemorySeriesStore => {
  const store = new MemorySeriesStore();
  for (const [at, value] of values) store.insert({ metric, at, value });
  return store;
};

const rule = (overrides: Partial<AlertRule>): AlertRule => ({
  id: "r",
  metric: "tcr",
  condition: { kind: "below", threshold: 15n },
  severity: "warning",
  description: "",
  cooldownMs: 0,
  resolveAfterMs: 0,
  ...overrides,
});

describe("alert engine", () => {
  it("cooldown: a flapping metric fires once per cooldown window", () => {
    const store = series([
      [0, 20n],
      [10, 10n],
      [20, 20n],
      [30, 10n],
      [40, 20n],
      [120, 10n],
    ]);
    const engine = new AlertEngine([rule({ cooldownMs: 100 })], (m, f, t) => store.rangeSync(m, f, t));
    const out = [0, 10, 20, 30, 40, 120].flatMap((t) => engine.evaluate(t).map((e) => `${t} ${e.type}`));
    expect(out).toEqual(["10 fired", "20 resolved", "120 fired"]);
  });

  it("above and below are strict", () => {
    const s = [{ metric: "tcr" as const, at: 0, value: 15n }];
    expect(evaluateCondition({ kind: "below", threshold: 15n }, s).breached).toBe(false);
    expect(evaluateCondition({ kind: "above", threshold: 15n }, s).breached).toBe(false);
    expect(evaluateCondition({ kind: "above", threshold: 14n }, s).breached).toBe(true);
  });

  it("change exceeds: absolute and relative to the oldest value in the window", () => {
    const s = (a: bigint, b: bigint) => [
      { metric: "price" as const, at: 0, value: a },
      { metric: "price" as const, at: 60_000, value: b },
    ];
    const abs = { kind: "changeExceeds", amount: 100n * ONE, windowMs: 60_000 } as const;
    expect(evaluateCondition(abs, s(1000n * ONE, 1100n * ONE)).breached).toBe(false);
    expect(evaluateCondition(abs, s(1000n * ONE, 899n * ONE)).breached).toBe(true);
    const rel = { ...abs, amount: ONE / 10n, relative: true };
    expect(evaluateCondition(rel, s(1000n * ONE, 1100n * ONE)).breached).toBe(false); // exactly 10%
    expect(evaluateCondition(rel, s(1000n * ONE, 1100n * ONE + 1n)).breached).toBe(true);
  });

  it("rate exceeds: units per second over the window, ignoring windows without elapsed time", () => {
    const store = series(
      [
        [0, 0n],
        [30_000, 5n],
        [60_000, 31n],
      ],
      "vaultsAtRisk",
    );
    const r = rule({
      metric: "vaultsAtRisk",
      condition: { kind: "rateExceeds", perSecond: 0n, windowMs: 60_000 },
    });
    const cond = { kind: "rateExceeds", windowMs: 60_000 } as const;
    const w = store.rangeSync("vaultsAtRisk", 0, 60_000);
    expect(evaluateCondition({ ...cond, perSecond: 1n }, w).breached).toBe(false); // 31/60 per s
    expect(evaluateCondition({ ...cond, perSecond: 0n }, w).breached).toBe(true);
    expect(evaluateCondition({ ...cond, perSecond: 0n }, w.slice(2)).breached).toBe(false);
    const engine = new AlertEngine([r], (m, f, t) => store.rangeSync(m, f, t));
    expect(engine.evaluate(30_000).map((e) => e.type)).toEqual(["fired"]);
  });

  it("threshold rules read the newest sample within the lookback, so metrics taken a moment apart still count", () => {
    const store = series([[1_000, 10n]]);
    const engine = new AlertEngine([rule({})], (m, f, t) => store.rangeSync(m, f, t), 60_000);
    expect(engine.evaluate(30_000).map((e) => e.type)).toEqual(["fired"]);
    store.insert({ metric: "tcr", at: 40_000, value: 20n });
    expect(engine.evaluate(45_000).map((e) => e.type)).toEqual(["resolved"]);
    // Older than the lookback: no data, nothing happens.
    store.insert({ metric: "tcr", at: 50_000, value: 10n });
    expect(engine.evaluate(200_000)).toEqual([]);
  });

  it("no data never fires", () => {
    const engine = new AlertEngine([rule({})], () => []);
    expect(engine.evaluate(0)).toEqual([]);
  });

  it("rules round-trip through JSON and malformed ones are refused with the field named", () => {
    for (const r of defaultRules())
      expect(ruleFromJson(JSON.parse(JSON.stringify(ruleToJson(r))))).toEqual(r);
    expect(() => ruleFromJson({ id: "x", metric: "tcr", severity: "loud", condition: {} })).toThrow(
      /severity/,
    );
    expect(() => ruleFromJson({ id: "x", metric: "nope", severity: "info", condition: {} })).toThrow(
      /metric/,
    );
    expect(() =>
      ruleFromJson({
        id: "x",
        metric: "tcr",
        severity: "info",
        condition: { kind: "below", threshold: "-1" },
      }),
    ).toThrow(/condition\.threshold/);
    expect(() =>
      ruleFromJson({
        id: "x",
        metric: "syncLag",
        severity: "info",
        condition: { kind: "above", threshold: "1.5" },
      }),
    ).toThrow(/whole number/);
  });
});
