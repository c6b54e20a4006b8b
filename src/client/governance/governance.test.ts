/** The governance screen's pure helpers: human units ↔ exact engine values, action sentences, states. */
import { describe, expect, it } from "vitest";
import { ONE, parseDecimal } from "../../protocol/decimal.ts";
import {
  describeGovAction,
  formatBlockTime,
  governanceSpellValue,
  PROPOSAL_STATUS,
  relativeTime,
  sharePercent,
} from "./describe.ts";
import {
  boundsText,
  formatDuration,
  formatParameterValue,
  inputText,
  parameterInfo,
  parseParameterInput,
} from "./parameters.ts";
import { governanceAdvice } from "./refusals.ts";

const d = (text: string) => parseDecimal(text);
const MCR = { name: "MCR", kind: "decimal" as const, value: d("1.1"), min: d("1"), max: d("5") };
const timelock = {
  name: "timelockDelay",
  kind: "seconds" as const,
  value: 172_800n,
  min: 172_800n,
  max: 2_592_000n,
};
const minNetDebt = { name: "minNetDebt", kind: "decimal" as const, value: d("1800") };
const divisor = { name: "liquidationCollateralDivisor", kind: "integer" as const, value: 200n };
const premium = { name: "utilizationPremiumEnabled", kind: "boolean" as const, value: false };
const decay = {
  name: "minuteDecayFactor",
  kind: "decimal" as const,
  value: 999037758833783000n,
  min: d("0.9"),
  max: ONE,
  maxExclusive: true,
};

describe("parameter values in human units", () => {
  it("converts percentages exactly and refuses what has no exact value", () => {
    expect(parseParameterInput(MCR, "120")).toEqual({ kind: "ok", value: d("1.2") });
    expect(parseParameterInput(MCR, "112.5")).toEqual({ kind: "ok", value: d("1.125") });
    // 16 decimals of a percentage are the engine's 18: exact.
    expect(parseParameterInput(MCR, "110.0000000000000001")).toEqual({
      kind: "ok",
      value: d("1.100000000000000001"),
    });
    expect(parseParameterInput(MCR, "110.00000000000000001").kind).toBe("error");
    expect(parseParameterInput(MCR, "-5")).toMatchObject({ kind: "error" });
    expect(parseParameterInput(MCR, "abc")).toMatchObject({ kind: "error" });
    expect(parseParameterInput(MCR, " ")).toEqual({ kind: "empty" });
    expect(parseParameterInput(MCR, "1,000")).toEqual({ kind: "ok", value: d("10") });
  });

  it("takes periods in days and keeps them whole seconds", () => {
    expect(parseParameterInput(timelock, "3")).toEqual({ kind: "ok", value: 259_200n });
    expect(parseParameterInput(timelock, "2.5")).toEqual({ kind: "ok", value: 216_000n });
    // 1e-18 day is not a whole second: refused rather than rounded.
    expect(parseParameterInput(timelock, "2.000000000000000001").kind).toBe("error");
    expect(parseParameterInput(timelock, "0.00001157407407407").kind).toBe("error");
  });

  it("takes counts as whole numbers, amounts as decimals and switches as on/off", () => {
    expect(parseParameterInput(divisor, "250")).toEqual({ kind: "ok", value: 250n });
    expect(parseParameterInput(divisor, "2.5").kind).toBe("error");
    expect(parseParameterInput(minNetDebt, "2000.5")).toEqual({ kind: "ok", value: d("2000.5") });
    expect(parseParameterInput(premium, "on")).toEqual({ kind: "ok", value: true });
    expect(parseParameterInput(premium, "off")).toEqual({ kind: "ok", value: false });
    expect(parseParameterInput(premium, "maybe").kind).toBe("error");
    expect(parseParameterInput(decay, "0.95")).toEqual({ kind: "ok", value: d("0.95") });
  });

  it("shows values with units, exactly, and round-trips the form's text", () => {
    expect(formatParameterValue(MCR, MCR.value)).toBe("110%");
    expect(formatParameterValue(minNetDebt, d("1800"))).toBe("1,800 zkUSD");
    expect(formatParameterValue(timelock, 172_800n)).toBe("2 days");
    expect(formatParameterValue(timelock, 129_600n)).toBe("1 day 12 h");
    expect(formatParameterValue(divisor, 200n)).toBe("200");
    expect(formatParameterValue(premium, false)).toBe("off");
    expect(formatParameterValue(decay, decay.value)).toBe("0.999037758833783");
    for (const p of [MCR, timelock, minNetDebt, divisor, decay]) {
      expect(parseParameterInput(p, inputText(p, p.value))).toEqual({ kind: "ok", value: p.value });
    }
    expect(inputText(timelock, 100n)).toBe(""); // 100 s has no exact 18-decimal day count
    expect(boundsText(MCR)).toBe("from 100% to 500%");
    expect(boundsText(timelock)).toBe("from 2 days to 30 days");
    expect(boundsText(decay)).toBe("from 0.9 to below 1");
    expect(boundsText(premium)).toBeNull();
    expect(formatDuration(3_661n)).toBe("1 h 1 min 1 s");
    expect(parameterInfo({ name: "somethingNew", kind: "seconds" }).unit).toBe("days");
  });
});

