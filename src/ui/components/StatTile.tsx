/** One labelled figure on the dashboard. `raw` is the engine's exact value, exposed for tests and tools. */

import type { ReactNode } from "react";
import { exactDecimal } from "../../client/index.ts";

interface StatTileProps {
  /** Stable id for tests (`data-stat`). */
  id: string;
  label: string;
  value: ReactNode;
  /** The exact 18-decimal engine value (or a count) behind `value`. */
  raw?: bigint;
  /** Plain integers (counts) are shown as is in `data-value`, not as 18-decimal amounts. */
  rawIsCount?: boolean;
  hint?: ReactNode;
}

export function StatTile({ id, label, value, raw, rawIsCount = false, hint }: StatTileProps) {
  const exact = raw === undefined ? undefined : rawIsCount ? raw.toString() : exactDecimal(raw);
  return (
    <div className="card stat" data-stat={id} data-value={exact}>
      <dt className="stat-label">{label}</dt>
      <dd className="stat-value">{value}</dd>
      {hint ? <dd className="stat-hint">{hint}</dd> : null}
    </div>
  );
}
