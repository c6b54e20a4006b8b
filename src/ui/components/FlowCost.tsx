import { formatBtc, formatCount, formatUsd } from "../../client/index.ts";
import type { FlowCost } from "../../client/tx/index.ts";
import { SATOSHI } from "../../protocol/index.ts";

const usd = (sats: bigint, price: bigint) => formatUsd((sats * SATOSHI * price) / 10n ** 18n);

export function FlowCostPanel({ cost, price }: { cost: FlowCost | { error: string } | null; price: bigint }) {
  if (!cost) return null;
  if ("error" in cost)
    return (
      <p className="notice notice-danger" role="alert" data-testid="review-total-error">
        Your wallet cannot pay every transaction this flow sends (the price update first, then this
        operation): {cost.error}
      </p>
    );
  return (
    <section className="flow-cost" aria-labelledby="flow-cost-title">
      <h3 id="flow-cost-title">Total network fees of this flow</h3>
      <ul className="io-list">
        {cost.lines.map((l) => (
          <li
            key={l.id}
            data-testid="cost-line"
            data-id={l.id}
            data-value={l.fee.toString()}
            data-vsize={l.vsize}
          >
            <span className="io-kind">{l.label}</span>
            <span>≤ {formatCount(BigInt(l.vsize))} vB</span>
            <span className="io-amount">≤ {formatCount(l.fee)} sats</span>
          </li>
        ))}
      </ul>
      <p data-testid="review-total" data-value={cost.total.toString()}>
        <strong>
          At most {formatCount(cost.total)} sats ({formatBtc(cost.total * SATOSHI)}) ≈{" "}
          {usd(cost.total, price)}
        </strong>{" "}
        at {cost.feeRate} sat/vB, for{" "}
        {cost.lines.length === 1 ? "one transaction" : `${cost.lines.length} transactions`}. Sized with the
        largest signatures, attestation and proof, so the real fees can only be lower; the app sends nothing
        that would pay more.
      </p>
    </section>
  );
}
