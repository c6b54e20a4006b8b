/**
 * `zkusd oracle price [--json]`: reads BTC/USD from the six exchanges once, over REST, with the same
 * oracle code the app runs (validation, retry, breaker, rate limits), and prints the aggregate with
 * each source's quote and verdict. Each exchange's base URL can be overridden by an environment
 * variable (ZKUSD_ORACLE_URL_BINANCE, …_COINBASE, …_KRAKEN, …_BITSTAMP, …_OKX, …_BYBIT), e.g. a
 * proxy or a server answering that exchange's real paths. Exit code 3 when the price is unavailable.
 * `zkusd oracle sources` reads once and prints each source's health (transport, breaker, verdict);
 * `zkusd oracle history` prints the prices a data source recorded (scenario steps, guardian attestations).
 */
import { type Command, InvalidArgumentError } from "commander";
import { LOCAL_STACK } from "../devnet/local-stack.ts";
import {
  formatReading,
  OracleError,
  PriceOracle,
  priceFeedSources,
  readingToJson,
  SOURCE_IDS,
  SOURCES,
  type SourceId,
  type SourceSettings,
} from "../oracle/index.ts";
import { formatDecimal } from "../protocol/index.ts";
import { loadConfigOrFail } from "./config.ts";
import { action, EXIT as CLI_EXIT, emit } from "./output.ts";
import { open, type SourceOptions, withSource } from "./source.ts";

/** See main.ts: 1 bad input, 3 operation refused. */
const EXIT_BAD_INPUT = 1;
const EXIT_REFUSED = 3;

export const ORACLE_URL_ENV: Readonly<Record<SourceId, string>> = {
  binance: "ZKUSD_ORACLE_URL_BINANCE",
  coinbase: "ZKUSD_ORACLE_URL_COINBASE",
  kraken: "ZKUSD_ORACLE_URL_KRAKEN",
  bitstamp: "ZKUSD_ORACLE_URL_BITSTAMP",
  okx: "ZKUSD_ORACLE_URL_OKX",
  bybit: "ZKUSD_ORACLE_URL_BYBIT",
};

/**
 * Where the CLI reads prices: `--feed URL` (one feed serving every exchange's paths, such as the local
 * stack's), else the local feed on regtest (a regtest chain has no market; the app does the same), else
 * the exchanges. Per-source environment variables win over either.
 */
export interface FeedChoice {
  /** The feed's URL, or null for the exchanges' own endpoints. */
  feed: string | null;
  sources: Partial<Record<SourceId, SourceSettings>>;
  /** The base URL each source is read from: what the command says it used. */
  urls: Record<SourceId, string>;
}

export async function chooseFeed(
  o: { feed?: string; config?: string },
  env: NodeJS.ProcessEnv = process.env,
): Promise<FeedChoice> {
  let feed: string | null;
  if (o.feed === "exchanges") feed = null;
  else if (o.feed !== undefined) feed = o.feed;
  else feed = (await loadConfigOrFail(o.config)).network === "regtest" ? LOCAL_STACK.priceFeed : null;
  const sources = { ...(feed ? priceFeedSources(feed) : {}), ...sourceSettingsFromEnv(env) };
  const urls = Object.fromEntries(
    SOURCE_IDS.map((id) => [id, sources[id]?.baseUrl ?? SOURCES[id].rest.baseUrl]),
  ) as Record<SourceId, string>;
  return { feed, sources, urls };
}

/** One line saying where the prices came from: the feed when every source used it, else each source. */
function describeSources(choice: FeedChoice): string {
  const urls = Object.values(choice.urls);
  if (choice.feed && urls.every((u) => u.startsWith(`${choice.feed}/`)))
    return `sources read: the price feed at ${choice.feed}`;
  return `sources read: ${SOURCE_IDS.map((id) => `${id} ${choice.urls[id]}`).join(", ")}`;
}

const FEED_OPTION = [
  "--feed <url>",
  `read every exchange's REST paths from one price feed ("exchanges" for the real ones; default: the local stack's ${LOCAL_STACK.priceFeed} on regtest, the exchanges elsewhere)`,
] as const;

/** Source base URLs from the environment; unset or empty variables keep the public endpoints. */
export function sourceSettingsFromEnv(
  env: NodeJS.ProcessEnv = process.env,
): Partial<Record<SourceId, SourceSettings>> {
  const settings: Partial<Record<SourceId, SourceSettings>> = {};
  for (const id of SOURCE_IDS) {
    const url = env[ORACLE_URL_ENV[id]]?.trim();
    if (url) settings[id] = { baseUrl: url, transport: "rest" };
  }
  return settings;
}

const positiveInteger = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) <= 0)
    throw new InvalidArgumentError("expected a positive whole number of milliseconds");
  return Number(value);
};

const method = (value: string): "median" | "volumeWeightedMedian" => {
  if (value === "median") return "median";
  if (value === "volume-weighted") return "volumeWeightedMedian";
  throw new InvalidArgumentError('expected "median" or "volume-weighted"');
};

