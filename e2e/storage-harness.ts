/**
 * Bundles src/client/data-layer.ts for a page (esbuild, the browser's Poseidon as in vite.config.ts) and
 * exposes it as `window.zkData`, so the e2e tests drive the data layer against Chromium's own
 * IndexedDB, Web Locks and BroadcastChannel. `serveOrigin` serves a blank page and the verification
 * keys (public/zk) on a loopback origin of its own, so these tests need neither the app build nor
 * the shared stack's fixed ports.
 */
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { Page } from "playwright-core";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
let bundle: Promise<string> | undefined;

export function harnessBundle(): Promise<string> {
  bundle ??= build({
    stdin: {
      contents: `import * as Comlink from "comlink";
import { DataLayer } from "./src/client/data-layer.ts";
import { DEFAULT_PARAMS } from "./src/protocol/index.ts";
import { openIdbStore } from "./src/storage/idb.ts";
globalThis.zkData = { DataLayer, DEFAULT_PARAMS, openIdbStore, Comlink };`,
      resolveDir: ROOT,
      loader: "ts",
    },
    bundle: true,
    format: "iife",
    platform: "browser",
    target: "es2022",
    write: false,
    alias: { circomlibjs: `${ROOT}node_modules/circomlibjs/src/poseidon_wasm.js` },
    define: { "process.env.NODE_DEBUG": "false" },
    logLevel: "silent",
  }).then((r) => r.outputFiles[0]!.text);
  return bundle;
}

let worker: Promise<string> | undefined;

/** The engine worker entry itself (workers/engine.worker.ts), bundled as a module worker. */
export function engineWorkerBundle(): Promise<string> {
  worker ??= build({
    entryPoints: [`${ROOT}workers/engine.worker.ts`],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    write: false,
    alias: { circomlibjs: `${ROOT}node_modules/circomlibjs/src/poseidon_wasm.js` },
    logLevel: "silent",
  }).then((r) => r.outputFiles[0]!.text);
  return worker;
}

export async function loadHarness(page: Page): Promise<void> {
  await page.addScriptTag({ content: await harnessBundle() });
}

/**
 * A loopback origin: "/" is a blank page, "/engine.worker.js" the engine worker, "/zk/<file>" the
 * repository's public/zk artifacts.
 */
export async function serveOrigin(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer(async (req, res) => {
    const path = normalize(new URL(req.url ?? "/", "http://x").pathname);
    if (path === "/engine.worker.js") {
      res.writeHead(200, { "content-type": "text/javascript" }).end(await engineWorkerBundle());
      return;
    }
    if (path === "/") {
      res
        .writeHead(200, { "content-type": "text/html" })
        .end("<!doctype html><title>zkUSD storage e2e</title>");
      return;
    }
    if (path.startsWith("/zk/") && !path.includes("..")) {
      try {
        res.writeHead(200).end(await readFile(join(ROOT, "public", path)));
        return;
      } catch {
        // fall through
      }
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, "localhost", r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}/`,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
