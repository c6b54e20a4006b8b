import { describe, expect, it } from "vitest";
import { routeFor, staleCaches } from "./routes.ts";

const SCOPE = "http://localhost:5173/";
const PRECACHED = new Set([
  "http://localhost:5173/index.html",
  "http://localhost:5173/assets/index-B3jwiJ9d.js",
  "http://localhost:5173/assets/engine.worker-DkpcEVWx.js",
  "http://localhost:5173/favicon.svg",
]);
const get = (url: string, mode = "cors") => routeFor({ method: "GET", url, mode }, SCOPE, PRECACHED);

describe("service worker routes", () => {
  it("answers this build's files from the cache, query or not", () => {
    expect(get("http://localhost:5173/assets/index-B3jwiJ9d.js")).toBe("precache");
    expect(get("http://localhost:5173/assets/engine.worker-DkpcEVWx.js", "same-origin")).toBe("precache");
    expect(get("http://localhost:5173/favicon.svg?v=1", "no-cors")).toBe("precache");
  });

  it("loads pages from the network first, whatever the path", () => {
    expect(get("http://localhost:5173/", "navigate")).toBe("navigation");
    expect(get("http://localhost:5173/index.html", "navigate")).toBe("navigation");
  });

  it("never touches other origins: Esplora, guardians, exchanges, the price feed", () => {
    expect(get("http://127.0.0.1:18443/blocks/tip/height")).toBe("network");
    expect(get("http://127.0.0.1:18491/v1/federation")).toBe("network");
    expect(get("https://api.kraken.com/0/public/Ticker?pair=XBTUSD")).toBe("network");
    // Same host, other port: another origin.
    expect(get("http://localhost:18480/assets/index-B3jwiJ9d.js")).toBe("network");
  });

  it("leaves the ZK artifacts to their own hash-checked cache", () => {
    expect(get("http://localhost:5173/zk/mint.zkey")).toBe("network");
    expect(get("http://localhost:5173/zk/mint.wasm")).toBe("network");
    expect(get("http://localhost:5173/zk/manifest.json")).toBe("network");
  });

  it("leaves non-GET requests, unknown files and paths outside the scope to the network", () => {
    expect(
      routeFor(
        { method: "POST", url: "http://localhost:5173/assets/index-B3jwiJ9d.js", mode: "cors" },
        SCOPE,
        PRECACHED,
      ),
    ).toBe("network");
    expect(get("http://localhost:5173/assets/index-OLDHASH1.js")).toBe("network");
    expect(
      routeFor(
        { method: "GET", url: "http://localhost:5173/other/", mode: "navigate" },
        `${SCOPE}app/`,
        PRECACHED,
      ),
    ).toBe("network");
  });

  it("deletes older app-shell caches on activation, never the ZK artifacts' cache", () => {
    expect(
      staleCaches(
        ["zkusd-app-aaaa", "zkusd-app-bbbb", "zkusd-zk-artifacts-v1", "something-else"],
        "zkusd-app-bbbb",
      ),
    ).toEqual(["zkusd-app-aaaa"]);
  });
});
