/**
 * The app's service worker: after the first load the app shell (index.html and every file the build
 * emitted, worker chunks included) comes from Cache Storage, so a reload without network still starts
 * the engine on the state IndexedDB holds. Live data is never cached here (routes.ts says what is
 * answered and how).
 *
 * Built by the `zkusd-service-worker` plugin in vite.config.ts into dist/sw.js (one classic script),
 * which replaces the two constants below with this build's cache name (a hash of the precached files
 * and their contents) and precache list (URLs relative to the worker).
 *
 * Updates: a new build is a new sw.js, which the browser notices on a page load and installs next to
 * the old one with its own cache. It takes over only once every tab of the app is closed (no
 * `skipWaiting`), so an open tab keeps the files its lazy chunks were built with; the new version
 * then deletes the old caches.
 */
import { APP_CACHE_PREFIX, routeFor, staleCaches } from "./routes.ts";

declare const self: ServiceWorkerGlobalScope;
declare const __ZKUSD_SW_VERSION__: string;
declare const __ZKUSD_SW_PRECACHE__: readonly string[];

const CACHE_NAME = `${APP_CACHE_PREFIX}${__ZKUSD_SW_VERSION__}`;
const PRECACHE = __ZKUSD_SW_PRECACHE__.map((path) => new URL(path, self.registration.scope).href);
const PRECACHED = new Set(PRECACHE);
const INDEX_HTML = new URL("index.html", self.registration.scope).href;

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE_NAME);
      // `reload`: straight from the server, so a stale HTTP-cached index.html cannot pair with this
      // build's assets. One failure fails the install; the browser tries again on a later load.
      await cache.addAll(PRECACHE.map((url) => new Request(url, { cache: "reload" })));
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      const names = await caches.keys();
      await Promise.all(staleCaches(names, CACHE_NAME).map((name) => caches.delete(name)));
      // The first install controls the page that registered it, so that page works offline at once.
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const route = routeFor(request, self.registration.scope, PRECACHED);
  if (route === "precache") event.respondWith(cacheFirst(request));
  else if (route === "navigation") event.respondWith(networkFirst(request));
});

/** Lookup key of a precached file: its URL without the query. */
const keyOf = (request: Request) => {
  const url = new URL(request.url);
  return `${url.origin}${url.pathname}`;
};

async function cacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE_NAME);
  const key = keyOf(request);
  const hit = await cache.match(key);
  if (hit) return hit;
  // Evicted or not yet installed: the network, and keep a good answer for next time.
  const response = await fetch(request);
  if (response.ok) await cache.put(key, response.clone());
  return response;
}

async function networkFirst(request: Request): Promise<Response> {
  try {
    return await fetch(request);
  } catch (error) {
    // The page is a hash-routed single page: every navigation in scope is index.html. The network's
    // answer is not stored: the cached index.html must stay the one this version's assets belong to.
    const hit = await (await caches.open(CACHE_NAME)).match(INDEX_HTML);
    if (hit) return hit;
    throw error;
  }
}
