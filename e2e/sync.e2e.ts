/**
 * The app on its embedded default (no settings saved): it learns the local federation from the
 * guardians `npm start` runs, follows the regtest chain through the devnet's Esplora API, reaches the
 * tip, and holds the same state root as the guardians' own replay; a new block is followed on its own.
 * While a fresh browser is behind the tip (its raw blocks held back), no figure of its older state is
 * shown as current and nothing is actionable (issue 15, item 1); once caught up, the real figures come.
 */
import type { Page, Route } from "playwright-core";
import { afterAll, describe, expect, inject, it } from "vitest";
import { DEFAULT_PARAMS, formatDecimal, parseDecimal } from "../src/protocol/index.ts";
import { type AppSession, DESKTOP, openApp, PHONE, screenshot, waitForEngine } from "./support/browser.ts";
import { Actor, chainPriceIn, connectWallet, go, guardianPool } from "./support/journeys.ts";

const { devnet: DEVNET, guardians: GUARDIANS } = inject("localStack");

interface Status {
  chain: { height: number; stateRoot: string; lag: number };
  custodySet: { keys: string[] };
}
const status = async (url: string) => (await (await fetch(`${url}/v1/status`)).json()) as Status;
const tip = async () => Number(await (await fetch(`${DEVNET}/blocks/tip/height`)).text());

let session: AppSession | undefined;
afterAll(async () => {
  await session?.close();
});

describe("following the local chain", () => {
  it("discovers the federation, reaches the tip and agrees with the guardians' state root", async () => {
    session = await openApp({ viewport: DESKTOP });
    const { page } = session;
    await waitForEngine(page);
    const position = page.getByTestId("chain-position");
    await page.locator('[data-testid="chain-position"][data-sync="following"]').waitFor({ timeout: 60_000 });
    // Caught up: the app's height is the chain tip, and the guardians are there too.
    await expect
      .poll(async () => Number(await position.getAttribute("data-height")), {
        timeout: 120_000,
        interval: 500,
      })
      .toBe(await tip());
    const height = Number(await position.getAttribute("data-height"));
    await expect
      .poll(async () => (await status(GUARDIANS[0]!)).chain.height, { timeout: 30_000 })
      .toBe(height);
    const guardian = await status(GUARDIANS[0]!);
    // The root shown comes from the engine's views, refreshed a moment after the height (coalesced).
    await expect
      .poll(() => page.getByTestId("state-root").getAttribute("title"), { timeout: 15_000 })
      .toBe(guardian.chain.stateRoot);
    expect(await position.textContent()).toContain("up to date");
    await screenshot(page, "sync-dashboard-desktop");

    // Settings show the federation the guardians published, with the keys now pinned.
    await page.getByRole("link", { name: "Settings" }).first().click();
    await page.locator('[data-testid="federation"][data-state="following"]').waitFor();
    expect(await page.getByTestId("federation-member").count()).toBe(3);
    const keys = (await page.getByTestId("guardian-keys").inputValue()).split("\n");
    expect(keys).toEqual(guardian.custodySet.keys);
    await screenshot(page, "sync-settings-desktop");
    expect(session.problems).toEqual([]);
  }, 240_000);

  it("follows a new block on its own, and the roots still agree", async () => {
    const { page } = session!;
    await page.getByRole("link", { name: "Dashboard" }).first().click();
    const before = await tip();
    const res = await fetch(`${DEVNET}/regtest/mine`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ blocks: 1 }),
    });
    expect(res.ok).toBe(true);
    const position = page.getByTestId("chain-position");
    await expect
      .poll(async () => Number(await position.getAttribute("data-height")), {
        timeout: 30_000,
        interval: 300,
      })
      .toBeGreaterThan(before);
    const height = Number(await position.getAttribute("data-height"));
    await expect
      .poll(async () => (await status(GUARDIANS[1]!)).chain.height, { timeout: 30_000 })
      .toBe(height);
    const guardian = await status(GUARDIANS[1]!);
    // The root shown comes from the engine's views, refreshed a moment after the height (coalesced).
    await expect
      .poll(() => page.getByTestId("state-root").getAttribute("title"), { timeout: 15_000 })
      .toBe(guardian.chain.stateRoot);
    await page.setViewportSize(PHONE);
    await screenshot(page, "sync-dashboard-phone");
    expect(session!.problems).toEqual([]);
  }, 60_000);
});

