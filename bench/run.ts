/**
 * `npm run bench` runs every `bench/*.bench.ts`, prints one table and writes bench/results.json.
 * `npm run bench -- protocol` runs only files whose name contains "protocol".
 *
 * Contract for a bench module (keep it this small):
 *
 *   export async function run(): Promise<Figure[]>   // or Figure[]
 *   // Figure = { name: "replay, no root", value: 61234, unit: "ops/s", target?: ">= 50000" }
 *
 * `value` is a measurement (a JS number is fine here); `target` is free text shown next to it.
 * A module that throws is reported as failed and the runner exits 1 after running the others.
 */
import { readdir, readFile, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export interface Figure {
  name: string;
  value: number;
  unit: string;
  target?: string;
}

interface ModuleResult {
  module: string;
  seconds: number;
  figures: Figure[];
  error?: string;
}

const BENCH_DIR = dirname(fileURLToPath(import.meta.url));

function isFigure(value: unknown): value is Figure {
  const f = value as Figure;
  return typeof f?.name === "string" && typeof f.value === "number" && typeof f.unit === "string";
}

async function runModule(file: string): Promise<ModuleResult> {
  const module = basename(file, ".bench.ts");
  const started = performance.now();
  try {
    const loaded = (await import(pathToFileURL(file).href)) as { run?: () => unknown };
    if (typeof loaded.run !== "function") throw new Error("exports no run() function");
    const figures = await loaded.run();
    if (!Array.isArray(figures) || !figures.every(isFigure)) {
      throw new Error("run() must return an array of { name, value, unit, target? }");
    }
    return { module, seconds: (performance.now() - started) / 1000, figures };
  } catch (error) {
    return { module, seconds: (performance.now() - started) / 1000, figures: [], error: String(error) };
  }
}

function formatValue(value: number): string {
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 1 ? 2 : 4;
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

function printTable(results: ModuleResult[]): void {
  const rows = [["module", "figure", "value", "unit", "target"]];
  for (const result of results) {
    if (result.error) rows.push([result.module, "FAILED", "", "", result.error]);
    for (const f of result.figures)
      rows.push([result.module, f.name, formatValue(f.value), f.unit, f.target ?? ""]);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((row) => row[col]!.length)));
  const line = (row: string[]) =>
    row.map((cell, col) => (col === 2 ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!))).join("  ");
  console.log(line(rows[0]!));
  console.log(widths.map((w) => "─".repeat(w)).join("  "));
  for (const row of rows.slice(1)) console.log(line(row));
}

async function readPrevious(path: string): Promise<ModuleResult[]> {
  try {
    const parsed = JSON.parse(await readFile(path, "utf8")) as { results?: ModuleResult[] };
    return Array.isArray(parsed.results) ? parsed.results : [];
  } catch {
    return [];
  }
}

async function main(filters: string[]): Promise<number> {
  const files = (await readdir(BENCH_DIR))
    .filter((name) => name.endsWith(".bench.ts"))
    .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
    .sort();
  if (files.length === 0) {
    console.log(`no bench/*.bench.ts modules${filters.length ? ` matching ${filters.join(", ")}` : ""}`);
    return 0;
  }
  const results: ModuleResult[] = [];
  for (const name of files) {
    console.error(`running ${name}…`);
    results.push(await runModule(join(BENCH_DIR, name)));
  }
  printTable(results);
  const output = join(BENCH_DIR, "results.json");
  // A filtered run replaces only its modules' entries; the others' last results are kept.
  const previous = await readPrevious(output);
  const ran = new Set(results.map((r) => r.module));
  const report = {
    date: new Date().toISOString(),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    results: [...previous.filter((r) => !ran.has(r.module)), ...results].sort((a, b) =>
      a.module.localeCompare(b.module),
    ),
  };
  await writeFile(output, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${output}`);
  return results.some((r) => r.error) ? 1 : 0;
}

process.exitCode = await main(process.argv.slice(2));
