import { formatPercent, isInfiniteRatio, toPlotNumber } from "../../client/index.ts";

const MIN = 1;
const MAX = 3;
const CX = 100;
const CY = 100;
const R = 80;

/** Point on the arc for a ratio (clamped to the gauge's range). */
function pointAt(ratio: number): { x: number; y: number } {
  const fraction = (Math.min(Math.max(ratio, MIN), MAX) - MIN) / (MAX - MIN);
  const angle = Math.PI * (1 - fraction);
  return { x: CX + R * Math.cos(angle), y: CY - R * Math.sin(angle) };
}

function arc(from: number, to: number): string {
  const a = pointAt(from);
  const b = pointAt(to);
  return `M ${a.x.toFixed(2)} ${a.y.toFixed(2)} A ${R} ${R} 0 0 1 ${b.x.toFixed(2)} ${b.y.toFixed(2)}`;
}

interface TcrGaugeProps {
  tcr: bigint;
  mcr: bigint;
  ccr: bigint;
}

export function TcrGauge({ tcr, mcr, ccr }: TcrGaugeProps) {
  const infinite = isInfiniteRatio(tcr);
  const value = toPlotNumber(tcr);
  const mcrAt = toPlotNumber(mcr);
  const ccrAt = toPlotNumber(ccr);
  const needle = pointAt(value);
  const zone = value < mcrAt ? "danger" : value < ccrAt ? "warn" : "ok";
  const text = infinite
    ? "Infinite: the system has no debt yet"
    : `${formatPercent(tcr)}, ${zone === "ok" ? "normal mode" : zone === "warn" ? "recovery mode" : "below the minimum ratio"}`;
  return (
    <figure className={`gauge gauge-${zone}`}>
      <svg viewBox="0 0 200 112" aria-hidden="true" focusable="false">
        <path className="gauge-zone gauge-zone-danger" d={arc(MIN, mcrAt)} />
        <path className="gauge-zone gauge-zone-warn" d={arc(mcrAt, ccrAt)} />
        <path className="gauge-zone gauge-zone-ok" d={arc(ccrAt, MAX)} />
        <line className="gauge-needle" x1={CX} y1={CY} x2={needle.x.toFixed(2)} y2={needle.y.toFixed(2)} />
        <circle className="gauge-hub" cx={CX} cy={CY} r="5" />
      </svg>
      <div className="gauge-scale" aria-hidden="true">
        <span>100%</span>
        <span>MCR {formatPercent(mcr, 0)}</span>
        <span>CCR {formatPercent(ccr, 0)}</span>
        <span>300%+</span>
      </div>
      <meter
        className="visually-hidden"
        aria-label="Total collateral ratio"
        aria-valuetext={text}
        min={MIN * 100}
        max={MAX * 100}
        low={mcrAt * 100}
        high={ccrAt * 100}
        optimum={MAX * 100}
        value={Math.min(value, MAX) * 100}
      />
    </figure>
  );
}
