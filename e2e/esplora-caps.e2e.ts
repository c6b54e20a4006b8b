/**
 * Settings → request caps for the Esplora host (issue 18): the fields refuse caps outside the
 * scheduler's bounds, saved caps persist with the other settings, and after a reload the engine
 * worker's sync keeps to them: with 2 requests per second a backlog of blocks is followed at about one
 * block a second (a block costs its hash and its raw bytes); with the caps cleared it catches up.
 */
import { afterAll, describe, expect, inject, it } from "vitest";
import { type AppSession, DESKTOP, openApp, screenshot } from "./support/browser.ts";

const { devnet: DEVNET } = inject("localStack");

const tip = async () => Number(await (await fetch(`${DEVNET}/blocks/tip/height`)).text());
const mine = (blocks: number) =>
  fetch(`${DEVNET}/regtest/mine`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ blocks }),
  });

let session: AppSession | undefined;
afterAll(async () => {
  await session?.close();
});

describe("Esplora request caps in Settings", () => {
  it("refuses caps out of bounds, saves them per host, and the sync keeps to them", async () => {
    session = await openApp({ viewport: DESKTOP });
    const { page } = session;
    const position = page.locator('[data-testid="chain-position"][data-sync="following"]');
    const height = async () => Number(await page.getByTestId("chain-position").getAttribute("data-height"));
    // Uncapped (the devnet is a loopback host): the app reaches the tip.
    await position.waitFor({ timeout: 60_000 });
    await expect.poll(height, { timeout: 120_000, interval: 500 }).toBe(await tip());

    await page.getByRole("link", { name: "Settings" }).first().click();
    const caps = page.getByTestId("esplora-caps");
    expect(await caps.textContent()).toContain(`Requests to ${new URL(DEVNET).host}`);
    expect(await page.getByTestId("esplora-rps").getAttribute("placeholder")).toBe("no cap");
    await page.getByTestId("esplora-rps").fill("0");
    await page.getByTestId("esplora-concurrency").fill("two");
    const problems = page.getByTestId("settings-problems");
    expect(await problems.textContent()).toContain(
      "Esplora requests, requests per second: a number from 0.1 to 1000.",
    );
    expect(await problems.textContent()).toContain(
      "Esplora requests, requests at once: a whole number from 1 to 64.",
    );
    expect(await page.getByTestId("save-settings").isDisabled()).toBe(true);
    await page.getByTestId("esplora-rps").fill("2");
    await page.getByTestId("esplora-burst").fill("2");
    await page.getByTestId("esplora-concurrency").fill("1");
    await page.getByTestId("save-settings").click();
    expect(await page.getByTestId("settings-saved").textContent()).toContain("Reload the page");
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem("zkusd.settings") ?? "{}"));
    expect(stored.state.esploraLimits[new URL(DEVNET).origin]).toEqual({ rps: 2, burst: 2, concurrency: 1 });
    await screenshot(page, "settings-esplora-caps-desktop-dark");

    // A backlog of 120 blocks, then a reload: the worker starts with the caps.
    await mine(120);
    await page.reload();
    await page.getByRole("link", { name: "Settings" }).first().click();
    expect(await page.getByTestId("esplora-rps").inputValue()).toBe("2");
    await page.getByRole("link", { name: "Dashboard" }).first().click();
    await position.waitFor({ timeout: 60_000 });
    const from = await height();
    await page.waitForTimeout(10_000);
    const synced = (await height()) - from;
    // 2 requests a second, burst 2: at most 22 requests in 10 s, two per block (hash, raw block).
    expect(synced, `blocks followed in 10 s at 2 requests/s`).toBeLessThanOrEqual(12);
    expect(synced).toBeGreaterThan(0);

    // Caps cleared: the host's default again (no cap on loopback), and the backlog is gone in seconds.
    await page.getByRole("link", { name: "Settings" }).first().click();
    for (const id of ["esplora-rps", "esplora-burst", "esplora-concurrency"])
      await page.getByTestId(id).fill("");
    await page.getByTestId("save-settings").click();
    await page.getByTestId("settings-saved").waitFor();
    await page.reload();
    await page.getByRole("link", { name: "Dashboard" }).first().click();
    await expect.poll(height, { timeout: 60_000, interval: 500 }).toBe(await tip());
    expect(session.problems).toEqual([]);
  }, 300_000);
});
