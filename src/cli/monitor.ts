/**
 * `zkusd monitor rules|watch|export`: the alert rules in force (defaults for the source's parameters
 * plus the config's), a watch loop that records metrics, evaluates the rules and notifies the
 * configured channels, and an export of recorded series (JSON, CSV or a table).
 */
import { appendFile, readFile } from "node:fs/promises";
import { hostname } from "node:os";
import { type Command, InvalidArgumentError } from "commander";
import {
  type AlertEvent,
  type AlertRule,
  defaultRules,
  describeCondition,
  eventMessage,
  healthScore,
  isMetricName,
  type MetricName,
  type MetricSample,
  Monitor,
  mergeRules,
  Notifier,
  ruleToJson,
} from "../monitoring/index.ts";
import { smtpSender } from "../monitoring/node.ts";
import { DEFAULT_PARAMS, type Params } from "../protocol/index.ts";
import type { Config } from "./config.ts";
import { loadConfigOrFail } from "./config.ts";
import {
  action,
  CliError,
  colorsFor,
  EXIT,
  emit,
  type Format,
  parseFormat,
  progress,
  progressDone,
} from "./output.ts";
import { formatOf, open, openSnapshot, type SourceOptions, withSource } from "./source.ts";
import { governanceStatus, sampleJson } from "./views.ts";

const rulesFor = (params: Params, config: Config): AlertRule[] =>
  mergeRules(defaultRules(params), config.rules);

const positive = (what: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1)
    throw new InvalidArgumentError(`expected a whole number of ${what} ≥ 1`);
  return Number(value);
};
const time = (value: string) => {
  if (/^\d+$/.test(value)) return Number(value);
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError("expected milliseconds since the epoch or an ISO date");
  return t;
};
const collect = (value: string, previous: MetricName[] = []) => {
  if (!isMetricName(value)) throw new InvalidArgumentError(`unknown metric "${value}"`);
  return [...previous, value];
};

function eventJson(e: AlertEvent) {
  return {
    type: e.type,
    at: new Date(e.at).toISOString(),
    rule: e.alert.ruleId,
    severity: e.alert.severity,
    metric: e.alert.metric,
    message: eventMessage(e),
    value: e.alert.lastValue.toString(),
  };
}

export function registerMonitor(monitor: Command): void {
  registerRules(monitor);
  registerWatch(monitor);
  registerExport(monitor);
}

function registerRules(monitor: Command): void {
  monitor
    .command("rules")
    .description(
      "the alert rules in force: defaults for the protocol's dangers plus monitor.rules from the config",
    )
    .option("--config <file>", "config file (default $ZKUSD_CONFIG or ~/.zkusd/config.json)")
    .option("--format <format>", "text, table, json or minimal", parseFormat)
    .action(
      action("monitor rules", async (o: { config?: string; format?: Format }) => {
        const config = await loadConfigOrFail(o.config);
        const rules = rulesFor(DEFAULT_PARAMS, config);
        emit(
          {
            json: { rules: rules.map(ruleToJson) },
            table: {
              columns: ["rule", "severity", "condition", "cooldown", "auto-resolve"],
              rows: rules.map((r) => [
                r.id + (r.enabled === false ? " (off)" : ""),
                r.severity,
                describeCondition(r.metric, r.condition),
                `${r.cooldownMs / 60_000} min`,
                r.resolveAfterMs === null
                  ? "by hand"
                  : r.resolveAfterMs === 0
                    ? "when clear"
                    : `clear ${r.resolveAfterMs / 60_000} min`,
              ]),
            },
          },
          formatOf(o, config, "table"),
        );
        return EXIT.ok;
      }),
    );
}

type WatchOptions = SourceOptions & {
  interval?: number;
  once?: boolean;
  count?: number;
  notify?: boolean;
  record?: string;
};

function registerWatch(monitor: Command): void {
  withSource(
    monitor
      .command("watch")
      .description(
        "record metrics, evaluate the rules and print alerts as they fire and resolve; a scenario is replayed step by step. Exit 4 when alerts are still firing at the end",
      )
      .option(
        "--interval <seconds>",
        "seconds between polls of a live source (default monitor.intervalSeconds or 30)",
        positive("seconds"),
      )
      .option("--once", "poll once and exit (same as --count 1)")
      .option("--count <n>", "stop after n polls of a live source", positive("polls"))
      .option("--notify", "send alerts to the channels in monitor.channels (webhooks, e-mail)")
      .option(
        "--record <file>",
        "append every sample to FILE as JSON lines (read back by monitor export --from-record)",
      ),
  ).action(action("monitor watch", watch));
}

