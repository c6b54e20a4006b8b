/**
 * A vault's risk, every figure from the engine's risk view (src/protocol/views.ts `vaultRisk`): a
 * meter from 100% to 300% with the MCR and CCR lines, the liquidation price, what recovery mode would
 * mean for this vault, and its place in the redemption queue (the debt redeemed before it). The UI
 * only words and draws what the engine says; ratios become numbers only to place the marker.
 */
import { formatCount, formatPercent, formatUsd, formatZkusd, toPlotNumber } from "../../client/index.ts";
import type { RiskLevel, SystemRiskLevel, VaultRisk } from "../../protocol/index.ts";
import { Figure } from "./forms.tsx";

const LOW = 1;
const HIGH = 3;

/** Where a ratio sits on the meter, 0–100 (%), clamped. */
const at = (ratio: bigint) =>
  ((Math.min(Math.max(toPlotNumber(ratio), LOW), HIGH) - LOW) / (HIGH - LOW)) * 100;

export const RISK_LABEL: Record<RiskLevel, string> = {
  liquidatable: "Can be liquidated now",
  danger: "At risk",
  caution: "Near the recovery-mode line",
  safe: "Healthy",
};

/** The tone a figure takes for a vault's level (green only when clear of both lines). */
export const riskTone = (level: RiskLevel): "ok" | "warn" | "danger" =>
  level === "safe" ? "ok" : level === "caution" ? "warn" : "danger";

/** The tone for the system's ratio (green only when clear of the recovery-mode line). */
export const systemTone = (level: SystemRiskLevel): "ok" | "warn" | "danger" =>
  level === "safe" ? "ok" : level === "caution" ? "warn" : "danger";

export function RiskMeter({
  icr,
  level,
  mcr,
  ccr,
}: {
  icr: bigint;
  level: RiskLevel;
  mcr: bigint;
  ccr: bigint;
}) {
  return (
    <div className={`risk-meter risk-${level}`} data-testid="risk-meter" data-level={level}>
      <div className="risk-track" aria-hidden="true">
        <span className="risk-zone risk-zone-danger" style={{ width: `${at(mcr)}%` }} />
        <span className="risk-zone risk-zone-warn" style={{ width: `${at(ccr) - at(mcr)}%` }} />
        <span className="risk-zone risk-zone-ok" style={{ width: `${100 - at(ccr)}%` }} />
        <span className="risk-marker" style={{ left: `${at(icr)}%` }} />
      </div>
      <div className="risk-scale" aria-hidden="true">
        <span style={{ left: `${at(mcr)}%` }}>MCR {formatPercent(mcr, 0)}</span>
        <span style={{ left: `${at(ccr)}%` }}>CCR {formatPercent(ccr, 0)}</span>
        <span className="risk-scale-end">300%+</span>
      </div>
      <meter
        className="visually-hidden"
        aria-label="Your vault's collateral ratio"
        aria-valuetext={`${formatPercent(icr)}: ${RISK_LABEL[level]}`}
        min={LOW * 100}
        max={HIGH * 100}
        low={toPlotNumber(mcr) * 100}
        high={toPlotNumber(ccr) * 100}
        optimum={HIGH * 100}
        value={Math.min(toPlotNumber(icr), HIGH) * 100}
      />
      <p className="risk-label">
        <strong>{RISK_LABEL[level]}</strong> at {formatPercent(icr)}
      </p>
    </div>
  );
}

