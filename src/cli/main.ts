/**
 * The `zkusd` command line (Node). Each command lives in its own module and registers itself on the
 * program; exit codes (docs/cli.md): 0 success, 1 bad input or unreadable file, 2 usage error,
 * 3 operation refused or source unavailable, 4 alerts firing (monitor watch).
 */
import { Command, CommanderError } from "commander";
import { initPoseidon } from "../protocol/index.ts";
import { registerBackup } from "./backup.ts";
import { registerConfig } from "./config.ts";
import { registerCustody } from "./custody.ts";
import { registerGovernance } from "./governance.ts";
import { registerGuardian } from "./guardian.ts";
import { registerMonitor } from "./monitor.ts";
import { registerOracle } from "./oracle.ts";
import { registerPool } from "./pool.ts";
import { registerReplay } from "./replay.ts";
import { registerStatus } from "./status.ts";
import { registerVault } from "./vault.ts";
import { registerZk } from "./zk.ts";

export const EXIT = { ok: 0, badInput: 1, usage: 2, refused: 3, alertFiring: 4 } as const;

export function buildProgram(): Command {
  const program = new Command("zkusd")
    .description("zkUSD operator and developer CLI: replay scenarios, read prices, prove, back up")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .addHelpText(
      "after",
      "\nData sources: --from-scenario FILE, --store FILE, --backup FILE or --guardian URL (or guardian in\n" +
        "~/.zkusd/config.json). Output: --format text|table|json|minimal.\n" +
        "Exit codes: 0 ok, 1 bad input, 2 usage, 3 refused or unavailable, 4 alerts firing. See docs/cli.md.",
    )
    // Every command may hash (state roots, vault proofs, price attestations): the one Poseidon is built
    // before any action runs (docs/decisions.md §7 "One Poseidon").
    .hook("preAction", () => initPoseidon());
  registerReplay(program);
  registerOracle(program);
  registerZk(program);
  registerBackup(program);
  registerGuardian(program);
  registerStatus(program);
  registerVault(program);
  registerPool(program);
  registerCustody(program);
  registerGovernance(program);
  registerConfig(program);
  registerMonitor(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return typeof process.exitCode === "number" ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`zkusd: ${(error as Error).message}\n`);
    return EXIT.badInput;
  }
}
