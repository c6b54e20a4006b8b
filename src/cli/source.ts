/**
 * Where operator commands read the protocol from, as one snapshot of views with bigint amounts:
 * - `--from-scenario FILE.json`: replays a scenario (docs/scenarios.md) through the engine, with the
 *   engine metrics after every step as a recorded series;
 * - `--store FILE`: the data layer's Node file store (src/storage openFileStore), as the indexer or a
 *   guardian left it: the head's state and the recorded prices;
 * - `--backup FILE`: a backup file (docs/decisions.md §7), checksum and state root verified before use;
 * - `--guardian URL` (or `guardian` in the config): a guardian daemon's API (GET /v1/status,
 *   /v1/pool, /v1/vaults, /v1/attestations; bigints as integer strings). The guardian does not
 *   publish its parameters or governance, so defaults are assumed and governance is unavailable.
 */
import { access, readFile } from "node:fs/promises";
import type { Command } from "commander";
import { DEFAULT_LOCAL_STACK_PORTS, LOCAL_STACK, localStackUrls } from "../devnet/local-stack.ts";
import {
  type EngineMetricOptions,
  engineMetrics,
  latencyMetric,
  type MetricSample,
  oracleMetrics,
  recordScenario,
  ScenarioInputError,
  syncMetrics,
} from "../monitoring/index.ts";
import {
  type DepositView,
  depositView,
  deserializeState,
  initPoseidon,
  type Params,
  parseDecimal,
  riskiestVaults,
  type State,
  type SystemSummary,
  stateRoot,
  systemSummary,
  type VaultView,
} from "../protocol/index.ts";
import { openFileStore } from "../storage/file.ts";
import { BackupError, readBackup } from "../storage/index.ts";
import { type Config, loadConfigOrFail } from "./config.ts";
import { CliError, EXIT, type Format, parseFormat, progress, progressDone } from "./output.ts";

export interface Snapshot {
  /** "scenario FILE" or "guardian URL". */
  readonly source: string;
  /** When the snapshot was taken: block time for replays, wall clock for guardians (ms). */
  readonly at: number;
  readonly params: Params;
  /** False when the source does not publish its parameters and the defaults are assumed. */
  readonly paramsKnown: boolean;
  readonly summary: SystemSummary;
  /** Active vaults, riskiest first. */
  readonly vaults: readonly VaultView[];
  /** Stability pool deposits, or null when the source cannot list them. */
  readonly deposits: readonly DepositView[] | null;
  /** Prices over time, oldest first (setPrice steps, or the guardian's attestations). */
  readonly prices: readonly { at: number; price: bigint }[];
  readonly chain: { height: number; tip: number; stateRoot: string } | null;
  /** Metrics at `at`: engine metrics plus what the source adds (sync, oracle, latency). */
  readonly metrics: readonly MetricSample[];
  /** The full recorded series (scenario replays), oldest first; null for live sources. */
  readonly series: readonly MetricSample[] | null;
  readonly times: readonly number[] | null;
  /** The engine state itself when the source has it (scenario, store, backup); null for guardians. */
  readonly state: State | null;
}

export interface SourceOptions {
  fromScenario?: string;
  store?: string;
  backup?: string;
  guardian?: string;
  config?: string;
  format?: Format;
}

/** Adds the data-source, config and format options to a command. */
export function withSource(cmd: Command, formatDefault: Format | null = null): Command {
  return cmd
    .option("--from-scenario <file>", "read state by replaying a scenario file (docs/scenarios.md)")
    .option(
      "--store <file>",
      "read state from a data-layer file store (an indexer's or guardian's store file)",
    )
    .option("--backup <file>", "read state from a backup file (checksum and state root verified)")
    .option("--guardian <url>", "read state from a guardian API (default: guardian in the config)")
    .option("--config <file>", "config file (default $ZKUSD_CONFIG or ~/.zkusd/config.json)")
    .option(
      "--format <format>",
      `output: text, table, json or minimal${formatDefault ? ` (default ${formatDefault})` : " (default text, or format in the config)"}`,
      parseFormat,
    );
}

export function formatOf(o: SourceOptions, config: Config, fallback: Format = "text"): Format {
  return o.format ?? config.format ?? fallback;
}

