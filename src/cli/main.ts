/**
 * The `zkusd` command line (Node). Each command lives in its own module, imported only when the
 * command runs (the command table below); exit codes (docs/cli.md): 0 success, 1 bad input or unreadable file, 2 usage error,
 * 3 operation refused or source unavailable, 4 alerts firing (monitor watch).
 */
import { Command, CommanderError } from "commander";
import { CIRCUIT_NAMES } from "../zk/circuits.ts";

export const EXIT = { ok: 0, badInput: 1, usage: 2, refused: 3, alertFiring: 4 } as const;

/** Fills in a top-level command (options, subcommands, action); main gives it its name and summary. */
type Define = (cmd: Command) => void;

/**
 * The command table: each top-level command's name, one-line summary and module. A module is imported
 * only when its command runs (or its help is asked for), so `zkusd --help` and a light command do not
 * load the engine, the guardian daemon or the prover.
 */
const COMMANDS: readonly { name: string; summary: string; load: () => Promise<Define> }[] = [
  {
    name: "replay",
    summary:
      "replay a scenario file (docs/scenarios.md) and print the steps' outcomes and the final state as JSON",
    load: async () => (await import("./replay.ts")).registerReplay,
  },
  {
    name: "oracle",
    summary: "exchange prices as the app's oracle reads them",
    load: async () => (await import("./oracle.ts")).registerOracle,
  },
  {
    name: "prove",
    summary: `prove a circuit input (${CIRCUIT_NAMES.join(", ")}); writes proof.json, public.json, verification_key.json`,
    load: async () => (await import("./zk.ts")).registerZkProve,
  },
  {
    name: "verify",
    summary: "verify DIR/proof.json and DIR/public.json against DIR/verification_key.json",
    load: async () => (await import("./zk.ts")).registerZkVerify,
  },
  {
    name: "backup",
    summary: "back up, verify and restore the protocol state",
    load: async () => (await import("./backup.ts")).registerBackup,
  },
  {
    name: "guardian",
    summary: "run a guardian daemon (settlements, price attestations, /v1 API)",
    load: async () => (await import("./guardian.ts")).registerGuardian,
  },
  {
    name: "status",
    summary:
      "system summary: TCR, recovery mode, collateral, debt, pool, price, vaults at risk, health score",
    load: async () => (await import("./status.ts")).registerStatus,
  },
  {
    name: "vault",
    summary: "vaults: list, one vault, vaults at risk, collateral ratios",
    load: async () => (await import("./vault.ts")).registerVault,
  },
  {
    name: "pool",
    summary: "the stability pool: size, coverage, depositors",
    load: async () => (await import("./pool.ts")).registerPool,
  },
  {
    name: "custody",
    summary: "protocol coins, open obligations, custody invariant status and breaches (docs/custody.md)",
    load: async () => (await import("./custody.ts")).registerCustody,
  },
  {
    name: "governance",
    summary: "protocol parameters, proposals and voting power",
    load: async () => (await import("./governance.ts")).registerGovernance,
  },
  {
    name: "config",
    summary: "show, change and check the operator config file",
    load: async () => (await import("./config.ts")).registerConfig,
  },
  {
    name: "monitor",
    summary: "alert rules, a watch loop with notifications, and metric export",
    load: async () => (await import("./monitor.ts")).registerMonitor,
  },
];

/**
 * The program for `argv`: every command named with its summary, and the one `argv` runs (or asks help
 * for: `zkusd help X`, `zkusd X --help`) filled in from its module.
 */
export async function buildProgram(argv: readonly string[]): Promise<Command> {
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
    .hook("preAction", async () => (await import("../protocol/poseidon.ts")).initPoseidon());
  const words = argv.filter((a) => !a.startsWith("-"));
  const named = words[0] === "help" ? words[1] : words[0];
  for (const { name, summary, load } of COMMANDS) {
    const cmd = program.command(name).description(summary);
    if (name === named) (await load())(cmd);
  }
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = await buildProgram(argv);
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
