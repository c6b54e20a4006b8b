/**
 * Precompressed files for the app (issue 16): `vite build` writes FILE.br (brotli) and FILE.gz (gzip)
 * next to every compressible file of dist/ (the proving artifacts above all: each circuit's wasm and
 * zkey), and `vite preview` (so `npm start`) answers a request for FILE with one of them when the
 * request's Accept-Encoding allows it, with Content-Encoding, the original file's Content-Type and
 * `Vary: Accept-Encoding`. A browser decodes the body itself, so the artifact loader still sees (and
 * hashes) the original bytes. A production host serves dist/ the same way from the same files (nginx:
 * `brotli_static on; gzip_static on;`, docs/zk.md).
 *
 * Brotli at quality 11 is slow on the megabytes of a zkey (`brotliQuality`), and each compressed file is cached under
 * node_modules/.cache/zkusd-precompress by the SHA-256 of its input: a rebuild with the same artifacts
 * (every `npm start`) compresses nothing again.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { extname, join, relative, resolve, sep } from "node:path";
import { promisify } from "node:util";
import { brotliCompress, constants, gzip } from "node:zlib";
import type { Plugin, ResolvedConfig } from "vite";

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Files worth compressing (images and fonts are compressed already). */
export const COMPRESSIBLE = /\.(wasm|zkey|js|mjs|css|html|json|svg|txt|map)$/;
const MIN_BYTES = 1024;

const CONTENT_TYPES: Record<string, string> = {
  ".wasm": "application/wasm",
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".css": "text/css",
  ".html": "text/html;charset=utf-8",
  ".json": "application/json",
  ".svg": "image/svg+xml",
  ".txt": "text/plain;charset=utf-8",
  ".map": "application/json",
};

export type Encoding = "br" | "gzip";

/**
 * The encoding to send, from an Accept-Encoding header and the variants on disk: the allowed one
 * with the highest q (brotli on a tie), or null (send the file as it is). `q=0` refuses a coding, `*`
 * stands for any coding not named.
 */
export function negotiate(header: string | undefined, available: ReadonlySet<Encoding>): Encoding | null {
  if (!header) return null;
  const q = new Map<string, number>();
  for (const part of header.split(",")) {
    const [coding, ...params] = part.trim().toLowerCase().split(";");
    if (!coding) continue;
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = qp ? Number(qp.slice(2)) : 1;
    q.set(coding, Number.isFinite(value) ? value : 0);
  }
  const weight = (c: Encoding) => q.get(c) ?? q.get("*") ?? 0;
  let best: Encoding | null = null;
  for (const c of ["br", "gzip"] as const) {
    if (available.has(c) && weight(c) > 0 && (best === null || weight(c) > weight(best))) best = c;
  }
  return best;
}

/**
 * Brotli's quality by size. Measured on mint's artifacts (busy 2-core machine): wasm 8.4 MB → q5
 * 976 kB in 0.5 s, q9 967 kB in 4.4 s, q11 943 kB in 22.6 s; zkey 19.5 MB → q5 8.17 MB in 1.2 s,
 * q9 8.00 MB in 21.5 s, q11 7.95 MB in 159 s (gzip -9: 1.15 and 12.41 MB). q11 where it is cheap, q9
 * up to 4 MB, q5 above: within 3% of q11 at a hundredth of its time on a fresh build.
 */
export const brotliQuality = (bytes: number) => (bytes <= 1_000_000 ? 11 : bytes <= 4_000_000 ? 9 : 5);

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join("/"));
}

async function cached(cacheDir: string, key: string, make: () => Promise<Uint8Array>): Promise<Uint8Array> {
  const path = join(cacheDir, key);
  try {
    return await readFile(path);
  } catch {
    const bytes = await make();
    await mkdir(cacheDir, { recursive: true });
    await writeFile(path, bytes);
    return bytes;
  }
}

