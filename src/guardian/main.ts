/**
 * The local guardian set that `npm start` runs (scripts/lib/stack.ts): a 2-of-3 federation of
 * guardian daemons in this process, against the local regtest devnet and the dev price feed, so
 * withdrawals, liquidations and redemptions work end to end with no internet. DEV ONLY: the three
 * key files are created in .zkusd/guardians/ (mode 600; ZKUSD_GUARDIAN_DIR moves it) on first run and
 * reused after.
 *
 * Environment: DEVNET_URL (default http://127.0.0.1:18443), PRICE_FEED_URL (default
 * http://127.0.0.1:18480), GUARDIAN_PORTS (three comma-separated ports; default 18491,18492,18493, see
 * src/devnet/local-stack.ts), APP_ORIGIN (CORS; default the stack's app at http://localhost:$PORT, PORT
 * default 5173). Prints {"guardians": [urls], ...} when all three are up. The fee account is funded
 * at genesis (DEV_FEE_ACCOUNT_SATS by a `fund` spell from the devnet's faucet), so rolls and
 * consolidations settle out of the box (docs/custody.md "The fee account").
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { descriptorAddress, EsploraClient, poolDescriptor, toHex } from "../btc/index.ts";
import { DEFAULT_LOCAL_STACK_PORTS, localStackUrls } from "../devnet/local-stack.ts";
import { runAsScript } from "../devnet/script.ts";
import { priceFeedSources } from "../oracle/index.ts";
import { encodeFundSpell } from "../settlement/index.ts";
import {
  type Federation,
  type GuardianConfig,
  guardianSetOf,
  type RunningGuardian,
  startGuardian,
} from "./daemon.ts";
import { GuardianKeys } from "./keys.ts";
import { createLogger } from "./log.ts";

/** What the dev stack puts into the fee account at genesis: 0.01 BTC, hundreds of rolls at dev fee rates. */
export const DEV_FEE_ACCOUNT_SATS = 1_000_000n;

/**
 * Funds the fee account on a regtest devnet (docs/custody.md "The fee account"): the devnet's faucet
 * pays `sats` to the federation's pool script (output 0) with a `fund` spell naming that output.
 * Returns the txid (confirmed by the next block).
 */
export async function fundFeeAccount(
  devnetUrl: string,
  federation: Federation,
  sats: bigint,
): Promise<string> {
  const address = descriptorAddress(poolDescriptor(guardianSetOf(federation)), "regtest");
  const res = await fetch(`${devnetUrl}/regtest/faucet`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      address,
      sats: sats.toString(),
      data: toHex(encodeFundSpell({ vout: 0, sats })),
    }),
  });
  if (!res.ok) throw new Error(`funding the fee account: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { txid: string }).txid;
}

export async function startLocalFederation(env: NodeJS.ProcessEnv = process.env): Promise<{
  federation: Federation;
  guardians: RunningGuardian[];
  stop(): Promise<void>;
}> {
  const root = env.ZKUSD_GUARDIAN_DIR ?? join(process.cwd(), ".zkusd", "guardians");
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const defaults = localStackUrls(DEFAULT_LOCAL_STACK_PORTS);
  const esploraUrl = env.DEVNET_URL ?? defaults.devnet;
  const feedUrl = env.PRICE_FEED_URL ?? defaults.priceFeed;
  const ports = env.GUARDIAN_PORTS
    ? env.GUARDIAN_PORTS.split(",").map(Number)
    : DEFAULT_LOCAL_STACK_PORTS.guardians;
  if (ports.length !== 3 || ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65_535)) {
    throw new Error(`GUARDIAN_PORTS must be three TCP ports, got ${env.GUARDIAN_PORTS}`);
  }
  const keys: GuardianKeys[] = [];
  for (let i = 0; i < 3; i++) {
    const file = join(root, `guardian-${i}.keys.json`);
    if (!existsSync(file)) {
      const g = GuardianKeys.generate();
      writeFileSync(file, `${JSON.stringify({ custodyKey: g.custodyKey, oracleKey: g.oracleKey })}\n`, {
        mode: 0o600,
      });
    }
    keys.push(GuardianKeys.fromFile(file));
  }
  const federation: Federation = {
    network: "regtest",
    threshold: 2,
    members: keys.map((k, i) => ({
      name: `guardian-${i}`,
      url: `http://127.0.0.1:${ports[i]}`,
      custodyKey: k.custodyPublicKeyHex,
      oracleKey: [k.oraclePublicKey[0].toString(), k.oraclePublicKey[1].toString()],
    })),
  };
  writeFileSync(join(root, "federation.json"), `${JSON.stringify(federation, null, 2)}\n`);
  // The devnet is in memory (a fresh chain each start): wait until it answers.
  await new EsploraClient({ baseUrl: esploraUrl }).tipHeight();
  // The fee account's genesis funding (the devnet is fresh each start; its automine confirms it).
  await fundFeeAccount(esploraUrl, federation, DEV_FEE_ACCOUNT_SATS);
  const sources = priceFeedSources(feedUrl);
  const stamp = Date.now();
  const configs = keys.map(
    (_, i): GuardianConfig => ({
      index: i,
      federation,
      esploraUrl,
      dataDir: join(root, `guardian-${i}-${stamp}`),
      port: ports[i]!,
      // The protocol starts with the dev chain itself (block 1; the genesis state takes block 0's time):
      // the devnet mines its first blocks with header times ahead of the wall clock.
      startHeight: 1,
      oracleSources: sources,
      protection: { preset: "development" },
      corsOrigins: env.APP_ORIGIN
        ? [env.APP_ORIGIN]
        : [`http://localhost:${env.PORT ?? 5173}`, `http://127.0.0.1:${env.PORT ?? 5173}`],
      prices: { readIntervalMs: 5_000, publishIntervalMs: 60_000 },
      // A local chain mines when asked: look at least every 2 s, also after a quiet stretch.
      pollMs: 1_000,
      maxPollMs: 2_000,
    }),
  );
  const log = createLogger({ level: "info" });
  const guardians = await Promise.all(configs.map((c, i) => startGuardian(c, keys[i]!, { log })));
  return {
    federation,
    guardians,
    async stop() {
      for (const g of guardians) await g.stop();
    },
  };
}

runAsScript(import.meta.url, {
  start: () => startLocalFederation(),
  ready: (local) => ({ guardians: local.guardians.map((g) => g.url), threshold: local.federation.threshold }),
  stop: (local) => local.stop(),
});
