/**
 * `zkusd oracle price [--json]`: reads BTC/USD from the six exchanges once, over REST, with the same
 * oracle code the app runs (validation, retry, breaker, rate limits), and prints the aggregate with
 * each source's quote and verdict. Each exchange's base URL can be overridden by an environment
 * variable (ZKUSD_ORACLE_URL_BINANCE, …_COINBASE, …_KRAKEN, …_BITSTAMP, …_OKX, …_BYBIT), e.g. a
 * proxy or a server answering that exchange's real paths. Exit code 3 when the price is unavailable.
 */
import { type Command, InvalidArgumentError } from "commander";
import {
  formatReading,
  OracleError,
  PriceOracle,
  readingToJson,
  SOURCE_IDS,
  type SourceId,
  type SourceSettings,
} from "../oracle/index.ts";

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

export function registerOracle(program: Command): void {
  const oracle = program.command("oracle").description("exchange prices as the app's oracle reads them");
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
    .option(
      "--method <method>",
      'aggregate with "median" or "volume-weighted" (median by 24 h volume)',
      method,
      "median",
    )
    .action(
      async (options: { json?: boolean; timeout: number; method: "median" | "volumeWeightedMedian" }) => {
        let priceOracle: PriceOracle;
        try {
          priceOracle = new PriceOracle({
            sources: sourceSettingsFromEnv(),
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
            ? `${JSON.stringify(readingToJson(reading), null, 2)}\n`
            : `${formatReading(reading)}\n`,
        );
        if (reading.status !== "ok") process.exitCode = EXIT_REFUSED;
      },
    );
}
