/**
 * The dashboard's TCR and supply history on the local stack: the app follows the regtest chain; until
 * two blocks have changed the state the card says the history starts with the first spell; once Node
 * actors (real keys) put a price and two vaults on chain, the charts appear and their latest plotted
 * figures are the engine's: the dashboard's own totals, and a Node replay of the same chain whose
 * state root equals the guardians'. Screenshots at desktop (dark, light) and phone width.
 */
import { afterAll, describe, expect, it } from "vitest";
import { formatDecimal, systemSummary } from "../src/protocol/index.ts";
import { type AppSession, DESKTOP, openApp, PHONE, screenshot, waitForEngine } from "./support/browser.ts";
import {
  Actor,
  appRootMatchesGuardians,
  chainPriceIn,
  E18,
  referenceState,
  tipHeight,
  until,
} from "./support/journeys.ts";

let session: AppSession | undefined;
afterAll(async () => {
  await session?.close();
});

const attr = async (session: AppSession, testId: string, name: string) =>
  session.page.getByTestId(testId).getAttribute(name, { timeout: 5_000 });

describe("TCR and supply history", () => {
  it("draws the charts from the chain once spells exist, ending at the engine's figures", async () => {
    session = await openApp({ viewport: DESKTOP });
    const { page } = session;
    await waitForEngine(page);
    await page.locator('[data-testid="chain-position"][data-sync="following"]').waitFor({ timeout: 60_000 });
    const tip = await tipHeight();
    await until(
      `the app at the tip ${tip}`,
      async () =>
        Number(await page.getByTestId("chain-position").getAttribute("data-height")) >= tip
          ? true
          : undefined,
      120_000,
      500,
    );

    // Before two state-changing blocks (a fresh stack): the honest empty state, nothing drawn.
    const before = await referenceState();
    if ((await before.store.history()).length < 2) {
      const empty = page.getByTestId("history-empty");
      await empty.waitFor({ timeout: 30_000 });
      expect(await empty.textContent()).toContain("The history starts with the first spell on chain");
      expect(await page.getByTestId("supply-chart").count()).toBe(0);
      await screenshot(page, "history-empty-desktop");
    }

    // Spells from Node: the federation's price on chain, then two vaults in two blocks.
    const keeper = new Actor("keeper");
    const alice = new Actor("alice");
    const bob = new Actor("bob");
    await Promise.all([keeper, alice, bob].map((a) => a.fund(100_000_000n)));
    const att = await chainPriceIn(keeper, 90_000n * E18, 110_000n * E18);
    await alice.openVault(40_000_000n, 15_000n * E18, att);
    await bob.openVault(6_000_000n, 4_000n * E18, att);

    // The app reaches the guardians' block and root; the Node replay does too. The chain may move on
    // between the reads (a settlement the guardians send by themselves): compare at one block.
    const { g, ref } = await until(
      "the app, the guardians and a Node replay at one block",
      async () => {
        const g = await appRootMatchesGuardians(page);
        const ref = await referenceState();
        return ref.head.height === g.height ? { g, ref } : undefined;
      },
      180_000,
      1_000,
    );
    expect(ref.head.root).toBe(g.root);
    const points = await ref.store.history();
    expect(points.length).toBeGreaterThanOrEqual(2);
    const last = points.at(-1)!;
    const engine = systemSummary(ref.state);
    expect(last.zkusdSupply).toBe(engine.zkusdSupply);

    // The charts: as many points as the replay recorded, the latest one the engine's figures.
    const supply = page.getByTestId("supply-chart");
    await supply.waitFor({ timeout: 30_000 });
    await until(
      `the supply chart at block ${last.height}`,
      async () =>
        (await supply.getAttribute("data-latest-height")) === String(last.height) ? true : undefined,
      30_000,
      300,
    );
    expect(Number(await attr(session, "supply-chart", "data-points"))).toBe(points.length);
    expect(await attr(session, "supply-chart", "data-latest-supply")).toBe(formatDecimal(engine.zkusdSupply));
    expect(await attr(session, "supply-chart", "data-latest-debt")).toBe(formatDecimal(engine.totalDebt));
    expect(await page.locator('[data-stat="zkusd-supply"]').getAttribute("data-value")).toBe(
      formatDecimal(engine.zkusdSupply),
    );
    expect(await attr(session, "tcr-chart", "data-latest-tcr")).toBe(formatDecimal(engine.tcr));
    expect(await page.locator('[data-stat="tcr"]').getAttribute("data-value")).toBe(
      formatDecimal(engine.tcr),
    );

    // Accessible: each chart is an image with a summary of the latest values, also shown as a caption.
    const images = page.getByTestId("history-card").getByRole("img");
    expect(await images.count()).toBe(2);
    const supplyLabel = (await images.nth(1).getAttribute("aria-label")) ?? "";
    expect(supplyLabel).toContain(`block ${last.height.toLocaleString("en-US")}`);
    expect(supplyLabel).toMatch(/zkUSD supply [\d,.]+ zkUSD/);
    expect(await page.getByTestId("tcr-chart-summary").textContent()).toContain("recovery mode below 150%");
    // Lines are drawn (recharts paths), reference lines for MCR and CCR.
    expect(await page.locator('[data-testid="tcr-chart"] .recharts-line-curve').count()).toBe(1);
    expect(await page.locator('[data-testid="tcr-chart"] .recharts-reference-line').count()).toBe(2);
    expect(await page.locator('[data-testid="supply-chart"] .recharts-line-curve').count()).toBe(2);

    const card = page.getByTestId("history-card");
    await card.scrollIntoViewIfNeeded();
    await screenshot(page, "history-desktop-dark");
    await card.screenshot({ path: "test-results/screenshots/history-card-desktop-dark.png" });
    await page.emulateMedia({ colorScheme: "light" });
    await card.screenshot({ path: "test-results/screenshots/history-card-desktop-light.png" });
    await page.setViewportSize(PHONE);
    await page.emulateMedia({ colorScheme: "dark" });
    // At 390 px the charts fit the card: no horizontal scrolling. recharts re-measures its container on
    // a ResizeObserver callback, after the viewport change, so wait for the layout to settle.
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), {
        timeout: 10_000,
      })
      .toBeLessThanOrEqual(0);
    await screenshot(page, "history-phone");
    await card.screenshot({ path: "test-results/screenshots/history-card-phone.png" });
    expect(session.problems).toEqual([]);
  }, 420_000);
});
