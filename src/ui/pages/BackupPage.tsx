/**
 * Backup and restore (docs/decisions.md §7): download the state as one checksummed file; restore checks the
 * checksum and the state root before replacing anything. Both run in the data layer.
 */

import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatCount, shortHex } from "../../client/index.ts";
import { useEngine } from "../engine/EngineProvider.tsx";

type Status =
  | { kind: "idle" }
  | { kind: "busy"; what: string }
  | { kind: "done"; message: string }
  | { kind: "error"; message: string };

export default function BackupPage() {
  const { status, exportBackup, restore } = useBackup();
  // The file chosen for a restore, waiting for the user's confirmation.
  const [chosen, setChosen] = useState<File | null>(null);
  const busy = status.kind === "busy";

  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Backup</h1>
      </header>
      <div className="two-columns">
        <div className="card">
          <h2>Export</h2>
          <p>
            One file with the protocol state this browser has verified (vaults, balances, pool, prices,
            events, settings), its block height and state root, and a SHA-256 checksum. It holds no wallet
            keys.
          </p>
          <button type="button" className="button button-primary" disabled={busy} onClick={exportBackup}>
            Download backup
          </button>
        </div>
        <div className="card">
          <h2>Restore</h2>
          <p>
            Choose a backup file. Its checksum and state root are verified before anything is replaced; a file
            that fails either check is refused and your current state stays as it is.
          </p>
          {chosen ? (
            <RestoreConfirm
              file={chosen}
              onConfirm={() => {
                setChosen(null);
                void restore(chosen);
              }}
              onCancel={() => setChosen(null)}
            />
          ) : (
            <label className="button">
              Choose a backup file…
              <input
                type="file"
                accept=".zkusd,application/octet-stream"
                className="visually-hidden"
                disabled={busy}
                onChange={(e) => {
                  const file = e.target.files?.[0];
                  e.target.value = "";
                  // Nothing is replaced yet: the user confirms first (a restore is destructive).
                  if (file) setChosen(file);
                }}
              />
            </label>
          )}
        </div>
      </div>
      <BackupStatus status={status} />
    </section>
  );
}

/** Export and restore through the data layer, with the status line both report to. */
function useBackup() {
  const engine = useEngine();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const fail = (error: unknown, what: string) =>
    setStatus({
      kind: "error",
      message: /nothing to export/.test((error as Error).message)
        ? "There is nothing to back up yet: this browser has not stored any chain state. Backups become available once the app follows the chain (Health shows the sync status)."
        : `${what} failed: ${(error as Error).message}. Nothing was changed.`,
    });
  const exportBackup = async () => {
    setStatus({ kind: "busy", what: "Exporting" });
    try {
      const { bytes, header: info } = await engine.backup();
      const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: "application/octet-stream" }));
      const a = document.createElement("a");
      a.href = url;
      a.download = `zkusd-backup-${info.height}.zkusd`;
      document.body.append(a);
      a.click();
      a.remove();
      // Revoking at once can cancel the download in some browsers.
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setStatus({
        kind: "done",
        message: `Saved the state at block ${formatCount(info.height)} (root ${shortHex(info.root, 8)}).`,
      });
    } catch (error) {
      fail(error, "Export");
    }
  };
  const restore = async (file: File) => {
    setStatus({ kind: "busy", what: "Verifying and restoring" });
    try {
      const r = await engine.restore(new Uint8Array(await file.arrayBuffer()));
      await queryClient.invalidateQueries();
      setStatus({
        kind: "done",
        message: `Restored: block ${formatCount(r.height)}, root ${shortHex(r.root, 8)}.`,
      });
    } catch (error) {
      fail(error, "Restore");
    }
  };
  return { status, exportBackup, restore };
}

function RestoreConfirm({
  file,
  onConfirm,
  onCancel,
}: {
  file: File;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <div
      className="notice notice-warn"
      role="alertdialog"
      aria-labelledby="restore-confirm-title"
      data-testid="restore-confirm"
    >
      <p id="restore-confirm-title">
        <strong>Replace this browser's state with {file.name}?</strong>
      </p>
      <p>
        The state this browser holds now (vaults, balances, events, settings) is replaced by the file's, once
        its checksum and state root are verified. The app then carries on syncing from the file's block. This
        cannot be undone unless you have a backup of the current state.
      </p>
      <div className="actions">
        <button
          type="button"
          className="button button-primary"
          data-testid="restore-confirm-button"
          onClick={onConfirm}
        >
          Restore from this file
        </button>
        <button type="button" className="button button-ghost" onClick={onCancel}>
          Keep the current state
        </button>
      </div>
    </div>
  );
}

function BackupStatus({ status }: { status: Status }) {
  if (status.kind === "busy")
    return (
      <p role="status" className="loading">
        {status.what}…
      </p>
    );
  if (status.kind === "done")
    return (
      <p role="status" className="notice" data-testid="backup-status">
        {status.message}
      </p>
    );
  if (status.kind === "error")
    return (
      <p role="alert" className="notice notice-danger" data-testid="backup-status">
        {status.message}
      </p>
    );
  return null;
}
