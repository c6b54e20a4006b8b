/**
 * `zkusd guardian start --config guardian.json [--keys keys.json]`: runs one guardian daemon until
 * SIGINT/SIGTERM, then shuts down gracefully (in-flight requests finish, state is saved). Keys come
 * from --keys (a chmod-600 JSON file) or from ZKUSD_GUARDIAN_CUSTODY_KEY / ZKUSD_GUARDIAN_ORACLE_KEY.
 * `zkusd guardian keygen --out keys.json` writes fresh keys and prints the public member entry.
 * `zkusd guardian veto|approve-rotation <proposal>`: see guardian-spell.ts.
 * Config format: docs/guardian.md.
 */
import { readFileSync, writeFileSync } from "node:fs";
import type { Command } from "commander";
import { LOCAL_STACK } from "../devnet/local-stack.ts";
import { type GuardianConfig, startGuardian } from "../guardian/daemon.ts";
import { GuardianError } from "../guardian/errors.ts";
import { GuardianKeys } from "../guardian/keys.ts";
import { registerGuardianSpells } from "./guardian-spell.ts";

const EXIT_BAD_INPUT = 1;

function fail(message: string): void {
  process.stderr.write(`zkusd guardian: ${message}\n`);
  process.exitCode = EXIT_BAD_INPUT;
}

export function registerGuardian(guardian: Command): void {
  registerGuardianSpells(guardian);
  guardian
    .command("start")
    .description("follow the chain, attest prices and serve the guardian API until SIGTERM")
    .requiredOption("--config <file>", "guardian config JSON (docs/guardian.md)")
    .option(
      "--keys <file>",
      "key file {custodyKey, oracleKey}; default: the ZKUSD_GUARDIAN_* environment variables",
    )
    .option("--port <port>", "override the config's port")
    .action(async (o: { config: string; keys?: string; port?: string }) => {
      let config: GuardianConfig;
      let keys: GuardianKeys;
      try {
        config = JSON.parse(readFileSync(o.config, "utf8")) as GuardianConfig;
        if (o.port) config.port = Number(o.port);
        keys = o.keys ? GuardianKeys.fromFile(o.keys) : GuardianKeys.fromEnv();
      } catch (error) {
        fail(
          error instanceof GuardianError ? error.message : `config ${o.config}: ${(error as Error).message}`,
        );
        return;
      }
      const running = await startGuardian(config, keys);
      await new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
      await running.stop();
    });
  guardian
    .command("keygen")
    .description("write fresh guardian keys (mode 600) and print the public federation member entry")
    .requiredOption("--out <file>", "key file to create (must not exist)")
    .option("--name <name>", "member name", "guardian")
    .option("--url <url>", "member URL", LOCAL_STACK.guardians[0])
    .action((o: { out: string; name: string; url: string }) => {
      const { keys, custodyKey, oracleKey } = GuardianKeys.generate();
      try {
        writeFileSync(o.out, `${JSON.stringify({ custodyKey, oracleKey })}\n`, { mode: 0o600, flag: "wx" });
      } catch (error) {
        fail(`${o.out}: ${(error as Error).message}`);
        return;
      }
      process.stdout.write(
        `${JSON.stringify({
          name: o.name,
          url: o.url,
          custodyKey: keys.custodyPublicKeyHex,
          oracleKey: [keys.oraclePublicKey[0].toString(), keys.oraclePublicKey[1].toString()],
        })}\n`,
      );
    });
}
