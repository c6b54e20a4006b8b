/**
 * Proving artifacts (circuit wasm, zkey, verification key) described by public/zk/manifest.json.
 * Each file is fetched once, its SHA-256 checked against the manifest before use (a mismatch is a
 * ZkError, never a fallback), and cached: in memory always, and in a persistent store when one is
 * given (Cache Storage in the browser, keyed by the file's SHA-256, so a new manifest never reads a
 * stale file).
 */
import { hex } from "@scure/base";
import { type CircuitName, ZkError } from "./circuits.ts";
import type { VerificationKey } from "./verifier.ts";

export interface ManifestFile {
  /** Path relative to the artifact base (e.g. "zk/mint.zkey"). */
  path: string;
  sha256: string;
  bytes: number;
}

export interface ManifestCircuit {
  name: CircuitName;
  constraints: number;
  nPublic: number;
  r1csSha256: string;
  files: { wasm: ManifestFile; zkey: ManifestFile; vkey: ManifestFile };
}

export interface Manifest {
  version: number;
  circuits: ManifestCircuit[];
  /** "Template:line" of a constraint → the rule it enforces (readable proving errors). */
  rules: Record<string, string>;
}

export type ArtifactKind = "wasm" | "zkey" | "vkey";

/** Reads a file by its manifest path ("zk/mint.wasm"). */
export type ArtifactSource = (path: string) => Promise<Uint8Array>;

/** A persistent byte cache keyed by SHA-256 hex. */
export interface ArtifactStore {
  get(sha256: string): Promise<Uint8Array | undefined>;
  put(sha256: string, bytes: Uint8Array): Promise<void>;
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return hex.encode(new Uint8Array(digest));
}

/** Fetches artifacts over HTTP below `base` (the app serves public/ at its root: base "/"). */
export function fetchSource(base = "/", fetchFn: typeof fetch = fetch): ArtifactSource {
  return async (path) => {
    const url = new URL(path, new URL(base, globalThis.location?.href ?? "http://localhost/")).href;
    const response = await fetchFn(url);
    if (!response.ok) throw new ZkError("artifactMissing", `${url}: HTTP ${response.status}.`);
    return new Uint8Array(await response.arrayBuffer());
  };
}

/** Cache Storage (browser, service-worker-free): survives reloads, keyed by SHA-256. */
export function cacheStorageStore(name = "zkusd-zk-artifacts-v1"): ArtifactStore | undefined {
  if (typeof caches === "undefined") return undefined;
  const key = (sha: string) => `https://zkusd.invalid/artifact/${sha}`;
  return {
    async get(sha) {
      const hit = await (await caches.open(name)).match(key(sha));
      return hit ? new Uint8Array(await hit.arrayBuffer()) : undefined;
    },
    async put(sha, bytes) {
      await (await caches.open(name)).put(key(sha), new Response(bytes as Uint8Array<ArrayBuffer>));
    },
  };
}

export class ArtifactLoader {
  private manifestPromise: Promise<Manifest> | undefined;
  private readonly memory = new Map<string, Promise<Uint8Array>>();

  constructor(
    private readonly source: ArtifactSource,
    private readonly store?: ArtifactStore,
    private readonly manifestPath = "zk/manifest.json",
  ) {}

  manifest(): Promise<Manifest> {
    this.manifestPromise ??= this.source(this.manifestPath).then((bytes) => {
      const m = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
      if (m.version !== 1 || !Array.isArray(m.circuits)) {
        throw new ZkError("artifactMissing", `${this.manifestPath} is not a version 1 manifest.`);
      }
      return m;
    });
    return this.manifestPromise;
  }

  async circuit(name: CircuitName): Promise<ManifestCircuit> {
    const c = (await this.manifest()).circuits.find((x) => x.name === name);
    if (!c) throw new ZkError("artifactMissing", `the manifest has no circuit "${name}".`);
    return c;
  }

  /** The bytes of one artifact, SHA-256-checked against the manifest. */
  async load(name: CircuitName, kind: ArtifactKind): Promise<Uint8Array> {
    const file = (await this.circuit(name)).files[kind];
    let pending = this.memory.get(file.sha256);
    if (!pending) {
      pending = this.fetchChecked(file);
      this.memory.set(file.sha256, pending);
      pending.catch(() => this.memory.delete(file.sha256));
    }
    return pending;
  }

  async verificationKey(name: CircuitName): Promise<VerificationKey> {
    return JSON.parse(new TextDecoder().decode(await this.load(name, "vkey"))) as VerificationKey;
  }

  private async fetchChecked(file: ManifestFile): Promise<Uint8Array> {
    const cached = await this.store?.get(file.sha256).catch(() => undefined);
    if (cached && (await sha256Hex(cached)) === file.sha256) return cached;
    const bytes = await this.source(file.path);
    const got = await sha256Hex(bytes);
    if (got !== file.sha256) {
      throw new ZkError(
        "artifactHashMismatch",
        `${file.path}: SHA-256 ${got}, manifest says ${file.sha256}.`,
      );
    }
    await this.store?.put(file.sha256, bytes).catch(() => undefined); // quota errors only cost a refetch
    return bytes;
  }
}
