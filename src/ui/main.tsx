/** Entry point: starts the engine worker and mounts the app with its providers. */

import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { coalesce, createEngineClient } from "../client/index.ts";
import { App } from "./App.tsx";
import { EngineProvider } from "./engine/EngineProvider.tsx";
import { resolveEngineStart, useSyncSetup } from "./engine/sync.ts";
import { useSettings } from "./state/settings-store.ts";
import { useWalletStore } from "./wallet/wallet-store.ts";
import "./styles.css";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: { retry: 1, refetchOnWindowFocus: false },
  },
});
// The engine's and the data layer's views are answered by this browser's worker, never the network:
// offline they still refresh (react-query pauses "online" queries while the browser is offline, which
// left a block's figures behind the height shown beside them).
queryClient.setQueryDefaults(["engine"], { networkMode: "always" });
queryClient.setQueryDefaults(["data"], { networkMode: "always" });

const engine = createEngineClient();
// A new block (or reorg, or restore) reloads the preview copy and refetches every engine view; a
// catch-up brings many blocks a second, so those reloads are coalesced (src/client/coalesce.ts).
const refreshViews = coalesce(async () => {
  engine.refresh();
  // Bounded: a view that never answers must not stop the next refresh.
  await Promise.race([
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ["engine"] }),
      queryClient.invalidateQueries({ queryKey: ["data"] }),
    ]),
    new Promise((resolve) => setTimeout(resolve, 10_000)),
  ]);
}, 1_000);
// The wallet connected before a reload comes back without asking (src/ui/wallet/wallet-store.ts).
void useWalletStore.getState().reconnect(useSettings.getState().network);
// The guardians tell which federation and chain to follow (sync.ts); then live updates: a new block
// (or reorg, or restore) refreshes every engine view and the preview copy.
void resolveEngineStart()
  .catch((error: unknown) => ({
    options: {},
    setup: {
      state: "offline" as const,
      reason: `The sync settings could not be resolved (${String(error)}).`,
    },
  }))
  .then(({ options, setup }) => {
    useSyncSetup.setState(setup, true);
    return engine.start(options);
  })
  .then(() => {
    // The state a status reports can move without a block notice (the data layer reloads what another
    // tab or an earlier session stored): a root the views have not seen refreshes them too.
    let seenRoot: string | undefined;
    return engine.subscribe((notice) => {
      if (notice.type === "status") {
        void queryClient.invalidateQueries({ queryKey: ["data", "status"] });
        if (notice.status.root !== seenRoot) refreshViews();
        seenRoot = notice.status.root;
        return;
      }
      seenRoot = notice.type === "block" ? notice.root : undefined;
      refreshViews();
    });
  })
  .catch(() => {
    // The dashboard reports a failed start; nothing to subscribe to.
  });
const container = document.getElementById("root");
if (!container) throw new Error("index.html has no #root element");

createRoot(container).render(
  <StrictMode>
    <EngineProvider client={engine}>
      <QueryClientProvider client={queryClient}>
        <App />
      </QueryClientProvider>
    </EngineProvider>
  </StrictMode>,
);

// ── Offline app shell (src/sw/service-worker.ts, built into dist/sw.js by vite.config.ts) ──────────
// Production builds only: dev mode serves unbundled modules that must not be cached. Registered after
// the load event, so precaching the shell does not compete with the first load; `update()` checks for
// a new deployment on every load (online only: offline the check can only fail).
if (import.meta.env.PROD && "serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker
      .register(new URL("sw.js", document.baseURI), { updateViaCache: "none" })
      .then((registration) => (navigator.onLine ? registration.update() : undefined))
      .catch((error: unknown) => console.warn("The app could not be made available offline:", error));
  });
}
