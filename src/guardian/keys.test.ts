import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { inspect } from "node:util";
import { describe, expect, it } from "vitest";
import { GuardianKeys, KEY_ENV } from "./keys.ts";
import { createLogger } from "./log.ts";

describe("guardian keys", () => {
  const g = GuardianKeys.generate();

  it("never print or serialize their secrets", () => {
    const text = [
      JSON.stringify({ keys: g.keys }),
      String(g.keys),
      inspect(g.keys),
      inspect({ k: g.keys }),
    ].join("\n");
    expect(text).not.toContain(g.custodyKey);
    expect(text).not.toContain(g.oracleKey);
    expect(JSON.stringify({ keys: g.keys })).toBe('{"keys":"[redacted]"}');
  });

  it("load from a private file and refuse a file others can read", () => {
    const dir = mkdtempSync(join(tmpdir(), "keys-"));
    const file = join(dir, "k.json");
    writeFileSync(file, JSON.stringify({ custodyKey: g.custodyKey, oracleKey: g.oracleKey }), {
      mode: 0o600,
    });
    expect(GuardianKeys.fromFile(file).custodyPublicKeyHex).toBe(g.keys.custodyPublicKeyHex);
    chmodSync(file, 0o644);
    expect(() => GuardianKeys.fromFile(file)).toThrow(/readable by group or others \(mode 644\)/);
  });

  it("load from the environment and say which variable is wrong", () => {
    const env = { [KEY_ENV.custody]: g.custodyKey, [KEY_ENV.oracle]: g.oracleKey };
    expect(GuardianKeys.fromEnv(env).oraclePublicKey).toEqual(g.keys.oraclePublicKey);
    expect(() => GuardianKeys.fromEnv({ ...env, [KEY_ENV.oracle]: "abc" })).toThrow(
      /ZKUSD_GUARDIAN_ORACLE_KEY: expected 64 hex/,
    );
  });

  it("logs redact secret-looking fields and print bigints", () => {
    const lines: string[] = [];
    const log = createLogger({ write: (l) => lines.push(l) });
    log.info("x", { privateKey: g.custodyKey, apiKey: "k", amount: 5n, keys: g.keys });
    expect(lines[0]).not.toContain(g.custodyKey);
    expect(JSON.parse(lines[0]!)).toMatchObject({
      level: "info",
      msg: "x",
      privateKey: "[redacted]",
      apiKey: "[redacted]",
      amount: "5",
      keys: "[redacted]",
    });
  });
});
