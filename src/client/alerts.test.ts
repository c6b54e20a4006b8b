import { describe, expect, it } from "vitest";
import { Monitor } from "../monitoring/index.ts";
import { DEFAULT_PARAMS, parseDecimal, type SystemSummary } from "../protocol/index.ts";
import { humanAlert, userAlertRules, userAlertSamples, VAULT_RULE } from "./alerts.ts";

const d = parseDecimal;
const summary = (tcr: string, recoveryMode = false) => ({ tcr: d(tcr), recoveryMode }) as SystemSummary;

async function fired(tcr: string, recovery: boolean, icr: string | null) {
  const monitor = new Monitor({ rules: userAlertRules(DEFAULT_PARAMS) });
  const events = await monitor.record(
    userAlertSamples(summary(tcr, recovery), icr === null ? null : d(icr), 1_000),
  );
  return events
    .filter((e) => e.type === "fired")
    .map((e) => e.alert.ruleId)
    .sort();
}

describe("a borrower's alerts (the monitoring rules over the system and the user's vault)", () => {
  it("nothing while the system and the vault are healthy", async () => {
    expect(await fired("2.5", false, "1.8")).toEqual([]);
    expect(await fired("2.5", false, null)).toEqual([]);
  });
  it("the vault within 10 points of MCR", async () => {
    expect(await fired("2.5", false, "1.19")).toEqual([VAULT_RULE]);
    expect(await fired("2.5", false, "1.2")).toEqual([]);
  });
  it("the system near recovery mode, and in it", async () => {
    expect(await fired("1.55", false, null)).toEqual(["tcr-near-ccr"]);
    expect(await fired("1.45", true, "1.3")).toEqual(["recovery-mode", "tcr-near-ccr"]);
  });
  it("titles in words", async () => {
    const monitor = new Monitor({ rules: userAlertRules(DEFAULT_PARAMS) });
    const [e] = await monitor.record(userAlertSamples(summary("3"), d("1.15"), 1));
    expect(humanAlert(e!).alert.title).toBe("Your vault is close to liquidation");
    expect(e!.alert.description).toContain("110%");
  });
});
