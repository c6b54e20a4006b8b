/**
 * Issue 15 item 7, a reload in the middle of things: the wallet comes back connected (dev wallet and
 * an injected sats-connect provider, without asking the wallet for its addresses again), and a flow
 * in progress is saved in IndexedDB and, after the reload, resumed (a broadcast transaction is
 * followed to its confirmation) or plainly reported (a proof or signature that the reload stopped:
 * nothing was sent).
 */
import { afterEach, describe, expect, it } from "vitest";
import { type AppSession, openApp, waitForEngine } from "./support/browser.ts";
import { applied, connectWallet, go, type InjectedWallet, injectSatsConnect } from "./support/journeys.ts";
import { engineAtTip, fundDevWallet, reviewOpen } from "./support/steps.ts";

let session: AppSession | undefined;
afterEach(async () => {
  await session?.close();
  session = undefined;
});

const connected = '[data-testid="wallet-button"][data-connected="yes"]';

async function addressShown(session: AppSession): Promise<string> {
  const { page } = session;
  await page.getByTestId("wallet-button").click();
  const address = (await page.getByTestId("wallet-address").textContent()) ?? "";
  await page.getByTestId("wallet-button").click();
  return address;
}

describe("a reload", () => {
  it("keeps the dev wallet connected", async () => {
    session = await openApp();
    await waitForEngine(session.page);
    const address = await connectWallet(session.page, "dev");
    await session.page.reload();
    await session.page.locator(connected).waitFor({ timeout: 30_000 });
    expect(await addressShown(session)).toBe(address);
    expect(session.problems).toEqual([]);
  });

  it("keeps a sats-connect wallet connected without asking for its addresses again", async () => {
    let wallet: InjectedWallet | undefined;
    session = await openApp({
      beforeLoad: async (page) => {
        wallet = await injectSatsConnect(page.context());
      },
    });
    await waitForEngine(session.page);
    const address = await connectWallet(session.page, "sats-connect");
    expect(address).toBe(wallet!.address);
    wallet!.calls.length = 0;
    await session.page.reload();
    await session.page.locator(connected).waitFor({ timeout: 30_000 });
    expect(await addressShown(session)).toBe(address);
    // Only the network was asked (no prompt); the addresses came from this browser.
    expect(wallet!.calls).not.toContain("getAddresses");
    expect(wallet!.calls).toContain("wallet_getNetwork");
    // Disconnecting forgets it: the next reload starts disconnected.
    await session.page.getByTestId("wallet-button").click();
    await session.page.getByRole("button", { name: "Disconnect" }).click();
    await session.page.reload();
    await waitForEngine(session.page);
    expect(await session.page.getByTestId("wallet-button").getAttribute("data-connected")).toBe("no");
    expect(session.problems).toEqual([]);
  });
});

describe("a flow in progress survives a reload", () => {
  it("a broadcast open is followed to its confirmation after the reload", async () => {
    session = await openApp();
    const { page } = session;
    // A fresh browser replays the whole shared chain first (long after the other files of a full run).
    await engineAtTip(page);
    await go(page, "Vault");
    await connectWallet(page, "dev");
    await fundDevWallet(page);

    // Open a vault and reload the moment it is broadcast, before the app's engine saw it confirm.
    await reviewOpen(page, "0.5", "10000");
    await page.getByTestId("psbt-preview").waitFor({ timeout: 60_000 });
    await page.getByTestId("sign-and-send").click();
    // Attestation, price update (when the chain holds another price: one more block), proof in the
    // browser, wallet, broadcast: minutes on a loaded machine.
    await page
      .locator('[data-step="broadcast"][data-state="done"]')
      .waitFor({ timeout: 240_000 })
      .catch(async (e: Error) => {
        const steps = await page
          .locator("[data-testid=tx-steps] [data-step]")
          .evaluateAll((els) =>
            els.map((el) => `${el.getAttribute("data-step")}: ${el.getAttribute("data-state")}`),
          );
        const error = await page
          .getByTestId("tx-error")
          .textContent({ timeout: 1_000 })
          .catch(() => null);
        throw new Error(`${e.message}: steps ${steps.join(", ")}${error ? `; error: ${error}` : ""}`);
      });
    const txid = ((await page.locator('[data-step="broadcast"]').textContent()) ?? "").match(
      /[0-9a-f]{64}/,
    )?.[0];
    expect(txid).toBeTruthy();
    await page.reload();
    const resumed = page.getByTestId("recovered-flow").first();
    await resumed.waitFor({ timeout: 30_000 });
    await page.locator('[data-testid="recovered-flow"][data-state="confirmed"]').waitFor({ timeout: 60_000 });
    expect(await resumed.textContent()).toMatch(/confirmed in block/i);
    await page.locator('[data-testid="toast"][data-kind="confirmed"]').waitFor({ timeout: 10_000 });
    await applied(txid!);
    await page.getByTestId("recovered-flow").getByRole("button", { name: "Dismiss" }).click();
    await page.getByTestId("flow-recovery").waitFor({ state: "detached" });

    // A flow stopped before its operation was sent (a proof or a signature in progress) is reported
    // instead, with its step and "nothing sent": src/client/tx/journal.test.ts (recoveryOf). Its
    // browser half (a mint reloaded while proving) waits on the vault form after a resumed open: not
    // yet understood, see the report of issue 15.
  }, 600_000);
});
