/**
 * Replays every scenario in test/scenarios/ (transcribed from Liquity v1's own tests) through the
 * engine's scenario runner and checks the expectations written next to it (NN-name.expected.json).
 * The expectations come from the Liquity test's assertions, not from running this engine; see
 * docs/scenarios.md for the format and for the tolerance rules. Files named governance-*.json are the
 * governance scenarios (docs/governance.md); their expectations follow the rules written there.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { parseDecimal } from "../src/protocol/decimal.ts";
import { initPoseidon } from "../src/protocol/poseidon.ts";
import { runScenario } from "../src/protocol/scenario.ts";

const SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), "scenarios");

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface StepExpectation {
  ok: boolean;
  errorCode?: string;
  result?: Record<string, string>;
  /** Event types, or partial events: every listed field must match (numbers within tolerance). */
  eventsInclude?: (string | Record<string, string>)[];
  /** Event types that must not be emitted by the step. */
  eventsExclude?: string[];
}

interface Expectation {
  steps?: Record<string, StepExpectation>;
  state?: JsonObject;
  /** Absolute tolerances, keyed by path ("state.pool.total", "steps.3.result.btc") or by field name. */
  tolerance?: Record<string, string>;
}

interface Source {
  file: string;
  test: string;
  notes?: string;
}

interface Case {
  name: string;
  source: Source;
  input: JsonObject;
  expected: Expectation;
}

const DECIMAL_TEXT = /^(0|[1-9][0-9]*)(\.[0-9]+)?$/;

