/**
 * Governable parameters in human units: what each one is called, which unit a person types it in
 * (percent, zkUSD, days…), and the exact conversion both ways. Values stay bigint end to end; a
 * typed value that has no exact engine value is refused, never rounded. Bounds and relations are the
 * engine's to check (the proposal preview refuses with its own sentence).
 *
 * Main thread: imports only `decimal.ts` and types (the protocol index pulls in Poseidon).
 */
import { formatDecimal, ONE, parseDecimal } from "../../protocol/decimal.ts";
import { formatAmount } from "../format.ts";

/** How a value is shown and typed. */
export type ParameterUnit =
  /** 18-decimal fraction shown ×100 with "%". */
  | "percent"
  /** 18-decimal zkUSD amount. */
  | "zkusd"
  /** 18-decimal number shown as is (e.g. a per-minute factor). */
  | "number"
  /** Plain whole number. */
  | "count"
  /** Whole number of days. */
  | "wholeDays"
  /** Whole seconds of block time, typed in days (decimals allowed when they make whole seconds). */
  | "days"
  /** On or off. */
  | "switch";

/** The engine's description of a parameter (src/governance `GovernableParameter`). */
export interface ParameterSpec {
  name: string;
  kind: "decimal" | "integer" | "seconds" | "boolean";
}

interface ParameterInfo {
  label: string;
  unit: ParameterUnit;
  /** One sentence: what changing it does. */
  help: string;
}

const INFO: Record<string, ParameterInfo> = {
  MCR: {
    label: "Minimum collateral ratio (MCR)",
    unit: "percent",
    help: "Vaults below it can be liquidated.",
  },
  CCR: {
    label: "Critical collateral ratio (CCR)",
    unit: "percent",
    help: "The system enters recovery mode when its total ratio falls below it.",
  },
  minNetDebt: {
    label: "Minimum net debt",
    unit: "zkusd",
    help: "Smallest debt a vault may carry, not counting the gas reserve.",
  },
  liquidationCollateralDivisor: {
    label: "Liquidation compensation divisor",
    unit: "count",
    help: "The liquidator receives the vault's collateral divided by this number (200 = 0.5%).",
  },
  borrowingFeeFloor: { label: "Borrowing fee floor", unit: "percent", help: "Lowest one-off borrowing fee." },
  borrowingFeeCap: { label: "Borrowing fee cap", unit: "percent", help: "Highest one-off borrowing fee." },
  redemptionFeeFloor: { label: "Redemption fee floor", unit: "percent", help: "Lowest redemption fee." },
  beta: {
    label: "Base-rate divisor (beta)",
    unit: "count",
    help: "The redeemed share of the supply is divided by it when it raises the base rate.",
  },
  minuteDecayFactor: {
    label: "Base-rate decay per minute",
    unit: "number",
    help: "Factor the base rate is multiplied by each minute (0.999037758833783 halves it in 12 hours).",
  },
  scaleFactor: {
    label: "Stability pool scale factor",
    unit: "count",
    help: "Precision step of the pool's running product (Liquity's 1e9).",
  },
  redemptionBootstrapDays: {
    label: "Redemption bootstrap period",
    unit: "wholeDays",
    help: "No redemptions during this many days after the protocol's start.",
  },
  utilizationPremiumEnabled: {
    label: "Utilization premium",
    unit: "switch",
    help: "Adds a premium to the borrowing rate as total debt nears the debt ceiling.",
  },
  debtCeiling: {
    label: "Debt ceiling (for the premium)",
    unit: "zkusd",
    help: "Total debt at which the utilization premium reaches its maximum.",
  },
  utilizationPremiumStart: {
    label: "Utilization premium start",
    unit: "percent",
    help: "Utilization at which the premium starts.",
  },
  utilizationPremiumMax: {
    label: "Utilization premium maximum",
    unit: "percent",
    help: "Premium at 100% utilization.",
  },
  quorumFraction: {
    label: "Quorum",
    unit: "percent",
    help: "Votes for and abstain needed, as a share of the zkUSD supply at the snapshot.",
  },
  proposalThresholdFraction: {
    label: "Proposal threshold",
    unit: "percent",
    help: "Voting power needed to make a proposal, as a share of the supply at the snapshot.",
  },
  votingPeriod: { label: "Voting period", unit: "days", help: "How long a proposal is open for votes." },
  timelockDelay: {
    label: "Timelock delay",
    unit: "days",
    help: "Wait between queueing a passed proposal and its earliest execution.",
  },
  gracePeriod: {
    label: "Grace period",
    unit: "days",
    help: "How long a passed proposal may wait to be queued, and a queued one to be executed.",
  },
  votingPowerWindow: {
    label: "Voting power window",
    unit: "count",
    help: "Blocks (144 a day) before a proposal through which zkUSD must be held to vote with it.",
  },
};

const FALLBACK_UNIT: Record<ParameterSpec["kind"], ParameterUnit> = {
  decimal: "number",
  integer: "count",
  seconds: "days",
  boolean: "switch",
};

export function parameterInfo(spec: ParameterSpec): ParameterInfo {
  return INFO[spec.name] ?? { label: spec.name, unit: FALLBACK_UNIT[spec.kind], help: "" };
}

