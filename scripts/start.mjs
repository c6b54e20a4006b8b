#!/usr/bin/env node
// `npm start`: installs dependencies if this is a fresh clone, builds the app, serves it on localhost
// (PORT or 5173) and starts the local services (regtest chain + Esplora, price feed, guardians) that
// exist so far; see scripts/lib/stack.ts. Ctrl-C stops everything.
// Only Node built-ins are imported statically: the rest loads after the dependency check.
import { ensureDependencies, log } from "./lib/bootstrap.mjs";

try {
  ensureDependencies();
} catch (error) {
  log(error.message);
  process.exit(1);
}

const { register } = await import("tsx/esm/api");
register();
const { startStack } = await import("./lib/stack.ts");

let stack;
try {
  stack = await startStack();
} catch (error) {
  log(`could not start: ${error.message}`);
  process.exit(1);
}

log(`zkUSD web is running at ${stack.url}  (Ctrl-C to stop)`);

let stopping = false;
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  log(`${signal}: stopping…`);
  await stack.close();
  process.exit(0);
}
process.on("SIGINT", () => void stop("SIGINT"));
process.on("SIGTERM", () => void stop("SIGTERM"));