export async function openSnapshot(o: SourceOptions, config: Config): Promise<Snapshot> {
  const metricOptions: EngineMetricOptions =
    config.atRiskRatio === null ? {} : { atRiskRatio: config.atRiskRatio };
  const chosen = [o.fromScenario, o.store, o.backup, o.guardian].filter((x) => x !== undefined);
  if (chosen.length > 1)
    throw new CliError("choose one source: --from-scenario, --store, --backup or --guardian", EXIT.usage);
  if (o.fromScenario) return scenarioSnapshot(o.fromScenario, metricOptions);
  if (o.store) return storeSnapshot(o.store, metricOptions);
  if (o.backup) return backupSnapshot(o.backup, metricOptions);
  const url = o.guardian ?? config.guardian;
  if (url) return guardianSnapshot(url, metricOptions);
  if (config.network === "regtest") {
    // No source named on regtest: the local stack `npm start` runs, or a sentence saying how to start it.
    // GUARDIAN_PORTS moves the stack's guardians (src/guardian/main.ts): follow it.
    const ports = process.env.GUARDIAN_PORTS;
    const local = ports
      ? localStackUrls({ ...DEFAULT_LOCAL_STACK_PORTS, guardians: [Number(ports.split(",")[0])] })
          .guardians[0]!
      : LOCAL_STACK.guardians[0]!;
    try {
      return await guardianSnapshot(local, metricOptions);
    } catch (error) {
      if (!(error instanceof CliError) || error.exitCode !== EXIT.unavailable) throw error;
      throw new CliError(
        `no data source: the local stack's guardian ${local} does not answer (is \`npm start\` running?); ` +
          "pass --from-scenario, --store, --backup or --guardian, or set one with `zkusd config set guardian URL`",
        EXIT.unavailable,
      );
    }
  }
  throw new CliError(
    "no data source: pass --from-scenario, --store, --backup or --guardian, or set one with `zkusd config set guardian URL`",
    EXIT.usage,
  );
}

/** Loads the config and the snapshot for a command (the common first two lines of every action). */
export async function open(o: SourceOptions): Promise<{ config: Config; snap: Snapshot; format: Format }> {
  const config = await loadConfigOrFail(o.config);
  const snap = await openSnapshot(o, config);
  return { config, snap, format: formatOf(o, config) };
}

export async function scenarioSnapshot(file: string, options: EngineMetricOptions = {}): Promise<Snapshot> {
  let doc: unknown;
  try {
    doc = JSON.parse(await readFile(file, "utf8"));
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.badInput);
  }
  await initPoseidon();
  const count = Array.isArray((doc as { steps?: unknown[] })?.steps)
    ? (doc as { steps: unknown[] }).steps.length
    : 0;
  if (count > 1000) progress(`replaying ${count} steps of ${file}…`);
  let rec: ReturnType<typeof recordScenario>;
  try {
    rec = recordScenario(doc, options);
  } catch (error) {
    if (error instanceof ScenarioInputError) throw new CliError(`${file}: ${error.message}`, EXIT.badInput);
    throw error;
  } finally {
    progressDone();
  }
  const { state } = rec;
  const at = Number(state.g.time) * 1000;
  const prices: { at: number; price: bigint }[] = [];
  for (const s of rec.samples) {
    if (s.metric !== "price") continue;
    if (prices.length === 0 || prices[prices.length - 1]!.price !== s.value)
      prices.push({ at: s.at, price: s.value });
  }
  const deposits = state.accountList.filter((a) => a.depositInitial > 0n).map((a) => depositView(state, a));
  return {
    source: `scenario ${file}`,
    at,
    params: state.params,
    paramsKnown: true,
    summary: systemSummary(state),
    vaults: riskiestVaults(state),
    deposits,
    prices,
    chain: { height: rec.steps.length, tip: rec.steps.length, stateRoot: stateRoot(state) },
    metrics: rec.samples.filter((s) => s.at === at),
    series: rec.samples,
    times: rec.times,
    state,
  };
}

/** A snapshot of a state read from storage (no recorded series: the metrics of the head only). */
function stateSnapshot(
  state: State,
  source: string,
  chain: Snapshot["chain"],
  prices: { at: number; price: bigint }[],
  options: EngineMetricOptions,
): Snapshot {
  const at = Number(state.g.time) * 1000;
  return {
    source,
    at,
    params: state.params,
    paramsKnown: true,
    summary: systemSummary(state),
    vaults: riskiestVaults(state),
    deposits: state.accountList.filter((a) => a.depositInitial > 0n).map((a) => depositView(state, a)),
    prices,
    chain,
    metrics: engineMetrics(state, at, options),
    series: null,
    times: null,
    state,
  };
}

export async function storeSnapshot(file: string, options: EngineMetricOptions = {}): Promise<Snapshot> {
  try {
    await access(file);
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.badInput);
  }
  await initPoseidon();
  let store: Awaited<ReturnType<typeof openFileStore>>;
  try {
    store = await openFileStore(file);
  } catch (error) {
    throw new CliError(`${file} is not a zkUSD store: ${(error as Error).message}`, EXIT.badInput);
  }
  try {
    const head = await store.head();
    if (!head) throw new CliError(`${file}: the store is empty (nothing indexed yet)`, EXIT.unavailable);
    const state = deserializeState(head.state);
    const root = stateRoot(state);
    if (root !== head.root)
      throw new CliError(`${file}: the stored state does not match its root ${head.root}`, EXIT.badInput);
    const prices = (await store.prices()).map((p) => ({ at: p.time * 1000, price: p.price }));
    return stateSnapshot(
      state,
      `store ${file}`,
      { height: head.height, tip: head.height, stateRoot: root },
      prices,
      options,
    );
  } finally {
    await store.close();
  }
}

