/** A local federation for tests: n guardian daemons in-process on loopback, over a devnet and a price feed. */
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toHex } from "../../src/btc/index.ts";
import type { PriceFeed } from "../../src/devnet/pricefeed.ts";
import {
  type Federation,
  type GuardianConfig,
  type RunningGuardian,
  startGuardian,
} from "../../src/guardian/daemon.ts";
import { GuardianKeys } from "../../src/guardian/keys.ts";
import { silentLogger } from "../../src/guardian/log.ts";
import type { SourceId } from "../../src/oracle/index.ts";

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

export interface TestFederation {
  federation: Federation;
  keys: GuardianKeys[];
  configs: GuardianConfig[];
  guardians: (RunningGuardian | null)[];
  start(i: number): Promise<RunningGuardian>;
  stop(i: number): Promise<void>;
  stopAll(): Promise<void>;
}

export async function startFederation(opts: {
  esploraUrl: string;
  feed: PriceFeed;
  startHeight: number;
  n?: number;
  threshold?: number;
  overrides?: Partial<GuardianConfig>;
  startNow?: boolean;
}): Promise<TestFederation> {
  const n = opts.n ?? 3;
  const keys = Array.from({ length: n }, () => GuardianKeys.generate().keys);
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const federation: Federation = {
    network: "regtest",
    threshold: opts.threshold ?? 2,
    members: keys.map((k, i) => ({
      name: `guardian-${i}`,
      url: `http://127.0.0.1:${ports[i]}`,
      custodyKey: toHex(k.custodyPublicKey),
      oracleKey: [k.oraclePublicKey[0].toString(), k.oraclePublicKey[1].toString()],
    })),
  };
  const sources = Object.fromEntries(
    Object.entries(opts.feed.baseUrls).map(([id, url]) => [id, { baseUrl: url, transport: "rest" as const }]),
  ) as Partial<Record<SourceId, { baseUrl: string; transport: "rest" }>>;
  const configs: GuardianConfig[] = keys.map((_, i) => ({
    index: i,
    federation,
    esploraUrl: opts.esploraUrl,
    dataDir: mkdtempSync(join(tmpdir(), `zkusd-guardian-${i}-`)),
    port: ports[i]!,
    startHeight: opts.startHeight,
    oracleSources: sources,
    protection: { preset: "development" },
    corsOrigins: ["http://localhost:5173"],
    prices: { readIntervalMs: 1_000, publishIntervalMs: 60_000 },
    pollMs: 300,
    ...opts.overrides,
  }));
  const guardians: (RunningGuardian | null)[] = keys.map(() => null);
  const fed: TestFederation = {
    federation,
    keys,
    configs,
    guardians,
    async start(i) {
      const g = await startGuardian(configs[i]!, keys[i]!, { log: silentLogger });
      guardians[i] = g;
      return g;
    },
    async stop(i) {
      await guardians[i]?.stop();
      guardians[i] = null;
    },
    async stopAll() {
      for (let i = 0; i < n; i++) await fed.stop(i);
    },
  };
  if (opts.startNow !== false) await Promise.all(keys.map((_, i) => fed.start(i)));
  return fed;
}

export async function waitFor<T>(
  what: string,
  fn: () => Promise<T | undefined> | T | undefined,
  timeoutMs = 30_000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
