/**
 * The guardian's JSON API under /v1, one function per group of routes; `startGuardian` (daemon.ts)
 * builds the parts once and hands them here. Order matters where paths overlap: `/v1/vaults/at-risk`
 * comes before `/v1/vaults/:owner` (http.ts takes the first match).
 */
import { base64 } from "@scure/base";
import {
  type BtcNetworkName,
  DEFAULT_ESCAPE_CSV_BLOCKS,
  descriptorAddress,
  type EsploraClient,
  fromHex,
  type GuardianSet,
  poolDescriptor,
  toHex,
} from "../btc/index.ts";
import { type OracleKeySet, type PriceOracle, readingToJson } from "../oracle/index.ts";
import {
  depositView,
  findAccount,
  getVault,
  riskiestVaults,
  serializeState,
  systemSummary,
} from "../protocol/index.ts";
import { feeAccountParts } from "../settlement/feeAccount.ts";
import { checkInvariants } from "../settlement/invariants.ts";
import type { GuardianChain } from "./chain-follower.ts";
import { custodyViewToJson } from "./custody-view.ts";
import type { FederationMember, GuardianConfig } from "./daemon.ts";
import { GuardianError } from "./errors.ts";
import type { Route } from "./http.ts";
import type { SettlementLedger } from "./ledger.ts";
import type { Logger } from "./log.ts";
import { PeerAuthenticator } from "./peer-auth.ts";
import { attestRoute, type PriceService } from "./prices.ts";
import type { Protection } from "./protect.ts";
import { type LeaderDeps, marketRate, SETTLE_PATH, type SettleProposal, signSettlement } from "./settle.ts";

/** What the routes read: the running guardian's parts (daemon.ts builds them). */
export interface RouteContext {
  config: GuardianConfig;
  /** This guardian's federation entry. */
  me: FederationMember;
  network: BtcNetworkName;
  follower: GuardianChain;
  esplora: EsploraClient;
  oracle: PriceOracle;
  prices: PriceService;
  protection: Protection;
  settlements: SettlementLedger;
  settleDeps: LeaderDeps;
  /** The custody and oracle sets in force (governance's once it holds one, else the configured). */
  guardians: () => GuardianSet;
  oracles: () => OracleKeySet;
  configuredOracles: OracleKeySet;
  /** This guardian's place in the oracle set in force (null when rotated out). */
  oracleIndex: () => number | null;
  log: Logger;
  now: () => number;
}

/** Every route, in the order http.ts matches them. */
export function guardianRoutes(ctx: RouteContext): Route[] {
  return [
    ...nodeRoutes(ctx),
    ...stateRoutes(ctx),
    ...priceRoutes(ctx),
    ...custodyRoutes(ctx),
    ...historyRoutes(ctx),
    settleRoute(ctx),
  ];
}

/** A query parameter as a whole number (`fallback` when absent), capped at `max`. */
function num(v: string | null, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  if (v === null) return fallback;
  if (!/^\d+$/.test(v))
    throw new GuardianError("invalidRequest", `expected a whole number, got ${JSON.stringify(v)}`);
  return Math.min(Number(v), max);
}

/** Health, the federation a client joins, and this guardian's status. */
function nodeRoutes(ctx: RouteContext): Route[] {
  const { config, me, network, follower } = ctx;
  return [
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
        oracleThreshold: ctx.configuredOracles.threshold,
        startHeight: config.startHeight,
        params: config.params ?? {},
      }),
    },
    { method: "GET", path: "/v1/status", handler: () => status(ctx) },
  ];
}