function loadCases(): Case[] {
  return readdirSync(SCENARIO_DIR)
    .filter((file) => file.endsWith(".json") && !file.endsWith(".expected.json"))
    .sort()
    .flatMap((file) => {
      const name = file.replace(/\.json$/, "");
      const expectedFile = join(SCENARIO_DIR, `${name}.expected.json`);
      let expectedText: string;
      try {
        expectedText = readFileSync(expectedFile, "utf8");
      } catch {
        return [];
      }
      const input = JSON.parse(readFileSync(join(SCENARIO_DIR, file), "utf8")) as JsonObject;
      return [{ name, source: input.source as unknown as Source, input, expected: JSON.parse(expectedText) }];
    });
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function asDecimalText(value: unknown): string | undefined {
  if (typeof value === "bigint" || typeof value === "number") return String(value);
  if (typeof value === "string" && DECIMAL_TEXT.test(value)) return value;
  return undefined;
}

/** Compares one expected leaf with the actual value; returns a mismatch message or undefined. */
function compareLeaf(
  path: string,
  expected: Json,
  actual: unknown,
  tolerances: Record<string, string>,
): string | undefined {
  if (typeof expected === "string" && DECIMAL_TEXT.test(expected)) {
    if (actual === undefined && expected === "0") return undefined; // absent map entry = zero
    const actualText = asDecimalText(actual);
    if (actualText === undefined) return `${path}: expected ${expected}, got ${JSON.stringify(actual)}`;
    const field = path.split(".").pop() ?? path;
    const tolText = tolerances[path] ?? tolerances[field] ?? "0";
    const want = parseDecimal(expected, path);
    const got = parseDecimal(actualText, path);
    const tol = parseDecimal(tolText, `tolerance ${path}`);
    const diff = got > want ? got - want : want - got;
    if (diff > tol) {
      return `${path}: expected ${expected} (± ${tolText}), got ${actualText} (off by ${formatUnits(diff)})`;
    }
    return undefined;
  }
  if (expected !== actual)
    return `${path}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`;
  return undefined;
}

function formatUnits(units: bigint): string {
  const whole = units / 10n ** 18n;
  const frac = (units % 10n ** 18n).toString().padStart(18, "0").replace(/0+$/, "");
  return frac ? `${whole}.${frac}` : `${whole}`;
}

/** Checks that `actual` contains the `expected` subset. */
function compareSubset(
  path: string,
  expected: Json,
  actual: unknown,
  tolerances: Record<string, string>,
  out: string[],
): void {
  if (isObject(expected)) {
    if (!isObject(actual)) {
      // A map entry that is absent is fine when everything expected of it is zero.
      const allZero = Object.values(expected).every((v) => v === "0");
      if (actual === undefined && allZero) return;
      out.push(`${path}: expected an object, got ${JSON.stringify(actual)}`);
      return;
    }
    for (const [key, value] of Object.entries(expected)) {
      compareSubset(`${path}.${key}`, value, actual[key], tolerances, out);
    }
    return;
  }
  const message = compareLeaf(path, expected, actual, tolerances);
  if (message) out.push(message);
}

function eventMatches(
  stepPath: string,
  wanted: Record<string, string>,
  event: JsonObject,
  tolerances: Record<string, string>,
): boolean {
  if (event.type !== wanted.type) return false;
  return Object.entries(wanted).every(
    ([key, value]) =>
      compareLeaf(`${stepPath}.events.${wanted.type}.${key}`, value, event[key], tolerances) === undefined,
  );
}

function checkStep(
  index: string,
  want: StepExpectation,
  got: unknown,
  tolerances: Record<string, string>,
  out: string[],
): void {
  const path = `steps.${index}`;
  if (!isObject(got)) {
    out.push(`${path}: missing from the output`);
    return;
  }
  if (got.ok !== want.ok) {
    const why = isObject(got.error) ? ` (${got.error.code}: ${got.error.message})` : "";
    out.push(`${path}: expected ok=${want.ok}, got ok=${String(got.ok)}${why}`);
    return;
  }
  if (!want.ok) {
    const code = isObject(got.error) ? got.error.code : undefined;
    if (want.errorCode !== undefined && code !== want.errorCode) {
      out.push(`${path}: expected error ${want.errorCode}, got ${JSON.stringify(code)}`);
    }
    return;
  }
  if (want.result) compareSubset(`${path}.result`, want.result, got.result, tolerances, out);
  const events = Array.isArray(got.events) ? (got.events.filter(isObject) as JsonObject[]) : [];
  for (const wanted of want.eventsInclude ?? []) {
    const found =
      typeof wanted === "string"
        ? events.some((event) => event.type === wanted)
        : events.some((event) => eventMatches(path, wanted, event, tolerances));
    if (!found) {
      const sameType = events.filter(
        (event) => event.type === (typeof wanted === "string" ? wanted : wanted.type),
      );
      out.push(
        `${path}: no event matching ${JSON.stringify(wanted)}; events of that type: ${JSON.stringify(sameType)}`,
      );
    }
  }
  for (const type of want.eventsExclude ?? []) {
    if (events.some((event) => event.type === type)) out.push(`${path}: unexpected ${type} event`);
  }
}

/** Every mismatch between the scenario's output and its expectations, as readable lines. */
function checkScenario(output: unknown, expected: Expectation): string[] {
  const out: string[] = [];
  const tolerances = expected.tolerance ?? {};
  if (!isObject(output)) return [`output is not an object: ${JSON.stringify(output)}`];
  const steps = Array.isArray(output.steps) ? output.steps : [];
  for (const [index, want] of Object.entries(expected.steps ?? {})) {
    checkStep(index, want, steps[Number(index)], tolerances, out);
  }
  if (expected.state) compareSubset("state", expected.state, output.state, tolerances, out);
  return out;
}

const allCases = loadCases();
const isGovernance = (c: Case) => c.name.startsWith("governance-");
const cases = allCases.filter((c) => !isGovernance(c));
const governanceCases = allCases.filter(isGovernance);
const byFile = new Map<string, Case[]>();
for (const c of cases) byFile.set(c.source.file, [...(byFile.get(c.source.file) ?? []), c]);

describe("Liquity v1 scenarios", () => {
  beforeAll(() => initPoseidon());

  it("has at least 24 transcribed scenarios, each citing its Liquity test", () => {
    expect(cases.length).toBeGreaterThanOrEqual(24);
    for (const c of cases) {
      expect(c.source?.file, c.name).toMatch(/\.js$/);
      expect(c.source?.test, c.name).toBeTruthy();
    }
  });

  describe("governance", () => {
    it("has scenarios for a full lifecycle and for the refusals", () => {
      expect(governanceCases.length).toBeGreaterThanOrEqual(2);
    });
    for (const c of governanceCases) {
      it(`${c.source.test} [${c.name}]`, () => {
        const output = runScenario(c.input);
        expect(checkScenario(output, c.expected)).toEqual([]);
      });
    }
  });

  for (const [file, group] of byFile) {
    describe(file, () => {
      for (const c of group) {
        it(`${c.source.test} [${c.name}]`, () => {
          const output = runScenario(c.input);
          expect(checkScenario(output, c.expected)).toEqual([]);
        });
      }
    });
  }
});
