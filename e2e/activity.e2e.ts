/**
 * Issue 15 item 8, a history a person can read: after opening a vault from the app, the Activity
 * screen says what the transaction did in words with BTC and zkUSD amounts (no engine event names),
 * its status and time, and links to a readable explorer page (on regtest the devnet's HTML page,
 * never raw Esplora JSON; the template is configurable in Settings); the CSV export holds the same
 * row; everything fits 390 px.
 */
import { readFile } from "node:fs/promises";
import { afterEach, describe, expect, it } from "vitest";
import { type AppSession, DESKTOP, openApp, PHONE, screenshot } from "./support/browser.ts";
import { applied, connectWallet, DEVNET_URL, go, signAndSend, watchProblems } from "./support/journeys.ts";
import { engineAtTip, fundDevWallet, reviewOpen } from "./support/steps.ts";

let session: AppSession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

describe("the Activity screen's history", () => {
  it("says what each of my transactions did, with amounts, status, time, a readable explorer link and CSV", async () => {
    session = await openApp();
    const { page } = session;
    const problems: string[] = [];
    watchProblems(page, problems);
    // A fresh browser replays the whole shared chain first (long after the other files of a full run).
    await engineAtTip(page);
    await go(page, "Vault");
    const me = await connectWallet(page, "dev");
    await fundDevWallet(page);
    // 0.5 BTC for 10,000 zkUSD: above CCR at any price a test file leaves on the stack.
    await reviewOpen(page, "0.5", "10000");
    const { txid } = await signAndSend(page);
    // A toast says it confirmed.
    await page.locator('[data-testid="toast"][data-kind="confirmed"]').waitFor({ timeout: 10_000 });
    await applied(txid);

    await go(page, "Activity");
    const entry = page.locator(`[data-testid="history-entry"][data-txid="${txid}"]`);
    await entry.waitFor({ timeout: 60_000 });
    const text = (await entry.textContent()) ?? "";
    expect(text).toContain("Opened a vault");
    expect(text).toMatch(/Locked 0\.50* BTC as collateral; debt [\d,.]+ zkUSD/);
    expect(text).toContain("Confirmed");
    expect(text).not.toMatch(/LastFeeOpTimeUpdated|FeePaid|VaultOpened/);
    expect(await entry.locator("time").getAttribute("datetime")).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(await entry.getAttribute("data-status")).toBe("confirmed");

    // The explorer link opens a readable page: HTML, saying what the transaction is.
    const href = (await entry.getByTestId("history-link").getAttribute("href")) ?? "";
    expect(href).toBe(`${DEVNET_URL}/explorer/tx/${txid}`);
    const res = await fetch(href);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/Confirmed in block \d+/);
    expect(html).toContain("zkUSD spell: openVault");
    expect(html).toContain("0.50000000 BTC");

    // CSV export: the same transaction with exact amounts.
    const [download] = await Promise.all([
      page.waitForEvent("download", { timeout: 30_000 }),
      page.getByTestId("history-csv").click(),
    ]);
    const csv = await readFile((await download.path())!, "utf8");
    const [header, ...rows] = csv.trim().split("\r\n");
    expect(header).toBe(
      "time_utc,block,status,what,details,btc_change,zkusd_change,fee_zkusd,fee_btc,txid,explorer",
    );
    const row = rows.find((r) => r.includes(txid)) ?? "";
    expect(row).toContain(",confirmed,Opened a vault,");
    expect(row).toContain(",-0.5,");
    expect(row.endsWith(`${DEVNET_URL}/explorer/tx/${txid}`)).toBe(true);

    // Fits a phone.
    await page.setViewportSize(PHONE);
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), {
        timeout: 10_000,
      })
      .toBeLessThanOrEqual(0);
    const box = await entry.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(PHONE.width);
    await screenshot(page, "activity-history-phone");

    // The explorer link is configurable per network (Settings).
    await page.setViewportSize(DESKTOP);
    await go(page, "Settings");
    await page.getByTestId("explorer-input").fill("https://explorer.example/regtest/tx/{txid}");
    await page.getByTestId("save-settings").click();
    await go(page, "Activity");
    expect(await entry.getByTestId("history-link").getAttribute("href")).toBe(
      `https://explorer.example/regtest/tx/${txid}`,
    );
    expect(me).toMatch(/^bcrt1q/);
    expect(problems).toEqual([]);
  }, 400_000);
});
