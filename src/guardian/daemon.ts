/**
 * The guardian daemon: follows the chain with the shared indexer and a file store (chain-follower.ts), publishes price attestations
 * (prices.ts), settles open obligations (settle.ts: leader round each block, POST /v1/settle), and
 * serves the JSON API under /v1 (routes.ts over http.ts). It signs no user transaction.
 * One guardian = one custody key of the k-of-n vault/pool quorum and one oracle key of the
 * attestation set; both come from keys.ts and never leave it.
 */
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
  type SourceId,
  type SourceSettings,
} from "../oracle/index.ts";
import { DEFAULT_PARAMS, initPoseidon, type Params } from "../protocol/index.ts";
import { DEFAULT_FINALITY_DEPTH } from "../settlement/settle.ts";
import { nodeArtifacts } from "../zk/node.ts";
import { GuardianChain } from "./chain-follower.ts";
import { GuardianError } from "./errors.ts";
import { startHttp } from "./http.ts";
import type { GuardianKeys } from "./keys.ts";
import { settlementSeat } from "./leader.ts";
import { SettlementLedger } from "./ledger.ts";
import { createLogger, type Logger } from "./log.ts";
import { PriceService } from "./prices.ts";
import { Protection, type ProtectionPreset, type ProtectionPresetName } from "./protect.ts";
import { guardianRoutes } from "./routes.ts";
import { type LeaderDeps, leaderRound } from "./settle.ts";
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
  /** The custody and oracle key sets at genesis (the chain's replay starts from them), in order. */
  members: FederationMember[];
  /**
   * Guardians outside `members` this daemon knows (an incoming set after a rotation, or a later
   * outgoing one): with `members`, the directory the settlement leader picks its peers from by
   * custody key (docs/custody.md "Liveness after a rotation").
   */
  known?: FederationMember[];
}

