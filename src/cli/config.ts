/**
 * The operator config file (default ~/.zkusd/config.json; `--config FILE` or ZKUSD_CONFIG to choose)
 * and `zkusd config show|set|validate`. Validation collects every problem with its JSON path and a
 * code; secrets can live in the environment (`passEnv`, `botTokenEnv`, `routingKeyEnv`) and are
 * redacted by `config show`.
 */
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, join } from "node:path";
import type { Command } from "commander";
import {
  type AlertRule,
  type Channel,
  ruleFromJson,
  SEVERITIES,
  type Severity,
} from "../monitoring/index.ts";
import type { SmtpConfig } from "../monitoring/node.ts";
import { parseDecimal } from "../protocol/index.ts";
import { action, CliError, EXIT, emit, FORMATS, type Format, parseFormat } from "./output.ts";

export const NETWORKS = ["mainnet", "testnet", "signet", "regtest"] as const;

export type ConfigErrorCode =
  | "unreadable"
  | "notJson"
  | "notObject"
  | "unknownKey"
  | "wrongType"
  | "invalidValue"
  | "invalidUrl"
  | "invalidRule"
  | "missingSecret";

export interface ConfigIssue {
  readonly code: ConfigErrorCode;
  /** JSON path, e.g. "monitor.channels[1].url". */
  readonly path: string;
  readonly message: string;
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
  constructor(
    readonly file: string,
    readonly issues: readonly ConfigIssue[],
  ) {
    super(`${file}: ${issues.map((i) => `${i.path || "(root)"}: ${i.message}`).join("; ")}`);
  }
}

/** The file as written (all optional); see docs/cli.md for every key. */
export interface ConfigFile {
  network?: (typeof NETWORKS)[number];
  guardian?: string;
  esploraUrl?: string;
  dataDir?: string;
  format?: Format;
  monitor?: {
    intervalSeconds?: number;
    atRiskRatio?: string;
    rules?: unknown[];
    channels?: ChannelJson[];
    smtp?: SmtpJson;
  };
}

type ChannelJson = { name?: string; minSeverity?: Severity } & (
  | { kind: "json"; url: string; headers?: Record<string, string> }
  | { kind: "discord"; url: string }
  | { kind: "telegram"; botToken?: string; botTokenEnv?: string; chatId: string | number; apiBase?: string }
  | { kind: "pagerduty"; routingKey?: string; routingKeyEnv?: string; url?: string }
  | { kind: "email"; from: string; to: string[] }
);

interface SmtpJson {
  host: string;
  port: number;
  secure?: boolean;
  starttls?: "auto" | "always" | "never";
  user?: string;
  pass?: string;
  passEnv?: string;
  authMethod?: "PLAIN" | "LOGIN";
}

/** The validated config the commands use. */
export interface Config {
  readonly file: string;
  readonly exists: boolean;
  readonly raw: ConfigFile;
  readonly network: (typeof NETWORKS)[number];
  readonly guardian: string | null;
  readonly format: Format | null;
  readonly intervalSeconds: number;
  readonly atRiskRatio: bigint | null;
  readonly rules: AlertRule[];
  readonly channels: Channel[];
  readonly smtp: SmtpConfig | null;
}

export function defaultConfigPath(env = process.env): string {
  return env.ZKUSD_CONFIG || join(env.ZKUSD_DATA_DIR || join(homedir(), ".zkusd"), "config.json");
}

const TOP_KEYS = new Set(["network", "guardian", "esploraUrl", "dataDir", "format", "monitor"]);
const MONITOR_KEYS = new Set(["intervalSeconds", "atRiskRatio", "rules", "channels", "smtp"]);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === "object" && v !== null && !Array.isArray(v);

function isHttpUrl(v: unknown): boolean {
  if (typeof v !== "string") return false;
  try {
    const u = new URL(v);
    return u.protocol === "http:" || u.protocol === "https:";
  } catch {
    return false;
  }
}

