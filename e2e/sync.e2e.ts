/**
 * The app on its embedded default (no settings saved): it learns the local federation from the
 * guardians `npm start` runs, follows the regtest chain through the devnet's Esplora API, reaches the
 * tip, and holds the same state root as the guardians' own replay; a new block is followed on its own.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import { type AppSession, DESKTOP, openApp, PHONE, screenshot, waitForEngine } from "./support/browser.ts";

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
    expect(await page.getByTestId("state-root").getAttribute("title")).toBe(guardian.chain.stateRoot);
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
    expect(await page.getByTestId("state-root").getAttribute("title")).toBe(guardian.chain.stateRoot);
    await page.setViewportSize(PHONE);
    await screenshot(page, "sync-dashboard-phone");
    expect(session!.problems).toEqual([]);
  }, 60_000);
});
