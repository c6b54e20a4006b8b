/**
 * Governance's JSON forms (docs/scenarios.md; scenario files, the CLI, genesis files): actions, values
 * and genesis governance, amounts as decimal strings and periods in whole seconds. Shape only; the
 * rules check a proposal when it is made.
 */
import { parseDecimal } from "../decimal.ts";
import { ProtocolError } from "../errors.ts";
import { parseParamValue } from "../params.ts";
import { checkGuardianSet, checkOracleSet, validateGovConfig } from "./rules.ts";
import { formatParameter } from "./text.ts";
import {
  DEFAULT_GOV_CONFIG,
  GOV_CONFIG_BOUNDS,
  type GovAction,
  type GovConfig,
  isGovConfigName,
} from "./types.ts";

type Json = Record<string, unknown>;

function jsonInteger(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0)
    throw new ProtocolError("malformedOperation", `${field}: expected a whole number`);
  return value;
}

function jsonField(value: unknown, field: string): bigint {
  const text = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value;
  if (typeof text !== "string" || !/^(0x[0-9a-fA-F]+|[0-9]+)$/.test(text))
    throw new ProtocolError("malformedOperation", `${field}: expected a field element (decimal or 0x hex)`);
  return BigInt(text);
}

/** Parses a configuration or parameter value from JSON (decimal string, whole seconds, boolean). */
export function parseGovValue(name: string, raw: unknown): bigint | boolean {
  if (isGovConfigName(name)) {
    const bound = GOV_CONFIG_BOUNDS[name];
    if (bound.kind === "decimal") return parseParamValueDecimal(raw, name);
    const text = typeof raw === "number" && Number.isSafeInteger(raw) ? String(raw) : raw;
    if (typeof text !== "string" || !/^[0-9]+$/.test(text))
      throw new ProtocolError(
        "invalidParameter",
        `${name}: expected whole seconds, got ${JSON.stringify(raw)}`,
      );
    return BigInt(text);
  }
  return parseParamValue(name, raw);
}

function parseParamValueDecimal(raw: unknown, name: string): bigint {
  try {
    return parseDecimal(raw, name);
  } catch (error) {
    throw new ProtocolError("invalidParameter", (error as Error).message);
  }
}

/** One proposal action from its JSON form (docs/scenarios.md). Shape only; rules at proposal time. */
export function govActionFromJson(raw: unknown, field = "action"): GovAction {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw))
    throw new ProtocolError("malformedOperation", `${field}: expected an object`);
  const a = raw as Json;
  switch (a.type) {
    case "setParameter":
      if (typeof a.name !== "string")
        throw new ProtocolError("malformedOperation", `${field}.name: expected a parameter name`);
      return { type: "setParameter", name: a.name, value: parseGovValue(a.name, a.value) };
    case "rotateGuardians":
      if (!Array.isArray(a.keys) || !a.keys.every((k) => typeof k === "string"))
        throw new ProtocolError("malformedOperation", `${field}.keys: expected hex strings`);
      return {
        type: "rotateGuardians",
        keys: (a.keys as string[]).map((k) => k.toLowerCase()),
        threshold: jsonInteger(a.threshold, `${field}.threshold`),
      };
    case "rotateOracleKeys":
      if (!Array.isArray(a.keys))
        throw new ProtocolError("malformedOperation", `${field}.keys: expected [x, y] pairs`);
      return {
        type: "rotateOracleKeys",
        keys: a.keys.map((k, i) => {
          if (!Array.isArray(k) || k.length !== 2)
            throw new ProtocolError("malformedOperation", `${field}.keys[${i}]: expected [x, y]`);
          return [jsonField(k[0], `${field}.keys[${i}][0]`), jsonField(k[1], `${field}.keys[${i}][1]`)];
        }),
        threshold: jsonInteger(a.threshold, `${field}.threshold`),
      };
    case "pause":
    case "unpause":
    case "shutdown":
      return { type: a.type };
    default:
      throw new ProtocolError(
        "invalidProposal",
        `${field}: unknown proposal operation ${JSON.stringify(a.type)}`,
      );
  }
}

/** The JSON form of an action (inverse of govActionFromJson). */
export function govActionToJson(action: GovAction): Json {
  switch (action.type) {
    case "setParameter":
      return {
        type: action.type,
        name: action.name,
        value: typeof action.value === "boolean" ? action.value : formatParameter(action.name, action.value),
      };
    case "rotateGuardians":
      return { type: action.type, keys: [...action.keys], threshold: action.threshold };
    case "rotateOracleKeys":
      return {
        type: action.type,
        keys: action.keys.map(([x, y]) => [x.toString(), y.toString()]),
        threshold: action.threshold,
      };
    default:
      return { type: action.type };
  }
}

/** Genesis governance from JSON `{ config?, guardians?: {keys, threshold}, oracles?: {keys, threshold} }`. */
export function govGenesisFromJson(raw: unknown): {
  config: GovConfig;
  guardians?: { keys: string[]; threshold: bigint };
  oracles?: { keys: [bigint, bigint][]; threshold: bigint };
} {
  if (raw !== undefined && (typeof raw !== "object" || raw === null || Array.isArray(raw)))
    throw new ProtocolError("malformedOperation", "governance must be an object");
  const g = (raw ?? {}) as Json;
  const config: GovConfig = { ...DEFAULT_GOV_CONFIG };
  if (g.config !== undefined) {
    if (typeof g.config !== "object" || g.config === null)
      throw new ProtocolError("invalidParameter", "governance.config must be an object");
    for (const [name, value] of Object.entries(g.config)) {
      if (!isGovConfigName(name))
        throw new ProtocolError("invalidParameter", `unknown governance setting "${name}"`);
      config[name] = parseGovValue(name, value) as bigint;
    }
  }
  validateGovConfig(config);
  const out: ReturnType<typeof govGenesisFromJson> = { config };
  if (g.guardians !== undefined) {
    const a = govActionFromJson(
      { ...(g.guardians as Json), type: "rotateGuardians" },
      "governance.guardians",
    );
    if (a.type !== "rotateGuardians") throw new Error("unreachable");
    checkGuardianSet(a.keys, a.threshold);
    out.guardians = { keys: a.keys, threshold: BigInt(a.threshold) };
  }
  if (g.oracles !== undefined) {
    const a = govActionFromJson({ ...(g.oracles as Json), type: "rotateOracleKeys" }, "governance.oracles");
    if (a.type !== "rotateOracleKeys") throw new Error("unreachable");
    checkOracleSet(a.keys, a.threshold);
    out.oracles = { keys: a.keys, threshold: BigInt(a.threshold) };
  }
  return out;
}