/** Checks a parsed config; returns the typed config or every issue found. */
export function validateConfig(
  raw: unknown,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): { config: Config; issues: [] } | { config: null; issues: ConfigIssue[] } {
  const issues: ConfigIssue[] = [];
  const issue = (code: ConfigErrorCode, path: string, message: string) =>
    issues.push({ code, path, message });
  if (!isObject(raw)) {
    issue("notObject", "", "the config must be a JSON object");
    return { config: null, issues };
  }
  for (const k of Object.keys(raw))
    if (!TOP_KEYS.has(k)) issue("unknownKey", k, `unknown key (known: ${[...TOP_KEYS].join(", ")})`);
  if (raw.network !== undefined && !(NETWORKS as readonly unknown[]).includes(raw.network))
    issue("invalidValue", "network", `expected one of ${NETWORKS.join(", ")}`);
  for (const k of ["guardian", "esploraUrl"] as const)
    if (raw[k] !== undefined && !isHttpUrl(raw[k])) issue("invalidUrl", k, "expected an http(s) URL");
  if (raw.dataDir !== undefined && typeof raw.dataDir !== "string")
    issue("wrongType", "dataDir", "expected a path");
  if (raw.format !== undefined && !(FORMATS as readonly unknown[]).includes(raw.format))
    issue("invalidValue", "format", `expected one of ${FORMATS.join(", ")}`);

  const { rules, channels, smtp, intervalSeconds, atRiskRatio } = monitorFrom(raw.monitor, env, issue);
  if (issues.length > 0) return { config: null, issues };
  const r = raw as ConfigFile;
  return {
    issues: [],
    config: {
      file,
      exists: true,
      raw: r,
      network: r.network ?? "regtest",
      guardian: r.guardian ?? null,
      format: r.format ?? null,
      intervalSeconds,
      atRiskRatio,
      rules,
      channels,
      smtp,
    },
  };
}

type Issue = (code: ConfigErrorCode, path: string, message: string) => void;

/** The config's `monitor` section (absent: the defaults), each problem reported through `issue`. */
function monitorFrom(monitor: unknown, env: NodeJS.ProcessEnv, issue: Issue) {
  const rules: AlertRule[] = [];
  const channels: Channel[] = [];
  let smtp: SmtpConfig | null = null;
  let intervalSeconds = 30;
  let atRiskRatio: bigint | null = null;
  if (monitor !== undefined && !isObject(monitor)) issue("wrongType", "monitor", "expected an object");
  if (isObject(monitor)) {
    for (const k of Object.keys(monitor))
      if (!MONITOR_KEYS.has(k)) issue("unknownKey", `monitor.${k}`, "unknown key");
    if (monitor.intervalSeconds !== undefined) {
      const v = monitor.intervalSeconds;
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 86_400)
        issue(
          "invalidValue",
          "monitor.intervalSeconds",
          "expected a whole number of seconds from 1 to 86400",
        );
      else intervalSeconds = v;
    }
    if (monitor.atRiskRatio !== undefined) {
      try {
        atRiskRatio = parseDecimal(monitor.atRiskRatio, "atRiskRatio");
      } catch (error) {
        issue("invalidValue", "monitor.atRiskRatio", (error as Error).message);
      }
    }
    if (monitor.rules !== undefined && !Array.isArray(monitor.rules))
      issue("wrongType", "monitor.rules", "expected an array");
    if (Array.isArray(monitor.rules))
      monitor.rules.forEach((r, i) => {
        try {
          rules.push(ruleFromJson(r, `monitor.rules[${i}]`));
        } catch (error) {
          issue(
            "invalidRule",
            `monitor.rules[${i}]`,
            (error as Error).message.replace(/^monitor\.rules\[\d+\]\.?:? ?/, ""),
          );
        }
      });
    if (monitor.smtp !== undefined) smtp = smtpFrom(monitor.smtp, env, issue);
    if (monitor.channels !== undefined && !Array.isArray(monitor.channels))
      issue("wrongType", "monitor.channels", "expected an array");
    if (Array.isArray(monitor.channels))
      monitor.channels.forEach((c, i) => {
        const ch = channelFrom(
          c,
          `monitor.channels[${i}]`,
          env,
          issue,
          smtp !== null || monitor.smtp !== undefined,
        );
        if (ch) channels.push(ch);
      });
  }
  return { rules, channels, smtp, intervalSeconds, atRiskRatio };
}

