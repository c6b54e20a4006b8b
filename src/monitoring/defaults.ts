/**
 * Default alert rules for the protocol's real dangers, derived from the engine's parameters (so a
 * governance change of CCR moves the thresholds with it), and rules as JSON for config files.
 * Durations follow the seed (§10): cooldown 10 blocks (≈ 100 min), expressed here in milliseconds.
 */
import { DEFAULT_PARAMS, formatDecimal, ONE, type Params, parseDecimal } from "../protocol/index.ts";
import { DECIMAL_UNITS, isMetricName, METRICS, type MetricName } from "./metrics.ts";
import { type AlertRule, assertRule, type Condition, SEVERITIES, type Severity } from "./rules.ts";

const MINUTE = 60_000;
/** The seed's 10-block cooldown at 10 minutes a block. */
export const DEFAULT_COOLDOWN_MS = 100 * MINUTE;

export function defaultRules(params: Params = DEFAULT_PARAMS): AlertRule[] {
  const base = { cooldownMs: DEFAULT_COOLDOWN_MS, resolveAfterMs: 0 } as const;
  return [
    {
      ...base,
      id: "tcr-near-ccr",
      metric: "tcr",
      condition: { kind: "below", threshold: params.CCR + ONE / 10n },
      severity: "warning",
      description: `TCR is within 10 points of CCR (${formatDecimal(params.CCR)}): recovery mode is close. Borrowers should add collateral or repay.`,
    },
    {
      ...base,
      id: "recovery-mode",
      metric: "recoveryMode",
      condition: { kind: "above", threshold: 0n },
      severity: "critical",
      description:
        "The system is in recovery mode: vaults below CCR can be liquidated, borrowing is restricted. Add collateral or repay debt.",
    },
    {
      ...base,
      id: "tcr-below-mcr",
      metric: "tcr",
      condition: { kind: "below", threshold: params.MCR },
      severity: "emergency",
      description: `TCR is below MCR (${formatDecimal(params.MCR)}): the system as a whole is undercollateralized. Redemptions stop; consider an emergency proposal.`,
    },
    {
      ...base,
      id: "vaults-liquidatable",
      metric: "liquidatableVaults",
      condition: { kind: "above", threshold: 0n },
      severity: "warning",
      description: "Vaults can be liquidated now. Liquidators should act before bad debt accrues.",
    },
    {
      ...base,
      id: "pool-coverage-low",
      metric: "poolCoverage",
      condition: { kind: "below", threshold: ONE },
      severity: "warning",
      description:
        "The stability pool cannot absorb the debt of all vaults at risk; the rest would be redistributed to other vaults. Deposits to the pool help.",
    },
    {
      ...base,
      id: "price-sources-down",
      metric: "priceSources",
      condition: { kind: "below", threshold: 3n },
      severity: "critical",
      description:
        "Fewer than 3 exchange sources give a valid price: the oracle refuses to price. Check the sources and the network.",
    },
    {
      ...base,
      id: "price-stale",
      metric: "priceAge",
      condition: { kind: "above", threshold: 300n },
      severity: "critical",
      description: "The newest accepted quote is older than 5 minutes.",
    },
    {
      ...base,
      id: "price-sources-disagree",
      metric: "priceDeviation",
      condition: { kind: "above", threshold: 500n },
      severity: "warning",
      description: "An accepted quote lies more than 5% from the median.",
    },
    {
      ...base,
      id: "price-swing",
      metric: "price",
      condition: { kind: "changeExceeds", amount: ONE / 10n, windowMs: 60 * MINUTE, relative: true },
      severity: "warning",
      description: "BTC/USD moved more than 10% within an hour: watch vaults near MCR.",
    },
    {
      ...base,
      id: "sync-lagging",
      metric: "syncLag",
      condition: { kind: "above", threshold: 6n },
      severity: "warning",
      description:
        "The indexer is more than 6 blocks behind the chain tip: balances and ratios shown are out of date.",
    },
    {
      ...base,
      id: "sync-stalled",
      metric: "syncStalled",
      condition: { kind: "above", threshold: 1800n },
      severity: "critical",
      description:
        "The indexer has not advanced for 30 minutes while behind the tip. Check the Esplora URL and the node.",
    },
    {
      ...base,
      id: "guardian-slow",
      metric: "guardianLatency",
      condition: { kind: "above", threshold: 5_000n },
      severity: "warning",
      description: "Guardian requests take over 5 s.",
    },
    {
      ...base,
      id: "proof-slow",
      metric: "proofLatency",
      condition: { kind: "above", threshold: 120_000n },
      severity: "info",
      description: "Proofs take over 2 minutes on this device.",
    },
  ];
}