/** The vault's risk card: meter, lines as prices, recovery mode, redemption queue, warnings. */
export function VaultRiskPanel({
  risk,
  price,
  recoveryMode,
  mcr,
  ccr,
}: {
  risk: VaultRisk;
  price: bigint;
  recoveryMode: boolean;
  mcr: bigint;
  ccr: bigint;
}) {
  return (
    <section className="card vault-risk" aria-labelledby="risk-title" data-testid="vault-risk">
      <h2 id="risk-title">Risk</h2>
      <RiskMeter icr={risk.icr} level={risk.level} mcr={mcr} ccr={ccr} />
      <RiskWarning risk={risk} price={price} mcr={mcr} ccr={ccr} />
      <dl className="figures">
        <Figure
          id="vault-liquidation-price"
          label={`Liquidation price (ratio ${formatPercent(mcr, 0)})`}
          raw={risk.liquidationPrice}
          tone={riskTone(risk.level)}
        >
          {risk.liquidationPrice ? formatUsd(risk.liquidationPrice) : "—"}
        </Figure>
        <Figure
          id="vault-recovery-liquidation-price"
          label={`Below ${formatPercent(ccr, 0)} at`}
          raw={risk.recoveryLiquidationPrice}
        >
          {risk.recoveryLiquidationPrice ? formatUsd(risk.recoveryLiquidationPrice) : "—"}
        </Figure>
        <Figure
          id="system-recovery-price"
          label="System enters recovery mode at"
          raw={risk.systemRecoveryPrice}
        >
          {recoveryMode ? "now" : risk.systemRecoveryPrice ? formatUsd(risk.systemRecoveryPrice) : "—"}
        </Figure>
        <Figure id="vault-debt-ahead" label="Debt redeemed before yours" raw={risk.debtAhead}>
          {risk.redemptionRank === null
            ? "— (below the minimum ratio: redemptions skip it)"
            : risk.redemptionRank === 1n
              ? "none: first in line for redemption"
              : `${formatZkusd(risk.debtAhead)} (number ${formatCount(risk.redemptionRank)} in the queue)`}
        </Figure>
      </dl>
      <p
        className="small muted"
        data-testid="recovery-meaning"
        data-liquidatable={risk.liquidatableInRecovery}
      >
        {recoveryMode
          ? "The system is in recovery mode now: "
          : `If the BTC price falls to ${risk.systemRecoveryPrice ? formatUsd(risk.systemRecoveryPrice) : "—"}, the system enters recovery mode: `}
        {risk.liquidatableInRecovery
          ? `your vault's ratio is below the system's, so in recovery mode it could be liquidated (when the stability pool can absorb its debt) even above ${formatPercent(mcr, 0)}. Adding collateral moves it out of reach.`
          : `your vault's ratio is above the system's, so recovery-mode liquidation would not reach it; withdrawals would stop and new debt would have to keep it above ${formatPercent(ccr, 0)}.`}
        {risk.redemptionRank === 1n
          ? " Redemptions take BTC from your vault first (at face value: you lose no value, but your collateral and debt shrink)."
          : ""}
      </p>
    </section>
  );
}

/** The warning a vault near or below a line gets (none when safe). */
function RiskWarning({
  risk,
  price,
  mcr,
  ccr,
}: {
  risk: VaultRisk;
  price: bigint;
  mcr: bigint;
  ccr: bigint;
}) {
  return risk.level === "liquidatable" ? (
    <p className="notice notice-danger" role="alert" data-testid="risk-warning">
      Your vault is below the liquidation line at {formatUsd(price)} per BTC: anyone can liquidate it now. Add
      collateral or repay debt at once.
    </p>
  ) : risk.level === "danger" ? (
    <p className="notice notice-danger" role="alert" data-testid="risk-warning">
      Your vault is at {formatPercent(risk.icr)}, close to the {formatPercent(mcr, 0)} liquidation line: a
      fall of the BTC price to {formatUsd(risk.liquidationPrice ?? 0n)} lets anyone liquidate it. Add
      collateral or repay debt.
    </p>
  ) : risk.level === "caution" ? (
    <p className="notice notice-warn" role="alert" data-testid="risk-warning">
      Your vault is near the {formatPercent(ccr, 0)} recovery-mode line: if the system enters recovery mode
      while your vault is below {formatPercent(ccr, 0)}, it can be liquidated even above{" "}
      {formatPercent(mcr, 0)}.
    </p>
  ) : null;
}