function secret(
  obj: Record<string, unknown>,
  key: string,
  path: string,
  env: NodeJS.ProcessEnv,
  issue: Issue,
  required: boolean,
): string | undefined {
  if (typeof obj[key] === "string" && obj[key] !== "") return obj[key] as string;
  const envKey = obj[`${key}Env`];
  if (typeof envKey === "string") {
    const v = env[envKey];
    if (v) return v;
    issue("missingSecret", `${path}.${key}Env`, `environment variable ${envKey} is not set`);
    return undefined;
  }
  if (required) issue("missingSecret", `${path}.${key}`, `set ${key} or ${key}Env`);
  return undefined;
}

function smtpFrom(raw: unknown, env: NodeJS.ProcessEnv, issue: Issue): SmtpConfig | null {
  const path = "monitor.smtp";
  if (!isObject(raw)) {
    issue("wrongType", path, "expected an object");
    return null;
  }
  let ok = true;
  if (typeof raw.host !== "string" || raw.host === "") {
    issue("invalidValue", `${path}.host`, "expected a host name");
    ok = false;
  }
  if (typeof raw.port !== "number" || !Number.isInteger(raw.port) || raw.port < 1 || raw.port > 65_535) {
    issue("invalidValue", `${path}.port`, "expected a port from 1 to 65535");
    ok = false;
  }
  if (raw.starttls !== undefined && !["auto", "always", "never"].includes(raw.starttls as string)) {
    issue("invalidValue", `${path}.starttls`, 'expected "auto", "always" or "never"');
    ok = false;
  }
  if (raw.authMethod !== undefined && raw.authMethod !== "PLAIN" && raw.authMethod !== "LOGIN") {
    issue("invalidValue", `${path}.authMethod`, 'expected "PLAIN" or "LOGIN"');
    ok = false;
  }
  let auth: SmtpConfig["auth"];
  if (raw.user !== undefined) {
    const pass = secret(raw, "pass", path, env, issue, true);
    if (typeof raw.user !== "string" || pass === undefined) ok = false;
    else
      auth = {
        user: raw.user,
        pass,
        ...(raw.authMethod ? { method: raw.authMethod as "PLAIN" | "LOGIN" } : {}),
      };
  }
  if (!ok) return null;
  return {
    host: raw.host as string,
    port: raw.port as number,
    secure: raw.secure === true,
    starttls: (raw.starttls as SmtpConfig["starttls"]) ?? "auto",
    ...(auth ? { auth } : {}),
  };
}

