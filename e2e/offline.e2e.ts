/**
 * The app after its first load works without a network for reading state: the service worker
 * (src/sw/, dist/sw.js) serves the app shell from its cache and the engine reads IndexedDB, so a
 * reload while offline shows the same state root and figures as before, with the offline banner.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { extname, join, resolve } from "node:path";
import type { ConsoleMessage, Page } from "playwright-core";
import { build, type Plugin } from "vite";
import { afterAll, describe, expect, inject, it } from "vitest";
import {
  type AppSession,
  DESKTOP,
  launchBrowser,
  openApp,
  PHONE,
  screenshot,
  waitForEngine,
} from "./support/browser.ts";
import { until } from "./support/journeys.ts";

const DEVNET = inject("localStack").devnet;
const tip = async () => Number(await (await fetch(`${DEVNET}/blocks/tip/height`)).text());

let session: AppSession | undefined;
afterAll(async () => {
  await session?.close();
});

/** What the dashboard shows: every figure's exact engine value, the state root and the block. */
async function dashboard(page: AppSession["page"]) {
  const figures = await page
    .locator("[data-stat]")
    .evaluateAll((nodes) =>
      Object.fromEntries(nodes.map((n) => [n.getAttribute("data-stat"), n.getAttribute("data-value")])),
    );
  return {
    figures,
    stateRoot: await page.getByTestId("state-root").getAttribute("title"),
    height: Number(await page.getByTestId("chain-position").getAttribute("data-height")),
  };
}

describe("offline after the first load", () => {
  // The figures are read after going offline and must equal the ones a reload offline shows: the
  // engine's and data layer's views keep refreshing offline (react-query pauses "online" queries, which
  // once left a block's figures behind the height shown beside them: src/ui/main.tsx).
  it("reloads without a network from the service worker's cache and shows the state last synced", async () => {
    session = await openApp({ viewport: DESKTOP });
    const { page } = session;
    await waitForEngine(page);
    await page.locator('[data-testid="chain-position"][data-sync="following"]').waitFor({ timeout: 60_000 });
    // A fresh browser replays the whole shared chain (long after the other files of a full run).
    const position = page.getByTestId("chain-position");
    await expect
      .poll(async () => Number(await position.getAttribute("data-height")), {
        timeout: 300_000,
        interval: 500,
      })
      .toBeGreaterThanOrEqual(await tip());
    // The worker is installed (every file precached) and controls this page.
    const scope = await page.evaluate(async () => (await navigator.serviceWorker.ready).scope);
    expect(scope).toBe(new URL(page.url()).origin + new URL(page.url()).pathname);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null, undefined, {
      timeout: 30_000,
    });
    const precached = await page.evaluate(async () => {
      const names = (await caches.keys()).filter((n) => n.startsWith("zkusd-app-"));
      const urls = names.length === 1 ? (await (await caches.open(names[0]!)).keys()).map((r) => r.url) : [];
      return { names, urls };
    });
    expect(precached.names).toHaveLength(1);
    expect(precached.urls.some((u) => /\/assets\/engine\.worker-[\w-]+\.js$/.test(u))).toBe(true);
    expect(precached.urls.some((u) => u.endsWith("/index.html"))).toBe(true);
    // The verifier's manifest and keys are precached; the proving artifacts never are.
    expect(precached.urls.some((u) => u.endsWith("/zk/manifest.json"))).toBe(true);
    expect(precached.urls.some((u) => /\/zk\/.*\.(zkey|wasm)$/.test(u))).toBe(false);
    expect(await page.getByTestId("offline-banner").count()).toBe(0);
    expect(session.problems).toEqual([]);

    // Offline: Chromium's network emulation covers the page, its workers and (playwright ≥ 1.4x
    // inspects service worker networking) the service worker's own fetches.
    const offlineConsole: ConsoleMessage[] = [];
    const onConsole = (message: ConsoleMessage) => {
      if (message.type() === "error") offlineConsole.push(message);
    };
    page.on("console", onConsole);
    const problemsBefore = session.problems.length;
    await page.context().setOffline(true);
    // The state last synced is the one the engine holds when the network went: the chain may have
    // moved up to that moment (a guardian's settlement, another file's block), and the dashboard's
    // height, root and figures come from queries that refresh a moment apart. So it is read once the
    // network is off and two readings a second apart agree (nothing can change it any more).
    const online = await until(
      "the dashboard to show one state twice in a row",
      async () => {
        const first = await dashboard(page);
        await page.waitForTimeout(1_000);
        const second = await dashboard(page);
        return JSON.stringify(first) === JSON.stringify(second) ? second : undefined;
      },
      60_000,
      0,
    );
    expect(online.stateRoot).toMatch(/^(0x)?[0-9a-f]{16,}$/);
    expect(Object.keys(online.figures).length).toBeGreaterThanOrEqual(8);
    await page.reload();
    await waitForEngine(page);
    const banner = page.getByTestId("offline-banner");
    await banner.waitFor();
    await page.locator(`[data-testid="chain-position"][data-height="${online.height}"]`).waitFor();
    const offline = await dashboard(page);
    expect(offline).toEqual(online);
    await expect.poll(() => banner.getAttribute("data-height")).toBe(String(online.height));
    expect(await banner.textContent()).toBe(
      `You are offline: showing the state this browser last synced (block ${online.height.toLocaleString("en-US")}). Transactions need a connection.`,
    );
    // The sync stops at the chain (Esplora is unreachable), not at the verifier's keys: those come from
    // the precache, so a sync resumed in this session still checks proofs.
    await page.getByTestId("sync-error").waitFor();
    expect(await page.getByTestId("sync-error").textContent()).not.toContain("verification keys");
    // The page came from the service worker (the network is off, yet it loaded).
    expect(await page.evaluate(() => navigator.serviceWorker.controller !== null)).toBe(true);
    await screenshot(page, "offline-dashboard-desktop");
    await page.setViewportSize(PHONE);
    // With a history on chain the dashboard draws charts, which recharts re-measures on a
    // ResizeObserver callback after the viewport change: wait for the layout to settle.
    await expect
      .poll(() => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), {
        timeout: 10_000,
      })
      .toBeLessThanOrEqual(0);
    await screenshot(page, "offline-dashboard-phone");
    await page.setViewportSize(DESKTOP);
    page.off("console", onConsole);

    // Expected while offline, and only these: the page's requests to the other origins it reads live
    // data from (the guardians for the federation, the devnet's Esplora API from the engine worker, the
    // price sources) fail with the browser's "Failed to load resource: net::ERR_INTERNET_DISCONNECTED";
    // nothing of the app itself (same origin, served by the service worker) may fail, and no page error.
    const appOrigin = new URL(page.url()).origin;
    const unexpected = offlineConsole.filter((m) => {
      const from = m.location().url;
      const crossOrigin = from !== "" && new URL(from).origin !== appOrigin;
      return !(crossOrigin && /net::ERR_INTERNET_DISCONNECTED/.test(m.text()));
    });
    // They did happen: the reload really was offline for the page's requests too.
    expect(offlineConsole.some((m) => m.location().url.endsWith("/v1/federation"))).toBe(true);
    expect(unexpected.map((m) => `${m.text()} (${m.location().url})`)).toEqual([]);
    const newProblems = session.problems.slice(problemsBefore);
    expect(newProblems.filter((p) => !p.startsWith("console: "))).toEqual([]);
    expect(newProblems.length).toBe(offlineConsole.length);

    // Back online: the banner goes away on the browser's online event.
    await page.context().setOffline(false);
    await banner.waitFor({ state: "detached" });
  }, 480_000);
});

