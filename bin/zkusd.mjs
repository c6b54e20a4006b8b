#!/usr/bin/env node
// Entry point of the `zkusd` CLI: runs the TypeScript sources through tsx's loader, so the CLI
// executes exactly the engine code the app ships (no separate build step).
import { register } from "tsx/esm/api";

register();
const { main } = await import("../src/cli/main.ts");
process.exitCode = await main(process.argv.slice(2));
