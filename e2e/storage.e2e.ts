/**
 * The data layer in real headless Chromium (IndexedDB, Web Locks, BroadcastChannel) against a real
 * regtest devnet: state survives a reload; pages closed in the middle of a sync restart consistent
 * and reach the same root as an uninterrupted run (a Node client on the same chain); two tabs never
 * apply a block twice, and the second takes over when the leader's tab closes.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EsploraClient } from "../src/btc/index.ts";
import { type Devnet, startDevnet } from "../src/devnet/server.ts";
import { Indexer, loadVerificationKeys } from "../src/indexer/index.ts";
import { DEFAULT_PARAMS, initPoseidon } from "../src/protocol/index.ts";
import { MemoryStore } from "../src/storage/index.ts";
import { nodeArtifacts } from "../src/zk/node.ts";
import {
  E18,
  mixedHistory,
  ORACLE_KEYS,
  ORACLE_KEYS_SETTING,
  type SpellWallet,
  TEST_CUSTODY,
} from "../test/indexer/chain.ts";
import { harnessBundle, serveOrigin } from "./storage-harness.ts";
import { launchBrowser } from "./support/browser.ts";

let devnet: Devnet;
let esplora: EsploraClient;
let browser: Browser;
let startHeight: number;
let wallets: SpellWallet[];
let origin: Awaited<ReturnType<typeof serveOrigin>>;

interface PageStatus {
  role: string;
  progress: { todo: number; done: number } | null;
  height: number;
  root: string;
  blocksWritten: number;
  lastError: string | null;
}

/** The root a Node client reaches on the same chain (memory store, proofs verified). */
async function referenceHead() {
  const ix = await Indexer.open({
    store: new MemoryStore(),
    chain: esplora,
    startHeight,
    params: { ...DEFAULT_PARAMS },
    verifier: {
      proofs: true,
      oracleKeys: ORACLE_KEYS,
      verificationKeys: await loadVerificationKeys(nodeArtifacts()),
    },
    custody: TEST_CUSTODY,
  });
  await ix.sync();
  return {
    head: ix.head,
    spells: (await ix.store.spells()).length,
    rejected: (await ix.store.rejected()).length,
  };
}

async function newContext(): Promise<BrowserContext> {
  return browser.newContext({ bypassCSP: true });
}

/**
 * Opens the app's origin in a page and starts the data layer on database `db`. `holdAfterFirstWrite`:
 * once the first block write has started, no later one starts (the kill test closes the page during
 * that write; the sync asks for blocks ahead, so without the hold the next ones could be written
 * before the close lands).
 */
async function openLayer(
  context: BrowserContext,
  db: string,
  tab: string,
  holdAfterFirstWrite = false,
): Promise<Page> {
  const page = await context.newPage();
  await page.goto(origin.url);
  await page.addScriptTag({ content: await harnessBundle() });
  await page.evaluate(
    async ({ db, tab, sync, hold }) => {
      const w = globalThis as unknown as {
        zkData: { DataLayer: { open(o: unknown): Promise<unknown> }; DEFAULT_PARAMS: unknown };
        layer: unknown;
        notices: unknown[];
      };
      w.notices = [];
      const layer = (await w.zkData.DataLayer.open({
        dbName: db,
        tab,
        params: { ...(w.zkData.DEFAULT_PARAMS as object) },
        genesis: { height: 0n, time: 0n },
        sync: { ...sync, pollMs: 300, autoBackup: { intervalMs: 3_600_000, keep: 2 } },
      })) as { subscribe(fn: (n: unknown) => void): void };
      layer.subscribe((n) => w.notices.push(n));
      // Announce each block write as its transaction starts (the kill test closes the page right then).
      const store = (
        layer as unknown as { store: { commitBlock(c: { block: { height: number } }): Promise<void> } }
      ).store;
      const commit = store.commitBlock.bind(store);
      let written = false;
      store.commitBlock = (c) => {
        if (hold && written) return new Promise<void>(() => undefined);
        written = true;
        console.log(`zk:commit ${c.block.height}`);
        return commit(c);
      };
      w.layer = layer;
    },
    {
      db,
      tab,
      hold: holdAfterFirstWrite,
      sync: {
        esploraUrl: devnet.url,
        startHeight,
        oracleKeys: ORACLE_KEYS_SETTING,
        proofs: true,
        custody: TEST_CUSTODY,
      },
    },
  );
  return page;
}

/** The head stored in database `db`, read by a fresh page of the same profile. */
async function storedHead(context: BrowserContext, db: string): Promise<{ height: number; root: string }> {
  const page = await context.newPage();
  await page.goto(origin.url);
  await page.addScriptTag({ content: await harnessBundle() });
  const head = await page.evaluate(async (name) => {
    const zk = (
      globalThis as unknown as {
        zkData: {
          openIdbStore(o: {
            name: string;
          }): Promise<{ head(): Promise<{ height: number; root: string }>; close(): Promise<void> }>;
        };
      }
    ).zkData;
    const store = await zk.openIdbStore({ name });
    const h = await store.head();
    await store.close();
    return { height: h.height, root: h.root };
  }, db);
  await page.close();
  return head;
}

