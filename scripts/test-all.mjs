#!/usr/bin/env node
// `npm test`: every check, in order, stopping at the first failure:
//   typecheck (tsc; then the engine alone without DOM or Node types) → lint and format (biome) → unit, property and integration tests (vitest)
//   → circuits (recompile every circuit, compare its r1cs SHA-256 with public/zk/manifest.json; the
//   ceremony itself is never rerun) → end-to-end tests in Chromium (vitest.e2e.config.ts; see e2e/support/).
// On a fresh clone it first installs the locked dependencies and, as root on Debian, Chromium.
// `npm test -- e2e` (or any step names) runs only those steps.
// Only Node built-ins are imported: dependencies may not be installed yet.
import { join } from "node:path";
import { ensureChromium, ensureDependencies, log, ROOT, run } from "./lib/bootstrap.mjs";

const bin = (name) => join(ROOT, "node_modules", ".bin", name);

const STEPS = [
  { name: "typecheck", command: bin("tsc"), args: ["--noEmit", "-p", "tsconfig.json"] },
  // The engine alone, with no DOM or Node types: it must run the same in a worker, in Node and in replay.
  { name: "engine-types", command: bin("tsc"), args: ["--noEmit", "-p", "tsconfig.engine.json"] },
  { name: "lint", command: bin("biome"), args: ["check", "."] },
  { name: "unit", command: bin("vitest"), args: ["run"] },
  {
    name: "circuits",
    command: process.execPath,
    args: [join(ROOT, "scripts/circuits/build.mjs"), "--check"],
  },
  {
    name: "e2e",
    command: bin("vitest"),
    args: ["run", "--config", "vitest.e2e.config.ts"],
    needsChromium: true,
  },
];

const only = process.argv.slice(2);
const unknown = only.filter((name) => !STEPS.some((step) => step.name === name));
if (unknown.length > 0) {
  log(`unknown step(s): ${unknown.join(", ")}; steps are ${STEPS.map((s) => s.name).join(", ")}`);
  process.exit(2);
}
const steps = only.length > 0 ? STEPS.filter((step) => only.includes(step.name)) : STEPS;

try {
  ensureDependencies();
  if (steps.some((step) => step.needsChromium)) ensureChromium();
} catch (error) {
  log(error.message);
  process.exit(1);
}

const results = [];
for (const step of steps) {
  log(`── ${step.name}: ${[step.command.replace(`${ROOT}/`, ""), ...step.args].join(" ")}`);
  const started = Date.now();
  const ok = run(step.command, step.args, {
    env: { ...process.env, FORCE_COLOR: process.env.FORCE_COLOR ?? "1" },
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  results.push({ name: step.name, ok, seconds });
  log(`── ${step.name}: ${ok ? "passed" : "FAILED"} in ${seconds} s`);
  if (!ok) break;
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
const skipped = steps.length - results.length;
log(results.map((r) => `${r.name} ${r.ok ? "ok" : "FAILED"} (${r.seconds} s)`).join(", "));
log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} not run` : ""}`);
process.exit(failed > 0 ? 1 : 0);
