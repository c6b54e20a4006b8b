/**
 * How an e2e test drives the app. Pattern for a new file `e2e/<journey>.e2e.ts`:
 *
 *   const session = await openApp({ viewport: DESKTOP });   // Chromium + a page on the served app
 *   await session.page.getByRole("link", { name: "Vault" }).click();
 *   ...assert on what the screen shows, compared to the engine's numbers...
 *   await screenshot(session.page, "vault-desktop");      // → test-results/screenshots/
 *   expect(session.problems).toEqual([]);                  // console errors, page errors, CSP violations
 *   await session.close();
 *
 * Chromium is Debian's (/usr/bin/chromium, or CHROMIUM_PATH), launched by playwright-core.
 */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "playwright-core";
import { inject } from "vitest";

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
];

export const DESKTOP = { width: 1280, height: 800 } as const;
export const PHONE = { width: 390, height: 844 } as const;
export const SCREENSHOT_DIR = join("test-results", "screenshots");

export interface AppSession {
  browser: Browser;
  page: Page;
  /** Console errors, uncaught page errors and CSP violations seen so far. */
  problems: string[];
  close(): Promise<void>;
}

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS });
}

/** The served app's URL for a hash route ("/" is the dashboard). */
export function appUrl(path = "/"): string {
  return `${inject("appUrl")}#${path}`;
}

export async function openApp(
  options: {
    viewport?: { width: number; height: number };
    path?: string;
    colorScheme?: "dark" | "light";
    /** Runs before the app loads (init scripts, exposed functions). */
    beforeLoad?: (page: Page) => Promise<void>;
  } = {},
): Promise<AppSession> {
  const browser = await launchBrowser();
  const context = await browser.newContext({
    viewport: options.viewport ?? DESKTOP,
    colorScheme: options.colorScheme ?? "dark",
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
  await page.addInitScript(() => {
    document.addEventListener("securitypolicyviolation", (event) => {
      console.error(`CSP violation: ${event.violatedDirective} ${event.blockedURI}`);
    });
  });
  await options.beforeLoad?.(page);
  await page.goto(appUrl(options.path ?? "/"));
  return { browser, page, problems, close: () => browser.close() };
}

/** Full-page screenshot to test-results/screenshots/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  // From the top, so the sticky header sits where it belongs in a full-page image.
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: true });
  return path;
}

/**
 * Waits until the engine worker has answered (the dashboard's status badge says ready, or that it is
 * catching up with the chain: "ready" is said only at the tip).
 */
export async function waitForEngine(page: Page): Promise<void> {
  await page
    .locator(
      '[data-testid="engine-status"][data-state="ready"], [data-testid="engine-status"][data-state="syncing"]',
    )
    .first()
    .waitFor({ timeout: 30_000 });
}