function status(ctx: RouteContext) {
  const { config, me, network, follower, prices, oracle, protection } = ctx;
  return {
    guardian: {
      name: me.name,
      index: config.index,
      custodyKey: me.custodyKey,
      oracleKey: me.oracleKey,
      threshold: config.federation.threshold,
      members: config.federation.members.length,
      network,
    },
    custodySet: { threshold: ctx.guardians().threshold, keys: ctx.guardians().keys.map(toHex) },
    oracleSet: { threshold: ctx.oracles().threshold, index: ctx.oracleIndex() },
    chain: {
      height: follower.height,
      tip: follower.tip,
      lag: Math.max(0, follower.tip - follower.height),
      stateRoot: follower.root(),
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
    signedSettlements: ctx.settlements.size,
  };
}

/** The replayed state: whole, and the vaults by risk or by owner. */
function stateRoutes({ follower }: RouteContext): Route[] {
  let headState: { root: string; body: unknown } | null = null;
  return [
    {
      // The whole replayed state at the head, so operators' tools run the engine's own views on it
      // (parameters, governance, deposits) instead of trusting a summary; they check it hashes to `root`.
      // Serialized once per head (it costs ~0.6 s at 50k accounts), and weighted as the heaviest read.
      method: "GET",
      path: "/v1/state",
      cost: 10,
      handler: () => {
        const root = follower.root();
        if (headState?.root !== root)
          headState = {
            root,
            body: { height: follower.height, root, state: serializeState(follower.state) },
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
        const owner = r.params.owner!;
        const a = findAccount(follower.state, owner);
        const vault = getVault(follower.state, owner);
        if (!vault) throw new GuardianError("notFound", `no vault for ${owner}`);
        return { vault, deposit: a ? depositView(follower.state, a) : null };
      },
    },
  ];
}

/** The attested price, its history, and the peers-only signing route. */
function priceRoutes({ me, follower, prices, guardians, now }: RouteContext): Route[] {
  return [
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
  ];
}

/** The pool's coins and the custody report (`zkusd custody`, docs/custody.md). */
function custodyRoutes({ network, follower, esplora, guardians }: RouteContext): Route[] {
  return [
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
        // Breaches, and the losses a breach is not (a roll missed, a reorg deeper than D): each
        // message names its event type (docs/custody.md).
        const pages = await Promise.all(
          ["CustodyBreach", "MissedRoll", "ReorgLoss"].map((type) =>
            follower.events({ type, limit: 500, order: "desc" }),
          ),
        );
        const found = pages.flatMap((p) => p.events).sort((a, b) => b.height - a.height);
        const breaches = found.slice(0, 500).map((e) => ({
          height: e.height,
          txid: e.txid,
          message: JSON.stringify(e.event, (_, v) => (typeof v === "bigint" ? v.toString() : v)),
        }));
        return custodyViewToJson({
          height: follower.height,
          custody: follower.state.custody,
          feeAccount: feeAccountParts(follower.state),
          invariants: report.ok
            ? { status: "ok", detail: "every vault's coins and the total match the ledger exactly" }
            : { status: "breach", detail: report.problems.join("; ") },
          breaches,
        });
      },
    },
  ];
}

/** The event store and the recent spells. */
function historyRoutes({ follower }: RouteContext): Route[] {
  return [
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
  ];
}

/**
 * A peer leader's settlement proposal: signed only when this guardian's own plan is the same. Only
 * for requests signed by a guardian of the custody set in force or of an earlier key epoch (an
 * outgoing guardian still leads rolls of its coins): a stranger could otherwise collect signatures
 * at a fee rate of its choosing and bind every guardian's promise over the main coin to its batch.
 * A fee rate far above this guardian's own market rate is refused (`feeTooHigh`, settle.ts).
 */
export function settleRoute({ me, follower, settleDeps, guardians, log, now }: RouteContext): Route {
  const auth = new PeerAuthenticator({
    self: me.custodyKey.toLowerCase(),
    members: () => [
      ...guardians().keys,
      ...follower.state.custody.epochs.flatMap((e) => e.keys.map((k) => fromHex(k))),
    ],
    now,
  });
  return {
    method: "POST",
    path: SETTLE_PATH,
    cost: 5,
    timeoutMs: 30_000,
    handler: async (r) => {
      const who = auth.verify(r.method, r.path, r.headers, r.rawBody);
      if (!who.ok) throw new GuardianError("unauthenticated", who.reason);
      const b = r.body as Partial<SettleProposal> | undefined;
      if (!b || !Array.isArray(b.ids) || typeof b.feeRate !== "number" || typeof b.txid !== "string")
        throw new GuardianError(
          "invalidRequest",
          "expected { ids: string[], feeRate: number, txid: string }",
        );
      await follower.sync();
      const result = signSettlement(
        settleDeps,
        {
          ids: b.ids,
          ...(b.rolls !== undefined ? { rolls: b.rolls } : {}),
          feeRate: b.feeRate,
          txid: b.txid,
        },
        { marketRate: await marketRate(settleDeps) },
      );
      if (!result.ok) {
        log.warn("settlement refused", { code: result.code, reason: result.reason });
        throw Object.assign(new GuardianError("refused", `${result.code}: ${result.reason}`), {
          refusal: result.code,
        });
      }
      log.info("settlement signed", { txid: result.txid, obligations: result.plan.ids.length });
      return { guardian: me.name, psbt: base64.encode(result.psbt), txid: result.txid };
    },
  };
}
