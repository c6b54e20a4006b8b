import { describe, expect, it } from "vitest";
import { ArtifactLoader, type ArtifactStore, type Manifest, sha256Hex } from "./artifacts.ts";
import { explainWitnessError } from "./prover.ts";

const enc = (s: string) => new TextEncoder().encode(s);

async function fixture(files: Record<string, Uint8Array>, lie?: string) {
  const entry = async (path: string) => ({
    path,
    sha256: path === lie ? "00".repeat(32) : await sha256Hex(files[path]!),
    bytes: files[path]!.length,
  });
  const manifest: Manifest = {
    version: 1,
    rules: {},
    circuits: [
      {
        name: "vault",
        constraints: 1,
        nPublic: 4,
        r1csSha256: "",
        files: {
          wasm: await entry("zk/vault.wasm"),
          zkey: await entry("zk/vault.zkey"),
          vkey: await entry("zk/vault.vkey.json"),
        },
      },
    ],
  };
  const all: Record<string, Uint8Array> = { ...files, "zk/manifest.json": enc(JSON.stringify(manifest)) };
  const reads: string[] = [];
  const source = async (path: string) => {
    reads.push(path);
    const f = all[path];
    if (!f) throw new Error(`no ${path}`);
    return f;
  };
  return { source, reads };
}

const files = {
  "zk/vault.wasm": enc("wasm"),
  "zk/vault.zkey": enc("zkey"),
  "zk/vault.vkey.json": enc('{"nPublic":4}'),
};

describe("artifact loader", () => {
  it("loads a file once and serves it from memory after", async () => {
    const { source, reads } = await fixture(files);
    const loader = new ArtifactLoader(source);
    expect(new TextDecoder().decode(await loader.load("vault", "zkey"))).toBe("zkey");
    await loader.load("vault", "zkey");
    expect(reads.filter((r) => r === "zk/vault.zkey")).toHaveLength(1);
  });

  it("refuses a file whose SHA-256 is not the manifest's, with a clear error", async () => {
    const { source } = await fixture(files, "zk/vault.wasm");
    const loader = new ArtifactLoader(source);
    await expect(loader.load("vault", "wasm")).rejects.toThrow(
      /does not match the manifest's SHA-256.*zk\/vault\.wasm/,
    );
  });

  it("uses and fills a persistent store keyed by SHA-256, and ignores a corrupted entry", async () => {
    const { source, reads } = await fixture(files);
    const saved = new Map<string, Uint8Array>();
    const store: ArtifactStore = {
      get: async (k) => saved.get(k),
      put: async (k, v) => void saved.set(k, v),
    };
    await new ArtifactLoader(source, store).load("vault", "wasm");
    expect(saved.size).toBe(1);
    const before = reads.length;
    await new ArtifactLoader(source, store).load("vault", "wasm");
    expect(reads.slice(before)).not.toContain("zk/vault.wasm");
    for (const k of saved.keys()) saved.set(k, enc("tampered"));
    expect(new TextDecoder().decode(await new ArtifactLoader(source, store).load("vault", "wasm"))).toBe(
      "wasm",
    );
  });

  it("names a circuit the manifest lacks", async () => {
    const { source } = await fixture(files);
    const manifest = JSON.stringify({ version: 1, circuits: [], rules: {} });
    const empty: typeof source = async (path) =>
      path === "zk/manifest.json" ? new TextEncoder().encode(manifest) : source(path);
    await expect(new ArtifactLoader(empty).load("vault", "wasm")).rejects.toThrow(/no circuit "vault"/);
  });
});

describe("witness errors", () => {
  it("maps snarkjs's failing template and line to the rule", () => {
    const message =
      "Error: Assert Failed.\nError in template Num2Bits_143 line: 38\nError in template Range_144 line: 14\nError in template VaultAdjust_779 line: 60\n";
    expect(explainWitnessError(message, { "VaultAdjust:60": "amountOutOfRange" })).toBe("amountOutOfRange");
    expect(
      explainWitnessError("Error in template EdDSAPoseidonVerifier_12 line: 3", {
        "EdDSAPoseidonVerifier:*": "badSignature",
      }),
    ).toBe("badSignature");
    expect(explainWitnessError("Assert Failed.", {})).toBe("unknownConstraint");
  });
});
