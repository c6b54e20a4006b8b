/**
 * Which requests the service worker answers, and how: the pure decision, so it is unit-tested in Node
 * and the worker itself (service-worker.ts) is only wiring.
 *
 * - `precache`: a file of this build (hashed assets, worker chunks, the favicon): answered from the
 *   versioned cache, the network only if the entry is missing.
 * - `navigation`: a page load in scope: the network first (a new deployment is seen at once), the
 *   precached index.html when the network fails.
 * - `network`: not touched (no `respondWith`), so the browser does what it does without a worker:
 *   other origins (Esplora, guardians, exchanges: live data must never be served stale), non-GET
 *   requests, and the proving artifacts (`zk/*.zkey`, `zk/*.wasm`, megabytes each), which
 *   src/zk/artifacts.ts caches itself after checking their SHA-256.
 */

export type Route = "precache" | "navigation" | "network";

export interface RequestInfo {
  method: string;
  url: string;
  /** `Request.mode`: "navigate" for page loads. */
  mode: string;
}

/** A proving artifact (path relative to the scope): fetched and cached by src/zk/artifacts.ts only. */
export function isProvingArtifact(path: string): boolean {
  return /^zk\/.*\.(zkey|wasm)$/.test(path);
}

/**
 * Whether a file the build wrote (path relative to dist/) is precached: everything the app may load,
 * except the proving artifacts, the worker itself, source maps and the trusted-setup record. The ZK
 * manifest and verification keys stay (a few kB): the engine worker's verifier loads them whenever it
 * follows the chain, so an offline start still gets them and a sync resumed later checks proofs.
 */
export function isPrecached(path: string, serviceWorkerFile: string): boolean {
  // .br and .gz are the precompressed twins of other files (scripts/lib/precompress.ts), never asked for.
  if (path === serviceWorkerFile || /\.(map|br|gz)$/.test(path)) return false;
  if (path.startsWith("zk/")) return path === "zk/manifest.json" || /^zk\/[\w-]+\.vkey\.json$/.test(path);
  return true;
}

/**
 * @param scope the registration's scope URL (ends with "/")
 * @param precached absolute URLs of this build's precached files, without query
 */
export function routeFor(request: RequestInfo, scope: string, precached: ReadonlySet<string>): Route {
  if (request.method !== "GET") return "network";
  const url = new URL(request.url);
  const base = new URL(scope);
  if (url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return "network";
  if (isProvingArtifact(url.pathname.slice(base.pathname.length))) return "network";
  if (request.mode === "navigate") return "navigation";
  // The query never names another file of the build; dropping it keeps "?import"-style suffixes from
  // missing the cache (and the hash fragment never reaches a request anyway).
  return precached.has(`${url.origin}${url.pathname}`) ? "precache" : "network";
}

/** Cache Storage names of the app shell start with this; the ZK artifacts' cache does not. */
export const APP_CACHE_PREFIX = "zkusd-app-";

/** The caches an activated version deletes: older app-shell versions only (never the ZK artifacts'). */
export function staleCaches(names: readonly string[], current: string): string[] {
  return names.filter((name) => name.startsWith(APP_CACHE_PREFIX) && name !== current);
}
