/**
 * Line chart of accepted BTC/USD readings (recharts; this module is its own chunk, loaded only
 * when a chart is shown). Prices become numbers here only as plot coordinates (toPlotNumber).
 */

import { Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatUsd, type PricePoint, toPlotNumber } from "../../../client/index.ts";

export default function PriceChart({ points }: { points: PricePoint[] }) {
  const data = points.map((p) => ({ at: p.at, price: toPlotNumber(p.price), exact: p.price }));
  const span = points.length > 1 ? points[points.length - 1]!.at - points[0]!.at : 0;
  const time = (ms: number) =>
    new Date(ms).toLocaleTimeString([], {
      hour: "2-digit",
      minute: "2-digit",
      ...(span < 10 * 60_000 ? { second: "2-digit" } : {}),
    });
  return (
    <figure className="chart" aria-label={`BTC/USD over this session, ${points.length} readings`}>
      <ResponsiveContainer width="100%" height={180}>
        <LineChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 8 }}>
          <XAxis
            dataKey="at"
            type="number"
            domain={["dataMin", "dataMax"]}
            tickFormatter={time}
            stroke="var(--text-muted)"
            fontSize={12}
          />
          <YAxis
            domain={["auto", "auto"]}
            width={72}
            stroke="var(--text-muted)"
            fontSize={12}
            tickFormatter={(v: number) => `$${Math.round(v).toLocaleString("en-US")}`}
          />
          <Tooltip
            labelFormatter={(v) => time(Number(v))}
            formatter={(_v, _n, item) => [formatUsd((item.payload as { exact: bigint }).exact), "BTC/USD"]}
            contentStyle={{ background: "var(--surface)", border: "1px solid var(--border)" }}
          />
          <Line
            type="monotone"
            dataKey="price"
            stroke="var(--accent)"
            dot={false}
            strokeWidth={2}
            isAnimationActive={false}
          />
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}
