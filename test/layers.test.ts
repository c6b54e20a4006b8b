/**
 * The layer rules of biome.json (docs/ARCHITECTURE.md "Layers"): each forbidden import is a lint error,
 * so `npm test` fails on it. Each case lints a probe file placed in the folder it speaks for, in a copy
 * of the repository's biome.json, and expects the rule's own message (or a clean lint for the allowed).
 */
import { execFile } from "node:child_process";
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
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

  it("a module in one of the engine's folders imports nothing outside src/protocol either", async () => {
    for (const specifier of ["../../btc/esplora.ts", "../../client/index.ts", "node:fs"]) {
      const { code, output } = await lint("src/protocol/governance/probe.ts", use(specifier));
      expect(code, specifier).not.toBe(0);
      expect(output, specifier).toMatch(/The engine \(src\/protocol\/\) is pure/);
    }
    for (const specifier of ["../decimal.ts", "./types.ts"]) {
      const { code, output } = await lint("src/protocol/governance/probe.ts", use(specifier));
      expect(output, specifier).not.toMatch(/noRestrictedImports/);
      expect(code, specifier).toBe(0);
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

describe("the screens render; the client layer does the rest", () => {
  const SCREENS = /The screens \(src\/ui\/\) import only the client layer's faces/;
  // Probes at each depth of src/ui/ (a relative path's meaning depends on where the file stands).
  const forbidden: [string, string][] = [
    ["src/ui/probe.ts", "../btc/esplora.ts"],
    ["src/ui/probe.ts", "../workers/engine.worker.ts"],
    ["src/ui/pages/probe.tsx", "../../client/tx/flow.ts"],
    ["src/ui/pages/probe.tsx", "../../protocol/decimal.ts"],
    ["src/ui/pages/probe.tsx", "../../settlement/inflow.ts"],
    ["src/ui/components/charts/probe.tsx", "../../../storage/index.ts"],
    ["src/ui/components/charts/probe.tsx", "../../../client/format.ts"],
  ];

  it("a screen importing around the client's face or the engine's faces fails the lint", async () => {
    for (const [file, specifier] of forbidden) {
      const { code, output } = await lint(file, use(specifier));
      expect(code, `${file} ${specifier}`).not.toBe(0);
      expect(output, `${file} ${specifier}`).toMatch(SCREENS);
    }
  });

  it("the client's face, the engine's faces, the screens' own modules and packages are allowed", async () => {
    const allowed: [string, string][] = [
      ["src/ui/probe.ts", "../client/index.ts"],
      ["src/ui/probe.ts", "./pages/VaultPage.tsx"],
      ["src/ui/pages/probe.tsx", "../../client/index.ts"],
      ["src/ui/pages/probe.tsx", "../../client/tx/index.ts"],
      ["src/ui/pages/probe.tsx", "../../protocol/index.ts"],
      ["src/ui/pages/probe.tsx", "../../governance/index.ts"],
      ["src/ui/pages/probe.tsx", "../components/forms.tsx"],
      ["src/ui/pages/probe.tsx", "react"],
      ["src/ui/components/charts/probe.tsx", "../../../client/index.ts"],
      ["src/ui/components/charts/probe.tsx", "../../queries/keys.ts"],
    ];
    for (const [file, specifier] of allowed) {
      const { code, output } = await lint(file, use(specifier));
      expect(output, `${file} ${specifier}`).not.toMatch(/noRestrictedImports/);
      expect(code, `${file} ${specifier}`).toBe(0);
    }
  });

  it("the client layer holds no React and never imports the screens", async () => {
    for (const [file, specifier] of [
      ["src/client/probe.ts", "react"],
      ["src/client/tx/probe.ts", "zustand"],
      ["src/client/tx/probe.ts", "@tanstack/react-query"],
      ["src/client/tx/probe.ts", "../../ui/queries/bitcoin.ts"],
    ]) {
      const { code, output } = await lint(file!, use(specifier!));
      expect(code, `${file} ${specifier}`).not.toBe(0);
      expect(output, `${file} ${specifier}`).toMatch(/The client layer \(src\/client\/\) holds no React/);
    }
    for (const [file, specifier] of [
      ["src/client/probe.ts", "../btc/esplora.ts"],
      ["src/client/tx/probe.ts", "../format.ts"],
    ]) {
      const { code, output } = await lint(file!, use(specifier!));
      expect(output, `${file} ${specifier}`).not.toMatch(/noRestrictedImports/);
      expect(code, `${file} ${specifier}`).toBe(0);
    }
  });
});

/** Import cycles among a folder's modules (type imports count: a cycle of types is still a knot to read). */
function importCycles(folder: string): string[] {
  const files = (readdirSync(folder, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
    .map((f) => resolve(folder, f));
  const edges = new Map(
    files.map((f) => [
      f,
      [...readFileSync(f, "utf8").matchAll(/from "(\.[^"]+)"/g)]
        .map((m) => resolve(dirname(f), m[1]!))
        .filter((t) => files.includes(t)),
    ]),
  );
  const cycles: string[] = [];
  const path: string[] = [];
  const done = new Set<string>();
  const visit = (f: string) => {
    path.push(f);
    for (const t of edges.get(f) ?? []) {
      const at = path.indexOf(t);
      if (at >= 0) cycles.push([...path.slice(at), t].map((x) => relative(folder, x)).join(" → "));
      else if (!done.has(t)) visit(t);
    }
    path.pop();
    done.add(f);
  };
  for (const f of files) if (!done.has(f)) visit(f);
  return cycles;
}

describe("the engine reads in one direction", () => {
  it("no module of src/protocol/ imports one that imports it back", () => {
    expect(importCycles(join(ROOT, "src", "protocol"))).toEqual([]);
  });
});

describe("the settlement module depends only on the engine and the Bitcoin codecs", () => {
  const SETTLEMENT = /The settlement module \(src\/settlement\/\) is pure/;

  it("refuses the indexer, the guardians, the client, the Esplora client and Node built-ins", async () => {
    for (const specifier of [
      "../indexer/custody.ts",
      "../guardian/index.ts",
      "../client/index.ts",
      "../protocol/custody.ts",
      "../btc/esplora.ts",
      "node:fs",
    ]) {
      const { code, output } = await lint("src/settlement/probe.ts", use(specifier));
      expect(code, specifier).not.toBe(0);
      expect(output, specifier).toMatch(SETTLEMENT);
    }
  });

  it("allows the engine's face, the Bitcoin codecs and its own modules; its tests may use the indexer", async () => {
    for (const specifier of [
      "../protocol/index.ts",
      "../btc/scripts.ts",
      "../btc/spell.ts",
      "./obligations.ts",
    ]) {
      const { code, output } = await lint("src/settlement/probe.ts", use(specifier));
      expect(output, specifier).not.toMatch(/noRestrictedImports/);
      expect(code, specifier).toBe(0);
    }
    const { output } = await lint("src/settlement/probe.test.ts", use("../indexer/custody.ts"));
    expect(output).not.toMatch(/noRestrictedImports/);
  });
});
