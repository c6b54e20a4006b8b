// Fresh-clone bootstrap for `npm start` and `npm test`, with Node built-ins only (a fresh clone has no
// node_modules yet): installs the locked dependencies when they are missing, and finds (or, as root on
// Debian, installs) the Chromium the end-to-end tests drive.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function log(message) {
  process.stdout.write(`[zkusd] ${message}\n`);
}

/** Runs a command with inherited output; returns true on exit code 0. */
export function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: ROOT, stdio: "inherit", ...options });
  if (result.error) log(`${command}: ${result.error.message}`);
  return result.status === 0;
}

/** `npm ci` when node_modules is missing (falls back to `npm install` if the lock is out of sync). */
export function ensureDependencies() {
  const installed =
    existsSync(join(ROOT, "node_modules", ".package-lock.json")) &&
    existsSync(join(ROOT, "node_modules", "vite", "package.json"));
  if (installed) return;
  log("node_modules is missing: installing the locked dependencies (npm ci)…");
  const npmArgs = ["--no-audit", "--no-fund"];
  if (run("npm", ["ci", ...npmArgs])) return;
  log("npm ci failed (is package-lock.json out of sync with package.json?); trying npm install…");
  if (!run("npm", ["install", ...npmArgs])) {
    throw new Error("could not install dependencies: see the npm output above");
  }
}

/** Finds Chromium; as root with apt-get, installs Debian's package; otherwise explains how. */
export function ensureChromium() {
  if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
  const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
  if (isRoot && existsSync("/usr/bin/apt-get")) {
    log(`${CHROMIUM_PATH} is missing: installing Debian's chromium (apt-get)…`);
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    if (run("apt-get", ["update"], { env }) && run("apt-get", ["install", "-y", "chromium"], { env })) {
      if (existsSync(CHROMIUM_PATH)) return CHROMIUM_PATH;
    }
  }
  throw new Error(
    `Chromium not found at ${CHROMIUM_PATH}. Install it (Debian/Ubuntu: sudo apt-get install -y chromium) ` +
      "or set CHROMIUM_PATH to a Chromium or Chrome binary.",
  );
}
