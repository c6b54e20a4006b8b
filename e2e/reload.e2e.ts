/**
 * Issue 15 item 7, a reload in the middle of things: the wallet comes back connected (dev wallet and
 * an injected sats-connect provider, without asking the wallet for its addresses again), and a flow
 * in progress is saved in IndexedDB and, after the reload, resumed (a broadcast transaction is
 * followed to its confirmation) or plainly reported (a proof or signature that the reload stopped:
 * nothing was sent).
 */
import { afterEach, describe, expect, it } from "vitest";
import { type AppSession, openApp, waitForEngine } from "./support/browser.ts";
import { connectWallet, type InjectedWallet, injectSatsConnect } from "./support/journeys.ts";

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
