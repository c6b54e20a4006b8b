/**
 * Protocol parameters (docs/decisions.md §4): one typed object, validated against bounds, passed into the engine.
 * Ratios, fees and prices are 18-decimal fractions; counts (beta, divisor, days) are plain integers.
 */
import { formatDecimal, ONE, parseDecimal } from "./decimal.ts";
import { ProtocolError } from "./errors.ts";

export interface Params {
  /** Minimum collateral ratio of a vault (1.1). */
  MCR: bigint;
  /** Critical (total) collateral ratio: TCR below it is recovery mode (1.5). */
  CCR: bigint;
  /** zkUSD minted to the gas pool on open, part of debt, paid to the liquidator (200). */
  gasReserve: bigint;
  /** Minimum debt net of the gas reserve (1800). */
  minNetDebt: bigint;
  /** Liquidator's collateral compensation = collateral / divisor (200 = 0.5%). */
  liquidationCollateralDivisor: bigint;
  borrowingFeeFloor: bigint;
  borrowingFeeCap: bigint;
  redemptionFeeFloor: bigint;
  /** The redeemed fraction of supply is divided by beta when it raises the base rate (2). */
  beta: bigint;
  /** Per-minute base-rate decay factor (0.5^(1/720): a 12 hour half-life). */
  minuteDecayFactor: bigint;
  /** Stability pool scale factor (1e9, a plain integer). */
  scaleFactor: bigint;
  /** Price at genesis, USD per BTC. */
  initialPrice: bigint;
  /** No redemptions during this many days after genesis (14). */
  redemptionBootstrapDays: bigint;
  /** Utilization premium on the borrowing rate (docs/decisions.md §4); off by default, as Liquity. */
  utilizationPremiumEnabled: boolean;
  /** Debt ceiling used only by the utilization premium (100,000,000 zkUSD). */
  debtCeiling: bigint;
  /** Utilization at which the premium starts (0.8). */
  utilizationPremiumStart: bigint;
  /** Premium at 100% utilization (0.02). */
  utilizationPremiumMax: bigint;
}

const u = (text: string) => parseDecimal(text);

export const DEFAULT_PARAMS: Readonly<Params> = Object.freeze({
  MCR: u("1.1"),
  CCR: u("1.5"),
  gasReserve: u("200"),
  minNetDebt: u("1800"),
  liquidationCollateralDivisor: 200n,
  borrowingFeeFloor: u("0.005"),
  borrowingFeeCap: u("0.05"),
  redemptionFeeFloor: u("0.005"),
  beta: 2n,
  minuteDecayFactor: 999037758833783000n,
  scaleFactor: 1_000_000_000n,
  initialPrice: u("60000"),
  redemptionBootstrapDays: 14n,
  utilizationPremiumEnabled: false,
  debtCeiling: u("100000000"),
  utilizationPremiumStart: u("0.8"),
  utilizationPremiumMax: u("0.02"),
});

type Kind = "decimal" | "integer" | "boolean";
interface Bound {
  kind: Kind;
  min?: bigint;
  max?: bigint;
  /** Upper bound is exclusive. */
  maxExclusive?: boolean;
}

/** Inclusive bounds; the seed's bounds list adapted to 18-decimal units (docs/parameters.md). */
export const PARAM_BOUNDS: Readonly<Record<keyof Params, Bound>> = {
  // MCR strictly above 100% with a margin for the price moving between oracle updates and for the
  // liquidator's compensation (see the relation in validateParams); CCR at least MCR + 0.1 (ditto).
  MCR: { kind: "decimal", min: u("1.05"), max: u("5") },
  CCR: { kind: "decimal", min: u("1.15"), max: u("5") },
  gasReserve: { kind: "decimal", min: 0n, max: u("10000") },
  minNetDebt: { kind: "decimal", min: u("1"), max: u("100000000") },
  liquidationCollateralDivisor: { kind: "integer", min: 20n, max: 10_000n },
  borrowingFeeFloor: { kind: "decimal", min: 0n, max: u("0.1") },
  borrowingFeeCap: { kind: "decimal", min: 0n, max: u("0.1") },
  // Liquity's fixed 0.5% floor guards redemptions against oracle front-running; never below 0.25%.
  redemptionFeeFloor: { kind: "decimal", min: u("0.0025"), max: u("0.1") },
  beta: { kind: "integer", min: 1n, max: 100n },
  minuteDecayFactor: { kind: "decimal", min: u("0.9"), max: ONE, maxExclusive: true },
  scaleFactor: { kind: "integer", min: 1000n, max: 10n ** 15n },
  initialPrice: { kind: "decimal", min: 1n, max: u("100000000000") },
  redemptionBootstrapDays: { kind: "integer", min: 0n, max: 365n },
  utilizationPremiumEnabled: { kind: "boolean" },
  debtCeiling: { kind: "decimal", min: u("1"), max: u("1000000000000") },
  utilizationPremiumStart: { kind: "decimal", min: 0n, max: ONE, maxExclusive: true },
  utilizationPremiumMax: { kind: "decimal", min: 0n, max: u("0.1") },
};

