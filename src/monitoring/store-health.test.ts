import "fake-indexeddb/auto";
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_PARAMS, initPoseidon, ONE } from "../protocol/index.ts";
import { band, healthScore, WEIGHTS } from "./health.ts";
import { METRICS, oracleMetrics, syncMetrics, toChartNumber } from "./metrics.ts";
import { recordScenario } from "./replay.ts";
import type { Alert } from "./rules.ts";
import { IdbSeriesStore, MemorySeriesStore } from "./series.ts";

beforeAll(async () => {
  await initPoseidon();
});

const slide = JSON.parse(readFileSync("test/fixtures/monitoring/price-slide.json", "utf8"));

describe("series stores", () => {
  it("IndexedDB keeps exact bigints, answers ranges and latest per metric, and prunes by time", async () => {
    const { samples } = recordScenario(slide);
    const idb = await IdbSeriesStore.open("zkusd-monitoring-test");
    const mem = new MemorySeriesStore();
    await idb.append(samples);
    await mem.append(samples);
    for (const metric of ["tcr", "totalDebt", "debtAtRisk", "vaultsAtRisk"] as const) {
      expect(await idb.range(metric)).toEqual(await mem.range(metric));
      expect(await idb.range(metric, 1_200_000, 3_000_000)).toEqual(
        await mem.range(metric, 1_200_000, 3_000_000),
      );
      expect(await idb.latest(metric)).toEqual(await mem.latest(metric));
    }
    expect((await idb.range("tcr", 1_200_000, 3_000_000)).map((s) => s.at)).toEqual([
      1_200_000, 1_800_000, 2_400_000, 3_000_000,
    ]);
    expect(await idb.prune(3_600_000)).toBe(await mem.prune(3_600_000));
    expect((await idb.range("tcr"))[0]!.at).toBe(3_600_000);
    expect(await idb.latest("syncLag")).toBeNull();
    idb.close();
  });

  it("chart numbers are the one float boundary; infinite ratios are capped", () => {
    expect(toChartNumber("tcr", 1_579_000_000_000_000_000n)).toBe(1.579);
    expect(toChartNumber("poolCoverage", 2n ** 256n - 1n)).toBe(1e9);
    expect(toChartNumber("vaultsAtRisk", 3n)).toBe(3);
    expect(METRICS.tcr.unit).toBe("ratio");
  });
});

describe("oracle and sync metrics", () => {
  it("source health from an oracle reading", () => {
    const at = 1_000_000;
    const q = (price: number, age: number, accepted = true) => ({
      accepted,
      price: BigInt(price) * ONE,
      timestamp: at - age,
    });
    const samples = oracleMetrics({
      status: "ok",
      price: 100_000n * ONE,
      at,
      sources: [q(100_000, 4000), q(103_000, 9000), q(99_000, 2000), q(120_000, 1000, false)],
    });
    expect(Object.fromEntries(samples.map((s) => [s.metric, s.value]))).toEqual({
      priceSources: 3n,
      priceAvailable: 1n,
      priceDeviation: 300n,
      priceAge: 2n,
    });
  });

  it("sync is stalled only while behind the tip", () => {
    const m = (tip: number, synced: number) =>
      Object.fromEntries(
        syncMetrics({ tipHeight: tip, syncedHeight: synced, lastAdvanceAt: 0 }, 3_600_000).map((s) => [
          s.metric,
          s.value,
        ]),
      );
    expect(m(100, 100)).toEqual({ syncLag: 0n, syncStalled: 0n });
    expect(m(110, 100)).toEqual({ syncLag: 10n, syncStalled: 3600n });
  });
});

const latestOf = (samples: readonly { metric: string; at: number; value: bigint }[], at: number) =>
  Object.fromEntries(samples.filter((s) => s.at === at).map((s) => [s.metric, s.value]));

describe("health score", () => {
  it("uses the seed's weights and bands", () => {
    expect(Object.values(WEIGHTS).reduce((a, b) => a + b)).toBe(100);
    expect([95, 90, 89, 70, 69, 50, 49, 25, 24].map(band)).toEqual([
      "healthy",
      "healthy",
      "degraded",
      "degraded",
      "warning",
      "warning",
      "critical",
      "critical",
      "emergency",
    ]);
  });

  it("falls as the price slides into recovery mode and names what to do", () => {
    const { samples } = recordScenario(slide);
    const calm = healthScore({ metrics: latestOf(samples, 0), params: DEFAULT_PARAMS });
    expect(calm.score).toBe(100);
    expect(calm.components.find((c) => c.component === "oracle")!.score).toBeNull();
    const recovery = healthScore({ metrics: latestOf(samples, 4_800_000), params: DEFAULT_PARAMS });
    const c = Object.fromEntries(recovery.components.map((x) => [x.component, x]));
    expect(c.collateralization!.score).toBeLessThan(60);
    expect(c.collateralization!.recommendations[0]).toMatch(/^Recovery mode/);
    expect(c.pool!.score).toBeLessThan(100);
    expect(c.pool!.recommendations[0]).toMatch(/covers 49% of the debt at risk/);
    expect(c.liquidation!.score).toBeLessThanOrEqual(60);
    expect(recovery.band).not.toBe("healthy");
  });

  it("a system with no debt has nothing at risk of liquidation", () => {
    const empty = healthScore({
      metrics: {
        tcr: (1n << 256n) - 1n,
        totalDebt: 0n,
        debtAtRisk: 0n,
        vaultsAtRisk: 0n,
        liquidatableVaults: 0n,
      },
      params: DEFAULT_PARAMS,
    });
    const liquidation = empty.components.find((c) => c.component === "liquidation")!;
    expect(liquidation.score).toBe(100);
    expect(liquidation.recommendations).toEqual(["No vault is close to liquidation."]);
  });

  it("subtracts the seed's alert penalty, capped at 50", () => {
    const alert = (severity: Alert["severity"]): Alert => ({
      id: "x",
      ruleId: "x",
      metric: "tcr",
      severity,
      title: "",
      message: "",
      description: "",
      firedAt: 0,
      value: 0n,
      lastValue: 0n,
      resolvedAt: null,
      acknowledged: false,
    });
    const base = { metrics: {}, params: DEFAULT_PARAMS };
    expect(healthScore({ ...base, alerts: [alert("warning")] }).alertPenalty).toBe(7);
    expect(
      healthScore({ ...base, alerts: [alert("critical"), alert("critical"), alert("critical")] })
        .alertPenalty,
    ).toBe(36);
    expect(healthScore({ ...base, alerts: [alert("emergency"), alert("emergency")] }).alertPenalty).toBe(50);
    expect(healthScore({ ...base, alerts: [alert("emergency"), alert("emergency")] }).score).toBe(50);
  });
});
