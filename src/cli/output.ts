/**
 * Output for operator commands: one result rendered as text (colour only on a TTY with NO_COLOR
 * unset), an aligned table, JSON (amounts as full-precision decimal strings) or minimal (bare
 * values, one per line, for shell scripts). Errors and progress go to stderr, results to stdout.
 */
import { InvalidArgumentError } from "commander";

/** Exit codes scripts can rely on (docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** Bad input: a malformed argument, an unreadable or invalid file, an unknown vault. */
  badInput: 1,
  /** Usage: unknown command or option, missing argument, no data source. */
  usage: 2,
  /** Refused or unavailable: the data source cannot answer (guardian down, no price, not supported). */
  unavailable: 3,
  /** A monitor check found alerts firing. */
  alertFiring: 4,
} as const;

export class CliError extends Error {
  override readonly name = "CliError";
  constructor(
    message: string,
    readonly exitCode: number = EXIT.badInput,
  ) {
    super(message);
  }
}

export const FORMATS = ["text", "table", "json", "minimal"] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(value: string): Format {
  if ((FORMATS as readonly string[]).includes(value)) return value as Format;
  throw new InvalidArgumentError(`expected one of ${FORMATS.join(", ")}`);
}

export interface Table {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

/** One command's result in every format. `text` defaults to the table, `minimal` to the first column. */
export interface Result {
  readonly json: unknown;
  readonly table?: Table;
  readonly text?: (c: Colors) => string;
  readonly minimal?: string;
}

export interface Colors {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
  readonly green: (s: string) => string;
}

const wrap = (open: number, close: number) => (s: string) => `\x1b[${open}m${s}\x1b[${close}m`;
const plainColors: Colors = {
  bold: (s) => s,
  dim: (s) => s,
  red: (s) => s,
  yellow: (s) => s,
  green: (s) => s,
};
const ansiColors: Colors = {
  bold: wrap(1, 22),
  dim: wrap(2, 22),
  red: wrap(31, 39),
  yellow: wrap(33, 39),
  green: wrap(32, 39),
};

/** Colour only for people: a TTY, and NO_COLOR (https://no-color.org) unset or empty. */
export function colorsFor(stream: { isTTY?: boolean } = process.stdout, env = process.env): Colors {
  return stream.isTTY && !env.NO_COLOR ? ansiColors : plainColors;
}

export function renderTable(table: Table): string {
  const widths = table.columns.map((c, i) =>
    Math.max(c.length, ...table.rows.map((r) => (r[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] as number))
      .join("  ")
      .trimEnd();
  return [line(table.columns), line(widths.map((w) => "-".repeat(w))), ...table.rows.map(line)].join("\n");
}

/** JSON with bigints as strings (callers format amounts as decimals before; this is a safety net). */
export const toJson = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2);

export function render(result: Result, format: Format, colors = colorsFor()): string {
  switch (format) {
    case "json":
      return toJson(result.json);
    case "table":
      return result.table ? renderTable(result.table) : toJson(result.json);
    case "minimal":
      return (
        result.minimal ??
        (result.table ? result.table.rows.map((r) => r[0] ?? "").join("\n") : toJson(result.json))
      );
    case "text":
      return result.text
        ? result.text(colors)
        : result.table
          ? renderTable(result.table)
          : toJson(result.json);
  }
}

// A reader that stops early (`zkusd … | head`) is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

export function emit(result: Result, format: Format): void {
  const text = render(result, format);
  process.stdout.write(text.endsWith("\n") || text === "" ? text : `${text}\n`);
}

/** Progress for long work: on stderr, and only when stderr is a terminal (scripts stay quiet). */
export function progress(message: string): void {
  if (process.stderr.isTTY) process.stderr.write(`\r\x1b[2K${message}`);
}
export function progressDone(): void {
  if (process.stderr.isTTY) process.stderr.write("\r\x1b[2K");
}

/**
 * Runs a command's action: a CliError (or any error) becomes a message on stderr and its exit
 * code; nothing is thrown to commander, so the exit code stays the documented one.
 */
export function action<A extends unknown[]>(
  name: string,
  fn: (...args: A) => Promise<number | undefined> | number | undefined,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      if (code !== undefined && code !== EXIT.ok) process.exitCode = code;
    } catch (error) {
      const code = error instanceof CliError ? error.exitCode : EXIT.badInput;
      process.stderr.write(`zkusd ${name}: ${(error as Error).message}\n`);
      process.exitCode = code;
    }
  };
}
