/** Shared formatting of engine views for operator commands: JSON with decimal strings, table cells. */
import { listProposals } from "../governance/index.ts";
import {
  formatMetric,
  type GovernanceStatus,
  governanceStatusOf,
  type MetricSample,
} from "../monitoring/index.ts";
import {
  type DepositView,
  formatDecimal,
  MAX_UINT256,
  ONE,
  type Params,
  type State,
  type VaultView,
} from "../protocol/index.ts";

/** Exact decimal string; null for the no-debt "infinite" ratio. */
export const dec = (v: bigint): string | null => (v >= MAX_UINT256 ? null : formatDecimal(v));

/** A ratio as a percentage with two decimals, truncated ("157.94%"); "∞" without debt. */
export function percent(ratio: bigint): string {
  if (ratio >= MAX_UINT256) return "∞";
  const bp = (ratio * 10_000n) / ONE;
  return `${bp / 100n}.${(bp % 100n).toString().padStart(2, "0")}%`;
}

/** An amount rounded down to `places` decimals, for tables. */
export function short(v: bigint, places = 4): string {
  const scale = 10n ** BigInt(18 - places);
  const t = v / scale;
  const whole = t / 10n ** BigInt(places);
  const frac = (t % 10n ** BigInt(places)).toString().padStart(places, "0");
  return places === 0 ? whole.toString() : `${whole}.${frac}`;
}

export function vaultJson(v: VaultView, params: Params) {
  return {
    owner: v.owner,
    status: v.status,
    collateral: formatDecimal(v.collateral),
    debt: formatDecimal(v.debt),
    icr: dec(v.icr),
    liquidationPrice: dec(liquidationPrice(v.collateral, v.debt, params.MCR)),
    pendingCollateralReward: formatDecimal(v.pendingCollateralReward),
    pendingDebtReward: formatDecimal(v.pendingDebtReward),
    stake: formatDecimal(v.stake),
  };
}

/** Price at which ICR falls to `ratio` (MCR): debt · ratio / collateral, rounded up; null without collateral. */
export function liquidationPrice(collateral: bigint, debt: bigint, ratio: bigint): bigint {
  if (debt === 0n) return 0n;
  if (collateral === 0n) return MAX_UINT256;
  const n = debt * ratio;
  return (n + collateral - 1n) / collateral;
}

export const VAULT_COLUMNS = ["owner", "collateral BTC", "debt zkUSD", "ICR", "liq. price"] as const;

export const vaultRow = (v: VaultView, params: Params): string[] => [
  v.owner,
  short(v.collateral, 8),
  short(v.debt, 2),
  percent(v.icr),
  short(liquidationPrice(v.collateral, v.debt, params.MCR), 2),
];

export const depositJson = (d: DepositView) => ({
  owner: d.owner,
  initial: formatDecimal(d.initial),
  compounded: formatDecimal(d.compounded),
  btcGain: formatDecimal(d.btcGain),
});

/** Samples as JSON: exact integer strings plus a readable value. */
export const sampleJson = (s: MetricSample) => ({
  metric: s.metric,
  at: s.at,
  value: s.value.toString(),
  display: formatMetric(s.metric, s.value),
});

/** Governance facts for the health score, when the source has the engine state. */
export function governanceStatus(state: State | null): GovernanceStatus | null {
  if (!state) return null;
  return governanceStatusOf({
    paused: state.gov.paused,
    shutdown: state.gov.shutdown,
    proposals: listProposals(state),
  });
}
