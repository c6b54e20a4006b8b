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
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig, type Plugin } from "vite";

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

export default defineConfig({
  plugins: [react(), contentSecurityPolicy()],
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
