/**
 * Request caps for one Esplora host (Settings): requests per second, burst and requests at once, as
 * the host's scheduler takes them (src/btc/esplora-scheduler.ts). An empty field keeps the host's
 * default, shown as the placeholder; the bounds are the scheduler's (`hostLimitsProblems`).
 */

import { useId } from "react";
import { defaultLimitsFor, type HostLimits, hostLimitsProblems } from "../../client/index.ts";

/** The three fields as typed. */
export type CapsText = Record<keyof HostLimits, string>;

const FIELDS: readonly { key: keyof HostLimits; label: string; testId: string }[] = [
  { key: "rps", label: "Requests per second", testId: "esplora-rps" },
  { key: "burst", label: "Burst", testId: "esplora-burst" },
  { key: "concurrency", label: "At once", testId: "esplora-concurrency" },
];

/** The fields for caps already saved (unset caps are empty fields). */
export function capsText(limits: Partial<HostLimits>): CapsText {
  const text = (v: number | undefined) => (v === undefined ? "" : String(v));
  return { rps: text(limits.rps), burst: text(limits.burst), concurrency: text(limits.concurrency) };
}

/** The caps typed (only the fields filled in) and what is wrong with them. */
export function parseCaps(text: CapsText): { limits: Partial<HostLimits>; problems: string[] } {
  const limits: Partial<HostLimits> = {};
  for (const { key } of FIELDS) {
    const t = text[key].trim();
    if (t === "") continue;
    // Plain decimal notation only ("1e3", "0x10" and "Infinity" are not caps a person types).
    limits[key] = /^\d+(\.\d+)?$/.test(t) ? Number(t) : Number.NaN;
  }
  return { limits, problems: hostLimitsProblems(limits) };
}

const shown = (v: number) => (Number.isFinite(v) ? String(v) : "no cap");

export function HostCapsFields({
  url,
  text,
  onChange,
}: {
  /** The Esplora URL in effect (its host's defaults are the placeholders). */
  url: string;
  text: CapsText;
  onChange: (text: CapsText) => void;
}) {
  const id = useId();
  const defaults = defaultLimitsFor(url);
  let host = url;
  try {
    host = new URL(url).host;
  } catch {
    /* not a URL yet: the field above says so */
  }
  return (
    <fieldset className="source host-caps" data-testid="esplora-caps">
      <legend>Requests to {host}</legend>
      <div className="inline-fields">
        {FIELDS.map(({ key, label, testId }) => (
          <label key={key} className="small" htmlFor={`${id}-${key}`}>
            {label}
            <input
              id={`${id}-${key}`}
              inputMode="decimal"
              autoComplete="off"
              value={text[key]}
              placeholder={shown(defaults[key])}
              onChange={(e) => onChange({ ...text, [key]: e.target.value })}
              data-testid={testId}
            />
          </label>
        ))}
      </div>
      <p className="field-hint">
        Empty: this host's default ({shown(defaults.rps)} per second, burst {shown(defaults.burst)},{" "}
        {shown(defaults.concurrency)} at once). Public servers limit each visitor (blockstream.info: 5 per
        second, burst 10); the app also slows down by itself when a server answers "too many requests". The
        sync uses new caps after a reload.
      </p>
    </fieldset>
  );
}
