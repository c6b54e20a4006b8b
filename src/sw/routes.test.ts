import { describe, expect, it } from "vitest";
import { isPrecached, routeFor, staleCaches } from "./routes.ts";

const SCOPE = "http://localhost:5173/";
const PRECACHED = new Set([
  "http://localhost:5173/index.html",
  "http://localhost:5173/assets/index-B3jwiJ9d.js",
  "http://localhost:5173/assets/engine.worker-DkpcEVWx.js",
  "http://localhost:5173/favicon.svg",
  "http://localhost:5173/zk/manifest.json",
  "http://localhost:5173/zk/mint.vkey.json",
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

  it("leaves the proving artifacts to their own hash-checked cache, even when asked to precache them", () => {
    const withArtifacts = new Set([
      ...PRECACHED,
      "http://localhost:5173/zk/mint.zkey",
      "http://localhost:5173/zk/mint.wasm",
    ]);
    for (const mode of ["cors", "navigate"]) {
      for (const file of ["zk/mint.zkey", "zk/mint.wasm"])
        expect(routeFor({ method: "GET", url: `${SCOPE}${file}`, mode }, SCOPE, withArtifacts)).toBe(
          "network",
        );
    }
    // The verifier's manifest and keys are small and needed to follow the chain: precached.
    expect(get("http://localhost:5173/zk/manifest.json")).toBe("precache");
    expect(get("http://localhost:5173/zk/mint.vkey.json")).toBe("precache");
  });

  it("precaches every file of the build but the proving artifacts, the worker, maps and the ceremony record", () => {
    const files = [
      "index.html",
      "favicon.svg",
      "assets/index-B3jwiJ9d.js",
      "assets/prover.worker-AdDfal_O.js",
      "assets/index-DWgbH5w8.css",
      "zk/manifest.json",
      "zk/mint.vkey.json",
      "zk/priceAttestation.vkey.json",
      "zk/mint.zkey",
      "zk/mint.wasm",
      "zk/ceremony.json",
      "sw.js",
      "assets/index-B3jwiJ9d.js.map",
    ];
    expect(files.filter((f) => isPrecached(f, "sw.js"))).toEqual(files.slice(0, 8));
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
