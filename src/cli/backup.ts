/**
 * `zkusd backup create|verify|restore|list` over a file-backed store (the guardian's and the CLI's;
 * the browser keeps the same records in IndexedDB). Backup files follow docs/decisions.md §7 (src/storage/backup.ts).
 * Exit codes: 0 ok, 1 unreadable file or store, 3 refused (every BackupError: corrupted, truncated, newer
 * format, state root, trusted root, another chain than the store's); the message names the check.
 */
import { readFile, writeFile } from "node:fs/promises";
import type { Command } from "commander";
import { initPoseidon } from "../protocol/index.ts";
import { openFileStore } from "../storage/file.ts";
import { BackupError, createBackup, readBackup, restoreBackup } from "../storage/index.ts";

const DEFAULT_STORE = ".zkusd/store.json";
const EXIT_BAD_INPUT = 1;
const EXIT_REFUSED = 3;

function fail(command: string, error: unknown): void {
  const refused = error instanceof BackupError;
  process.stderr.write(`zkusd backup ${command}: ${(error as Error).message}\n`);
  process.exitCode = refused ? EXIT_REFUSED : EXIT_BAD_INPUT;
}

const print = (value: unknown) => process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);

export function registerBackup(backup: Command): void {
  backup
    .command("create")
    .description("write a backup file of the store")
    .requiredOption("--out <file>", "backup file to write")
    .option("--store <file>", "file-backed store", DEFAULT_STORE)
    .action(async (opts: { out: string; store: string }) => {
      try {
        const store = await openFileStore(opts.store);
        const head = await store.head();
        if (!head) throw new Error(`${opts.store}: the store is empty`);
        const bytes = await createBackup(store);
        await writeFile(opts.out, bytes);
        print({ file: opts.out, bytes: bytes.length, height: head.height, root: head.root });
      } catch (error) {
        fail("create", error);
      }
    });

  backup
    .command("verify")
    .description("check a backup file completely (checksum, format, state root) without restoring it")
    .argument("<file>", "backup file")
    .action(async (file: string) => {
      try {
        await initPoseidon();
        const { header, snapshot } = readBackup(new Uint8Array(await readFile(file)));
        print({
          ...header,
          chain: header.chain ?? null,
          createdAt: new Date(header.createdAt).toISOString(),
          events: snapshot.events.length,
          spells: snapshot.spells.length,
          rejected: snapshot.rejected.length,
        });
      } catch (error) {
        fail("verify", error);
      }
    });

  backup
    .command("restore")
    .description(
      "replace the store's state with a verified backup of the same chain (refused files change nothing; settings are never imported)",
    )
    .argument("<file>", "backup file")
    .option("--store <file>", "file-backed store", DEFAULT_STORE)
    .option("--root <hex>", "trusted state root the backup must have (checkpoint)")
    .action(async (file: string, opts: { store: string; root?: string }) => {
      try {
        await initPoseidon();
        const bytes = new Uint8Array(await readFile(file));
        const store = await openFileStore(opts.store);
        const header = await restoreBackup(store, bytes, opts.root);
        print({ restored: file, store: opts.store, height: header.height, root: header.root });
      } catch (error) {
        fail("restore", error);
      }
    });

  backup
    .command("list")
    .description("list the automatic backups kept in the store")
    .option("--store <file>", "file-backed store", DEFAULT_STORE)
    .action(async (opts: { store: string }) => {
      try {
        const store = await openFileStore(opts.store);
        print(
          (await store.listBackups()).map((b) => ({ ...b, createdAt: new Date(b.createdAt).toISOString() })),
        );
      } catch (error) {
        fail("list", error);
      }
    });
}
