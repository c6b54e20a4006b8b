/**
 * Which chain this browser follows and how far it is: the network and Esplora URL, blocks applied
 * against the chain tip, this tab's role (the leading tab indexes; others read what it writes), and
 * the last sync error — or, when it follows nothing, why, and that the figures are the genesis state.
 */

import { useQuery } from "@tanstack/react-query";
import type { ReactNode } from "react";
import { type DataStatus, formatCount, shortHex } from "../../client/index.ts";
import { useEngine } from "../engine/EngineProvider.tsx";
import { useSyncSetup } from "../engine/sync.ts";

/** The data layer's sync status (one query key for every screen; block notices invalidate it). */
export function useDataStatus(refetchMs = 5_000) {
  const engine = useEngine();
  return useQuery({
    queryKey: ["data", "status"],
    queryFn: (): Promise<DataStatus> => engine.status(),
    refetchInterval: refetchMs,
  });
}

export function SyncStatus({ stateRoot }: { stateRoot: string }) {
  const setup = useSyncSetup();
  const status = useDataStatus();
  const root = (
    <>
      State root{" "}
      <code title={stateRoot} data-testid="state-root">
        {shortHex(stateRoot, 8)}
      </code>
    </>
  );
  if (setup.state === "resolving")
    return (
      <p className="chain-position muted" data-testid="chain-position" data-sync="resolving" role="status">
        Asking the guardians which federation and chain to follow… {root}
      </p>
    );
  const s = status.data;
  // The guardians could not be asked, but the data layer follows the chain it followed before (its
  // stored sync settings): say both.
  if (setup.state === "offline" && s && s.role !== "offline")
    return <StoredChainPosition status={s} reason={setup.reason} root={root} />;
  if (setup.state === "offline")
    return (
      <div className="chain-position" data-testid="chain-position" data-sync="offline">
        <p className="notice notice-warn">
          Not following a chain: {setup.reason} The figures above are the protocol's starting (genesis) state.
        </p>
        <p className="muted small">{root}</p>
      </div>
    );
  const progress = s?.progress;
  const lag = progress ? Math.max(0, progress.tip - progress.height) : null;
  return (
    <div
      className="chain-position"
      data-testid="chain-position"
      data-sync="following"
      data-height={s?.height ?? ""}
      data-tip={progress?.tip ?? ""}
    >
      <p className="muted">
        Following <strong>{setup.federation.network}</strong> through <code>{setup.esploraUrl}</code>
        {s ? (
          <>
            {" "}
            · block {formatCount(s.height)}
            {progress ? ` of ${formatCount(progress.tip)}` : ""}
            {lag === 0 ? " (up to date)" : lag !== null ? ` (${formatCount(lag)} behind)` : ""}
            {" · "}
            {s.role === "leader"
              ? "this tab indexes the chain"
              : s.role === "follower"
                ? "another tab indexes the chain"
                : "offline"}
          </>
        ) : (
          " · reading sync status…"
        )}
        {" · "}
        {root}
      </p>
      {s?.lastError ? (
        <p className="notice notice-danger" role="alert" data-testid="sync-error">
          The last sync attempt failed: {s.lastError}. The app retries on its own; check the Esplora URL in
          Settings if this persists.
        </p>
      ) : null}
    </div>
  );
}

/** The guardians could not be asked, but the data layer follows the chain it followed before. */
function StoredChainPosition({
  status: s,
  reason,
  root,
}: {
  status: DataStatus;
  reason: string;
  root: ReactNode;
}) {
  return (
    <div
      className="chain-position"
      data-testid="chain-position"
      data-sync="stored"
      data-height={s.height}
      data-tip={s.progress?.tip ?? ""}
    >
      <p className="muted">
        Following the chain this browser followed before · block {formatCount(s.height)}
        {s.progress ? ` of ${formatCount(s.progress.tip)}` : ""} · {root}
      </p>
      <p className="notice notice-warn">The federation could not be confirmed just now: {reason}</p>
      {s.lastError ? (
        <p className="notice notice-danger" role="alert" data-testid="sync-error">
          The last sync attempt failed: {s.lastError}. The app retries on its own.
        </p>
      ) : null}
    </div>
  );
}