/** Writes FILE.br and FILE.gz next to each compressible file of `dir` (kept only when smaller). */
export async function precompressDir(dir: string, cacheDir: string): Promise<number> {
  let written = 0;
  for (const file of await filesUnder(dir)) {
    if (!COMPRESSIBLE.test(file)) continue;
    const path = join(dir, file);
    const bytes = await readFile(path);
    if (bytes.length < MIN_BYTES) continue;
    const sha = createHash("sha256").update(bytes).digest("hex");
    const variants: [string, () => Promise<Uint8Array>][] = [
      [
        "br",
        () =>
          brotli(bytes, {
            params: {
              [constants.BROTLI_PARAM_QUALITY]: brotliQuality(bytes.length),
              [constants.BROTLI_PARAM_LGWIN]: 24,
              [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
            },
          }),
      ],
      ["gz", () => gz(bytes, { level: 9 })],
    ];
    for (const [ext, make] of variants) {
      const out = await cached(cacheDir, `${sha}.${ext}`, make);
      if (out.length < bytes.length) {
        await writeFile(`${path}.${ext}`, out);
        written++;
      }
    }
  }
  return written;
}

/**
 * Middleware for a static server of `dir`: answers GET and HEAD for a file that has a .br or .gz
 * variant with the best one the request accepts; anything else goes on to `next`.
 */
export function precompressedMiddleware(dir: string, headers: Record<string, string> = {}) {
  const root = resolve(dir);
  const variants = new Map<string, Set<Encoding>>();
  const ready = filesUnder(root)
    .then((files) => {
      for (const f of files) {
        const m = f.match(/^(.*)\.(br|gz)$/);
        if (!m) continue;
        const set = variants.get(`/${m[1]}`) ?? new Set<Encoding>();
        set.add(m[2] === "br" ? "br" : "gzip");
        variants.set(`/${m[1]}`, set);
      }
    })
    .catch(() => undefined);
  return async (req: IncomingMessage, res: ServerResponse, next: () => void) => {
    await ready;
    if (req.method !== "GET" && req.method !== "HEAD") return next();
    let pathname: string;
    try {
      pathname = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname);
    } catch {
      return next();
    }
    const available = variants.get(pathname);
    if (!available) return next();
    res.setHeader("Vary", "Accept-Encoding");
    const encoding = negotiate(req.headers["accept-encoding"] as string | undefined, available);
    if (!encoding) return next();
    const file = join(root, `${pathname}.${encoding === "br" ? "br" : "gz"}`);
    if (!file.startsWith(root + sep)) return next();
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      return next();
    }
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.writeHead(200, {
      "Content-Type": CONTENT_TYPES[extname(pathname)] ?? "application/octet-stream",
      "Content-Encoding": encoding,
      "Content-Length": size,
    });
    if (req.method === "HEAD") return res.end();
    createReadStream(file).pipe(res);
  };
}

/**
 * Removes from a built dist/ the artifacts (wasm, zkey, verification key) of the manifest's circuits
 * that no operation proves (`used`: src/indexer/verificationKeys.ts SPELL_CIRCUITS), so no client can download
 * them and the service worker does not precache their keys. Returns the files removed.
 */
export async function pruneUnusedCircuits(outDir: string, used: readonly string[]): Promise<string[]> {
  let manifest: { circuits?: { name: string; files: Record<string, { path: string }> }[] };
  try {
    manifest = JSON.parse(await readFile(join(outDir, "zk/manifest.json"), "utf8"));
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const c of manifest.circuits ?? []) {
    if (used.includes(c.name)) continue;
    for (const f of Object.values(c.files)) {
      await rm(join(outDir, f.path), { force: true });
      removed.push(f.path);
    }
  }
  return removed;
}

/**
 * The Vite plugin: drop unused circuits' artifacts as the bundle is written (before the service
 * worker lists what to precache), precompress dist/ after the build (last), and serve the variants in
 * `vite preview`.
 */
export function precompressed(usedCircuits: readonly string[]): Plugin {
  let config: ResolvedConfig;
  return {
    name: "zkusd-precompressed",
    configResolved(resolved) {
      config = resolved;
    },
    writeBundle: {
      order: "post",
      sequential: true,
      async handler() {
        if (config.command !== "build") return;
        await pruneUnusedCircuits(resolve(config.root, config.build.outDir), usedCircuits);
      },
    },
    closeBundle: {
      order: "post",
      sequential: true,
      async handler() {
        if (config.command !== "build" || config.build.write === false) return;
        const outDir = resolve(config.root, config.build.outDir);
        await precompressDir(outDir, resolve(config.root, "node_modules/.cache/zkusd-precompress"));
      },
    },
    configurePreviewServer(server) {
      const outDir = resolve(server.config.root, server.config.build.outDir);
      server.middlewares.use(
        precompressedMiddleware(outDir, server.config.preview.headers as Record<string, string>),
      );
    },
  };
}
