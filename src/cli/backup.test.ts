import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  initPoseidon,
  serializeState,
  stateRoot,
} from "../protocol/index.ts";
import { openFileStore } from "../storage/file.ts";
import { CHAIN_SETTING } from "../storage/index.ts";
import { main } from "./main.ts";

let dir: string;
let root: string;

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const o = vi.spyOn(process.stdout, "write").mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    err += String(s);
    return true;
  });
  process.exitCode = undefined;
  try {
    return { code: await main(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

beforeAll(async () => {
  await initPoseidon();
  dir = await mkdtemp(join(tmpdir(), "zkusd-cli-backup-"));
  const state = createGenesisState({ ...DEFAULT_PARAMS }, { time: 1_700_000_000n, height: 9n });
  const r = apply(
    state,
    { type: "setPrice", price: 50_000n * 10n ** 18n },
    { height: 9n, time: 1_700_000_060n },
  );
  if (!r.ok) throw r.error;
  root = stateRoot(state);
  const store = await openFileStore(join(dir, "store.json"));
  await store.initHead({
    height: 9,
    hash: "00".repeat(32),
    time: 1_700_000_060,
    root,
    state: serializeState(state),
  });
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe("zkusd backup", () => {
  it("creates, verifies and restores a backup with the same root", async () => {
    const file = join(dir, "b.zkb");
    const created = await run("backup", "create", "--store", join(dir, "store.json"), "--out", file);
    expect(created.code).toBe(0);
    const verified = await run("backup", "verify", file);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.out)).toMatchObject({ height: 9, root, version: 2 });
    const restored = await run("backup", "restore", file, "--store", join(dir, "copy.json"), "--root", root);
    expect(restored.code).toBe(0);
    expect((await (await openFileStore(join(dir, "copy.json"))).head())?.root).toBe(root);
    expect((await run("backup", "list", "--store", join(dir, "copy.json"))).out.trim()).toBe("[]");
  });

  it("refuses a corrupted file with exit code 3 and leaves the store alone", async () => {
    const file = join(dir, "b.zkb");
    const bad = new Uint8Array(await readFile(file));
    bad[100]! ^= 0xff;
    await writeFile(join(dir, "bad.zkb"), bad);
    const target = join(dir, "untouched.json");
    const result = await run("backup", "restore", join(dir, "bad.zkb"), "--store", target);
    expect(result.code).toBe(3);
    expect(result.err).toMatch(/checksum/);
    await expect(readFile(target)).rejects.toThrow(/ENOENT/);
    expect((await run("backup", "verify", join(dir, "bad.zkb"))).code).toBe(3);
  });

  it("refuses another chain's file with exit code 3 and a sentence that says so", async () => {
    const source = await openFileStore(join(dir, "regtest.json"));
    await source.initHead((await (await openFileStore(join(dir, "store.json"))).head())!);
    await source.setSetting(CHAIN_SETTING, { network: "regtest", startHeight: 10, anchor: "ab".repeat(32) });
    const file = join(dir, "regtest.zkb");
    expect((await run("backup", "create", "--store", join(dir, "regtest.json"), "--out", file)).code).toBe(0);
    const verified = JSON.parse((await run("backup", "verify", file)).out);
    expect(verified.chain).toEqual({ network: "regtest", startHeight: 10, anchor: "ab".repeat(32) });
    const target = await openFileStore(join(dir, "signet.json"));
    await target.setSetting(CHAIN_SETTING, { network: "signet", startHeight: 10, anchor: "cd".repeat(32) });
    const result = await run("backup", "restore", file, "--store", join(dir, "signet.json"));
    expect(result.code).toBe(3);
    expect(result.err).toMatch(
      /another chain than the one this client follows\. \(chain check: the file is of regtest/,
    );
    expect(await (await openFileStore(join(dir, "signet.json"))).head()).toBeUndefined();
  });
});