/** What the value field's unit reads ("%", "zkUSD", "days"). */
export function unitLabel(unit: ParameterUnit): string {
  switch (unit) {
    case "percent":
      return "%";
    case "zkusd":
      return "zkUSD";
    case "days":
    case "wholeDays":
      return "days";
    default:
      return "";
  }
}

const DAY = 86_400n;

/** Seconds as "7 days", "1 day 12 h", "2 h 30 min", "45 s" (exact, no rounding). */
export function formatDuration(seconds: bigint): string {
  if (seconds < 0n) return `-${formatDuration(-seconds)}`;
  if (seconds === 0n) return "0 s";
  const d = seconds / DAY;
  const h = (seconds % DAY) / 3600n;
  const m = (seconds % 3600n) / 60n;
  const s = seconds % 60n;
  const parts: string[] = [];
  if (d) parts.push(`${d} ${d === 1n ? "day" : "days"}`);
  if (h) parts.push(`${h} h`);
  if (m) parts.push(`${m} min`);
  if (s) parts.push(`${s} s`);
  return parts.join(" ");
}

/** A parameter value in its human unit, exact: "110%", "1,800 zkUSD", "7 days", "on". */
export function formatParameterValue(spec: ParameterSpec, value: bigint | boolean): string {
  if (typeof value === "boolean") return value ? "on" : "off";
  switch (parameterInfo(spec).unit) {
    case "percent":
      return `${formatDecimal(value * 100n)}%`;
    case "zkusd":
      return `${formatAmount(value, { decimals: 18, minDecimals: 0 })} zkUSD`;
    case "number":
      return formatDecimal(value);
    case "count":
      return formatAmount(value * ONE, { decimals: 0 });
    case "wholeDays":
      return `${value} ${value === 1n ? "day" : "days"}`;
    case "days":
      return formatDuration(value);
    case "switch":
      return value === 0n ? "off" : "on";
  }
}

/** The value as typed in the form's unit (no grouping): "110", "1800", "7"; "" when not exact. */
export function inputText(spec: ParameterSpec, value: bigint | boolean): string {
  if (typeof value === "boolean") return value ? "on" : "off";
  switch (parameterInfo(spec).unit) {
    case "percent":
      return formatDecimal(value * 100n);
    case "days":
      // Only when the days are exact in 18 decimals (always for whole minutes); else leave it to the user.
      return (value * ONE) % DAY === 0n ? formatDecimal((value * ONE) / DAY) : "";
    case "count":
    case "wholeDays":
      return value.toString();
    default:
      return formatDecimal(value);
  }
}

export type ParsedParameter =
  | { kind: "empty" }
  | { kind: "ok"; value: bigint | boolean }
  | { kind: "error"; message: string };

/**
 * What the user typed, in the parameter's unit, as the engine's exact value. Refuses (with a
 * sentence) anything that has no exact value: a percentage with more than 16 decimals, days that are
 * not whole seconds, a fraction of a count.
 */
export function parseParameterInput(spec: ParameterSpec, text: string): ParsedParameter {
  const unit = parameterInfo(spec).unit;
  const clean = text.replace(/[,\s_]/g, "");
  if (clean === "") return { kind: "empty" };
  if (unit === "switch") {
    if (clean === "on" || clean === "true") return { kind: "ok", value: true };
    if (clean === "off" || clean === "false") return { kind: "ok", value: false };
    return { kind: "error", message: "Choose on or off." };
  }
  if (unit === "count" || unit === "wholeDays") {
    if (!/^[0-9]+$/.test(clean)) return { kind: "error", message: "Enter a whole number, such as 200." };
    return { kind: "ok", value: BigInt(clean) };
  }
  let typed: bigint;
  try {
    typed = parseDecimal(clean, "value");
  } catch {
    return { kind: "error", message: "Enter a plain number such as 1.5 (no signs or letters)." };
  }
  switch (unit) {
    case "percent":
      // Exact only when the percentage has at most 16 decimals (the engine keeps 18 on the fraction).
      if (typed % 100n !== 0n) return { kind: "error", message: "Use at most 16 decimals in a percentage." };
      return { kind: "ok", value: typed / 100n };
    case "days": {
      const scaled = typed * DAY;
      // Periods are whole seconds: refuse days that would need rounding.
      if (scaled % ONE !== 0n)
        return {
          kind: "error",
          message: "That many days is not a whole number of seconds; use fewer decimals (e.g. 1.5).",
        };
      return { kind: "ok", value: scaled / ONE };
    }
    default:
      return { kind: "ok", value: typed };
  }
}

/** "from 100% to 500%" in the parameter's unit, from the engine's bounds. */
export function boundsText(
  spec: ParameterSpec & { min?: bigint; max?: bigint; maxExclusive?: boolean },
): string | null {
  if (spec.min === undefined && spec.max === undefined) return null;
  const show = (v: bigint) => formatParameterValue(spec, v);
  if (spec.min !== undefined && spec.max !== undefined)
    return `from ${show(spec.min)} to ${spec.maxExclusive ? "below " : ""}${show(spec.max)}`;
  return spec.min !== undefined ? `at least ${show(spec.min)}` : `at most ${show(spec.max!)}`;
}
