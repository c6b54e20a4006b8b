/**
 * Vite build of the web app. The app entry is index.html → src/ui/main.tsx; the engine and (later) the
 * prover run in module workers (`worker.format: "es"`). Screens are split with React.lazy, so the first
 * load carries only the shell and the dashboard.
 *
 * Content Security Policy: the built index.html gets a strict policy as a <meta> tag, and `vite preview`
 * sends the same policy as a header. Dev mode (`npm run dev`) has none, because React Fast Refresh
 * injects an inline script. snarkjs needs `'wasm-unsafe-eval'` (WebAssembly.compile) and `blob:` workers
 * (ffjavascript's threads); connect-src allows https and wss (exchange APIs and ticker streams, a
 * user-chosen Esplora URL) and local services on localhost (devnet, price feed, guardians), http and ws.
 */
import { createHash } from "node:crypto";
import { readdir, readFile, writeFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { build, defineConfig, type Plugin, type ResolvedConfig, type Rolldown } from "vite";
import { precompressed } from "./scripts/lib/precompress.ts";
import { SPELL_CIRCUITS } from "./src/indexer/verificationKeys.ts";
import { isPrecached } from "./src/sw/routes.ts";

/**
 * circomlibjs's main entry also re-exports its SMT, MiMC and contract generators, which import Node's
 * `events` (the engine worker then fails with "Module events has been externalized") and weigh about
 * a megabyte. The browser needs only Poseidon, so `circomlibjs` resolves to its Poseidon module here;
 * importing anything else from "circomlibjs" fails the build loudly (missing export). Node (CLI,
 * vitest) is unaffected: it does not read this file.
 */
const CIRCOMLIBJS_POSEIDON = fileURLToPath(
  new URL("./node_modules/circomlibjs/src/poseidon_wasm.js", import.meta.url),
);

/** Aliases every browser build of our sources needs (the app, and test pages bundled in e2e). */
export const BROWSER_ALIASES = [{ find: /^circomlibjs$/, replacement: CIRCOMLIBJS_POSEIDON }];

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self' https: wss: http://localhost:* http://127.0.0.1:* ws://localhost:* ws://127.0.0.1:*",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join("; ");

/** Adds the CSP <meta> to the built index.html only (dev mode needs inline scripts). */
function contentSecurityPolicy(): Plugin {
  return {
    name: "zkusd-csp",
    apply: "build",
    transformIndexHtml: {
      order: "post",
      handler: () => [
        {
          tag: "meta",
          attrs: { "http-equiv": "Content-Security-Policy", content: CONTENT_SECURITY_POLICY },
          injectTo: "head-prepend",
        },
      ],
    },
  };
}

/** The service worker's source (src/sw/), built into dist/ under this fixed name: its scope is the app's. */
const SERVICE_WORKER_ENTRY = fileURLToPath(new URL("./src/sw/service-worker.ts", import.meta.url));
export const SERVICE_WORKER_FILE = "sw.js";

/** Every file under `dir`, as paths relative to it with "/" separators, sorted. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)).split(sep).join("/"))
    .sort();
}

/**
 * Writes dist/sw.js once the build is on disk: its precache list is every file the build wrote (the
 * hashed assets, the worker chunks, index.html, the favicon, the ZK manifest and verification keys),
 * except the proving artifacts (zk/*.zkey and *.wasm, cached by src/zk/artifacts.ts after their SHA-256
 * check) and the worker itself (`isPrecached` in src/sw/routes.ts). The cache version hashes each
 * file's path and contents, so any change (even to a file without a hash in its name) is a new
 * version, and an identical build keeps the same sw.js (no needless update).
 */
function serviceWorker(): Plugin {
  let config: ResolvedConfig;
  return {
    name: "zkusd-service-worker",
    apply: "build",
    configResolved(resolved) {
      config = resolved;
    },
    async closeBundle() {
      const outDir = resolve(config.root, config.build.outDir);
      const files = (await filesUnder(outDir)).filter((file) => isPrecached(file, SERVICE_WORKER_FILE));
      const version = createHash("sha256");
      for (const file of files) {
        const contents = createHash("sha256")
          .update(await readFile(join(outDir, file)))
          .digest("hex");
        version.update(`${file}\0${contents}\n`);
      }
      const output = (await build({
        configFile: false,
        root: config.root,
        logLevel: "warn",
        publicDir: false,
        define: {
          __ZKUSD_SW_VERSION__: JSON.stringify(version.digest("hex").slice(0, 16)),
          __ZKUSD_SW_PRECACHE__: JSON.stringify(files),
        },
        build: {
          write: false,
          target: "es2022",
          minify: config.build.minify !== false,
          // A classic script (no `type: "module"` registration), which every browser with service
          // workers runs.
          lib: { entry: SERVICE_WORKER_ENTRY, formats: ["iife"], name: "zkusdServiceWorker" },
        },
      })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[];
      const chunks = (Array.isArray(output) ? output : [output]).flatMap((o) => o.output);
      const chunk = chunks.find((c) => c.type === "chunk" && c.isEntry);
      if (chunk?.type !== "chunk") throw new Error("the service worker build produced no script");
      await writeFile(join(outDir, SERVICE_WORKER_FILE), chunk.code);
    },
  };
}

export default defineConfig({
  plugins: [react(), contentSecurityPolicy(), serviceWorker(), precompressed(SPELL_CIRCUITS)],
  resolve: {
    alias: BROWSER_ALIASES,
  },
  worker: { format: "es" },
  build: {
    target: "es2022",
    outDir: "dist",
    // The prover worker (snarkjs) is large by nature; it is loaded on demand, never on first load.
    chunkSizeWarningLimit: 1500,
  },
  preview: {
    headers: {
      "Content-Security-Policy": CONTENT_SECURITY_POLICY,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
    },
  },
});
