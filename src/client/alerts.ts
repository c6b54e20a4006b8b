/**
 * The alerts a borrower gets in this browser (issue 15, "alerts that reach the user"): the monitoring
 * part's own rules (src/monitoring/defaults.ts: TCR near CCR, recovery mode) over the system, and one
 * more of the same kind over the user's own vault (its ratio within 10 points of MCR), evaluated by
 * the same AlertEngine on every block the engine applies. What fires is shown as a toast and, with
 * permission, as a browser notification (src/monitoring/notify/browser.ts), also with the tab in the
 * background (the engine worker keeps following the chain while hidden, at a slower pace).
 */
import {
  type AlertEvent,
  type AlertRule,
  DEFAULT_COOLDOWN_MS,
  defaultRules,
  type MetricSample,
} from "../monitoring/index.ts";
import { formatDecimal, ONE, type Params, type SystemSummary } from "../protocol/index.ts";

/** The system rules a borrower is told about: recovery mode close, and recovery mode itself. */
const SYSTEM_RULES = new Set(["tcr-near-ccr", "recovery-mode"]);

/** Rule id of the user's own vault nearing MCR. */
export const VAULT_RULE = "vault-near-mcr";

export function userAlertRules(params: Params): AlertRule[] {
  return [
    ...defaultRules(params).filter((r) => SYSTEM_RULES.has(r.id)),
    {
      id: VAULT_RULE,
      // minIcr is "the lowest ICR of the vaults watched": here the user's own vault.
      metric: "minIcr",
      condition: { kind: "below", threshold: params.MCR + ONE / 10n },
      severity: "critical",
      description: `Your vault's collateral ratio is within 10 points of the minimum (${formatPercent(params.MCR)}); below it the vault can be liquidated. Add collateral or repay debt.`,
      cooldownMs: DEFAULT_COOLDOWN_MS,
      resolveAfterMs: 0,
    },
  ];
}

const formatPercent = (ratio: bigint) => `${formatDecimal(ratio * 100n)}%`;

/** Samples for the user's rules at `at`: the system's TCR and mode, and the user's vault ICR if any. */
export function userAlertSamples(
  summary: SystemSummary,
  vaultIcr: bigint | null,
  at: number,
): MetricSample[] {
  return [
    { metric: "tcr", at, value: summary.tcr },
    { metric: "recoveryMode", at, value: summary.recoveryMode ? 1n : 0n },
    ...(vaultIcr !== null ? [{ metric: "minIcr" as const, at, value: vaultIcr }] : []),
  ];
}

const TITLES: Record<string, string> = {
  [VAULT_RULE]: "Your vault is close to liquidation",
  "tcr-near-ccr": "The system is close to recovery mode",
  "recovery-mode": "The system is in recovery mode",
};

/** The alert in words a person reads first (the rule's id is for operators). */
export function humanAlert(event: AlertEvent): AlertEvent {
  const title = TITLES[event.alert.ruleId];
  return title ? { ...event, alert: { ...event.alert, title } } : event;
}
