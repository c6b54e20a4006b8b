/**
 * The operator CLI as scripts use it: the real binary (`node bin/zkusd.mjs …`) on a scenario history
 * (test/fixtures/monitoring/price-slide.json) and on a loopback guardian API, checking JSON output
 * and exit codes.
 */
import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { recordScenario } from "../monitoring/index.ts";
import { initPoseidon, serializeState, stateRoot } from "../protocol/index.ts";

const SLIDE = "test/fixtures/monitoring/price-slide.json";
const dir = mkdtempSync(join(tmpdir(), "zkusd-cli-"));
const NO_CONFIG = join(dir, "absent.json");

function zkusd(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ["bin/zkusd.mjs", ...args],
      { env: { ...process.env, ZKUSD_CONFIG: NO_CONFIG, NO_COLOR: "", ...env }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The slide cut at its lowest price: the history ends in recovery mode. */
const RECOVERY = join(dir, "recovery.json");
{
  const doc = JSON.parse(readFileSync(SLIDE, "utf8"));
  const cut = doc.steps.findIndex((s: { price?: string }) => s.price === "36000");
  writeFileSync(RECOVERY, JSON.stringify({ ...doc, steps: doc.steps.slice(0, cut + 1) }));
}

describe("zkusd status, vault, pool, governance on a scenario history", () => {
  it("status --format json: the engine's numbers as exact decimal strings", async () => {
    const { code, stdout, stderr } = await zkusd(["status", "--from-scenario", SLIDE, "--format", "json"]);
    expect(stderr).toBe("");
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out).toMatchObject({
      source: `scenario ${SLIDE}`,
      price: "50000",
      tcr: "1.974333662388943731",
      recoveryMode: false,
      ccr: "1.5",
      totalCollateral: "2",
      totalDebt: "50650",
      activeVaults: "2",
      vaultsAtRisk: "0",
      pool: { total: "15000", coverage: null },
      alerts: [],
    });
    expect(out.health.band).toBe("healthy");
  });

  it("status in recovery mode: flags it and lists the firing alerts", async () => {
    const { code, stdout } = await zkusd(["status", "--from-scenario", RECOVERY, "--format", "json"]);
    expect(code).toBe(0);
    const out = JSON.parse(stdout);
    expect(out.recoveryMode).toBe(true);
    expect(out.tcr).toBe("1.421520236920039486");
    expect(out.liquidatableVaults).toBe("1");
    expect(out.alerts.map((a: { rule: string }) => a.rule).sort()).toEqual([
      "pool-coverage-low",
      "recovery-mode",
      "tcr-near-ccr",
      "vaults-liquidatable",
    ]);
    expect(out.health.score).toBeLessThan(50);
    const minimal = await zkusd(["status", "--from-scenario", RECOVERY, "--format", "minimal"]);
    expect(minimal.stdout.trim()).toBe(`1.421520236920039486 1 ${out.health.score}`);
  });

  it("vault list, get, at-risk and ratio", async () => {
    const list = JSON.parse(
      (await zkusd(["vault", "list", "--from-scenario", SLIDE, "--format", "json"])).stdout,
    );
    expect(list.vaults.map((v: { owner: string }) => v.owner)).toEqual(["bob", "alice"]);
    expect(list.vaults[0]).toMatchObject({
      owner: "bob",
      collateral: "1",
      debt: "30350",
      liquidationPrice: "33385",
    });

    const get = await zkusd(["vault", "get", "alice", "--from-scenario", SLIDE, "--format", "json"]);
    expect(JSON.parse(get.stdout)).toMatchObject({
      owner: "alice",
      debt: "20300",
      icr: "2.463054187192118226",
    });

    const atRisk = JSON.parse(
      (await zkusd(["vault", "at-risk", "--from-scenario", RECOVERY, "--format", "json"])).stdout,
    );
    expect(atRisk).toMatchObject({ threshold: "1.2", recoveryMode: true });
    expect(atRisk.vaults).toHaveLength(1);
    expect(atRisk.vaults[0]).toMatchObject({ owner: "bob", liquidatable: true, icr: "1.186161449752883031" });

    const ratio = await zkusd([
      "vault",
      "ratio",
      "bob",
      "--price",
      "33385",
      "--from-scenario",
      SLIDE,
      "--format",
      "json",
    ]);
    expect(JSON.parse(ratio.stdout)).toMatchObject({ icr: "1.1", belowMcr: false, belowCcr: true });
    const hypo = await zkusd([
      "vault",
      "ratio",
      "--collateral",
      "2",
      "--debt",
      "60000",
      "--price",
      "45000",
      "--format",
      "minimal",
    ]);
    expect(hypo).toMatchObject({ code: 0, stdout: "1.5\n" });
  });

  it("pool status and depositors, governance params", async () => {
    const pool = JSON.parse(
      (await zkusd(["pool", "status", "--from-scenario", RECOVERY, "--format", "json"])).stdout,
    );
    expect(pool).toMatchObject({ total: "15000", debtAtRisk: "30350", depositors: 1 });
    expect(pool.coverage).toMatch(/^0\.4942/);
    const deps = JSON.parse(
      (await zkusd(["pool", "depositors", "--from-scenario", SLIDE, "--format", "json"])).stdout,
    );
    expect(deps.depositors).toEqual([
      { owner: "alice", initial: "15000", compounded: "15000", btcGain: "0" },
    ]);
    const params = JSON.parse(
      (await zkusd(["governance", "params", "--from-scenario", SLIDE, "--format", "json"])).stdout,
    );
    expect(params.params.find((p: { name: string }) => p.name === "CCR")).toEqual({
      name: "CCR",
      value: "1.5",
      kind: "decimal",
      min: "1.15",
      max: "5",
      maxExclusive: false,
    });
    const history = JSON.parse(
      (await zkusd(["oracle", "history", "--from-scenario", SLIDE, "--format", "json"])).stdout,
    );
    expect(history.prices.map((p: { price: string }) => p.price).slice(0, 4)).toEqual([
      "60000",
      "55000",
      "50000",
      "45000",
    ]);
  });

  it("exit codes: 1 bad input, 2 usage, 3 unavailable", async () => {
    expect((await zkusd(["vault", "get", "nobody", "--from-scenario", SLIDE])).code).toBe(1);
    expect((await zkusd(["status", "--from-scenario", join(dir, "missing.json")])).code).toBe(1);
    const mainnet = join(dir, "mainnet.json");
    writeFileSync(mainnet, JSON.stringify({ network: "mainnet" }));
    const noSource = await zkusd(["status"], { ZKUSD_CONFIG: mainnet });
    expect(noSource.code).toBe(2);
    expect(noSource.stderr).toMatch(/no data source/);
    // On regtest the local stack is the default source; when it is not running, the CLI says so.
    const noStack = await zkusd(["status"], { GUARDIAN_PORTS: "9,10,11" });
    expect(noStack.code).toBe(3);
    expect(noStack.stderr).toMatch(
      /local stack's guardian http:\/\/127\.0\.0\.1:9 does not answer \(is `npm start` running\?\)/,
    );
    expect((await zkusd(["status", "--from-scenario", SLIDE, "--format", "yaml"])).code).toBe(2);
    expect((await zkusd(["vault", "frobnicate"])).code).toBe(2);
    const down = await zkusd(["status", "--guardian", "http://127.0.0.1:9"]);
    expect(down.code).toBe(3);
    expect(down.stderr).toMatch(/^zkusd status: guardian http:\/\/127\.0\.0\.1:9\/v1\/status/);
  });

  it("--help lists the operator commands", async () => {
    const { code, stdout } = await zkusd(["--help"]);
    expect(code).toBe(0);
    for (const c of ["status", "vault", "pool", "governance", "config", "monitor", "oracle"])
      expect(stdout).toContain(c);
    const watch = await zkusd(["monitor", "watch", "--help"]);
    expect(watch.stdout).toMatch(/Exit 4 when alerts are still firing/);
  });
});

describe("zkusd monitor", () => {
  it("watch replays the history: alerts fire and resolve as NDJSON, exit 4 while any is firing", async () => {
    const { code, stdout } = await zkusd(["monitor", "watch", "--from-scenario", SLIDE, "--format", "json"]);
    expect(code).toBe(4);
    const lines = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const events = lines.filter((l) => l.type !== "summary").map((l) => `${l.type} ${l.rule}`);
    expect(events).toEqual([
      "fired price-swing",
      "fired tcr-near-ccr",
      "fired recovery-mode",
      "fired vaults-liquidatable",
      "fired pool-coverage-low",
      "resolved recovery-mode",
      "resolved vaults-liquidatable",
      "resolved pool-coverage-low",
      "resolved tcr-near-ccr",
      "resolved price-swing",
      "fired price-swing",
    ]);
    const summary = lines[lines.length - 1];
    expect(summary.type).toBe("summary");
    expect(summary.active.map((a: { rule: string }) => a.rule)).toEqual(["price-swing"]);
  });

  it("watch exits 0 when the config disables the rule left firing", async () => {
    const config = join(dir, "quiet.json");
    writeFileSync(
      config,
      JSON.stringify({
        monitor: {
          rules: [
            {
              id: "price-swing",
              metric: "price",
              severity: "warning",
              enabled: false,
              condition: { kind: "changeExceeds", amount: "0.1", relative: true, windowMs: 3600000 },
            },
          ],
        },
      }),
    );
    const { code, stdout } = await zkusd([
      "monitor",
      "watch",
      "--from-scenario",
      SLIDE,
      "--config",
      config,
      "--format",
      "minimal",
    ]);
    expect(stdout).toBe("");
    expect(code).toBe(0);
  });

  it("export: a recorded series as CSV, and --record files read back", async () => {
    const csv = await zkusd([
      "monitor",
      "export",
      "--from-scenario",
      SLIDE,
      "--metric",
      "tcr",
      "--csv",
      "--until",
      "1200000",
    ]);
    expect(csv.code).toBe(0);
    expect(csv.stdout).toBe(
      "at,metric,value\n0,tcr,2369200394866732477\n600000,tcr,2171767028627838104\n1200000,tcr,1974333662388943731\n",
    );
    const record = join(dir, "record.ndjson");
    expect(
      (
        await zkusd([
          "monitor",
          "watch",
          "--from-scenario",
          RECOVERY,
          "--record",
          record,
          "--format",
          "minimal",
        ])
      ).code,
    ).toBe(4);
    const back = JSON.parse(
      (await zkusd(["monitor", "export", "--from-record", record, "--metric", "recoveryMode"])).stdout,
    );
    expect(back.metrics.recoveryMode.map((s: { value: string }) => s.value)).toEqual([
      "0",
      "0",
      "0",
      "0",
      "0",
      "0",
      "0",
      "1",
      "1",
    ]);
  });

  it("watch --notify posts fired alerts to the configured webhook", async () => {
    const bodies: { url: string; body: { type: string; alert: { rule: string } } }[] = [];
    const server = createServer((req, res) => {
      let t = "";
      req.on("data", (c) => {
        t += c;
      });
      req.on("end", () => {
        bodies.push({ url: req.url ?? "", body: JSON.parse(t) });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const config = join(dir, "notify.json");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/alerts`;
    writeFileSync(
      config,
      JSON.stringify({ monitor: { channels: [{ kind: "json", url, minSeverity: "critical" }] } }),
    );
    try {
      const { code, stderr } = await zkusd([
        "monitor",
        "watch",
        "--from-scenario",
        SLIDE,
        "--config",
        config,
        "--notify",
        "--format",
        "minimal",
      ]);
      expect(stderr).toBe("");
      expect(code).toBe(4);
      expect(bodies.map((b) => `${b.body.type} ${b.body.alert.rule}`)).toEqual([
        "fired recovery-mode",
        "resolved recovery-mode",
      ]);
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it("rules --format json lists the defaults with thresholds as exact strings", async () => {
    const out = JSON.parse((await zkusd(["monitor", "rules", "--format", "json"])).stdout);
    expect(out.rules.find((r: { id: string }) => r.id === "tcr-near-ccr")).toMatchObject({
      metric: "tcr",
      severity: "warning",
      condition: { kind: "below", threshold: "1.6" },
      cooldownMs: 6_000_000,
    });
  });
});

describe("zkusd config", () => {
  it("set writes a validated key, show redacts secrets, validate lists every problem (exit 1)", async () => {
    const file = join(dir, "cfg", "config.json");
    expect((await zkusd(["config", "set", "guardian", "http://127.0.0.1:7070", "--config", file])).code).toBe(
      0,
    );
    expect((await zkusd(["config", "set", "monitor.intervalSeconds", "15", "--config", file])).code).toBe(0);
    expect(
      (
        await zkusd([
          "config",
          "set",
          "monitor.channels",
          '[{"kind":"pagerduty","routingKey":"R-SECRET"}]',
          "--config",
          file,
        ])
      ).code,
    ).toBe(0);
    const refused = await zkusd(["config", "set", "monitor.intervalSeconds", "0", "--config", file]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/monitor\.intervalSeconds: expected a whole number of seconds/);
    expect(JSON.parse(readFileSync(file, "utf8")).monitor.intervalSeconds).toBe(15);

    const show = JSON.parse((await zkusd(["config", "show", "--config", file, "--format", "json"])).stdout);
    expect(show.config).toEqual({
      guardian: "http://127.0.0.1:7070",
      monitor: { intervalSeconds: 15, channels: [{ kind: "pagerduty", routingKey: "<redacted>" }] },
    });
    expect((await zkusd(["config", "validate", "--config", file])).code).toBe(0);

    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({
        network: "moon",
        guardian: "ftp://x",
        colour: true,
        monitor: {
          channels: [{ kind: "telegram", chatId: 1, botTokenEnv: "ZKUSD_TEST_UNSET" }],
          rules: [{ id: "x", metric: "tcr" }],
        },
      }),
    );
    const repairable = join(dir, "repair.json");
    writeFileSync(repairable, JSON.stringify({ network: "moon", format: "json" }));
    expect((await zkusd(["config", "set", "network", "signet", "--config", repairable])).code).toBe(0);
    expect(JSON.parse(readFileSync(repairable, "utf8"))).toEqual({ network: "signet", format: "json" });
    const v = await zkusd(["config", "validate", "--config", bad, "--format", "json"]);
    expect(v.code).toBe(1);
    expect(
      JSON.parse(v.stdout).issues.map((i: { path: string; code: string }) => `${i.path} ${i.code}`),
    ).toEqual([
      "colour unknownKey",
      "network invalidValue",
      "guardian invalidUrl",
      "monitor.rules[0] invalidRule",
      "monitor.channels[0].botTokenEnv missingSecret",
    ]);
  });
});

describe("zkusd on a guardian API", () => {
  let server: Server;
  let url: string;
  let lyingRoot = false;
  let head: { height: number; root: string; state: unknown };
  beforeAll(async () => {
    await initPoseidon();
    // A loopback server answering the guardian daemon's routes in its JSON convention (bigints as
    // integer strings) from real engine state: the recovery-mode history.
    const { state } = recordScenario(JSON.parse(readFileSync(RECOVERY, "utf8")));
    const json = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === "bigint" ? x.toString() : x));
    head = { height: 120, root: stateRoot(state), state: serializeState(state) };
    server = createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x");
      const send = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(json(body));
      if (path.pathname === "/v1/status")
        return send(200, {
          guardian: { name: "g1" },
          chain: {
            height: 120,
            tip: 130,
            lag: 10,
            stateRoot: "0xabc",
            lastSyncAt: Date.now() - 3_600_000,
            lastError: null,
          },
          oracle: {
            // readingToJson's shape: two of six sources answered.
            reading: {
              status: "unavailable",
              price: null,
              sources: ["binance", "coinbase", "kraken", "bitstamp", "okx", "bybit"].map((source, i) => ({
                source,
                price: i < 2 ? "36000.5" : null,
                volume: null,
                timestamp: i < 2 ? Date.now() - 5_000 : null,
                accepted: i < 2,
                reason: i < 2 ? null : "timeout: no answer",
              })),
            },
            attestation: null,
            sources: [],
          },
        });
      if (path.pathname === "/v1/state") return send(200, lyingRoot ? { ...head, root: "0xabc" } : head);
      if (path.pathname === "/v1/attestations")
        return send(200, {
          attestations: [
            { price: "37000000000000000000000", timestamp: 1_764_000_000, round: "7", signers: [0, 1] },
            { price: "36000000000000000000000", timestamp: 1_764_000_060, round: "8", signers: [0, 2] },
          ],
        });
      send(404, { error: { code: "notFound", reason: path.pathname } });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("status, vaults, pool and governance run the engine's views on the guardian's verified state", async () => {
    const status = await zkusd(["status", "--guardian", url, "--format", "json"]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({
      source: `guardian ${url}`,
      recoveryMode: true,
      tcr: "1.421520236920039486",
      paramsKnown: true,
      chain: { height: 120, tip: 130, stateRoot: head.root },
    });
    const list = JSON.parse((await zkusd(["vault", "list", "--guardian", url, "--format", "json"])).stdout);
    expect(list.vaults.map((v: { owner: string }) => v.owner)).toEqual(["bob", "alice"]);
    expect((await zkusd(["pool", "depositors", "--guardian", url])).code).toBe(0);
    const proposals = await zkusd(["governance", "proposals", "--guardian", url, "--format", "json"]);
    expect(proposals.code).toBe(0);
    expect(JSON.parse(proposals.stdout).proposals).toEqual([]);
  });

  it("with no source on regtest, reads the local stack's guardian (GUARDIAN_PORTS as the stack)", async () => {
    const port = new URL(url).port;
    const status = await zkusd(["status", "--format", "json"], { GUARDIAN_PORTS: `${port},${port},${port}` });
    expect(status.stderr).toBe("");
    expect(JSON.parse(status.stdout)).toMatchObject({ source: `guardian ${url}`, paramsKnown: true });
  });

  it("refuses a guardian whose state does not hash to the root it reports", async () => {
    lyingRoot = true;
    try {
      const status = await zkusd(["status", "--guardian", url]);
      expect(status.code).toBe(3);
      expect(status.stderr).toMatch(/its state hashes to 0x[0-9a-f]{64}, not to the root 0xabc it reports/);
    } finally {
      lyingRoot = false;
    }
  });

  it("monitor watch --once on the guardian: sync lag and stall alerts, exit 4", async () => {
    const { code, stdout } = await zkusd(
      ["monitor", "watch", "--guardian", url, "--once", "--format", "json"],
      {
        ZKUSD_CONFIG: NO_CONFIG,
      },
    );
    expect(code).toBe(4);
    const rules = stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((l) => l.type === "fired")
      .map((l) => l.rule);
    expect(rules).toEqual(
      expect.arrayContaining(["recovery-mode", "sync-lagging", "sync-stalled", "price-sources-down"]),
    );
    const history = JSON.parse(
      (await zkusd(["oracle", "history", "--guardian", url, "--format", "json"])).stdout,
    );
    expect(history.prices).toEqual([
      { at: 1_764_000_000_000, time: "2025-11-24T16:00:00.000Z", price: "37000" },
      { at: 1_764_000_060_000, time: "2025-11-24T16:01:00.000Z", price: "36000" },
    ]);
  });
});

describe("zkusd governance on a scenario that runs a proposal to execution", () => {
  const GOV = "test/scenarios/governance-01-parameter-change-takes-effect.json";

  it("proposals, power and params after a parameter change took effect", async () => {
    const proposals = JSON.parse(
      (await zkusd(["governance", "proposals", "--from-scenario", GOV, "--format", "json"])).stdout,
    );
    expect(proposals.proposals).toHaveLength(1);
    expect(proposals.proposals[0]).toMatchObject({
      id: "1",
      proposer: "alice",
      state: "executed",
      quorumReached: true,
      actions: [
        { type: "setParameter", name: "MCR", value: "1.3" },
        { type: "setParameter", name: "CCR", value: "1.6" },
      ],
    });
    const params = JSON.parse(
      (await zkusd(["governance", "params", "--from-scenario", GOV, "--format", "json"])).stdout,
    );
    expect(params.params.find((p: { name: string }) => p.name === "MCR").value).toBe("1.3");
    const power = await zkusd(["governance", "power", "alice", "--from-scenario", GOV, "--format", "json"]);
    expect(power.code).toBe(0);
    expect(JSON.parse(power.stdout)).toMatchObject({ account: "alice", power: "100000", delegate: "alice" });
    expect((await zkusd(["governance", "proposals", "--id", "9", "--from-scenario", GOV])).code).toBe(1);
  });
});

describe("zkusd on the data layer's store file and a backup", () => {
  it("reads the head state of a file store and of a verified backup; a corrupted backup is refused", async () => {
    await initPoseidon();
    const { openFileStore } = await import("../storage/file.ts");
    const { createBackup } = await import("../storage/index.ts");
    const { state } = recordScenario(JSON.parse(readFileSync(RECOVERY, "utf8")));
    const storeFile = join(dir, "store.json");
    const store = await openFileStore(storeFile);
    await store.initHead({
      height: 812,
      hash: "00".repeat(32),
      time: 4800,
      root: stateRoot(state),
      state: serializeState(state),
    });
    const backupFile = join(dir, "state.zkusdbak");
    writeFileSync(backupFile, await createBackup(store, 1_700_000_000_000));
    await store.close();

    for (const source of [
      ["--store", storeFile],
      ["--backup", backupFile],
    ]) {
      const { code, stdout, stderr } = await zkusd(["status", ...source, "--format", "json"]);
      expect(stderr).toBe("");
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toMatchObject({
        recoveryMode: true,
        tcr: "1.421520236920039486",
        chain: { height: 812, stateRoot: stateRoot(state) },
      });
    }
    const bytes = readFileSync(backupFile);
    bytes[bytes.length - 40]! ^= 1;
    writeFileSync(backupFile, bytes);
    const bad = await zkusd(["vault", "list", "--backup", backupFile]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/checksum/i);
  });
});

describe("zkusd oracle price on a price feed", () => {
  it("--feed reads every exchange's paths from one feed (the local stack's) and says which it used", async () => {
    const { startPriceFeed } = await import("../devnet/pricefeed.ts");
    const feed = await startPriceFeed({ price: "97000" });
    try {
      const { code, stdout } = await zkusd(["oracle", "price", "--feed", feed.url, "--json"]);
      expect(code).toBe(0);
      const out = JSON.parse(stdout);
      expect(out).toMatchObject({ status: "ok", sourceUrls: feed.baseUrls });
      expect(out.sources.filter((x: { accepted: boolean }) => x.accepted)).toHaveLength(6);
      const text = await zkusd(["oracle", "price", "--feed", feed.url]);
      expect(text.stdout).toContain(`sources read: the price feed at ${feed.url}`);
    } finally {
      await feed.close();
    }
  });
});

describe("zkusd oracle sources against the loopback exchanges", () => {
  it("reports each source's verdict and breaker; exit 3 when too few agree", async () => {
    const { startExchangeServer } = await import("../../test/support/exchange-server.ts");
    const exchanges = await startExchangeServer();
    try {
      exchanges.setAll("good");
      exchanges.set("okx", "outlier");
      const ok = await zkusd(["oracle", "sources", "--format", "json"], exchanges.env());
      expect(ok.code).toBe(0);
      const out = JSON.parse(ok.stdout);
      expect(out.status).toBe("ok");
      expect(out.accepted).toBe(5);
      const okx = out.sources.find((s: { source: string }) => s.source === "okx");
      expect(okx).toMatchObject({ accepted: false, breaker: "closed" });
      expect(okx.reason).toMatch(/^outlier/);
      exchanges.set("binance", "serverError");
      exchanges.set("kraken", "malformed");
      exchanges.set("bitstamp", "stale");
      const down = await zkusd(
        ["oracle", "sources", "--format", "minimal", "--timeout", "1000"],
        exchanges.env(),
      );
      expect(down.code).toBe(3);
      expect(down.stdout.trim().split("\n")).toEqual(["coinbase", "bybit"]);
    } finally {
      await exchanges.close();
    }
  });
});
