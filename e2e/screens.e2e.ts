/**
 * Every screen, checked by axe-core and photographed (issue 15): each screen of the app at 1280 and
 * 390 px wide, light and dark, with a wallet connected. axe-core (injected with page.addScriptTag)
 * must find no serious or critical violation anywhere; the screenshots go to
 * test-results/screenshots/screens/<screen>-<width>-<theme>.png (gitignored) to be looked at. Console
 * errors and CSP are the other e2e files' business (this context bypasses the CSP for axe's script).
 */
import { createRequire } from "node:module";
import type { Browser, Page } from "playwright-core";
import { afterAll, describe, expect, it } from "vitest";
import { appUrl, DESKTOP, launchBrowser, PHONE, screenshot, waitForEngine } from "./support/browser.ts";
import { connectWallet } from "./support/journeys.ts";

const AXE = createRequire(import.meta.url).resolve("axe-core/axe.min.js");

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

let browser: Browser | undefined;
afterAll(async () => {
  await browser?.close();
});

/** axe-core's serious and critical findings on the page as it is now. */
async function axeFindings(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const axe = (
      window as unknown as { axe: { run(ctx: unknown, o: unknown): Promise<{ violations: unknown[] }> } }
    ).axe;
    return (await axe.run(document, { resultTypes: ["violations"] })).violations;
  });
  return (violations as AxeViolation[])
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map(
      (v) =>
        `${v.impact} ${v.id}: ${v.help} — ${v.nodes
          .slice(0, 3)
          .map((n) => n.target.join(" "))
          .join(", ")}`,
    );
}

const slug = (title: string) => title.toLowerCase().replaceAll(" ", "-");

async function settle(page: Page) {
  await page
    .waitForFunction(() => !document.querySelector(".loading"), undefined, { timeout: 15_000 })
    .catch(() => undefined); // a screen still loading something is photographed and checked as it is
}

describe("every screen", () => {
  it("has no serious or critical accessibility finding, at 1280 and 390 px, light and dark", async () => {
    browser = await launchBrowser();
    // The app's CSP allows only its own scripts: axe-core's script tag needs the CSP bypassed here
    // (every other e2e file runs with the CSP and fails on a violation).
    const context = await browser.newContext({ viewport: DESKTOP, colorScheme: "dark", bypassCSP: true });
    const page = await context.newPage();
    await page.goto(appUrl("/"));
    await waitForEngine(page);
    await connectWallet(page, "dev");
    // Every screen the navigation lists (so a new screen is checked without touching this test).
    const screens = await page
      .getByRole("navigation", { name: "Screens" })
      .getByRole("link")
      .evaluateAll((links) =>
        links.map((a) => ({
          title: (a.textContent ?? "").trim(),
          hash: new URL((a as HTMLAnchorElement).href).hash,
        })),
      );
    expect(screens.length).toBeGreaterThanOrEqual(10);
    const findings: string[] = [];
    for (const colorScheme of ["dark", "light"] as const) {
      await page.emulateMedia({ colorScheme });
      for (const [viewport, width] of [
        [DESKTOP, "1280"],
        [PHONE, "390"],
      ] as const) {
        await page.setViewportSize(viewport);
        for (const { title, hash } of screens) {
          await page.evaluate((h) => {
            location.hash = h;
          }, hash);
          await page
            .getByRole("heading", { level: 1, name: title })
            .waitFor({ timeout: 15_000 })
            .catch(() => undefined); // a page titled otherwise is still checked and photographed
          await settle(page);
          for (const f of await axeFindings(page)) findings.push(`${title} ${width} ${colorScheme}: ${f}`);
          await screenshot(page, `screens/${slug(title)}-${width}-${colorScheme}`);
        }
      }
    }
    // The wallet menu open, and a review with its steps, are screens too.
    await page.setViewportSize(DESKTOP);
    await page.getByTestId("wallet-button").click();
    for (const f of await axeFindings(page)) findings.push(`wallet menu: ${f}`);
    await screenshot(page, "screens/wallet-menu-1280-light");
    await page.getByTestId("wallet-button").click();
    expect(findings, findings.join("\n")).toEqual([]);
  }, 600_000);
});