function channelFrom(
  raw: unknown,
  path: string,
  env: NodeJS.ProcessEnv,
  issue: Issue,
  hasSmtp: boolean,
): Channel | null {
  if (!isObject(raw)) {
    issue("wrongType", path, "expected an object");
    return null;
  }
  const common = {
    ...(typeof raw.name === "string" ? { name: raw.name } : {}),
    ...(raw.minSeverity !== undefined ? { minSeverity: raw.minSeverity as Severity } : {}),
  };
  if (raw.minSeverity !== undefined && !SEVERITIES.includes(raw.minSeverity as Severity)) {
    issue("invalidValue", `${path}.minSeverity`, `expected one of ${SEVERITIES.join(", ")}`);
    return null;
  }
  const url = (key: string, required: boolean): string | undefined => {
    if (raw[key] === undefined && !required) return undefined;
    if (!isHttpUrl(raw[key])) {
      issue("invalidUrl", `${path}.${key}`, "expected an http(s) URL");
      return undefined;
    }
    return raw[key] as string;
  };
  switch (raw.kind) {
    case "json":
    case "discord": {
      const u = url("url", true);
      if (!u) return null;
      if (raw.kind === "json" && raw.headers !== undefined && !isObject(raw.headers)) {
        issue("wrongType", `${path}.headers`, "expected an object of strings");
        return null;
      }
      return raw.kind === "json"
        ? {
            ...common,
            target: {
              kind: "json",
              url: u,
              ...(raw.headers ? { headers: raw.headers as Record<string, string> } : {}),
            },
          }
        : { ...common, target: { kind: "discord", url: u } };
    }
    case "telegram": {
      const token = secret(raw, "botToken", path, env, issue, true);
      const apiBase = url("apiBase", false);
      if (typeof raw.chatId !== "string" && typeof raw.chatId !== "number") {
        issue("invalidValue", `${path}.chatId`, "expected a chat id");
        return null;
      }
      if (!token || (raw.apiBase !== undefined && !apiBase)) return null;
      return {
        ...common,
        target: { kind: "telegram", botToken: token, chatId: raw.chatId, ...(apiBase ? { apiBase } : {}) },
      };
    }
    case "pagerduty": {
      const key = secret(raw, "routingKey", path, env, issue, true);
      const u = url("url", false);
      if (!key || (raw.url !== undefined && !u)) return null;
      return { ...common, target: { kind: "pagerduty", routingKey: key, ...(u ? { url: u } : {}) } };
    }
    case "email": {
      const addr = (v: unknown) => typeof v === "string" && /^[^\s<>@]+@[^\s<>@]+$/.test(v);
      if (!addr(raw.from)) issue("invalidValue", `${path}.from`, "expected an e-mail address");
      if (!Array.isArray(raw.to) || raw.to.length === 0 || !raw.to.every(addr))
        issue("invalidValue", `${path}.to`, "expected a non-empty list of e-mail addresses");
      if (!hasSmtp) issue("invalidValue", path, "an e-mail channel needs monitor.smtp");
      if (!addr(raw.from) || !Array.isArray(raw.to) || !raw.to.every(addr) || !hasSmtp) return null;
      return { ...common, target: { kind: "email", from: raw.from as string, to: raw.to as string[] } };
    }
    default:
      issue("invalidValue", `${path}.kind`, "expected json, discord, telegram, pagerduty or email");
      return null;
  }
}

/** Reads and validates the config; a missing file is an empty config. Throws ConfigError. */
export async function loadConfig(file = defaultConfigPath(), env = process.env): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      const r = validateConfig({}, file, env);
      return { ...(r.config as Config), exists: false };
    }
    throw new ConfigError(file, [{ code: "unreadable", path: "", message: (error as Error).message }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new ConfigError(file, [{ code: "notJson", path: "", message: (error as Error).message }]);
  }
  const result = validateConfig(raw, file, env);
  if (!result.config) throw new ConfigError(file, result.issues);
  return result.config;
}

const SECRET_KEYS = new Set(["pass", "botToken", "routingKey", "authorization"]);

/** The config with secrets replaced by "<redacted>". */
export function redactConfig(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactConfig);
  if (!isObject(value)) return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => [
      k,
      SECRET_KEYS.has(k) && typeof v === "string" ? "<redacted>" : redactConfig(v),
    ]),
  );
}

/** Sets a dotted key ("monitor.intervalSeconds", "monitor.channels.0.url"); the value is JSON if it parses. */
export function setKey(raw: Record<string, unknown>, key: string, value: string): Record<string, unknown> {
  const parts = key.split(".");
  if (parts.some((p) => p === "" || p === "__proto__" || p === "constructor" || p === "prototype"))
    throw new CliError(`invalid key "${key}"`, EXIT.badInput);
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    parsed = value;
  }
  const out = structuredClone(raw);
  let node: Record<string, unknown> | unknown[] = out;
  for (const [i, part] of parts.entries()) {
    const last = i === parts.length - 1;
    const index = Array.isArray(node) ? Number(part) : null;
    if (Array.isArray(node) && (!Number.isInteger(index) || (index as number) < 0))
      throw new CliError(
        `"${parts.slice(0, i).join(".")}" is a list: "${part}" is not an index`,
        EXIT.badInput,
      );
    const container = node as Record<string, unknown>;
    if (last) {
      container[part] = parsed;
    } else {
      if (container[part] === undefined) container[part] = /^\d+$/.test(parts[i + 1] as string) ? [] : {};
      const next = container[part];
      if (typeof next !== "object" || next === null)
        throw new CliError(`"${parts.slice(0, i + 1).join(".")}" is not an object`, EXIT.badInput);
      node = next as Record<string, unknown>;
    }
  }
  return out;
}

