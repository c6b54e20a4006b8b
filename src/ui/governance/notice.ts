import type { SyncGate } from "../queries/readiness.ts";

/** The one notice the governance screen shows above its cards. */
export type GovernanceNotice = "behind" | "shutdown" | "paused" | null;

/**
 * The governance screen shows at most one notice, the most important (decision, docs/ui.md Governance):
 * 1. none while the screen cannot be shown: the error panel is then the one message;
 * 2. `behind`: this browser's engine is behind the tip (or not yet following): everything below,
 *    a pause or a shutdown included, is an older state's, and every form waits; the notice says why
 *    with the heights, and the cards' own sync notices stay quiet (components/SyncWait.tsx `SaidAbove`);
 * 3. `shutdown`: for good, and it outranks a pause (every exit stays open);
 * 4. `paused`.
 * A form's refusal is not a notice: it stays beside its button.
 */
export function governanceNotice(
  gate: SyncGate,
  overview: { shutdown: boolean; paused: boolean } | undefined,
  failed: boolean,
): GovernanceNotice {
  if (failed) return null;
  if (!gate.ready) return "behind";
  if (overview?.shutdown) return "shutdown";
  if (overview?.paused) return "paused";
  return null;
}