/** A rule as JSON: thresholds as decimal strings for 18-decimal metrics, integer strings otherwise. */
export interface AlertRuleJson {
  id: string;
  metric: string;
  condition:
    | { kind: "above" | "below"; threshold: string }
    | { kind: "changeExceeds"; amount: string; windowMs: number; relative?: boolean }
    | { kind: "rateExceeds"; perSecond: string; windowMs: number };
  severity: string;
  description?: string;
  cooldownMs?: number;
  resolveAfterMs?: number | null;
  enabled?: boolean;
}

const valueToJson = (metric: MetricName, v: bigint, relative = false) =>
  relative || DECIMAL_UNITS.has(METRICS[metric].unit) ? formatDecimal(v) : v.toString();

export function ruleToJson(rule: AlertRule): AlertRuleJson {
  const c = rule.condition;
  const condition: AlertRuleJson["condition"] =
    c.kind === "changeExceeds"
      ? {
          kind: c.kind,
          amount: valueToJson(rule.metric, c.amount, c.relative),
          windowMs: c.windowMs,
          ...(c.relative ? { relative: true } : {}),
        }
      : c.kind === "rateExceeds"
        ? { kind: c.kind, perSecond: valueToJson(rule.metric, c.perSecond), windowMs: c.windowMs }
        : { kind: c.kind, threshold: valueToJson(rule.metric, c.threshold) };
  return {
    id: rule.id,
    metric: rule.metric,
    condition,
    severity: rule.severity,
    description: rule.description,
    cooldownMs: rule.cooldownMs,
    resolveAfterMs: rule.resolveAfterMs,
    ...(rule.enabled === false ? { enabled: false } : {}),
  };
}

/** Parses and validates a rule from JSON; throws RangeError naming the field. */
export function ruleFromJson(raw: unknown, where = "rule"): AlertRule {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new RangeError(`${where}: expected an object`);
  const r = raw as Record<string, unknown>;
  if (!isMetricName(r.metric))
    throw new RangeError(`${where}.metric: unknown metric ${JSON.stringify(r.metric)}`);
  const metric = r.metric;
  if (!SEVERITIES.includes(r.severity as Severity))
    throw new RangeError(`${where}.severity: expected one of ${SEVERITIES.join(", ")}`);
  const c = r.condition as Record<string, unknown> | undefined;
  if (typeof c !== "object" || c === null) throw new RangeError(`${where}.condition: expected an object`);
  const value = (field: string, relative = false): bigint => {
    const text = c[field];
    const decimal = relative || DECIMAL_UNITS.has(METRICS[metric].unit);
    try {
      if (typeof text !== "string" && typeof text !== "number") throw new Error("missing");
      if (decimal) return parseDecimal(String(text), field);
      if (!/^[0-9]+$/.test(String(text))) throw new Error("not a whole number");
      return BigInt(String(text));
    } catch {
      throw new RangeError(
        `${where}.condition.${field}: expected ${decimal ? "a decimal string" : "a whole number"}, got ${JSON.stringify(text)}`,
      );
    }
  };
  let condition: Condition;
  switch (c.kind) {
    case "above":
    case "below":
      condition = { kind: c.kind, threshold: value("threshold") };
      break;
    case "changeExceeds":
      condition = {
        kind: "changeExceeds",
        amount: value("amount", c.relative === true),
        windowMs: c.windowMs as number,
        relative: c.relative === true,
      };
      break;
    case "rateExceeds":
      condition = { kind: "rateExceeds", perSecond: value("perSecond"), windowMs: c.windowMs as number };
      break;
    default:
      throw new RangeError(
        `${where}.condition.kind: expected above, below, changeExceeds or rateExceeds, got ${JSON.stringify(c.kind)}`,
      );
  }
  const rule: AlertRule = {
    id: r.id as string,
    metric,
    condition,
    severity: r.severity as Severity,
    description: typeof r.description === "string" ? r.description : "",
    cooldownMs: r.cooldownMs === undefined ? DEFAULT_COOLDOWN_MS : (r.cooldownMs as number),
    resolveAfterMs: r.resolveAfterMs === undefined ? 0 : (r.resolveAfterMs as number | null),
    ...(r.enabled === false ? { enabled: false } : {}),
  };
  assertRule(rule);
  return rule;
}

/** Defaults with overrides: a rule with a default's id replaces it; others are added. */
export function mergeRules(defaults: readonly AlertRule[], overrides: readonly AlertRule[]): AlertRule[] {
  const byId = new Map(defaults.map((r) => [r.id, r] as const));
  for (const r of overrides) byId.set(r.id, r);
  return [...byId.values()];
}