/** Two production builds that differ only by a marker in index.html (so each has its own sw.js). */
async function buildMarked(outDir: string, marker: string): Promise<void> {
  const mark: Plugin = {
    name: "offline-e2e-marker",
    transformIndexHtml: () => [{ tag: "meta", attrs: { name: "zkusd-build", content: marker } }],
  };
  // As scripts/lib/stack.ts does: vitest sets NODE_ENV=test, the app must be a production build.
  const nodeEnv = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  try {
    await build({
      root: resolve(import.meta.dirname, ".."),
      mode: "production",
      logLevel: "error",
      plugins: [mark],
      build: { outDir, emptyOutDir: true },
    });
  } finally {
    process.env.NODE_ENV = nodeEnv;
  }
}

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
  ".json": "application/json",
  ".wasm": "application/wasm",
};

describe("a new deployment", () => {
  it("installs next to the open version and takes over once every tab is closed, deleting the old cache", async () => {
    const dir = await mkdtemp(join(tmpdir(), "zkusd-offline-e2e-"));
    const builds = { A: join(dir, "A"), B: join(dir, "B") };
    await buildMarked(builds.A, "A");
    await buildMarked(builds.B, "B");
    let served = builds.A;
    const server = createServer(async (req, res) => {
      const path = (req.url ?? "/").split("?")[0]!;
      const file = join(served, path === "/" ? "index.html" : path);
      try {
        const body = await readFile(file);
        res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
      } catch {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ viewport: DESKTOP });
      const appCaches = (page: Page) =>
        page.evaluate(async () => (await caches.keys()).filter((n) => n.startsWith("zkusd-app-")).sort());
      const marker = (page: Page) =>
        page.evaluate(() => document.querySelector('meta[name="zkusd-build"]')?.getAttribute("content"));

      const first = await context.newPage();
      await first.goto(url);
      await first.evaluate(() => navigator.serviceWorker.ready);
      await first.waitForFunction(() => navigator.serviceWorker.controller !== null);
      const [cacheA] = await appCaches(first);
      expect(cacheA).toMatch(/^zkusd-app-[0-9a-f]{16}$/);

      // Deploy B. A reload gets B's page from the network (navigations are network-first); B's worker
      // installs and waits, the old one still controls the tab, both versions' caches exist.
      served = builds.B;
      await first.reload();
      expect(await marker(first)).toBe("B");
      const registration = (page: Page) =>
        page.evaluate(async () => {
          const r = await navigator.serviceWorker.getRegistration();
          return { waiting: r?.waiting != null, controlled: navigator.serviceWorker.controller !== null };
        });
      await expect
        .poll(() => registration(first), { timeout: 60_000, interval: 500 })
        .toEqual({ waiting: true, controlled: true });
      expect((await appCaches(first)).length).toBe(2);
      expect(await appCaches(first)).toContain(cacheA);

      // Every tab closed: the next load is B's, controlled by B's worker, and A's cache is gone.
      await first.close();
      const second = await context.newPage();
      await second.goto(url);
      await expect
        .poll(() => registration(second), { timeout: 60_000, interval: 500 })
        .toEqual({ waiting: false, controlled: true });
      await expect.poll(() => appCaches(second), { timeout: 10_000 }).toHaveLength(1);
      expect(await appCaches(second)).not.toContain(cacheA);

      // And B works offline: its precache is complete.
      await context.setOffline(true);
      await second.reload();
      expect(await marker(second)).toBe("B");
    } finally {
      await browser.close();
      await new Promise((r) => server.close(r));
      await rm(dir, { recursive: true, force: true });
    }
  }, 300_000);
});
