/**
 * Vaults from the riskiest up, with their ratio and liquidation price at the engine's price, and a
 * liquidate action for any vault the engine would liquidate (previewed first: the liquidator's
 * compensation, and whether the pool absorbs the debt or it is redistributed).
 */

import { useState } from "react";
import { formatBtc, formatPercent, formatUsd, formatZkusd, shortHex } from "../../client/index.ts";
import type { Operation } from "../../protocol/index.ts";
import { EngineRefusal, Figure, REFUSAL_ADVICE } from "../components/forms.tsx";
import { Current, SyncWait } from "../components/SyncWait.tsx";
import { TransactionReview } from "../components/TransactionReview.tsx";
import { useAtRisk, useEngineInfo, usePreview, useSystemSummary } from "../queries/engine.ts";
import { useSyncGate } from "../queries/readiness.ts";
import { useAccountId } from "../wallet/wallet-store.ts";

export default function LiquidationsPage() {
  const info = useEngineInfo();
  const summary = useSystemSummary();
  const atRisk = useAtRisk(50);
  const liquidator = useAccountId();
  const [target, setTarget] = useState<string | null>(null);
  // Frozen when the review opens: the vault leaves the list once liquidated, the review stays.
  const [reviewing, setReviewing] = useState<Operation | null>(null);
  const op: Operation | null = target && liquidator ? { type: "liquidate", owner: target, liquidator } : null;
  const preview = usePreview(op);
  const gate = useSyncGate();
  const mcr = info.data?.params.MCR;
  const ccr = info.data?.params.CCR;
  return (
    <section className="page" aria-labelledby="page-title">
      <header className="page-header">
        <h1 id="page-title">Liquidations</h1>
      </header>
      <p className="muted">
        A vault below {mcr ? formatPercent(mcr, 0) : "MCR"} (or below {ccr ? formatPercent(ccr, 0) : "CCR"} in
        recovery mode) can be liquidated by anyone. The liquidator receives the{" "}
        {info.data ? formatZkusd(info.data.params.gasReserve) : "…"} reserve and 0.5% of the collateral; the
        stability pool absorbs the debt.
      </p>
      {reviewing && summary.data ? (
        <TransactionReview
          title="Liquidate a vault"
          op={reviewing}
          price={summary.data.price}
          onCancel={() => {
            setReviewing(null);
            setTarget(null);
          }}
        />
      ) : atRisk.isError ? (
        <p className="notice notice-danger" role="alert">
          The engine could not list vaults: {(atRisk.error as Error).message}
        </p>
      ) : !atRisk.data ? (
        <p className="card loading" role="status">
          Reading vaults from the engine…
        </p>
      ) : atRisk.data.length === 0 ? (
        <Current>
          <div className="card empty" data-testid="no-vaults">
            <p>
              <strong>No active vaults.</strong> The engine holds no vault at this block, so nothing can be
              liquidated. Vaults appear here once they are opened on chain and the chain sync (data layer) has
              applied them.
            </p>
          </div>
        </Current>
      ) : (
        <Current>
          <AtRiskTable
            vaults={atRisk.data}
            liquidator={liquidator}
            canAct={gate.ready}
            onLiquidate={setTarget}
          />
        </Current>
      )}
      {op && !reviewing ? (
        <LiquidationPreview
          target={target!}
          preview={preview}
          gate={gate}
          onReview={() => op && gate.ready && setReviewing(op)}
          onCancel={() => setTarget(null)}
        />
      ) : null}
    </section>
  );
}

type AtRiskVault = NonNullable<ReturnType<typeof useAtRisk>["data"]>[number];

