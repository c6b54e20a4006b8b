/**
 * Precompressed artifacts (scripts/lib/precompress.ts): `npm start`'s server (vite preview with the
 * app's vite.config.ts, scripts/lib/stack.ts serveApp) answers a request for a built file with its
 * brotli or gzip twin as the request's Accept-Encoding allows, with the original's Content-Type; the
 * body decodes to the original bytes. Unused circuits' artifacts are dropped from the build.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { get } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliDecompressSync, gunzipSync } from "node:zlib";
import type { PreviewServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { negotiate, precompressDir, pruneUnusedCircuits } from "../scripts/lib/precompress.ts";
import { serveApp } from "../scripts/lib/stack.ts";

let dir: string;
let server: PreviewServer;
let base: string;
// Compressible but not trivial: a wasm-like body (repeated structure with varying bytes).
const wasm = Uint8Array.from({ length: 300_000 }, (_, i) => (i % 7 === 0 ? (i >> 5) & 0xff : i % 13));
const zkey = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31) & 0x3f);

function fetchRaw(path: string, acceptEncoding?: string) {
  return new Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    body: Buffer;
  }>((resolve, reject) => {
    const req = get(
      `${base}${path}`,
      { headers: acceptEncoding === undefined ? {} : { "Accept-Encoding": acceptEncoding } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
        );
      },
    );
    req.on("error", reject);
  });
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "zkusd-precompress-"));
  await mkdir(join(dir, "zk"), { recursive: true });
  await writeFile(join(dir, "index.html"), "<!doctype html><title>t</title>");
  await writeFile(join(dir, "zk/x.wasm"), wasm);
  await writeFile(join(dir, "zk/x.zkey"), zkey);
  await writeFile(join(dir, "zk/tiny.json"), "{}");
  await precompressDir(dir, join(dir, ".cache"));
  server = await serveApp(0, false, dir);
  base = server.resolvedUrls!.local[0]!.replace(/\/$/, "");
});
afterAll(async () => {
  await server?.close();
  await rm(dir, { recursive: true, force: true });
});

describe("precompressed artifacts from npm start's server", () => {
  it("Accept-Encoding br: the brotli twin, Content-Encoding br, the wasm's Content-Type, decoding to the original", async () => {
    const r = await fetchRaw("/zk/x.wasm", "gzip, deflate, br");
    expect(r.status).toBe(200);
    expect(r.headers["content-encoding"]).toBe("br");
    expect(r.headers["content-type"]).toBe("application/wasm");
    expect(r.headers.vary).toMatch(/Accept-Encoding/i);
    expect(r.body.length).toBeLessThan(wasm.length / 3);
    expect(Number(r.headers["content-length"])).toBe(r.body.length);
    expect(new Uint8Array(brotliDecompressSync(r.body))).toEqual(wasm);
    // The app's security headers come along (vite.config.ts preview.headers).
    expect(r.headers["content-security-policy"]).toMatch(/default-src 'self'/);
  });

  it("Accept-Encoding gzip (or br refused with q=0): the gzip twin", async () => {
    for (const accept of ["gzip", "br;q=0, gzip", "gzip;q=1, br;q=0.5"]) {
      const r = await fetchRaw("/zk/x.zkey", accept);
      expect(r.headers["content-encoding"], accept).toBe("gzip");
      expect(new Uint8Array(gunzipSync(r.body))).toEqual(zkey);
    }
  });

  it("no Accept-Encoding, or identity only: the file as it is", async () => {
    for (const accept of [undefined, "identity", "br;q=0, gzip;q=0"]) {
      const r = await fetchRaw("/zk/x.wasm", accept);
      expect(r.status).toBe(200);
      expect(r.headers["content-encoding"]).toBeUndefined();
      expect(new Uint8Array(r.body)).toEqual(wasm);
    }
  });

  it("files too small to gain get no twin", () => {
    expect(existsSync(join(dir, "zk/tiny.json.br"))).toBe(false);
    expect(existsSync(join(dir, "zk/x.wasm.br"))).toBe(true);
    expect(existsSync(join(dir, "zk/x.wasm.gz"))).toBe(true);
  });
});

describe("Accept-Encoding negotiation", () => {
  const both = new Set(["br", "gzip"] as const);
  it.each([
    [undefined, null],
    ["", null],
    ["br", "br"],
    ["gzip", "gzip"],
    ["gzip, br", "br"],
    ["br;q=0.5, gzip", "gzip"],
    ["br;q=0", null],
    ["*", "br"],
    ["*;q=0, gzip", "gzip"],
    ["deflate", null],
  ])("%s → %s", (header, expected) => {
    expect(negotiate(header, both)).toBe(expected);
  });
  it("only the variants on disk are chosen", () => {
    expect(negotiate("br, gzip", new Set(["gzip"] as const))).toBe("gzip");
  });
});

describe("unused circuits are not shipped", () => {
  it("the artifacts of a manifest circuit no operation proves are removed from the build", async () => {
    const out = await mkdtemp(join(tmpdir(), "zkusd-prune-"));
    await mkdir(join(out, "zk"));
    const files = (n: string) => ({
      wasm: { path: `zk/${n}.wasm` },
      zkey: { path: `zk/${n}.zkey` },
      vkey: { path: `zk/${n}.vkey.json` },
    });
    await writeFile(
      join(out, "zk/manifest.json"),
      JSON.stringify({
        circuits: [
          { name: "used", files: files("used") },
          { name: "unused", files: files("unused") },
        ],
      }),
    );
    for (const n of ["used", "unused"])
      for (const ext of ["wasm", "zkey", "vkey.json"]) await writeFile(join(out, `zk/${n}.${ext}`), "x");
    expect((await pruneUnusedCircuits(out, ["used"])).sort()).toEqual([
      "zk/unused.vkey.json",
      "zk/unused.wasm",
      "zk/unused.zkey",
    ]);
    expect(existsSync(join(out, "zk/used.zkey"))).toBe(true);
    expect(existsSync(join(out, "zk/unused.zkey"))).toBe(false);
    await rm(out, { recursive: true, force: true });
  });
});