const status = (page: Page): Promise<PageStatus> =>
  page.evaluate(() => (globalThis as unknown as { layer: { status(): PageStatus } }).layer.status());

async function waitForHeight(page: Page, height: number, timeoutMs = 60_000): Promise<PageStatus> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await status(page);
    if (s.height >= height) return s;
    if (Date.now() > until) throw new Error(`stuck at ${s.height} < ${height}: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads the page's store: contiguous blocks, head = last block, counts. */
const storeFacts = (page: Page) =>
  page.evaluate(async () => {
    const layer = (
      globalThis as unknown as {
        layer: {
          store: {
            head(): Promise<{ height: number; root: string }>;
            blocks(): Promise<{ height: number; root: string }[]>;
            spells(): Promise<unknown[]>;
            rejected(): Promise<unknown[]>;
            eventStats(): Promise<{ total: number }>;
            events(q: unknown): Promise<{ events: unknown[] }>;
          };
        };
      }
    ).layer;
    const head = await layer.store.head();
    const blocks = await layer.store.blocks();
    return {
      head: { height: head.height, root: head.root },
      contiguous: blocks.every((b, i) => i === 0 || b.height === blocks[i - 1]!.height + 1),
      lastBlockRoot: blocks[blocks.length - 1]?.root,
      spells: (await layer.store.spells()).length,
      rejected: (await layer.store.rejected()).length,
      events: (await layer.store.eventStats()).total,
      eventsListed: (await layer.store.events({ limit: 500 })).events.length,
    };
  });

beforeAll(async () => {
  await initPoseidon();
  devnet = await startDevnet({ port: 0 });
  esplora = new EsploraClient({ baseUrl: devnet.url, retries: 1 });
  startHeight = devnet.chain.height + 1;
  const baseTime = (await esplora.block(await esplora.blockHash(startHeight - 1))).timestamp;
  ({ wallets } = await mixedHistory(devnet, esplora, { wallets: 3, blocks: 40, baseTime }));
  browser = await launchBrowser();
  origin = await serveOrigin();
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await origin?.close();
  await devnet?.close();
});

describe("data layer in Chromium", () => {
  it("syncs to the same root as a Node client, and the state survives a reload", async () => {
    const ref = await referenceHead();
    const context = await newContext();
    const page = await openLayer(context, "reload", "a");
    const synced = await waitForHeight(page, ref.head.height);
    expect(synced.root).toBe(ref.head.root);
    expect(synced.lastError).toBeNull();
    await page.reload();
    await page.addScriptTag({ content: await harnessBundle() });
    // Reopen without sync settings: the stored ones are used; the head is there before any sync.
    const reopened = await page.evaluate(async () => {
      const w = globalThis as unknown as {
        zkData: {
          DataLayer: { open(o: unknown): Promise<{ status(): PageStatus }> };
          DEFAULT_PARAMS: unknown;
        };
      };
      const layer = await w.zkData.DataLayer.open({
        dbName: "reload",
        params: { ...(w.zkData.DEFAULT_PARAMS as object) },
        genesis: { height: 0n, time: 0n },
      });
      return layer.status();
    });
    expect(reopened.height).toBe(ref.head.height);
    expect(reopened.root).toBe(ref.head.root);
    await context.close();
  });

  it("pages closed during block writes restart consistent and reach the uninterrupted root", async () => {
    const ref = await referenceHead();
    const outcomes: ("committed" | "aborted")[] = [];
    // One browser profile (context) whose pages are closed one after another, like a user's tabs.
    const context = await newContext();
    for (let attempt = 0; attempt < 6; attempt++) {
      const page = await openLayer(context, "killed", `k${attempt}`, true);
      // Close the page the moment a block's write transaction starts.
      const height = await new Promise<number>((resolve) =>
        page.on("console", (m) => {
          if (m.text().startsWith("zk:commit ")) resolve(Number(m.text().slice(10)));
        }),
      );
      await page.close();
      // The stored head is the block before (the write was cut off) or that block, never in between.
      const head = await storedHead(context, "killed");
      expect([height - 1, height]).toContain(head.height);
      outcomes.push(head.height === height ? "committed" : "aborted");
    }
    console.log(`storage e2e: page closed during a block write: ${outcomes.join(", ")}`);
    const page = await openLayer(context, "killed", "final");
    const before = await storeFacts(page);
    expect(before.contiguous).toBe(true);
    expect(before.lastBlockRoot).toBe(before.head.root);
    expect(before.head.height).toBeLessThan(ref.head.height); // it really was interrupted
    const done = await waitForHeight(page, ref.head.height);
    expect(done.root).toBe(ref.head.root);
    const facts = await storeFacts(page);
    expect(facts).toMatchObject({ contiguous: true, spells: ref.spells, rejected: ref.rejected });
    expect(facts.eventsListed).toBe(facts.events);
    await context.close();
  });

  it("two tabs never apply a block twice; the follower takes over when the leader closes", async () => {
    const context = await newContext();
    const a = await openLayer(context, "tabs", "a");
    const b = await openLayer(context, "tabs", "b");
    let ref = await referenceHead();
    const [sa, sb] = [await waitForHeight(a, ref.head.height), await waitForHeight(b, ref.head.height)];
    expect(sa.root).toBe(ref.head.root);
    expect(sb.root).toBe(ref.head.root);
    const blocks = ref.head.height - (startHeight - 1);
    expect(sa.blocksWritten + sb.blocksWritten).toBe(blocks);
    expect([sa.role, sb.role].sort()).toEqual(["follower", "leader"]);
    const [leader, follower] = sa.role === "leader" ? [a, b] : [b, a];

    // The leader's tab goes away; new blocks arrive; the other tab leads and indexes them.
    await leader.close();
    await wallets[0]!.cast({ type: "transfer", to: wallets[1]!.address, amount: E18 });
    await devnet.mine(2);
    ref = await referenceHead();
    const after = await waitForHeight(follower, ref.head.height);
    expect(after.role).toBe("leader");
    expect(after.root).toBe(ref.head.root);
    const facts = await storeFacts(follower);
    expect(facts).toMatchObject({ contiguous: true, spells: ref.spells, rejected: ref.rejected });
    await context.close();
  });

  it("the engine worker (comlink) syncs, answers queries and backups, and a second tab's worker follows", async () => {
    const ref = await referenceHead();
    const context = await newContext();
    const start = async () => {
      const page = await context.newPage();
      await page.goto(origin.url);
      await page.addScriptTag({ content: await harnessBundle() });
      await page.evaluate(
        async (sync) => {
          const w = globalThis as unknown as {
            zkData: { Comlink: { wrap(w: Worker): unknown } };
            engine: { init(o: unknown): Promise<unknown> };
          };
          const worker = new Worker("/engine.worker.js", { type: "module", name: "zkusd-engine" });
          w.engine = w.zkData.Comlink.wrap(worker) as typeof w.engine;
          await w.engine.init({ dbName: "worker", sync: { ...sync, pollMs: 300 } });
        },
        {
          esploraUrl: devnet.url,
          startHeight,
          oracleKeys: ORACLE_KEYS_SETTING,
          proofs: true,
          custody: TEST_CUSTODY,
        },
      );
      return page;
    };
    const ask = (page: Page) =>
      page.evaluate(async (target) => {
        type Api = {
          status(): Promise<PageStatus>;
          summary(): Promise<{ stateRoot: string; height: bigint }>;
          events(q: unknown): Promise<{ events: { type: string }[]; next?: string }>;
          eventStats(): Promise<{ total: number }>;
          rejected(): Promise<{ reason: { code: string } }[]>;
          backup(): Promise<Uint8Array>;
          verifyBackup(b: Uint8Array): Promise<{ root: string; height: number }>;
        };
        const api = (globalThis as unknown as { engine: Api }).engine;
        const until = Date.now() + 60_000;
        let status = await api.status();
        while (status.height < target && Date.now() < until) {
          await new Promise((r) => setTimeout(r, 100));
          status = await api.status();
        }
        const summary = await api.summary();
        const page1 = await api.events({ limit: 3, order: "desc" });
        const backup = await api.verifyBackup(await api.backup());
        return {
          status,
          root: summary.stateRoot,
          height: Number(summary.height),
          newest: page1.events.length,
          more: page1.next !== undefined,
          total: (await api.eventStats()).total,
          rejected: (await api.rejected()).map((r) => r.reason.code),
          backup,
        };
      }, ref.head.height);
    const a = await start();
    const first = await ask(a);
    expect(first.status.role).toBe("leader");
    expect(first.root).toBe(ref.head.root);
    expect(first.height).toBe(ref.head.height);
    expect(first.newest).toBe(3);
    expect(first.more).toBe(true);
    expect(first.rejected.every((c) => c === "malformedSpell")).toBe(true);
    expect(first.backup).toMatchObject({ root: ref.head.root, height: ref.head.height });
    const b = await start();
    const second = await ask(b);
    expect(second.status.role).toBe("follower");
    expect(second.root).toBe(ref.head.root);
    expect(second.total).toBe(first.total);
    await context.close();
  });
});