async function writeAtomic(file: string, data: unknown): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

const fileOption = (c: Command) =>
  c.option("--config <file>", "config file (default $ZKUSD_CONFIG or ~/.zkusd/config.json)");
const formatOption = (c: Command) =>
  c.option("--format <format>", "text, table, json or minimal", parseFormat, "text");

/** `zkusd config show | set | validate`. */
export function registerConfig(config: Command): void {
  registerShow(config);
  registerSet(config);
  registerValidate(config);
}

function registerShow(config: Command): void {
  formatOption(
    fileOption(config.command("show").description("print the config (secrets redacted) and its path")),
  ).action(
    action("config show", async (o: { config?: string; format: Format }) => {
      const file = o.config ?? defaultConfigPath();
      const c = await loadConfigOrFail(file);
      const shown = redactConfig(c.raw);
      emit(
        {
          json: { file, exists: c.exists, config: shown },
          minimal: file,
          text: (col) =>
            `${col.dim(`# ${file}${c.exists ? "" : " (not created yet)"}`)}\n${JSON.stringify(shown, null, 2)}`,
        },
        o.format,
      );
      return EXIT.ok;
    }),
  );
}

function registerSet(config: Command): void {
  fileOption(
    config
      .command("set")
      .description(
        "set one key (dotted path, e.g. guardian or monitor.intervalSeconds); the value is parsed as JSON when it can be",
      )
      .argument("<key>")
      .argument("<value>"),
  ).action(
    action("config set", async (key: string, value: string, o: { config?: string }) => {
      const file = o.config ?? defaultConfigPath();
      // Read the file as it is (even if invalid, so `set` can repair it); only the result must be valid.
      const next = setKey(await readRawConfig(file), key, value);
      const checked = validateConfig(next, file);
      if (!checked.config) throw new CliError(new ConfigError(file, checked.issues).message, EXIT.badInput);
      await writeAtomic(file, next);
      process.stderr.write(`zkusd config set: ${key} written to ${file}\n`);
      return EXIT.ok;
    }),
  );
}

function registerValidate(config: Command): void {
  formatOption(
    fileOption(config.command("validate").description("check the config file; exit 1 listing every problem")),
  ).action(
    action("config validate", async (o: { config?: string; format: Format }) => {
      const file = o.config ?? defaultConfigPath();
      let issues: readonly ConfigIssue[] = [];
      try {
        await loadConfig(file);
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        issues = error.issues;
      }
      emit(
        {
          json: { file, valid: issues.length === 0, issues },
          table: {
            columns: ["path", "code", "problem"],
            rows: issues.map((i) => [i.path, i.code, i.message]),
          },
          minimal: issues.length === 0 ? "valid" : issues.map((i) => `${i.path}\t${i.message}`).join("\n"),
          text: (col) =>
            issues.length === 0
              ? col.green(`${file}: valid`)
              : [
                  col.red(`${file}: ${issues.length} problem(s)`),
                  ...issues.map((i) => `  ${i.path || "(root)"}: ${i.message} [${i.code}]`),
                ].join("\n"),
        },
        o.format,
      );
      return issues.length === 0 ? EXIT.ok : EXIT.badInput;
    }),
  );
}

/** The file's JSON object, unvalidated; {} when it does not exist. */
async function readRawConfig(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw new CliError(`cannot read ${file}: ${(error as Error).message}`, EXIT.badInput);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${file}: not JSON (${(error as Error).message}); fix or remove it`, EXIT.badInput);
  }
  if (!isObject(raw)) throw new CliError(`${file}: the config must be a JSON object`, EXIT.badInput);
  return raw;
}

/** loadConfig with a ConfigError turned into the CLI's bad-input exit. */
export async function loadConfigOrFail(file?: string): Promise<Config> {
  try {
    return await loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) throw new CliError(error.message, EXIT.badInput);
    throw error;
  }
}
