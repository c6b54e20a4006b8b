/**
 * Alerts that reach the user (issue 15): the user turns browser notifications on (a click: the
 * permission is asked on a user gesture), the tab goes to the background, the BTC price falls so the
 * user's vault comes within 10 points of MCR: a browser notification says so (and a toast), from the
 * monitoring part's rules evaluated on the block that carried the new price. The price is put back
 * afterwards (the stack is shared with the other e2e files).
 */
import { hex } from "@scure/base";
import { afterAll, describe, expect, it } from "vitest";
import { type AppSession, openApp } from "./support/browser.ts";
import {
  Actor,
  chainPriceIn,
  connectWallet,
  E18,
  go,
  setFeedPrice,
  watchProblems,
} from "./support/journeys.ts";
import { engineAtTip } from "./support/steps.ts";

let session: AppSession | undefined;
const keeper = new Actor("keeper");
afterAll(async () => {
  await session?.close();
  await setFeedPrice("97000").catch(() => undefined);
  await chainPriceIn(keeper, 96_000n * E18, 98_000n * E18).catch(() => undefined);
});

describe("alerts", () => {
  it("a browser notification in the background when my vault nears MCR", async () => {
    const whale = new Actor("whale");
    const me = new Actor("me");
    await setFeedPrice("97000");
    await Promise.all([keeper.fund(20_000_000n), whale.fund(110_000_000n), me.fund(60_000_000n)]);
    const att = await chainPriceIn(keeper, 96_000n * E18, 98_000n * E18);
    await whale.openVault(100_000_000n, 20_000n * E18, att);
    await me.openVault(50_000_000n, 32_000n * E18, att); // about 150% at 97,000 USD

    session = await openApp({
      beforeLoad: async (page) => {
        await page.context().grantPermissions(["notifications"]);
        // The injected wallet is `me` (addresses only: this test signs nothing in the page).
        const network = {
          bitcoin: { name: "Regtest" },
          stacks: { name: "testnet" },
          spark: { name: "regtest" },
        };
        await page.exposeFunction("__alertWallet", (method: string) => {
          const ok = (result: unknown) => ({ jsonrpc: "2.0", id: "1", result });
          if (method === "getInfo")
            return ok({
              version: "1.0.0",
              platform: "web",
              methods: ["getAddresses", "wallet_getNetwork"],
              supports: [],
            });
          if (method === "wallet_getNetwork") return ok(network);
          if (method === "getAddresses")
            return ok({
              addresses: [
                {
                  address: me.address,
                  publicKey: hex.encode(me.account.publicKey),
                  purpose: "payment",
                  addressType: "p2wpkh",
                  walletType: "software",
                },
              ],
              network,
            });
          return { jsonrpc: "2.0", id: "1", error: { code: -32601, message: `method ${method} not found` } };
        });
        await page.addInitScript(() => {
          const w = window as unknown as Record<string, unknown>;
          w.XverseProviders = {
            BitcoinProvider: {
              request: (m: string, p: unknown) =>
                (w.__alertWallet as (m: string, p: unknown) => unknown)(m, p),
            },
          };
          // Every notification shown is recorded (the real API still shows it).
          const shown: { title: string; body: string }[] = [];
          w.__notifications = shown;
          const Real = window.Notification;
          class Recorded extends Real {
            constructor(title: string, options?: NotificationOptions) {
              super(title, options);
              shown.push({ title, body: options?.body ?? "" });
            }
          }
          window.Notification = Recorded as typeof Notification;
        });
      },
    });
    const { page } = session;
    const problems: string[] = [];
    watchProblems(page, problems);
    // A fresh browser replays the whole shared chain first (long after the other files of a full run);
    // alerts speak only of the chain's tip, so the price falls once this browser is there.
    await engineAtTip(page);
    expect(await connectWallet(page, "sats-connect")).toBe(me.address);

    // Turned on by a click (the permission is asked on that gesture).
    await go(page, "Health");
    await page.getByTestId("alerts-button").click();
    await page.locator('[data-testid="alerts-toggle"][data-on="yes"]').waitFor();
    const shownBefore = await page.evaluate(
      () => (window as unknown as { __notifications: unknown[] }).__notifications.length,
    );
    expect(shownBefore).toBe(0);

    // The tab goes to the background.
    await page.evaluate(() => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => "hidden" });
      Object.defineProperty(document, "hidden", { configurable: true, get: () => true });
      document.dispatchEvent(new Event("visibilitychange"));
    });

    // The price falls 97,000 → 75,000: my vault is at about 116% (MCR 110%, warned below 120%).
    await setFeedPrice("75000");
    await chainPriceIn(keeper, 74_000n * E18, 76_000n * E18);
    await page.waitForFunction(
      () =>
        (window as unknown as { __notifications: { title: string }[] }).__notifications.some((n) =>
          n.title.includes("Your vault is close to liquidation"),
        ),
      undefined,
      // A hidden tab polls a regtest chain every 10 s (2 minutes elsewhere: src/ui/engine/sync.ts).
      { timeout: 90_000, polling: 500 },
    );
    const shown = await page.evaluate(
      () => (window as unknown as { __notifications: { title: string; body: string }[] }).__notifications,
    );
    const vault = shown.find((n) => n.title.includes("Your vault is close to liquidation"))!;
    expect(vault.body).toMatch(/within 10 points of the minimum \(110%\)/);
    expect(await page.locator('[data-testid="toast"][data-kind="alert:vault-near-mcr"]').count()).toBe(1);
    expect(problems).toEqual([]);
  }, 500_000);
});
