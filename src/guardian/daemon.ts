/**
 * The guardian daemon: follows the chain with the shared indexer and a file store (chain.ts), publishes price attestations
 * (prices.ts), settles open obligations (settle.ts: leader round each block, POST /v1/settle), and
 * serves the JSON API under /v1 (http.ts). It signs no user transaction.
 * One guardian = one custody key of the k-of-n vault/pool quorum and one oracle key of the
 * attestation set; both come from keys.ts and never leave it.
 */
import { base64 } from "@scure/base";
import {
  type BtcNetworkName,
  DEFAULT_ESCAPE_CSV_BLOCKS,
  descriptorAddress,
  EsploraClient,
  fromHex,
  type GuardianSet,
  type HostLimits,
  hostLimitsProblems,
  nextPollMs,
  poolDescriptor,
  toHex,
} from "../btc/index.ts";
import { loadVerificationKeys, type VerifierConfig } from "../indexer/index.ts";
import {
  type BabyJubPoint,
  type OracleKeySet,
  PriceOracle,
  readingToJson,
  type SourceId,
  type SourceSettings,
} from "../oracle/index.ts";
import {
  DEFAULT_PARAMS,
  depositView,
  findAccount,
  getVault,
  initPoseidon,
  type Params,
  riskiestVaults,
  serializeState,
  systemSummary,
} from "../protocol/index.ts";
import { checkInvariants } from "../settlement/invariants.ts";
import { DEFAULT_FINALITY_DEPTH } from "../settlement/settle.ts";
import { nodeArtifacts } from "../zk/node.ts";
import { GuardianChain } from "./chain.ts";
import { custodyViewToJson } from "./custody-view.ts";
import { GuardianError } from "./errors.ts";
import { type Route, startHttp } from "./http.ts";
import type { GuardianKeys } from "./keys.ts";
import { SettlementLedger } from "./ledger.ts";
import { createLogger, type Logger } from "./log.ts";
import { PeerAuthenticator } from "./peer-auth.ts";
import { attestRoute, PriceService } from "./prices.ts";
import { Protection, type ProtectionPreset, type ProtectionPresetName } from "./protect.ts";
import { type LeaderDeps, leaderRound, type SettleProposal, signSettlement } from "./settle.ts";
import { SignedPrices } from "./signed-prices.ts";

/** One member of the federation as every guardian and the app know it (public keys only). */
export interface FederationMember {
  name: string;
  url: string;
  /** Compressed secp256k1 custody key, hex. */
  custodyKey: string;
  /** BabyJubjub oracle key [x, y], decimal strings. */
  oracleKey: [string, string];
}

export interface Federation {
  network: BtcNetworkName;
  threshold: number;
  csvBlocks?: number;
  members: FederationMember[];
}

export interface GuardianConfig {
  /** This guardian's index in `federation.members`. */
  index: number;
  federation: Federation;
  esploraUrl: string;
  /**
   * Caps for requests to the Esplora host (default below blockstream.info's public limits; none for
   * a loopback host). Raise them for one's own server (docs/bitcoin.md).
   */
  esploraLimits?: Partial<HostLimits>;
  /** A second Esplora the chain sync cross-checks (block hashes must agree, else the sync stops and says why). */
  esploraCheckUrl?: string;
  dataDir: string;
  port: number;
  host?: string;
  /** First block whose spells count (the genesis state is the protocol's at the block before). */
  startHeight: number;
  params?: Partial<Record<keyof Params, string | boolean>>;
  /** Directory with the zk artifacts and manifest (default: the repository's public/). */
  zkDir?: string;
  /** Exchange base URLs (a local price feed on dev networks). */
  oracleSources?: Partial<Record<SourceId, SourceSettings>>;
  protection?: {
    preset?: ProtectionPresetName | ProtectionPreset;
    apiKeys?: string[];
    allow?: string[];
    deny?: string[];
  };
  corsOrigins?: string[];
  maxBodyBytes?: number;
  requestTimeoutMs?: number;
  prices?: { publishIntervalMs?: number; readIntervalMs?: number; deviationBps?: number };
  maxPriceAgeSec?: number;
  /** Chain poll interval while blocks come, ms (default 2 s); up to 15 s while none does. */
  pollMs?: number;
  /** Settlements (docs/custody.md): obligations buried `finality` blocks (D, default 6) are paid. */
  settlement?: { finality?: number };
  logLevel?: "debug" | "info" | "warn" | "error";
}

