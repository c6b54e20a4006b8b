/** `zkusd replay FILE.json`: runs a scenario through the engine and prints one JSON document. */
import { readFile } from "node:fs/promises";
import type { Command } from "commander";
import { initPoseidon } from "../protocol/poseidon.ts";
import { runScenario } from "../protocol/scenario.ts";

export function registerReplay(replay: Command): void {
  replay.argument("<file>", "scenario JSON file").action(async (file: string) => {
    let text: string;
    let input: unknown;
    try {
      text = await readFile(file, "utf8");
      input = JSON.parse(text);
    } catch (error) {
      process.stderr.write(`zkusd replay: cannot read ${file}: ${(error as Error).message}\n`);
      process.exitCode = 1;
      return;
    }
    await initPoseidon();
    try {
      process.stdout.write(`${JSON.stringify(runScenario(input), null, 2)}\n`);
    } catch (error) {
      process.stderr.write(`zkusd replay: ${(error as Error).message}\n`);
      process.exitCode = 1;
    }
  });
}