async function watch(o: WatchOptions): Promise<number> {
  const config = await loadConfigOrFail(o.config);
  const format = formatOf(o, config);
  const print = alertPrinter(format, notifierFor(o, config));
  const record = async (samples: readonly MetricSample[]) => {
    if (o.record)
      await appendFile(o.record, samples.map((s) => `${JSON.stringify(sampleJson(s))}\n`).join(""));
  };
  let snap = await openSnapshot(o, config);
  const mon = new Monitor({ rules: rulesFor(snap.params, config) });
  if (snap.series && snap.times) {
    // A replay: evaluate at every recorded time, in order.
    for (const [i, at] of snap.times.entries()) {
      if (i % 100 === 0 && snap.times.length > 1000) progress(`step ${i}/${snap.times.length}`);
      const samples = snap.series.filter((s) => s.at === at);
      await record(samples);
      await print(await mon.record(samples, at));
    }
    progressDone();
  } else {
    snap = await pollLive(o, config, snap, async (polled) => {
      await record(polled.metrics);
      await print(await mon.record(polled.metrics, polled.at));
    });
  }
  return printSummary(format, mon, snap);
}

function notifierFor(o: WatchOptions, config: Config): Notifier | null {
  const notifier =
    o.notify && config.channels.length > 0
      ? new Notifier(config.channels, {
          source: `zkusd-cli@${hostname()}`,
          ...(config.smtp ? { sendEmail: smtpSender(config.smtp) } : {}),
        })
      : null;
  if (o.notify && !notifier)
    process.stderr.write("zkusd monitor watch: --notify: no channels in monitor.channels\n");
  return notifier;
}

/** Prints alert events as they fire and resolve (and sends them to the channels, with --notify). */
function alertPrinter(format: Format, notifier: Notifier | null) {
  const colors = colorsFor();
  return async (events: AlertEvent[]) => {
    for (const e of events) {
      if (format === "json") process.stdout.write(`${JSON.stringify(eventJson(e))}\n`);
      else if (format !== "minimal") {
        const tag =
          e.type === "resolved"
            ? colors.green("RESOLVED")
            : e.alert.severity === "warning" || e.alert.severity === "info"
              ? colors.yellow(e.alert.severity.toUpperCase())
              : colors.red(e.alert.severity.toUpperCase());
        process.stdout.write(
          `${new Date(e.at).toISOString()} ${tag} ${e.alert.ruleId}: ${eventMessage(e)}\n`,
        );
      }
      if (notifier) {
        for (const r of await notifier.notify(e))
          if (!r.ok) process.stderr.write(`zkusd monitor watch: ${r.channel}: ${r.error}\n`);
      }
    }
  };
}

type Snapshot = Awaited<ReturnType<typeof openSnapshot>>;

/** Polls a live source every interval (--once, --count, or until SIGINT/SIGTERM); returns the last snapshot. */
async function pollLive(
  o: WatchOptions,
  config: Config,
  first: Snapshot,
  onSnapshot: (snap: Snapshot) => Promise<void>,
): Promise<Snapshot> {
  let snap = first;
  const polls = o.once ? 1 : (o.count ?? Number.POSITIVE_INFINITY);
  const intervalMs = (o.interval ?? config.intervalSeconds) * 1000;
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  for (let n = 0; n < polls && !stop; n++) {
    if (n > 0) {
      await new Promise((r) => setTimeout(r, intervalMs));
      if (stop) break;
      try {
        snap = await openSnapshot(o, config);
      } catch (error) {
        // A live source going away is itself worth saying, but the watch keeps going.
        process.stderr.write(`zkusd monitor watch: ${(error as Error).message}\n`);
        continue;
      }
    }
    await onSnapshot(snap);
  }
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  return snap;
}