export interface RunningGuardian {
  url: string;
  chain: GuardianChain;
  prices: PriceService;
  protection: Protection;
  stop(): Promise<void>;
}

export function guardianSetOf(f: Federation): GuardianSet {
  return { threshold: f.threshold, keys: f.members.map((m) => fromHex(m.custodyKey)) };
}

export function oracleSetOf(f: Federation): OracleKeySet {
  return {
    threshold: f.threshold,
    keys: f.members.map((m) => [BigInt(m.oracleKey[0]), BigInt(m.oracleKey[1])] as BabyJubPoint),
  };
}

function num(v: string | null, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === null) return fallback;
  if (!/^\d+$/.test(v))
    throw new GuardianError("invalidRequest", `expected a whole number, got ${JSON.stringify(v)}`);
  return Math.min(Number(v), max);
}

export async function startGuardian(
  config: GuardianConfig,
  keys: GuardianKeys,
  deps: { log?: Logger; now?: () => number } = {},
): Promise<RunningGuardian> {
  const me = config.federation.members[config.index];
  if (!me) throw new GuardianError("invalidConfig", `index ${config.index} is not a federation member`);
  if (me.custodyKey !== keys.custodyPublicKeyHex)
    throw new GuardianError(
      "invalidConfig",
      `the custody key does not match member ${config.index} (${me.name})`,
    );
  if (
    BigInt(me.oracleKey[0]) !== keys.oraclePublicKey[0] ||
    BigInt(me.oracleKey[1]) !== keys.oraclePublicKey[1]
  )
    throw new GuardianError(
      "invalidConfig",
      `the oracle key does not match member ${config.index} (${me.name})`,
    );
  const log = (deps.log ?? createLogger({ level: config.logLevel ?? "info" })).child({ guardian: me.name });
  const now = deps.now ?? Date.now;
  await initPoseidon();

  const network = config.federation.network;
  // Key rotation is a governance operation (rotateGuardians, rotateOracleKeys): once the engine's
  // governance state holds a set, it wins over the configured one, block by block.
  const configuredGuardians = guardianSetOf(config.federation);
  const configuredOracles = oracleSetOf(config.federation);
  let chainRef: GuardianChain | null = null;
  const guardians = (): GuardianSet => {
    const g = chainRef?.state.gov.guardians;
    return g && g.keys.length > 0
      ? { threshold: Number(g.threshold), keys: g.keys.map(fromHex) }
      : configuredGuardians;
  };
  const oracles = (): OracleKeySet => {
    const o = chainRef?.state.gov.oracles;
    return o
      ? { threshold: Number(o.threshold), keys: o.keys.map(([x, y]) => [x, y] as BabyJubPoint) }
      : configuredOracles;
  };
  const oracleIndex = (): number | null => {
    const i = oracles().keys.findIndex(
      ([x, y]) => x === keys.oraclePublicKey[0] && y === keys.oraclePublicKey[1],
    );
    return i < 0 ? null : i;
  };
  const capProblems = hostLimitsProblems(config.esploraLimits ?? {});
  if (capProblems.length) throw new Error(`guardian config esploraLimits: ${capProblems.join("; ")}`);
  const esplora = new EsploraClient({
    baseUrl: config.esploraUrl,
    retries: 2,
    backoffMs: 200,
    ...(config.esploraLimits ? { limits: config.esploraLimits } : {}),
  });

  const verificationKeys = await loadVerificationKeys(nodeArtifacts(config.zkDir));
  const verifier = (): VerifierConfig => ({ proofs: true, oracleKeys: oracles(), verificationKeys });
  const params = { ...DEFAULT_PARAMS } as Params;
  for (const [k, v] of Object.entries(config.params ?? {})) {
    (params as unknown as Record<string, bigint | boolean>)[k] = typeof v === "boolean" ? v : BigInt(v);
  }
  const follower = await GuardianChain.open({
    esplora,
    ...(config.esploraCheckUrl
      ? { secondEsplora: new EsploraClient({ baseUrl: config.esploraCheckUrl, retries: 2, backoffMs: 200 }) }
      : {}),
    network,
    dataDir: config.dataDir,
    startHeight: config.startHeight,
    params,
    // The indexer takes its oracle keys once.
    verifier: verifier(),
    custody: {
      network: config.federation.network,
      csvBlocks: config.federation.csvBlocks ?? DEFAULT_ESCAPE_CSV_BLOCKS,
      guardians: {
        keys: config.federation.members.map((m) => m.custodyKey),
        threshold: config.federation.threshold,
      },
      // The same D the settlement loop waits for (the indexer refuses a shallower basis).
      finality: config.settlement?.finality ?? DEFAULT_FINALITY_DEPTH,
    },
    log,
  });
  chainRef = follower;
  const settlements = new SettlementLedger(config.dataDir);
  const settleDeps: LeaderDeps = {
    state: () => follower.state,
    height: () => follower.height,
    tip: () => follower.tip,
    custody: { network, csvBlocks: config.federation.csvBlocks ?? DEFAULT_ESCAPE_CSV_BLOCKS },
    finality: config.settlement?.finality ?? DEFAULT_FINALITY_DEPTH,
    keys,
    ledger: settlements,
    index: config.index,
    n: config.federation.members.length,
    threshold: config.federation.threshold,
    peers: config.federation.members
      .filter((_, i) => i !== config.index)
      .map((m) => ({ name: m.name, url: m.url })),
    // Estimates are sat/vB; the settle spell's rate is sat/kvB (rounded up: never below the estimate).
    feeRate: async () => {
      try {
        const est = await esplora.feeEstimates();
        return Math.ceil((est["2"] ?? est["1"] ?? 1) * 1_000);
      } catch {
        return 1_000;
      }
    },
    broadcast: (hex) => esplora.broadcast(hex),
    known: async (txid) => {
      try {
        await esplora.txStatus(txid);
        return true;
      } catch {
        return false;
      }
    },
    log,
  };
  const oracle = new PriceOracle({ ...(config.oracleSources ? { sources: config.oracleSources } : {}) });
  const prices = new PriceService({
    oracle,
    keys,
    index: oracleIndex,
    oracles,
    peers: config.federation.members
      .filter((_, i) => i !== config.index)
      .map((m) => ({ url: m.url, custodyKey: m.custodyKey })),
    signed: new SignedPrices(config.dataDir),
    log,
    now,
    ...(config.prices ?? {}),
  });
  const protection = new Protection({ preset: config.protection?.preset ?? "default", ...config.protection });

  const root = () => follower.root();
  const identity = {
    name: me.name,
    index: config.index,
    custodyKey: me.custodyKey,
    oracleKey: me.oracleKey,
    threshold: config.federation.threshold,
    members: config.federation.members.length,
    network,
  };
  const vaultJson = (owner: string) => {
    const v = getVault(follower.state, owner);
    if (!v) throw new GuardianError("notFound", `no vault for ${owner}`);
    return v;
  };

  let headState: { root: string; body: unknown } | null = null;
  const routes: Route[] = [
    {
      method: "GET",
      path: "/v1/health",
      handler: () => ({ ok: follower.lastError === null, guardian: me.name }),
    },
    {
      // What a client needs to join: custody keys for vault scripts, oracle keys for attestations, and
      // where the protocol's history starts. Keys rotated by governance are in the chain itself.
      method: "GET",
      path: "/v1/federation",
      handler: () => ({
        network,
        threshold: config.federation.threshold,
        csvBlocks: config.federation.csvBlocks ?? DEFAULT_ESCAPE_CSV_BLOCKS,
        members: config.federation.members,
        oracleThreshold: configuredOracles.threshold,
        startHeight: config.startHeight,
        params: config.params ?? {},
      }),
    },
    {
      method: "GET",
      path: "/v1/status",
      handler: () => ({
        guardian: identity,
        custodySet: { threshold: guardians().threshold, keys: guardians().keys.map(toHex) },
        oracleSet: { threshold: oracles().threshold, index: oracleIndex() },
        chain: {
          height: follower.height,
          tip: follower.tip,
          lag: Math.max(0, follower.tip - follower.height),
          stateRoot: root(),
          lastSyncAt: follower.lastSyncAt,
          lastError: follower.lastError,
        },
        oracle: {
          reading: prices.latestReading ? readingToJson(prices.latestReading) : null,
          attestation: prices.latest
            ? {
                price: prices.latest.attestation.price,
                timestamp: prices.latest.attestation.timestamp,
                signers: prices.latest.signers,
              }
            : null,
          sources: oracle.health().map((h) => ({
            source: h.source,
            transport: h.transport,
            breaker: h.breaker.state,
            blocked: h.blocked,
          })),
        },
        protection: {
          ...protection.stats,
          openConnections: protection.openConnections,
          clients: protection.trackedClients,
        },
        signedSettlements: settlements.size,
      }),
    },
    {
      // The whole replayed state at the head, so operators' tools run the engine's own views on it
      // (parameters, governance, deposits) instead of trusting a summary; they check it hashes to `root`.
      // Serialized once per head (it costs ~0.6 s at 50k accounts), and weighted as the heaviest read.
      method: "GET",
      path: "/v1/state",
      cost: 10,
      handler: () => {
        if (headState?.root !== root())
          headState = {
            root: root(),
            body: { height: follower.height, root: root(), state: serializeState(follower.state) },
          };
        return headState.body;
      },
    },
    {
      method: "GET",
      path: "/v1/vaults",
      handler: (r) => {
        const all = riskiestVaults(follower.state);
        const offset = num(r.query.get("offset"), 0);
        return { total: all.length, vaults: all.slice(offset, offset + num(r.query.get("limit"), 50, 500)) };
      },
    },
    {
      method: "GET",
      path: "/v1/vaults/at-risk",
      handler: (r) => {
        // Below CCR by default (liquidatable in recovery mode); ?below=<18-decimal ratio> to choose.
        const below = r.query.get("below");
        if (below !== null && !/^\d{1,40}$/.test(below))
          throw new GuardianError(
            "invalidRequest",
            "below: expected an 18-decimal integer ratio, e.g. 1500000000000000000",
          );
        const threshold = below !== null ? BigInt(below) : follower.state.params.CCR;
        const out = [];
        for (const v of riskiestVaults(follower.state, num(r.query.get("limit"), 100, 1000))) {
          if (v.icr >= threshold) break;
          out.push({ ...v, liquidatable: v.icr < follower.state.params.MCR });
        }
        return { threshold, price: follower.state.g.price, vaults: out };
      },
    },
    {
      method: "GET",
      path: "/v1/vaults/:owner",
      handler: (r) => {
        const a = findAccount(follower.state, r.params.owner!);
        return { vault: vaultJson(r.params.owner!), deposit: a ? depositView(follower.state, a) : null };
      },
    },
    {
      method: "GET",
      path: "/v1/price",
      handler: () => {
        if (!prices.latest)
          throw new GuardianError("unavailable", "no price attestation has been published yet");
        return {
          price: prices.latest.attestation.price,
          timestamp: prices.latest.attestation.timestamp,
          round: prices.latest.attestation.round,
          signers: prices.latest.signers,
          attestation: prices.latest.encoded,
          statePrice: follower.state.g.price,
        };
      },
    },
    {
      method: "GET",
      path: "/v1/attestations",
      handler: () => ({ attestations: prices.history.slice(-100) }),
    },
    // Peers only (signed requests), one statement per timestamp: prices.ts.
    attestRoute(prices, new PeerAuthenticator({ self: me.custodyKey, members: () => guardians().keys, now })),
    {
      method: "GET",
      path: "/v1/pool",
      handler: async () => {
        const s = systemSummary(follower.state);
        const address = descriptorAddress(poolDescriptor(guardians()), network);
        let onChainSats: number | null = null;
        try {
          onChainSats = (await esplora.addressUtxos(address)).reduce((a, u) => a + u.value, 0);
        } catch {
          onChainSats = null;
        }
        return { address, deposits: s.poolTotal, collateral: s.poolCollateral, onChainSats, summary: s };
      },
    },
    {
      method: "GET",
      path: "/v1/custody",
      // Protocol coins, obligations, invariant status and breaches (`zkusd custody`, docs/custody.md).
      handler: async () => {
        const report = checkInvariants(follower.state);
        const page = await follower.events({ type: "CustodyBreach", limit: 500, order: "desc" });
        const breaches = page.events.map((e) => ({
          height: e.height,
          txid: e.txid,
          message: JSON.stringify(e.event, (_, v) => (typeof v === "bigint" ? v.toString() : v)),
        }));
        return custodyViewToJson({
          height: follower.height,
          custody: follower.state.custody,
          invariants: report.ok
            ? { status: "ok", detail: "every vault's coins and the total match the ledger exactly" }
            : { status: "breach", detail: report.problems.join("; ") },
          breaches,
        });
      },
    },
    {
      method: "GET",
      path: "/v1/events",
      handler: (r) =>
        follower.events({
          ...(r.query.get("type") ? { type: r.query.get("type")! } : {}),
          ...(r.query.get("account") ? { account: r.query.get("account")! } : {}),
          ...(r.query.get("from") ? { fromHeight: num(r.query.get("from"), 0) } : {}),
          ...(r.query.get("to") ? { toHeight: num(r.query.get("to"), 0) } : {}),
          ...(r.query.get("after") ? { after: r.query.get("after")! } : {}),
          ...(r.query.get("order") === "desc" ? { order: "desc" as const } : {}),
          limit: num(r.query.get("limit"), 50, 500),
        }),
    },
    {
      method: "GET",
      path: "/v1/spells",
      handler: async (r) => ({ spells: await follower.recentSpells(num(r.query.get("limit"), 50, 500)) }),
    },
    {
      method: "POST",
      path: "/v1/settle",
      cost: 5,
      timeoutMs: 30_000,
      handler: async (r) => {
        const b = r.body as Partial<SettleProposal> | undefined;
        if (!b || !Array.isArray(b.ids) || typeof b.feeRate !== "number" || typeof b.txid !== "string")
          throw new GuardianError(
            "invalidRequest",
            "expected { ids: string[], feeRate: number, txid: string }",
          );
        await follower.sync();
        const result = signSettlement(settleDeps, { ids: b.ids, feeRate: b.feeRate, txid: b.txid });
        if (!result.ok) {
          log.warn("settlement refused", { code: result.code, reason: result.reason });
          throw Object.assign(new GuardianError("refused", `${result.code}: ${result.reason}`), {
            refusal: result.code,
          });
        }
        log.info("settlement signed", { txid: result.txid, obligations: result.plan.ids.length });
        return { guardian: me.name, psbt: base64.encode(result.psbt), txid: result.txid };
      },
    },
  ];

  const http = await startHttp(
    {
      routes,
      protection,
      log,
      corsOrigins: config.corsOrigins ?? [],
      ...(config.maxBodyBytes !== undefined ? { maxBodyBytes: config.maxBodyBytes } : {}),
      ...(config.requestTimeoutMs !== undefined ? { requestTimeoutMs: config.requestTimeoutMs } : {}),
    },
    config.port,
    config.host ?? "127.0.0.1",
  );
  let stopped = false;
  await follower.sync();
  // Every pollMs while blocks come, slower while none does; after each new block the leader settles
  // the open obligations (docs/custody.md); settlement rounds never overlap.
  const policy = { baseMs: config.pollMs ?? 2_000, maxMs: Math.max(config.pollMs ?? 2_000, 15_000) };
  let idlePolls = 0;
  let poll: ReturnType<typeof setTimeout> | undefined;
  let settledAt = -1;
  let settling = false;
  const settle = async () => {
    if (settling || follower.height === settledAt || follower.tip > follower.height) return;
    settling = true;
    try {
      settledAt = follower.height;
      const outcome = await leaderRound(settleDeps);
      if (outcome.kind === "failed" || outcome.kind === "noQuorum") log.warn("settlement round", outcome);
    } catch (error) {
      log.warn("settlement round failed", { error: (error as Error).message });
    } finally {
      settling = false;
    }
  };
  const tick = async () => {
    const before = follower.height;
    await follower.sync();
    idlePolls = follower.height > before ? 0 : idlePolls + 1;
    await settle();
    if (!stopped) poll = setTimeout(() => void tick(), nextPollMs(policy, idlePolls));
  };
  poll = setTimeout(() => void tick(), policy.baseMs);
  prices.start();
  log.info("guardian started", {
    url: http.url,
    height: follower.height,
    custodyKey: me.custodyKey,
    pool: descriptorAddress(poolDescriptor(guardians()), network),
    csvBlocks: config.federation.csvBlocks ?? DEFAULT_ESCAPE_CSV_BLOCKS,
  });
  return {
    url: http.url,
    chain: follower,
    prices,
    protection,
    async stop() {
      if (stopped) return;
      stopped = true;
      clearTimeout(poll);
      prices.stop();
      await http.close();
      oracle.close();
      protection.stop();
      await follower.close();
      log.info("guardian stopped", { height: follower.height });
    },
  };
}

export { toHex };
