/**
 * The dashboard's history (recharts; its own chunk, loaded only when there are points to draw): the
 * total collateral ratio with the MCR and CCR lines, and zkUSD supply with total debt, after each block
 * that changed the state. The x axis is the block height; a value holds until the next point, so the
 * lines are steps. Amounts become numbers here only as plot coordinates (toPlotNumber); captions,
 * tooltips and data attributes use the exact bigints.
 */

import {
  CartesianGrid,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from "recharts";
import {
  exactDecimal,
  formatCount,
  formatPercent,
  formatZkusd,
  type HistoryPoint,
  isInfiniteRatio,
  toPlotNumber,
} from "../../../client/index.ts";

export interface HistoryChartsProps {
  /** Oldest first, at least two. */
  points: HistoryPoint[];
  mcr: bigint;
  ccr: bigint;
}

const axis = { stroke: "var(--text-muted)", fontSize: 12 } as const;
const tooltipStyle = { background: "var(--surface)", border: "1px solid var(--border)" } as const;
const compact = new Intl.NumberFormat("en-US", { notation: "compact", maximumFractionDigits: 1 });

const when = (seconds: number) =>
  new Date(seconds * 1000).toLocaleString([], { dateStyle: "medium", timeStyle: "short" });

const blockLabel = (points: HistoryPoint[]) => (height: unknown) => {
  const p = points.find((x) => x.height === Number(height));
  return p ? `Block ${formatCount(p.height)}, ${when(p.time)}` : `Block ${String(height)}`;
};

/** Round ratio ticks from 0 past `top`: steps of 25%, 50%, 100%, 250%… so that there are 4 to 8. */
function ratioTicks(top: number): number[] {
  const step = [0.25, 0.5, 1, 2.5, 5, 10, 25, 50, 100].find((s) => top / s <= 7) ?? 250;
  return Array.from({ length: Math.ceil(top / step) + 1 }, (_, i) => i * step);
}

const ratioText = (tcr: bigint) => (isInfiniteRatio(tcr) ? "infinite (no debt)" : formatPercent(tcr));

export default function HistoryCharts({ points, mcr, ccr }: HistoryChartsProps) {
  return (
    <div className="history-charts">
      <TcrChart points={points} mcr={mcr} ccr={ccr} />
      <SupplyChart points={points} />
    </div>
  );
}

/** The frame both charts share: title, an accessible summary, the chart (a recharts LineChart) and a caption. */
function HistoryFigure(props: {
  testId: string;
  title: string;
  points: HistoryPoint[];
  summary: string;
  latest: Record<`data-latest-${string}`, string | number>;
  caption: React.ReactNode;
  children: React.ReactElement;
}) {
  const { testId, title, points, summary, latest, caption, children } = props;
  return (
    <figure className="chart history-chart" data-testid={testId} data-points={points.length} {...latest}>
      <h3 className="stat-label">{title}</h3>
      <div role="img" aria-label={`Chart over ${points.length} blocks. ${summary}`}>
        <ResponsiveContainer width="100%" height={200}>
          {children}
        </ResponsiveContainer>
      </div>
      <figcaption className="muted small" data-testid={`${testId}-summary`}>
        {caption}
      </figcaption>
    </figure>
  );
}

/** The block-height x axis (a function, not a component: recharts reads its chart's direct children). */
const heightAxis = () => (
  <XAxis
    dataKey="height"
    type="number"
    domain={["dataMin", "dataMax"]}
    allowDecimals={false}
    tickFormatter={(h: number) => formatCount(h)}
    {...axis}
  />
);

const chartMargin = { top: 8, right: 12, bottom: 0, left: 0 } as const;

/** A dashed reference line's label: MCR below its line, CCR above its own, so they never overlap. */
const lineLabel = (value: string, position: "insideTopLeft" | "insideBottomLeft", fill: string) => ({
  value,
  position,
  fill,
  fontSize: 11,
});

function tcrSummary({ points, mcr, ccr }: HistoryChartsProps): string {
  const last = points[points.length - 1]!;
  const finite = points.filter((p) => !isInfiniteRatio(p.tcr));
  const lowest = finite.reduce<HistoryPoint | undefined>((m, p) => (!m || p.tcr < m.tcr ? p : m), undefined);
  return (
    `Total collateral ratio at block ${formatCount(last.height)}: ${ratioText(last.tcr)}` +
    (lowest && finite.length > 1
      ? `; lowest ${formatPercent(lowest.tcr)} at block ${formatCount(lowest.height)}`
      : "") +
    `. Minimum ratio ${formatPercent(mcr, 0)}, recovery mode below ${formatPercent(ccr, 0)}.`
  );
}

function TcrChart({ points, mcr, ccr }: HistoryChartsProps) {
  const last = points[points.length - 1]!;
  // No debt = an infinite ratio: no coordinate, a gap in the line (the caption says so).
  const data = points.map((p) => ({
    height: p.height,
    tcr: isInfiniteRatio(p.tcr) ? null : toPlotNumber(p.tcr),
    exact: p.tcr,
  }));
  const ccrAt = toPlotNumber(ccr);
  const ticks = ratioTicks(Math.max(ccrAt * 1.2, ...data.map((d) => d.tcr ?? 0)));
  const summary = tcrSummary({ points, mcr, ccr });
  return (
    <HistoryFigure
      testId="tcr-chart"
      title="Total collateral ratio"
      points={points}
      summary={summary}
      latest={{
        "data-latest-height": last.height,
        "data-latest-tcr": isInfiniteRatio(last.tcr) ? "infinite" : exactDecimal(last.tcr),
      }}
      caption={summary}
    >
      <LineChart data={data} margin={chartMargin}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
        {heightAxis()}
        <YAxis
          domain={[0, ticks.at(-1)!]}
          ticks={ticks}
          width={52}
          tickFormatter={(v: number) => `${Math.round(v * 100)}%`}
          {...axis}
        />
        <ReferenceLine
          y={toPlotNumber(mcr)}
          stroke="var(--danger)"
          strokeDasharray="4 4"
          label={lineLabel(`MCR ${formatPercent(mcr, 0)}`, "insideTopLeft", "var(--danger)")}
        />
        <ReferenceLine
          y={ccrAt}
          stroke="var(--warn)"
          strokeDasharray="4 4"
          label={lineLabel(`CCR ${formatPercent(ccr, 0)}`, "insideBottomLeft", "var(--warn)")}
        />
        <Tooltip
          labelFormatter={blockLabel(points)}
          formatter={(_v, _n, item) => [ratioText((item.payload as { exact: bigint }).exact), "TCR"]}
          contentStyle={tooltipStyle}
        />
        <Line
          type="stepAfter"
          dataKey="tcr"
          stroke="var(--accent)"
          strokeWidth={2}
          dot={points.length <= 30}
          isAnimationActive={false}
        />
      </LineChart>
    </HistoryFigure>
  );
}

function SupplyChart({ points }: { points: HistoryPoint[] }) {
  const last = points[points.length - 1]!;
  const data = points.map((p) => ({
    height: p.height,
    supply: toPlotNumber(p.zkusdSupply),
    debt: toPlotNumber(p.totalDebt),
    exactSupply: p.zkusdSupply,
    exactDebt: p.totalDebt,
  }));
  const summary =
    `At block ${formatCount(last.height)}: zkUSD supply ${formatZkusd(last.zkusdSupply)}, ` +
    `total debt ${formatZkusd(last.totalDebt)} (${when(last.time)}).`;
  return (
    <HistoryFigure
      testId="supply-chart"
      title="zkUSD supply and total debt"
      points={points}
      summary={summary}
      latest={{
        "data-latest-height": last.height,
        "data-latest-supply": exactDecimal(last.zkusdSupply),
        "data-latest-debt": exactDecimal(last.totalDebt),
      }}
      caption={
        <>
          <span className="legend-swatch" style={{ color: "var(--accent)" }} aria-hidden="true">
            ━
          </span>{" "}
          zkUSD supply,{" "}
          <span className="legend-swatch" style={{ color: "var(--focus)" }} aria-hidden="true">
            ┅
          </span>{" "}
          total debt. {summary}
        </>
      }
    >
      <LineChart data={data} margin={chartMargin}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
        {heightAxis()}
        <YAxis domain={[0, "auto"]} width={52} tickFormatter={(v: number) => compact.format(v)} {...axis} />
        <Tooltip
          labelFormatter={blockLabel(points)}
          formatter={(_v, name, item) => {
            const p = item.payload as { exactSupply: bigint; exactDebt: bigint };
            return name === "supply"
              ? [formatZkusd(p.exactSupply), "zkUSD supply"]
              : [formatZkusd(p.exactDebt), "Total debt"];
          }}
          contentStyle={tooltipStyle}
        />
        <Line
          type="stepAfter"
          dataKey="supply"
          name="supply"
          stroke="var(--accent)"
          strokeWidth={2}
          dot={points.length <= 30}
          isAnimationActive={false}
        />
        <Line
          type="stepAfter"
          dataKey="debt"
          name="debt"
          stroke="var(--focus)"
          strokeWidth={2}
          strokeDasharray="6 3"
          dot={false}
          isAnimationActive={false}
        />
      </LineChart>
    </HistoryFigure>
  );
}
