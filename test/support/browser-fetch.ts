/**
 * A test double for a browser's fetch: it makes the real request over loopback, then applies the
 * browser's CORS check the way a page would see it. A cross-origin answer without a matching
 * `Access-Control-Allow-Origin` header is unreadable, and the page gets only
 * `TypeError: Failed to fetch` (Chrome's wording) — whatever the status was, 451 included.
 */
import type { FetchFn } from "../../src/oracle/rest.ts";

export function browserLikeFetch(pageOrigin = "http://localhost:5173"): FetchFn {
  return async (url, init) => {
    const response = await fetch(url, { ...init, headers: { ...init.headers, origin: pageOrigin } });
    const allowed = response.headers.get("access-control-allow-origin");
    if (allowed !== "*" && allowed !== pageOrigin) {
      await response.body?.cancel();
      throw new TypeError("Failed to fetch");
    }
    return response;
  };
}
