/**
 * Proposals in words for the governance screen: each action as a sentence with units, each state
 * with a label and what it means for the reader, and block times as dates. Pure; main thread.
 */

import type { GovAction, ProposalState } from "../../protocol/governance/index.ts";
import { shortHex } from "../format.ts";
import { formatDuration, formatParameterValue, type ParameterSpec, parameterInfo } from "./parameters.ts";

/** An action as the screen lists it: a headline, and for parameters the change from → to. */
export interface ActionText {
  text: string;
  /** setParameter: the value now (null when the parameter is not known to this screen). */
  from?: string | null;
  to?: string;
}

/**
 * `parameters` are the engine's governable parameters with their values now; `executed` says the
 * proposal already applied, so "now" is its result and no "from" is shown.
 */
export function describeGovAction(
  action: GovAction,
  parameters: readonly (ParameterSpec & { value: bigint | boolean })[],
  executed = false,
): ActionText {
  switch (action.type) {
    case "setParameter": {
      const spec = parameters.find((p) => p.name === action.name) ?? {
        name: action.name,
        kind: typeof action.value === "boolean" ? ("boolean" as const) : ("decimal" as const),
      };
      const label = parameterInfo(spec).label;
      const to = formatParameterValue(spec, action.value);
      if (executed) return { text: `${label} set to ${to}`, to };
      const current = "value" in spec ? formatParameterValue(spec, spec.value) : null;
      return {
        text: current === null ? `${label} → ${to}` : `${label}: ${current} → ${to}`,
        from: current,
        to,
      };
    }
    case "rotateGuardians":
      return {
        text: `Replace the guardian federation with a ${action.threshold}-of-${action.keys.length} set: ${action.keys
          .map((k) => shortHex(k, 6))
          .join(", ")}`,
      };
    case "rotateOracleKeys":
      return {
        text: `Replace the price oracle keys with a ${action.threshold}-of-${action.keys.length} set`,
      };
    case "pause":
      return { text: "Pause new debt (no new vaults or borrowing; every exit stays open)" };
    case "unpause":
      return { text: "Lift the pause (vaults can be opened and borrowed against again)" };
    case "shutdown":
      return {
        text: "Shut the protocol down for good (no new debt, liquidations or pool deposits; exits stay open)",
      };
  }
}

export interface StatusInfo {
  label: string;
  tone: "ok" | "warn" | "danger" | "muted";
  /** What the state means and what can happen next. */
  meaning: string;
}

export const PROPOSAL_STATUS: Record<ProposalState, StatusInfo> = {
  active: { label: "Active", tone: "ok", meaning: "Voting is open." },
  defeated: {
    label: "Defeated",
    tone: "danger",
    meaning: "Voting ended without quorum or with no more votes for than against.",
  },
  succeeded: {
    label: "Succeeded",
    tone: "ok",
    meaning: "The vote passed; anyone can queue it before the grace period ends.",
  },
  queued: {
    label: "Queued",
    tone: "warn",
    meaning: "Waiting out the timelock; anyone can execute it from the eta until the grace deadline.",
  },
  executed: { label: "Executed", tone: "muted", meaning: "Its actions were applied." },
  expired: {
    label: "Expired",
    tone: "muted",
    meaning: "It was not queued or executed within the grace period.",
  },
  canceled: { label: "Canceled", tone: "muted", meaning: "The proposer withdrew it." },
  vetoed: { label: "Vetoed", tone: "danger", meaning: "The guardian federation vetoed it." },
};

/** A block time (seconds since the epoch) as "2026-11-24 17:55 UTC". */
export function formatBlockTime(seconds: bigint): string {
  // Seconds of block time fit a JS number exactly (far below 2^53); this is a date, not money.
  const iso = new Date(Number(seconds) * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** "in 6 days 23 h" or "2 days ago", against the engine's own time (the last block's), never the wall clock. */
export function relativeTime(seconds: bigint, now: bigint): string {
  if (seconds === now) return "now";
  return seconds > now ? `in ${formatDuration(seconds - now)}` : `${formatDuration(now - seconds)} ago`;
}

/** Part / whole as a percentage with one decimal, rounded down, capped at 100 (bar widths and labels). */
export function sharePercent(part: bigint, whole: bigint): string {
  if (whole <= 0n) return part > 0n ? "100" : "0";
  const tenths = (part * 1000n) / whole; // rounded down: a bar never shows more than there is
  const capped = tenths > 1000n ? 1000n : tenths;
  return `${capped / 10n}.${capped % 10n}`;
}

/**
 * A governance spell field in words for the review's decoded spell (TransactionReview), or null for
 * fields that are not governance's: `actions` as sentences, `proposalId` as a number.
 */
export function governanceSpellValue(field: string, value: unknown): string | null {
  if (field === "actions" && Array.isArray(value))
    return (value as GovAction[]).map((a, i) => `${i + 1}. ${describeGovAction(a, []).text}`).join("; ");
  if (field === "proposalId" && typeof value === "bigint") return `proposal ${value}`;
  return null;
}