export interface GuardianConfig {
  /** This guardian's index in `federation.members` followed by `federation.known`. */
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
  /** Chain poll interval while blocks come, ms (default 2 s); up to `maxPollMs` while none does. */
  pollMs?: number;
  /**
   * Longest wait between chain polls while no block comes, ms (default 15 s, never below `pollMs`).
   * A local regtest chain, where blocks come only when someone mines, sets it low: the leader then
   * settles within a couple of seconds of a block after a quiet stretch, not up to 15 s later.
   */
  maxPollMs?: number;
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

/** Every guardian the configuration names: the genesis members, then the known others. */
export const directoryOf = (f: Federation): FederationMember[] => [...f.members, ...(f.known ?? [])];

/** This guardian's federation entry, checked against its keys. */
function memberOf(config: GuardianConfig, keys: GuardianKeys): FederationMember {
  const me = directoryOf(config.federation)[config.index];
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
  return me;
}

/**
 * The custody and oracle sets in force. Key rotation is a governance operation (rotateGuardians,
 * rotateOracleKeys): once the engine's governance state holds a set, it wins over the configured one,
 * block by block.
 */
function keySetsInForce(config: GuardianConfig, keys: GuardianKeys, chain: () => GuardianChain | null) {
  const configuredGuardians = guardianSetOf(config.federation);
  const configuredOracles = oracleSetOf(config.federation);
  const guardians = (): GuardianSet => {
    const g = chain()?.state.gov.guardians;
    return g && g.keys.length > 0
      ? { threshold: Number(g.threshold), keys: g.keys.map(fromHex) }
      : configuredGuardians;
  };
  const oracles = (): OracleKeySet => {
    const o = chain()?.state.gov.oracles;
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
  return { guardians, oracles, configuredOracles, oracleIndex };
}

function esploraOf(config: GuardianConfig): EsploraClient {
  const capProblems = hostLimitsProblems(config.esploraLimits ?? {});
  if (capProblems.length) throw new Error(`guardian config esploraLimits: ${capProblems.join("; ")}`);
  return new EsploraClient({
    baseUrl: config.esploraUrl,
    retries: 2,
    backoffMs: 200,
    ...(config.esploraLimits ? { limits: config.esploraLimits } : {}),
  });
}

/** The chain follower: the shared indexer over a file store, replaying with the federation's custody. */
async function openFollower(
  config: GuardianConfig,
  esplora: EsploraClient,
  verifier: VerifierConfig,
  log: Logger,
): Promise<GuardianChain> {
  const params = { ...DEFAULT_PARAMS } as Params;
  for (const [k, v] of Object.entries(config.params ?? {})) {
    (params as unknown as Record<string, bigint | boolean>)[k] = typeof v === "boolean" ? v : BigInt(v);
  }
  return GuardianChain.open({
    esplora,
    ...(config.esploraCheckUrl
      ? { secondEsplora: new EsploraClient({ baseUrl: config.esploraCheckUrl, retries: 2, backoffMs: 200 }) }
      : {}),
    network: config.federation.network,
    dataDir: config.dataDir,
    startHeight: config.startHeight,
    params,
    verifier,
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
}

/** What the settlement round (leader) and the /v1/settle route (follower) work with. */
function settlementDeps(
  config: GuardianConfig,
  follower: GuardianChain,
  esplora: EsploraClient,
  keys: GuardianKeys,
  ledger: SettlementLedger,
  log: Logger,
): LeaderDeps {
  return {
    state: () => follower.state,
    height: () => follower.height,
    tip: () => follower.tip,
    custody: {
      network: config.federation.network,
      csvBlocks: config.federation.csvBlocks ?? DEFAULT_ESCAPE_CSV_BLOCKS,
    },
    finality: config.settlement?.finality ?? DEFAULT_FINALITY_DEPTH,
    keys,
    ledger,
    ...settlementSeat(follower.state, directoryOf(config.federation), keys.custodyPublicKeyHex),
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
}

/**
 * Follows the chain every pollMs while blocks come, slower while none does; after each new block the
 * leader settles the open obligations (docs/custody.md); settlement rounds never overlap. Each round
 * takes its seat from the replayed state: leadership over the current custody key set, peers from
 * every key epoch that still holds a coin.
 */
function startPolling(
  config: GuardianConfig,
  follower: GuardianChain,
  settleDeps: LeaderDeps,
  log: Logger,
): { stop(): void } {
  const directory = directoryOf(config.federation);
  const baseMs = config.pollMs ?? 2_000;
  const policy = { baseMs, maxMs: Math.max(baseMs, config.maxPollMs ?? 15_000) };
  let stopped = false;
  let idlePolls = 0;
  let poll: ReturnType<typeof setTimeout> | undefined;
  let settledAt = -1;
  let settling = false;
  const settle = async () => {
    if (settling || follower.height === settledAt || follower.tip > follower.height) return;
    settling = true;
    try {
      settledAt = follower.height;
      const seat = settlementSeat(follower.state, directory, settleDeps.keys.custodyPublicKeyHex);
      const outcome = await leaderRound({ ...settleDeps, ...seat });
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
  return {
    stop() {
      stopped = true;
      clearTimeout(poll);
    },
  };
}

/** The guardian's price service: its own signature, its peers' co-signatures, one statement per second. */
function priceServiceOf(
  config: GuardianConfig,
  keys: GuardianKeys,
  sets: ReturnType<typeof keySetsInForce>,
  oracle: PriceOracle,
  log: Logger,
  now: () => number,
): PriceService {
  return new PriceService({
    oracle,
    keys,
    index: sets.oracleIndex,
    oracles: sets.oracles,
    peers: config.federation.members
      .filter((_, i) => i !== config.index)
      .map((m) => ({ url: m.url, custodyKey: m.custodyKey })),
    signed: new SignedPrices(config.dataDir),
    log,
    now,
    ...(config.prices ?? {}),
  });
}

/** Starts one guardian: checks its keys, opens its chain, price service and API, then follows the chain. */
export async function startGuardian(
  config: GuardianConfig,
  keys: GuardianKeys,
  deps: { log?: Logger; now?: () => number } = {},
): Promise<RunningGuardian> {
  const me = memberOf(config, keys);
  const log = (deps.log ?? createLogger({ level: config.logLevel ?? "info" })).child({ guardian: me.name });
  const now = deps.now ?? Date.now;
  await initPoseidon();
  const network = config.federation.network;
  let chainRef: GuardianChain | null = null;
  const sets = keySetsInForce(config, keys, () => chainRef);
  const esplora = esploraOf(config);
  const verificationKeys = await loadVerificationKeys(nodeArtifacts(config.zkDir));
  // The indexer takes its oracle keys once.
  const verifier: VerifierConfig = { proofs: true, oracleKeys: sets.oracles(), verificationKeys };
  const follower = await openFollower(config, esplora, verifier, log);
  chainRef = follower;
  const settlements = new SettlementLedger(config.dataDir);
  const settleDeps = settlementDeps(config, follower, esplora, keys, settlements, log);
  const oracle = new PriceOracle({ ...(config.oracleSources ? { sources: config.oracleSources } : {}) });
  const prices = priceServiceOf(config, keys, sets, oracle, log, now);
  const protection = new Protection({ preset: config.protection?.preset ?? "default", ...config.protection });
  const routes = guardianRoutes({
    config,
    me,
    network,
    follower,
    esplora,
    oracle,
    prices,
    protection,
    settlements,
    settleDeps,
    ...sets,
    log,
    now,
  });
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
  const polling = startPolling(config, follower, settleDeps, log);
  prices.start();
  log.info("guardian started", {
    url: http.url,
    height: follower.height,
    custodyKey: me.custodyKey,
    pool: descriptorAddress(poolDescriptor(sets.guardians()), network),
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
      polling.stop();
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