/** Raw blocks, which a fresh browser must fetch to apply a block: held back, it stays behind. */
const RAW_BLOCK = /\/block\/[0-9a-f]{64}\/raw$/;
/** The genesis price and fee, as the screens would print them ($60,000.00, 0.50%). */
const GENESIS_PRICE = `$${Number(formatDecimal(DEFAULT_PARAMS.initialPrice)).toLocaleString("en-US")}`;
const GENESIS_FEE = "0.50%";

describe("while this browser is behind the tip", () => {
  let behind: AppSession | undefined;
  afterAll(async () => {
    await behind?.close();
  });

  it("shows no figure of its older state and nothing is actionable; the real figures come once caught up", async () => {
    // The chain holds a price that is not the genesis price (a keeper puts the attested one on chain).
    const keeper = new Actor("keeper");
    await keeper.fund(2_000_000n);
    await chainPriceIn(keeper, 0n, 10n ** 30n);
    const chainPrice = (await guardianPool()).price;
    expect(chainPrice).not.toBe(DEFAULT_PARAMS.initialPrice);

    let release!: () => void;
    const released = new Promise<void>((r) => {
      release = r;
    });
    const hold = async (route: Route) => {
      await released;
      await route.continue().catch(() => undefined);
    };
    behind = await openApp({
      viewport: DESKTOP,
      beforeLoad: async (p) => {
        await p.context().route(RAW_BLOCK, hold);
      },
    });
    const { page } = behind;
    try {
      await page.locator('[data-testid="engine-status"][data-state="syncing"]').waitFor({ timeout: 60_000 });
      // Dashboard: a labelled placeholder with the heights, never the genesis price or fee.
      // (once the chain's tip is known: before, the placeholder says only "syncing…")
      const placeholder = page.locator('[data-testid="figures-syncing"][data-reason="behind"]').first();
      await placeholder.waitFor({ timeout: 30_000 });
      expect(await placeholder.textContent()).toMatch(/[Ss]yncing… \(block [\d,]+ of [\d,]+\)/);
      expect(await page.locator('[data-stat="price"]').isVisible()).toBe(false);
      expect(await page.locator('[data-stat="borrowing-fee"]').isVisible()).toBe(false);
      await noGenesisFigures(page);
      await screenshot(page, "sync-behind-dashboard-desktop");

      // Header: the account's zkUSD comes from the engine's state: a placeholder too.
      await connectWallet(page, "dev");
      const zkusd = page.getByTestId("header-zkusd");
      expect(await zkusd.textContent()).toMatch(/syncing/);
      expect(await zkusd.getAttribute("data-value")).toBeNull();

      // Prices: the engine's price is not shown as current.
      await go(page, "Prices");
      await page.getByTestId("figures-syncing").first().waitFor();
      expect(await page.locator('[data-figure="engine-price"]').isVisible()).toBe(false);
      await noGenesisFigures(page);

      // Governance: one notice says why everything waits (not one per card: up to five stacked before),
      // and the forms wait (a delegation the old state would accept stays disabled).
      await go(page, "Governance");
      const delegate = page.getByTestId("delegate-form");
      await delegate.waitFor({ timeout: 30_000 });
      await page.getByTestId("delegate-input").fill(new Actor("delegatee").address);
      const wait = page.getByTestId("sync-wait");
      await wait.first().waitFor({ timeout: 30_000 });
      await page.waitForTimeout(1_500); // the preview answers: still disabled
      const notices = page.locator(".page .notice, .page .banner").filter({ visible: true });
      expect(await notices.allTextContents()).toHaveLength(1);
      expect(await wait.count()).toBe(1);
      expect(await wait.getAttribute("data-reason")).toBe("behind");
      expect(await wait.textContent()).toMatch(/applied the chain up to block [\d,]+ of [\d,]+/);
      expect(await page.getByTestId("delegate-button").isDisabled()).toBe(true);
      expect(await page.getByTestId("propose-button").isDisabled()).toBe(true);
      await noGenesisFigures(page);
      await screenshot(page, "sync-behind-governance-desktop");

      // Vault: the form takes amounts and says why it waits; no figure of the older state beside it.
      await go(page, "Vault");
      await page.getByTestId("collateral-input").fill("0.5");
      await page.getByTestId("borrow-input").fill("10,000");
      await page.locator('[data-testid="sync-wait"][data-reason="behind"]').waitFor({ timeout: 30_000 });
      await page.waitForTimeout(1_500); // the previews answer
      expect(await page.getByTestId("review-button").isDisabled()).toBe(true);
      expect(await page.locator('[data-testid="vault-preview"]').isVisible()).toBe(false);
      // No verdict of the older state on an amount (the genesis minimum debt), and no maximum fee
      // defaulted from its fee (0.5% + 0.5 points = "1"): both wait for the current state.
      await page.getByTestId("borrow-input").fill("100");
      await page.waitForTimeout(1_500);
      expect(await fieldErrors(page)).not.toContainEqual(expect.stringMatching(/minimum to borrow/));
      expect(await page.getByTestId("max-fee-input").inputValue()).toBe("");
      await page.getByTestId("borrow-input").fill("10,000");
      await noGenesisFigures(page);
      await screenshot(page, "sync-behind-vault-desktop");
      // Pool, redeem, liquidations: the same.
      for (const screen of ["Stability pool", "Redeem", "Liquidations"]) {
        await go(page, screen);
        await page.getByTestId("figures-syncing").first().waitFor({ timeout: 30_000 });
        await noGenesisFigures(page);
      }
    } finally {
      release();
    }
    await page.context().unroute(RAW_BLOCK, hold);

    // Caught up: the dashboard shows the chain's real price, and the delegation can be reviewed.
    await go(page, "Dashboard");
    await page.locator('[data-testid="engine-status"][data-state="ready"]').waitFor({ timeout: 120_000 });
    expect(await page.getByTestId("figures-syncing").count()).toBe(0);
    const price = page.locator('[data-stat="price"]');
    await price.waitFor();
    await expect
      .poll(async () => price.getAttribute("data-value"), { timeout: 30_000 })
      .toBe(formatDecimal(chainPrice));
    expect(await page.locator('[data-stat="borrowing-fee"]').isVisible()).toBe(true);
    expect(await page.getByTestId("header-zkusd").getAttribute("data-value")).not.toBeNull();
    await screenshot(page, "sync-caught-up-dashboard-desktop");
    await go(page, "Governance");
    await page.getByTestId("delegate-input").fill(new Actor("delegatee").address);
    await page.locator('[data-testid="delegate-button"]:not([disabled])').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId("sync-wait").count()).toBe(0);
    // The vault form's verdicts and maximum fee now come from the current state: the minimum debt, and
    // the fee now plus 0.5 points rounded up to 0.1%, at most the borrowing fee's cap.
    await go(page, "Vault");
    await page.getByTestId("borrow-input").fill("100");
    const minimum = page.locator(".field-error").filter({ hasText: /minimum to borrow/ });
    await minimum.waitFor({ timeout: 30_000 });
    const quote = page.getByTestId("max-fee-input-quote");
    const rate = BigInt((await quote.getAttribute("data-value")) ?? "");
    const tenth = 10n ** 15n;
    const rounded = ((rate + 5n * tenth + tenth - 1n) / tenth) * tenth;
    const cap = rounded < DEFAULT_PARAMS.borrowingFeeCap ? rounded : DEFAULT_PARAMS.borrowingFeeCap;
    expect(parseDecimal(await page.getByTestId("max-fee-input").inputValue()) / 100n).toBe(cap);
    expect(behind.problems).toEqual([]);
  }, 300_000);
});

/** The visible field errors' sentences. */
async function fieldErrors(page: Page): Promise<string[]> {
  return page.locator(".field-error").filter({ visible: true }).allTextContents();
}

/** Neither the genesis price nor the genesis fee is printed anywhere visible on the screen. */
async function noGenesisFigures(page: Page): Promise<void> {
  const text = await page.locator("body").innerText(); // visible text only
  expect(text).not.toContain(GENESIS_PRICE);
  expect(text).not.toContain(GENESIS_FEE);
}