describe("proposals in words", () => {
  const params = [MCR, timelock, premium];
  it("describes a parameter change from its current value to the new one, with units", () => {
    expect(describeGovAction({ type: "setParameter", name: "MCR", value: d("1.2") }, params)).toEqual({
      text: "Minimum collateral ratio (MCR): 110% → 120%",
      from: "110%",
      to: "120%",
    });
    expect(
      describeGovAction({ type: "setParameter", name: "timelockDelay", value: 259_200n }, params).text,
    ).toBe("Timelock delay: 2 days → 3 days");
    expect(describeGovAction({ type: "setParameter", name: "MCR", value: d("1.2") }, params, true).text).toBe(
      "Minimum collateral ratio (MCR) set to 120%",
    );
    expect(
      describeGovAction({ type: "setParameter", name: "utilizationPremiumEnabled", value: true }, params)
        .text,
    ).toBe("Utilization premium: off → on");
  });

  it("describes pause, unpause, shutdown and key rotations", () => {
    expect(describeGovAction({ type: "pause" }, []).text).toMatch(/^Pause new debt/);
    expect(describeGovAction({ type: "unpause" }, []).text).toMatch(/^Lift the pause/);
    expect(describeGovAction({ type: "shutdown" }, []).text).toMatch(/for good/);
    const key = `02${"ab".repeat(32)}`;
    expect(
      describeGovAction({ type: "rotateGuardians", keys: [key, key, key], threshold: 2 }, []).text,
    ).toMatch(/^Replace the guardian federation with a 2-of-3 set: 02abab…ababab/);
    expect(describeGovAction({ type: "rotateOracleKeys", keys: [], threshold: 2 }, []).text).toMatch(
      /oracle keys/,
    );
  });

  it("labels every proposal state", () => {
    for (const s of [
      "active",
      "defeated",
      "succeeded",
      "queued",
      "executed",
      "expired",
      "canceled",
      "vetoed",
    ] as const)
      expect(PROPOSAL_STATUS[s].label.toLowerCase()).toBe(s);
  });

  it("shows block times as UTC dates, relative to the engine's time", () => {
    expect(formatBlockTime(1_764_000_000n)).toBe("2025-11-24 16:00 UTC");
    expect(relativeTime(1_000n + 86_400n, 1_000n)).toBe("in 1 day");
    expect(relativeTime(1_000n, 1_000n + 7_200n)).toBe("2 h ago");
    expect(sharePercent(1n, 3n)).toBe("33.3");
    expect(sharePercent(5n, 0n)).toBe("100");
    expect(sharePercent(7n, 5n)).toBe("100.0");
    expect(governanceAdvice("timelockNotElapsed", { snapshot: 1n, timeline: { eta: 0n, endTime: 0n } })).toBe(
      "It can be executed from 1970-01-01 00:00 UTC.",
    );
  });

  it("reads a decoded governance spell's fields for the review", () => {
    expect(
      governanceSpellValue("actions", [
        { type: "setParameter", name: "MCR", value: d("1.15") },
        { type: "pause" },
      ]),
    ).toBe(
      "1. Minimum collateral ratio (MCR) → 115%; 2. Pause new debt (no new vaults or borrowing; every exit stays open)",
    );
    expect(governanceSpellValue("proposalId", 4n)).toBe("proposal 4");
    expect(governanceSpellValue("amount", 4n)).toBeNull();
  });
});