export async function backupSnapshot(file: string, options: EngineMetricOptions = {}): Promise<Snapshot> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await readFile(file));
  } catch (error) {
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.badInput);
  }
  await initPoseidon();
  let snapshot: ReturnType<typeof readBackup>["snapshot"];
  try {
    snapshot = readBackup(bytes).snapshot;
  } catch (error) {
    if (error instanceof BackupError) throw new CliError(`${file}: ${error.message}`, EXIT.badInput);
    throw error;
  }
  const state = deserializeState(snapshot.head.state);
  const prices = snapshot.prices.map((p) => ({ at: p.time * 1000, price: p.price }));
  return stateSnapshot(
    state,
    `backup ${file}`,
    { height: snapshot.head.height, tip: snapshot.head.height, stateRoot: snapshot.head.root },
    prices,
    options,
  );
}

type Json = Record<string, unknown>;

/** GET a guardian endpoint; network failures and non-2xx answers are "unavailable" (exit 3). */
async function getJson(base: string, path: string): Promise<{ body: Json; ms: number }> {
  const url = `${base.replace(/\/+$/, "")}${path}`;
  const t0 = performance.now();
  let res: Response;
  try {
    res = await fetch(url, { signal: AbortSignal.timeout(15_000), headers: { accept: "application/json" } });
  } catch (error) {
    throw new CliError(
      `guardian ${url}: ${(error as Error).cause ?? (error as Error).message}`,
      EXIT.unavailable,
    );
  }
  const text = await res.text();
  let body: Json;
  try {
    body = JSON.parse(text) as Json;
  } catch {
    throw new CliError(
      `guardian ${url}: answered ${res.status} with something that is not JSON`,
      EXIT.unavailable,
    );
  }
  if (!res.ok) {
    const err = body.error as { code?: string; reason?: string } | undefined;
    const code = res.status === 404 ? EXIT.badInput : EXIT.unavailable;
    throw new CliError(`guardian ${url}: ${res.status} ${err?.code ?? ""} ${err?.reason ?? ""}`.trim(), code);
  }
  return { body, ms: performance.now() - t0 };
}

export async function guardianSnapshot(url: string, options: EngineMetricOptions = {}): Promise<Snapshot> {
  const at = Date.now();
  const status = await getJson(url, "/v1/status");
  const head = await getJson(url, "/v1/state");
  await initPoseidon();
  let state: State;
  try {
    state = deserializeState(head.body.state as Parameters<typeof deserializeState>[0]);
  } catch (error) {
    throw new CliError(
      `guardian ${url}: its state does not decode: ${(error as Error).message}`,
      EXIT.unavailable,
    );
  }
  // Never trust a summary: the engine's own views run on a state that must hash to the root it claims.
  const root = stateRoot(state);
  if (root !== head.body.root)
    throw new CliError(
      `guardian ${url}: its state hashes to ${root}, not to the root ${String(head.body.root)} it reports`,
      EXIT.unavailable,
    );
  const chain = status.body.chain as Json | undefined;
  const tip = chain && typeof chain.tip === "number" ? chain.tip : Number(head.body.height);
  const prices: { at: number; price: bigint }[] = [];
  try {
    const att = await getJson(url, "/v1/attestations");
    for (const a of (att.body.attestations as Json[]) ?? []) {
      const inner = (a.attestation as Json | undefined) ?? a;
      if (typeof inner.price === "string" && /^\d+$/.test(inner.price) && typeof inner.timestamp === "number")
        prices.push({
          at: inner.timestamp * (inner.timestamp < 1e12 ? 1000 : 1),
          price: BigInt(inner.price),
        });
    }
  } catch {
    // No attestations yet: the history is empty.
  }
  const snap = stateSnapshot(
    state,
    `guardian ${url}`,
    { height: Number(head.body.height), tip, stateRoot: root },
    prices,
    options,
  );
  // A live source: the metrics are taken now (wall clock), not at the state's last block time.
  const metrics: MetricSample[] = [...engineMetrics(state, at, options)];
  if (chain && typeof chain.height === "number" && typeof chain.tip === "number") {
    const lastAdvance = typeof chain.lastSyncAt === "number" ? chain.lastSyncAt : at;
    metrics.push(
      ...syncMetrics({ tipHeight: chain.tip, syncedHeight: chain.height, lastAdvanceAt: lastAdvance }, at),
    );
  }
  const reading = (status.body.oracle as Json | undefined)?.reading as Json | null | undefined;
  if (reading) metrics.push(...oracleMetrics(readingFromJson(reading, at), at));
  metrics.push(latencyMetric("guardianLatency", status.ms, at));
  return { ...snap, at, metrics };
}

/** The guardian's readingToJson (decimal strings) back to what oracleMetrics reads. */
function readingFromJson(j: Json, at: number) {
  const dec = (v: unknown): bigint | null => {
    try {
      return typeof v === "string" ? parseDecimal(v) : null;
    } catch {
      return null;
    }
  };
  return {
    status: j.status === "ok" ? ("ok" as const) : ("unavailable" as const),
    price: dec(j.price),
    at,
    sources: ((j.sources as Json[]) ?? []).map((s) => ({
      accepted: s.accepted === true,
      price: dec(s.price),
      timestamp: typeof s.timestamp === "number" ? s.timestamp : null,
    })),
  };
}