/** Least distance between CCR and MCR. */
export const CCR_MARGIN = u("0.1");

export const PARAM_NAMES = Object.keys(PARAM_BOUNDS) as (keyof Params)[];

function checkBound(name: keyof Params, value: bigint | boolean): void {
  const bound = PARAM_BOUNDS[name];
  if (bound.kind === "boolean") {
    if (typeof value !== "boolean")
      throw new ProtocolError("invalidParameter", `${name}: expected a boolean`);
    return;
  }
  if (typeof value !== "bigint") throw new ProtocolError("invalidParameter", `${name}: expected a number`);
  const show = (v: bigint) => (bound.kind === "decimal" ? formatDecimal(v) : v.toString());
  if (bound.min !== undefined && value < bound.min) {
    throw new ProtocolError(
      "invalidParameter",
      `${name} = ${show(value)} is below its minimum ${show(bound.min)}`,
    );
  }
  if (bound.max !== undefined && (bound.maxExclusive ? value >= bound.max : value > bound.max)) {
    throw new ProtocolError(
      "invalidParameter",
      `${name} = ${show(value)} is above its maximum ${show(bound.max)}${bound.maxExclusive ? " (exclusive)" : ""}`,
    );
  }
}

/** Checks every bound and the relations between parameters; throws invalidParameter. */
export function validateParams(params: Params): Params {
  for (const name of PARAM_NAMES) checkBound(name, params[name]);
  // Recovery mode must start before a typical vault reaches MCR: CCR at least 10 points above MCR.
  if (params.CCR < params.MCR + CCR_MARGIN)
    throw new ProtocolError("invalidParameter", `CCR must be at least MCR + ${formatDecimal(CCR_MARGIN)}`);
  // A vault liquidated at MCR must still cover its debt after the liquidator's compensation: the
  // compensation (collateral / divisor) takes at most half of MCR's margin above 100%.
  if (2n * ONE > (params.MCR - ONE) * params.liquidationCollateralDivisor)
    throw new ProtocolError(
      "invalidParameter",
      "the liquidation compensation (1 / liquidationCollateralDivisor) must be at most half of MCR − 1",
    );
  if (params.borrowingFeeCap < params.borrowingFeeFloor) {
    throw new ProtocolError("invalidParameter", "borrowingFeeCap must not be below borrowingFeeFloor");
  }
  return params;
}

/** Parses one parameter value from JSON (decimal string, integer number or boolean). */
export function parseParamValue(name: string, raw: unknown): bigint | boolean {
  if (!(name in PARAM_BOUNDS)) throw new ProtocolError("invalidParameter", `unknown parameter "${name}"`);
  const bound = PARAM_BOUNDS[name as keyof Params];
  if (bound.kind === "boolean") {
    if (typeof raw !== "boolean")
      throw new ProtocolError("invalidParameter", `${name}: expected true or false`);
    return raw;
  }
  const text = typeof raw === "number" && Number.isSafeInteger(raw) ? String(raw) : raw;
  if (bound.kind === "integer") {
    if (typeof text !== "string" || !/^[0-9]+$/.test(text)) {
      throw new ProtocolError(
        "invalidParameter",
        `${name}: expected a whole number, got ${JSON.stringify(raw)}`,
      );
    }
    return BigInt(text);
  }
  try {
    return parseDecimal(text, name);
  } catch (error) {
    throw new ProtocolError("invalidParameter", (error as Error).message);
  }
}

/** Defaults overridden by a JSON object of parameter values, validated. */
export function paramsFromJson(overrides: unknown): Params {
  if (overrides === undefined || overrides === null) return validateParams({ ...DEFAULT_PARAMS });
  if (typeof overrides !== "object" || Array.isArray(overrides)) {
    throw new ProtocolError("invalidParameter", "params must be an object");
  }
  const params: Params = { ...DEFAULT_PARAMS };
  for (const [name, raw] of Object.entries(overrides)) {
    (params as unknown as Record<string, bigint | boolean>)[name] = parseParamValue(name, raw);
  }
  return validateParams(params);
}
