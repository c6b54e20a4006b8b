/**
 * Says when the browser has no network: the figures are the state this browser last synced (IndexedDB,
 * the app shell from the service worker), and anything that sends a transaction needs a connection.
 * Those buttons stay: their flows stop with a plain error when the network is down.
 */

import { useSyncExternalStore } from "react";
import { formatCount } from "../../client/index.ts";
import { useDataStatus } from "./SyncStatus.tsx";

function subscribe(onChange: () => void) {
  window.addEventListener("online", onChange);
  window.addEventListener("offline", onChange);
  return () => {
    window.removeEventListener("online", onChange);
    window.removeEventListener("offline", onChange);
  };
}

/** `navigator.onLine`, kept current by the online/offline events. */
export function useOnline(): boolean {
  return useSyncExternalStore(
    subscribe,
    () => navigator.onLine,
    () => true,
  );
}

export function OfflineBanner() {
  const online = useOnline();
  if (online) return null;
  return <OfflineNotice />;
}

/** Split out so the engine's status is asked only while offline. */
function OfflineNotice() {
  const height = useDataStatus().data?.height;
  return (
    <p className="notice notice-warn" role="status" data-testid="offline-banner" data-height={height ?? ""}>
      <strong>You are offline:</strong> showing the state this browser last synced
      {height !== undefined ? ` (block ${formatCount(height)})` : ""}. Transactions need a connection.
    </p>
  );
}