function AtRiskTable(props: {
  vaults: AtRiskVault[];
  liquidator: string | undefined;
  canAct: boolean;
  onLiquidate: (owner: string) => void;
}) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a region that scrolls sideways on a phone must be reachable by keyboard (axe scrollable-region-focusable)
    <section className="card table-card" tabIndex={0} aria-label="Vaults at risk">
      <table className="table" data-testid="at-risk">
        <caption className="visually-hidden">Vaults from the lowest collateral ratio</caption>
        <thead>
          <tr>
            <th scope="col">Owner</th>
            <th scope="col">Collateral</th>
            <th scope="col">Debt</th>
            <th scope="col">Ratio</th>
            <th scope="col">Liquidation price</th>
            <th scope="col">
              <span className="visually-hidden">Action</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.vaults.map((v) => (
            <AtRiskRow key={v.owner} vault={v} {...props} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function AtRiskRow({
  vault: v,
  liquidator,
  canAct,
  onLiquidate,
}: {
  vault: AtRiskVault;
  liquidator: string | undefined;
  canAct: boolean;
  onLiquidate: (owner: string) => void;
}) {
  // The engine's answer (src/protocol/views.ts isLiquidatable), not a rule copied here.
  const liquidatable = v.liquidatable;
  const mine = v.owner === liquidator;
  return (
    <tr
      className={liquidatable ? "row-danger" : undefined}
      data-owner={v.owner}
      data-liquidatable={liquidatable ? "yes" : "no"}
    >
      <td>
        <code title={v.owner}>{shortHex(v.owner, 10)}</code>
        {mine ? <span className="badge badge-ready">yours</span> : null}
      </td>
      <td>{formatBtc(v.collateral)}</td>
      <td>{formatZkusd(v.debt)}</td>
      <td data-value={v.icr.toString()}>{formatPercent(v.icr)}</td>
      <td>{v.liquidationPrice ? formatUsd(v.liquidationPrice) : "—"}</td>
      <td>
        {mine ? (
          <span className="muted small">
            {liquidatable ? "Yours: add collateral or repay now" : "Your vault"}
          </span>
        ) : liquidatable ? (
          <button
            type="button"
            className="button button-primary button-small"
            disabled={!liquidator || !canAct}
            title={liquidator ? undefined : "Connect a wallet to liquidate"}
            onClick={() => onLiquidate(v.owner)}
            data-testid="liquidate-button"
          >
            Liquidate…
          </button>
        ) : (
          <span className="muted small">Healthy</span>
        )}
      </td>
    </tr>
  );
}

/** The engine's answer for liquidating one vault, before the review: what is absorbed, redistributed and paid. */
function LiquidationPreview(props: {
  target: string;
  preview: ReturnType<typeof usePreview>;
  gate: ReturnType<typeof useSyncGate>;
  onReview: () => void;
  onCancel: () => void;
}) {
  const { target, preview, gate, onReview, onCancel } = props;
  return (
    <div className="card preview" data-testid="liquidation-preview">
      <h2>Liquidating {shortHex(target, 10)}</h2>
      <SyncWait gate={gate} />
      <Current quiet>
        {!preview.data ? (
          <p className="loading">Asking the engine…</p>
        ) : !preview.data.ok ? (
          <EngineRefusal
            code={preview.data.code}
            message={preview.data.message}
            {...(REFUSAL_ADVICE[preview.data.code] ? { advice: REFUSAL_ADVICE[preview.data.code]! } : {})}
          />
        ) : (
          <>
            <LiquidationFigures result={preview.data.result} />
            <div className="actions">
              <button
                type="button"
                className="button button-primary"
                data-testid="review-button"
                disabled={!gate.ready || preview.isPlaceholderData}
                onClick={onReview}
              >
                Review transaction
              </button>
              <button type="button" className="button button-ghost" onClick={onCancel}>
                Cancel
              </button>
            </div>
          </>
        )}
      </Current>
    </div>
  );
}

function LiquidationFigures({ result }: { result: Record<string, unknown> }) {
  return (
    <dl className="figures">
      <Figure id="liquidated-debt" label="Debt liquidated" raw={result.liquidatedDebt as bigint}>
        {formatZkusd(result.liquidatedDebt as bigint)}
      </Figure>
      <Figure id="offset" label="Absorbed by the pool" raw={result.offsetDebt as bigint}>
        {formatZkusd(result.offsetDebt as bigint)}
      </Figure>
      <Figure id="redistributed" label="Redistributed to vaults" raw={result.redistributedDebt as bigint}>
        {formatZkusd(result.redistributedDebt as bigint)}
      </Figure>
      <Figure id="compensation" label="You receive" raw={result.collateralCompensation as bigint}>
        {formatBtc(result.collateralCompensation as bigint)} + {formatZkusd(result.gasReserve as bigint)}
      </Figure>
    </dl>
  );
}
