/**
 * UI steps several e2e files repeat, written so a test sets up what it needs on the shared local stack
 * whatever the files before it left there (a long chain for a fresh browser to replay, another feed
 * price, a raised base rate): wait for the app's engine at the tip, fund the dev wallet, fill a form
 * and wait until its Review is enabled (saying why not when it stays disabled), and wait until a
 * figure equals what the engine computes for the guardians' latest attestation (the app refreshes its
 * attestation every 20 s; a new one carries a new time, so the figure and the expectation are
 * compared for the same attestation).
 */
import type { Page } from "playwright-core";
import type { State } from "../../src/protocol/index.ts";
import { formatDecimal } from "../../src/protocol/index.ts";
import { attestation, go, referenceState, until } from "./journeys.ts";

/**
 * Waits until the app's engine says "Engine ready" (said only at the chain's tip). A fresh browser
 * replays the whole chain first: after the other files of a full run that is a few thousand blocks.
 * Leaves the page on the dashboard.
 */
export async function engineAtTip(page: Page, timeoutMs = 300_000): Promise<void> {
  await go(page, "Dashboard");
  await page
    .locator('[data-testid="engine-status"][data-state="ready"]')
    .waitFor({ timeout: timeoutMs })
    .catch(async (e: Error) => {
      const says = await page
        .getByTestId("engine-status")
        .textContent({ timeout: 1_000 })
        .catch(() => "");
      throw new Error(`${e.message}: the engine status says "${says?.trim()}"`);
    });
}

/** Waits until the engine's price on the dashboard is `price` (the chain's price reached the app). */
export async function appPriceIs(page: Page, price: bigint, timeoutMs = 120_000): Promise<void> {
  await go(page, "Dashboard");
  await page
    .locator(`[data-stat="price"][data-value="${formatDecimal(price)}"]`)
    .waitFor({ timeout: timeoutMs })
    .catch(async (e: Error) => {
      const shown = await page.locator('[data-stat="price"]').getAttribute("data-value", { timeout: 1_000 });
      throw new Error(`${e.message}: the app's engine price is ${shown}, expected ${formatDecimal(price)}`);
    });
}

/** The dev wallet's faucet: 1 test BTC, confirmed (the wallet menu is left closed). */
export async function fundDevWallet(page: Page): Promise<void> {
  await page.getByTestId("wallet-button").click();
  await page.getByTestId("dev-faucet").click();
  await page.getByText("Received 1 test BTC (confirmed).").waitFor({ timeout: 60_000 });
  await page.getByTestId("wallet-button").click();
}

/**
 * Waits until the form's Review button is enabled. When it stays disabled the error says what the
 * screen gives as the reason (the sync wait, the engine's refusal, a field's error).
 */
export async function reviewEnabled(page: Page, timeoutMs = 120_000): Promise<void> {
  await page
    .locator('[data-testid="review-button"]:not([disabled])')
    .waitFor({ timeout: timeoutMs })
    .catch(async (e: Error) => {
      const texts = async (selector: string) =>
        (await page.locator(selector).allTextContents()).map((t) => t.trim()).filter(Boolean);
      const why = [
        ...(await texts('[data-testid="sync-wait"]')),
        ...(await texts('[data-testid="engine-refusal"]')),
        ...(await texts(".field-error")),
      ];
      throw new Error(
        `${e.message}: Review stayed disabled; the screen says: ${why.join(" | ") || "nothing"}`,
      );
    });
}

/**
 * Opens the vault form, types an open (collateral in BTC, borrow in zkUSD, as a user types them),
 * waits for its preview and an enabled Review, and opens the review (the caller signs).
 */
export async function reviewOpen(page: Page, collateral: string, borrow: string): Promise<void> {
  await go(page, "Vault");
  await page.getByTestId("collateral-input").fill(collateral);
  await page.getByTestId("borrow-input").fill(borrow);
  // After the faucet's block the engine is briefly behind again: the preview waits for the tip.
  await page.locator('[data-testid="vault-preview"][data-pending="no"]').waitFor({ timeout: 120_000 });
  await reviewEnabled(page);
  await page.getByTestId("review-button").click();
}

/**
 * Waits until the figure `read()` returns equals what `expected` computes on the Node replay's state
 * for the guardians' latest attestation (price and time), both read again on every try: a figure the
 * app computed for another attestation matches once the app has refreshed to the same one.
 */
export async function untilAttested(
  what: string,
  read: () => Promise<string | null>,
  expected: (state: State, att: { price: bigint; time: bigint }) => bigint,
  show: (v: bigint) => string = formatDecimal,
  timeoutMs = 90_000,
): Promise<bigint> {
  let last = { shown: null as string | null, want: "" };
  return until(
    what,
    async () => {
      const att = await attestation();
      const state = (await referenceState()).state;
      const want = expected(state, att);
      last = { shown: await read(), want: show(want) };
      return last.shown === last.want ? want : undefined;
    },
    timeoutMs,
    1_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message}: the screen shows ${last.shown}, the engine computes ${last.want}`);
  });
}
