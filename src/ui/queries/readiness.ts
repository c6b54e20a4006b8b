/**
 * Whether a form may act now, and what its transaction will meet:
 * - `useSyncGate`: nothing is actionable while this browser's engine is behind the chain's tip (its
 *   figures are an older state's); forms say so with the synced height and the tip, and wait. The same
 *   gate decides whether the engine's figures are shown as current (components/SyncWait.tsx `Current`,
 *   `syncingFigure`): while behind, a labelled placeholder stands in for them.
 * - `useMeetQuote`: the guardians' latest attested price and time. The flow (src/client/tx/flow.ts) puts
 *   that price on chain before a priced operation, so previews value the operation at it
 *   (src/client/engine/preview.ts `stateMet`), not at the price the state holds now.
 */

import { useQuery } from "@tanstack/react-query";
import type { DataStatus, Meet } from "../../client/index.ts";
import { fetchAttestation } from "../../client/tx/index.ts";
import { useDataStatus } from "../components/SyncStatus.tsx";
import { type SyncSetup, useSyncSetup } from "../engine/sync.ts";
import { useSettings } from "../state/settings-store.ts";
import { keyOf } from "./keys.ts";

export type SyncGate =
  | { ready: true }
  | { ready: false; reason: "resolving" | "starting" | "behind"; height?: number; tip?: number };

/**
 * Ready when the engine follows no chain (the genesis state, said elsewhere) or has applied every
 * block up to the tip it knows; otherwise why not, with the synced height and the tip.
 */
export function useSyncGate(): SyncGate {
  const setup = useSyncSetup();
  const status = useDataStatus();
  return syncGateOf(setup, status.data);
}

/** The rule itself, for code outside React (the alert watcher asks it before each check). */
export function syncGateOf(setup: SyncSetup, s: DataStatus | undefined): SyncGate {
  if (setup.state === "resolving") return { ready: false, reason: "resolving" };
  if (!s) return { ready: false, reason: "starting" };
  if (s.role === "offline") return { ready: true }; // follows nothing: nothing to wait for
  const p = s.progress;
  // A following tab reads what the leading tab writes and knows no tip of its own.
  if (!p) return s.role === "follower" ? { ready: true } : { ready: false, reason: "starting" };
  // The leader's first sync has not learnt the chain's tip yet (loading the keys, the first request):
  // its state may be any distance behind, so it is not said to be current. Once that attempt failed
  // (offline), the state last synced is shown as such, with the sync error.
  if (s.role === "leader" && !p.tipKnown && s.lastError === null) return { ready: false, reason: "starting" };
  if (p.height < p.tip) return { ready: false, reason: "behind", height: p.height, tip: p.tip };
  return { ready: true };
}

/** The gate's reason in a sentence. */
export function syncGateSentence(gate: SyncGate): string {
  if (gate.ready) return "";
  if (gate.reason === "resolving") return "Asking the guardians which chain to follow…";
  if (gate.reason === "starting") return "This browser's engine is starting to follow the chain…";
  return `This browser has applied the chain up to block ${(gate.height ?? 0).toLocaleString("en-US")} of ${(gate.tip ?? 0).toLocaleString("en-US")}. Its figures are that older state's, so checking your amounts against them and reviewing wait until it has caught up (it does so on its own).`;
}

/** The placeholder for a figure of the engine's state while that state is not current. */
export function syncingFigure(gate: SyncGate): string {
  if (gate.ready) return "";
  if (gate.reason === "behind")
    return `syncing… (block ${(gate.height ?? 0).toLocaleString("en-US")} of ${(gate.tip ?? 0).toLocaleString("en-US")})`;
  return "syncing…";
}

/**
 * The price and time a transaction sent now will meet: the guardians' latest attestation when the
 * app follows a federation (refreshed every 20 s); `null` without one (the state's own price).
 * `undefined` while the first answer is awaited.
 */
export function useMeetQuote(): Meet | null | undefined {
  const following = useSyncSetup((s) => s.state === "following");
  const guardians = useSettings((s) => s.guardians);
  const q = useQuery({
    queryKey: ["guardians", "attestation", keyOf(guardians.urls), guardians.threshold],
    queryFn: async (): Promise<Meet | null> => {
      const a = await fetchAttestation(guardians.urls, guardians.threshold);
      return a.ok ? { price: a.answer.price, time: BigInt(a.answer.timestamp) } : null;
    },
    enabled: following && guardians.urls.length > 0,
    refetchInterval: 20_000,
    retry: 0,
  });
  if (!following || guardians.urls.length === 0) return null;
  if (q.isError) return null;
  return q.data;
}