/** The alerts still firing and the health score at the end of a watch; exit 4 when any fire. */
async function printSummary(format: Format, mon: Monitor, snap: Snapshot): Promise<number> {
  const colors = colorsFor();
  const active = mon.alerts.active();
  const health = healthScore({
    metrics: await mon.latest(),
    params: snap.params,
    alerts: active,
    governance: governanceStatus(snap.state),
  });
  const summary = {
    type: "summary",
    source: snap.source,
    active: active.map((a) => ({
      rule: a.ruleId,
      severity: a.severity,
      message: a.message,
      since: new Date(a.firedAt).toISOString(),
    })),
    health: { score: health.score, band: health.band },
  };
  if (format === "json") process.stdout.write(`${JSON.stringify(summary)}\n`);
  else if (format === "minimal") process.stdout.write(active.map((a) => `${a.ruleId}\n`).join(""));
  else
    process.stdout.write(
      `${active.length === 0 ? colors.green("no alerts firing") : colors.red(`${active.length} alert(s) firing: ${active.map((a) => a.ruleId).join(", ")}`)}; health ${health.score}/100 ${health.band}\n`,
    );
  return active.length > 0 ? EXIT.alertFiring : EXIT.ok;
}

type ExportOptions = SourceOptions & {
  fromRecord?: string;
  metric?: MetricName[];
  since?: number;
  until?: number;
  csv?: boolean;
};

function registerExport(monitor: Command): void {
  withSource(
    monitor
      .command("export")
      .description(
        "metric series as JSON, CSV or a table: a scenario's recorded series, a --record file, or a live snapshot",
      )
      .option("--from-record <file>", "read samples written by monitor watch --record")
      .option("--metric <name>", "only this metric (repeatable)", collect)
      .option("--since <time>", "from this time (ms since the epoch or ISO date)", time)
      .option("--until <time>", "up to this time (ms since the epoch or ISO date)", time)
      .option("--csv", "CSV (at,metric,value) instead of --format"),
  ).action(action("monitor export", exportSeries));
}

async function exportSeries(o: ExportOptions): Promise<number> {
  const config = await loadConfigOrFail(o.config);
  let samples: MetricSample[];
  let source: string;
  if (o.fromRecord) {
    samples = await readRecord(o.fromRecord);
    source = `record ${o.fromRecord}`;
  } else {
    const { snap } = await open(o);
    samples = [...(snap.series ?? snap.metrics)];
    source = snap.source;
  }
  const keep = new Set(o.metric ?? []);
  samples = samples.filter(
    (s) =>
      (keep.size === 0 || keep.has(s.metric)) &&
      (o.since === undefined || s.at >= o.since) &&
      (o.until === undefined || s.at <= o.until),
  );
  samples.sort((a, b) => a.at - b.at || a.metric.localeCompare(b.metric));
  if (o.csv) {
    process.stdout.write(
      `at,metric,value\n${samples.map((s) => `${s.at},${s.metric},${s.value}`).join("\n")}${samples.length ? "\n" : ""}`,
    );
    return EXIT.ok;
  }
  const metrics: Record<string, { at: number; value: string }[]> = {};
  for (const s of samples) {
    metrics[s.metric] ??= [];
    metrics[s.metric]!.push({ at: s.at, value: s.value.toString() });
  }
  emit(
    {
      json: { source, metrics },
      table: {
        columns: ["time", "metric", "value"],
        rows: samples.map((s) => [new Date(s.at).toISOString(), s.metric, sampleJson(s).display]),
      },
      minimal: samples.map((s) => `${s.at} ${s.metric} ${s.value}`).join("\n"),
    },
    formatOf(o, config, "json"),
  );
  return EXIT.ok;
}

async function readRecord(file: string): Promise<MetricSample[]> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.badInput);
  }
  return text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((line, i) => {
      try {
        const j = JSON.parse(line) as { metric: unknown; at: unknown; value: unknown };
        if (
          !isMetricName(j.metric) ||
          typeof j.at !== "number" ||
          typeof j.value !== "string" ||
          !/^-?\d+$/.test(j.value)
        )
          throw new Error("expected {metric, at, value}");
        return { metric: j.metric, at: j.at, value: BigInt(j.value) };
      } catch (error) {
        throw new CliError(`${file}:${i + 1}: ${(error as Error).message}`, EXIT.badInput);
      }
    });
}
