/**
 * The layer rules of biome.json (docs/ARCHITECTURE.md "Layers"): each forbidden import is a lint error,
 * so `npm test` fails on it. Each case lints a probe file placed in the folder it speaks for, in a copy
 * of the repository's biome.json, and expects the rule's own message (or a clean lint for the allowed).
 */
import { execFile } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "..");
const BIOME = join(ROOT, "node_modules", ".bin", "biome");
const work = mkdtempSync(join(tmpdir(), "zkusd-layers-"));
copyFileSync(join(ROOT, "biome.json"), join(work, "biome.json"));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function lint(file: string, source: string): Promise<{ code: number; output: string }> {
  const path = join(work, file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, source);
  return new Promise((resolve) => {
    execFile(
      BIOME,
      ["lint", "--config-path", work, "--colors=off", path],
      { cwd: work, timeout: 60_000 },
      (error, stdout, stderr) =>
        resolve({ code: error ? Number(error.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
  });
}

const use = (specifier: string) => `import * as m from "${specifier}";\n\nexport const used = m;\n`;

describe("layers enforced by the lint", () => {
  it("the engine imports nothing outside src/protocol and no Node built-in", async () => {
    for (const specifier of ["../btc/esplora.ts", "../storage/index.ts", "node:fs"]) {
      const { code, output } = await lint("src/protocol/probe.ts", use(specifier));
      expect(code, specifier).not.toBe(0);
      expect(output, specifier).toMatch(/The engine \(src\/protocol\/\) is pure/);
    }
  });

  it("the engine's own modules and its audited packages are allowed", async () => {
    for (const specifier of ["./decimal.ts", "@noble/hashes/sha2.js"]) {
      const { code, output } = await lint("src/protocol/probe.ts", use(specifier));
      expect(output, specifier).not.toMatch(/noRestrictedImports/);
      expect(code, specifier).toBe(0);
    }
  });

  it("engine tests may read fixtures outside the engine", async () => {
    const { output } = await lint("src/protocol/probe.test.ts", use("../../scripts/circuits/scenario.ts"));
    expect(output).not.toMatch(/noRestrictedImports/);
  });
});