export function registerOracle(oracle: Command): void {
  oracle
    .command("price")
    .description(
      "read BTC/USD from Binance, Coinbase, Kraken, Bitstamp, OKX and Bybit and print the aggregate",
    )
    .option(
      "--json",
      "print one JSON document: { status, price, sources: [{ source, price, volume, timestamp, accepted, reason }] }",
    )
    .option("--timeout <ms>", "per-request timeout", positiveInteger, 5_000)
    .option(...FEED_OPTION)
    .option("--config <file>", "config file (default $ZKUSD_CONFIG or ~/.zkusd/config.json)")
    .option(
      "--method <method>",
      'aggregate with "median" or "volume-weighted" (median by 24 h volume)',
      method,
      "median",
    )
    .action(
      async (options: {
        json?: boolean;
        timeout: number;
        method: "median" | "volumeWeightedMedian";
        feed?: string;
        config?: string;
      }) => {
        let priceOracle: PriceOracle;
        let choice: FeedChoice;
        try {
          choice = await chooseFeed(options);
          priceOracle = new PriceOracle({
            sources: choice.sources,
            timeoutMs: options.timeout,
            rules: { method: options.method },
          });
        } catch (error) {
          const message = error instanceof OracleError ? error.message : String(error);
          process.stderr.write(`zkusd oracle price: ${message}\n`);
          process.exitCode = EXIT_BAD_INPUT;
          return;
        }
        const reading = await priceOracle.readPrice();
        priceOracle.close();
        process.stdout.write(
          options.json
            ? `${JSON.stringify({ ...readingToJson(reading), sourceUrls: choice.urls }, null, 2)}\n`
            : `${formatReading(reading)}\n${describeSources(choice)}\n`,
        );
        if (reading.status !== "ok") process.exitCode = EXIT_REFUSED;
      },
    );
  registerOracleSources(oracle);
}

/** `oracle sources` and `oracle history`. */
export function registerOracleSources(oracle: Command): void {
  registerSourcesCommand(oracle);
  registerHistoryCommand(oracle);
}

/** Reads the exchanges once and describes every source: transport, breaker, block, verdict. */
function registerSourcesCommand(oracle: Command): void {
  oracle
    .command("sources")
    .description(
      "read every exchange once and print each source's health: transport, circuit breaker, verdict",
    )
    .option("--format <format>", "text, table, json or minimal", (v: string) => parseFormatArg(v), "table")
    .option("--json", "same as --format json")
    .option("--timeout <ms>", "per-request timeout", positiveInteger, 5_000)
    .option(...FEED_OPTION)
    .option("--config <file>", "config file (default $ZKUSD_CONFIG or ~/.zkusd/config.json)")
    .action(
      action(
        "oracle sources",
        async (o: { format: string; json?: boolean; timeout: number; feed?: string; config?: string }) => {
          const choice = await chooseFeed(o);
          const priceOracle = new PriceOracle({ sources: choice.sources, timeoutMs: o.timeout });
          const reading = await priceOracle.readPrice();
          const health = priceOracle.health();
          priceOracle.close();
          const rows = reading.sources.map((v) => {
            const h = health.find((x) => x.source === v.source);
            return {
              source: v.source,
              name: h?.name ?? v.source,
              transport: v.transport,
              quoteCurrency: v.quoteCurrency,
              price: v.price === null ? null : formatDecimal(v.price),
              ageMs: v.timestamp === null ? null : Math.max(0, reading.at - v.timestamp),
              accepted: v.accepted,
              reason: v.rejection ? `${v.rejection.code}: ${v.rejection.reason}` : null,
              breaker: h?.breaker.state ?? null,
              blocked: h?.blocked ?? null,
            };
          });
          const accepted = rows.filter((r) => r.accepted).length;
          emit(
            {
              json: {
                status: reading.status,
                price: reading.price === null ? null : formatDecimal(reading.price),
                accepted,
                sourceUrls: choice.urls,
                sources: rows,
              },
              table: {
                columns: ["source", "price", "age s", "breaker", "verdict"],
                rows: rows.map((r) => [
                  r.source,
                  r.price === null ? "-" : `${r.price} ${r.quoteCurrency}`,
                  r.ageMs === null ? "-" : String(Math.round(r.ageMs / 1000)),
                  r.breaker ?? "-",
                  r.accepted ? "accepted" : `rejected (${r.reason})`,
                ]),
              },
              minimal: rows
                .filter((r) => r.accepted)
                .map((r) => r.source)
                .join("\n"),
            },
            o.json ? "json" : (o.format as "text" | "table" | "json" | "minimal"),
          );
          return reading.status === "ok" ? CLI_EXIT.ok : CLI_EXIT.unavailable;
        },
      ),
    );
}

function registerHistoryCommand(oracle: Command): void {
  withSource(
    oracle
      .command("history")
      .description(
        "prices recorded by a data source, oldest first (a scenario's setPrice steps, a guardian's attestations)",
      )
      .option("--limit <n>", "only the newest n", positiveInteger),
  ).action(
    action("oracle history", async (o: SourceOptions & { limit?: number }) => {
      const { snap, format } = await open(o);
      const list = o.limit ? snap.prices.slice(-o.limit) : [...snap.prices];
      emit(
        {
          json: {
            source: snap.source,
            prices: list.map((p) => ({
              at: p.at,
              time: new Date(p.at).toISOString(),
              price: formatDecimal(p.price),
            })),
          },
          table: {
            columns: ["time", "BTC/USD"],
            rows: list.map((p) => [new Date(p.at).toISOString(), formatDecimal(p.price)]),
          },
          minimal: list.map((p) => formatDecimal(p.price)).join("\n"),
        },
        format,
      );
      return CLI_EXIT.ok;
    }),
  );
}

function parseFormatArg(value: string): string {
  if (!["text", "table", "json", "minimal"].includes(value))
    throw new InvalidArgumentError("expected one of text, table, json, minimal");
  return value;
}
