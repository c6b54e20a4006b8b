/** A local federation for tests: n guardian daemons in-process on loopback, over a devnet and a price feed. */
import { mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import {
  type BuiltPsbt,
  DEFAULT_ESCAPE_CSV_BLOCKS,
  descriptorAddress,
  EsploraClient,
  emptyProof,
  finalizePsbt,
  poolDescriptor,
  type Spell,
  type SpellOperation,
  signPsbtInputs,
  toHex,
  type VaultDescriptor,
  vaultDescriptor,
  type WalletAccount,
  walletAccount,
  walletUtxo,
} from "../../src/btc/index.ts";
import { type PriceFeed, startPriceFeed } from "../../src/devnet/pricefeed.ts";
import { type Devnet, startDevnet } from "../../src/devnet/server.ts";
import {
  type Federation,
  type GuardianConfig,
  guardianSetOf,
  type RunningGuardian,
  startGuardian,
} from "../../src/guardian/daemon.ts";
import { GuardianKeys } from "../../src/guardian/keys.ts";
import { silentLogger } from "../../src/guardian/log.ts";
import { fundFeeAccount } from "../../src/guardian/main.ts";
import type { SourceId } from "../../src/oracle/index.ts";
import type { Obligation } from "../../src/protocol/index.ts";
import { checkInvariants } from "../../src/settlement/invariants.ts";
import { planSettlement } from "../../src/settlement/settle.ts";

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
  /** The vaults' escape timelock (blocks); the daemons' default when absent. */
  csvBlocks?: number;
}): Promise<TestFederation> {
  const n = opts.n ?? 3;
  const keys = Array.from({ length: n }, () => GuardianKeys.generate().keys);
  const ports: number[] = [];
  for (let i = 0; i < n; i++) ports.push(await freePort());
  const federation: Federation = {
    network: "regtest",
    threshold: opts.threshold ?? 2,
    ...(opts.csvBlocks !== undefined ? { csvBlocks: opts.csvBlocks } : {}),
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

// ---------------------------------------------------------------- the regtest stack

/** A P2WPKH test wallet on regtest that signs alone. */
export class TestWallet {
  readonly priv = secp256k1.utils.randomSecretKey();
  readonly account: WalletAccount = walletAccount(
    secp256k1.getPublicKey(this.priv, true),
    "p2wpkh",
    "regtest",
  );
  constructor(private readonly esplora: EsploraClient) {}
  get address(): string {
    return this.account.address;
  }
  async utxos() {
    return (await this.esplora.addressUtxos(this.address)).map((u) =>
      walletUtxo(this.account, "regtest", { txid: u.txid, vout: u.vout, value: BigInt(u.value) }),
    );
  }
  async opts(extra: { changeAddress?: string; feeRate?: number } = {}) {
    return {
      network: "regtest" as const,
      wallet: this.account,
      walletUtxos: await this.utxos(),
      strategy: "largestFirst" as const,
      ...extra,
      feeRate: extra.feeRate ?? 2,
    };
  }
  sign(built: BuiltPsbt): Uint8Array {
    return signPsbtInputs(built.psbt, this.priv, built.signInputs[this.address]!);
  }
  async balance(): Promise<bigint> {
    return (await this.esplora.addressUtxos(this.address)).reduce((a, u) => a + BigInt(u.value), 0n);
  }
}

export const spellOf = (
  op: SpellOperation,
  attestation: Uint8Array = new Uint8Array(0),
  proof: Uint8Array = emptyProof(),
): Spell => ({ version: 1, op, attestation, proof });

/** Event types that must never appear on an honest chain. */
const ALARMS = ["CustodyBreach", "CustodyInvariantBroken"] as const;

/**
 * The real regtest node (bcoin devnet), the dev price feed and n guardian daemons (2-of-3), with the
 * steps every regtest test repeats: mine (each block checked), send a wallet's spell, read verdicts,
 * wait for settlements.
 */
export interface RegtestStack {
  devnet: Devnet;
  feed: PriceFeed;
  esplora: EsploraClient;
  fed: TestFederation;
  /** Settlement finality D the guardians and their indexers use. */
  finality: number;
  g(i: number): RunningGuardian;
  live(): RunningGuardian[];
  /** A new wallet, funded by the faucet (confirmed with the next mined block). */
  wallet(sats?: bigint): Promise<TestWallet>;
  /** The wallet's vault: its key, the federation's guardian set and escape timelock. */
  vaultOf(w: TestWallet): VaultDescriptor;
  /** The address of the federation's pool coin (the main coin; strays sent there fund fees). */
  poolAddress(): string;
  /** A quorum price attestation from guardian-0, optionally waiting for a price in [min, max]. */
  attestation(min?: bigint, max?: bigint): Promise<Uint8Array>;
  /**
   * Mines `n` blocks one at a time; after each, waits for every live guardian and checks on each
   * that custody and the ledger agree (`checkInvariants`) and that all reached the same root.
   */
  mine(n?: number): Promise<void>;
  /** Signs with the wallet alone, broadcasts, mines one block; returns the txid. */
  broadcast(w: TestWallet, built: BuiltPsbt): Promise<string>;
  /** `broadcast`, and the spell must have been applied by every live guardian. */
  send(w: TestWallet, built: BuiltPsbt): Promise<string>;
  /** How each live guardian recorded a spell: "applied", its reject code, or "unseen". */
  verdicts(txid: string): Promise<string[]>;
  /** Open obligations in guardian-0's state. */
  openObligations(): Obligation[];
  /**
   * Mines until every open obligation is settled (D blocks, the leader's settlement in the mempool,
   * one more block), each block checked; returns the settlement txids mined.
   */
  settleAll(): Promise<string[]>;
  /** Txids in the mempool. */
  mempool(): Promise<string[]>;
  /** Custody alarms (breaches, broken invariants) any live guardian recorded. */
  alarms(): Promise<string[]>;
  /** Invariants hold and every live guardian has the same root (throws otherwise). */
  custodyHolds(): void;
  close(): Promise<void>;
}

export async function startRegtestStack(
  opts: {
    finality?: number;
    csvBlocks?: number;
    overrides?: Partial<GuardianConfig>;
    price?: string;
    /** The fee account's genesis funding, sats (a `fund` spell, as a deployment does; default none). */
    feeAccount?: bigint;
  } = {},
): Promise<RegtestStack> {
  const devnet = await startDevnet({ port: 0 });
  const feed = await startPriceFeed({ price: opts.price ?? "97000" });
  const esplora = new EsploraClient({ baseUrl: devnet.url, retries: 1, backoffMs: 50 });
  await devnet.mine(1);
  const finality = opts.finality ?? 6;
  // The protocol starts with the dev chain (block 1): the devnet mines its first 500 blocks with header
  // times running ahead of the wall clock, and the genesis state takes its time from the block before.
  const fed = await startFederation({
    esploraUrl: devnet.url,
    feed,
    startHeight: 1,
    ...(opts.csvBlocks !== undefined ? { csvBlocks: opts.csvBlocks } : {}),
    overrides: { settlement: { finality }, ...opts.overrides },
  });
  const g = (i: number) => {
    const x = fed.guardians[i];
    if (!x) throw new Error(`guardian-${i} is down`);
    return x;
  };
  const live = () => fed.guardians.filter((x): x is RunningGuardian => x !== null);
  const custodyHolds = () => {
    for (const x of live()) {
      const report = checkInvariants(x.chain.state);
      if (!report.ok)
        throw new Error(`custody and ledger disagree at ${x.chain.height}: ${report.problems.join("; ")}`);
    }
    const roots = new Set(live().map((x) => x.chain.root()));
    if (roots.size !== 1) throw new Error(`guardians disagree on the state root at ${devnet.chain.height}`);
  };
  const mineOne = async () => {
    await devnet.mine(1);
    const h = devnet.chain.height;
    await waitFor(
      "guardians to sync",
      () => (live().every((x) => x.chain.height >= h) ? true : undefined),
      120_000,
    );
    custodyHolds();
  };
  const mempool = async () => {
    const res = await fetch(`${devnet.url}/mempool/txids`);
    return res.ok ? ((await res.json()) as string[]) : [];
  };
  const openObligations = () =>
    [...g(0).chain.state.custody.obligations.values()].filter((o) => o.status === "open");
  /** Why guardian-0 would not settle the open obligations now (a timeout's message). */
  const whyNot = () => {
    const st = g(0).chain.state;
    const ids = openObligations().map((o) => o.id);
    const plan = planSettlement(st, ids, 1_000, {
      network: "regtest",
      csvBlocks: fed.federation.csvBlocks ?? DEFAULT_ESCAPE_CSV_BLOCKS,
    });
    return plan.ok ? `${ids.length} open, plannable` : `${ids.length} open: ${plan.reason.message}`;
  };
  const stack: RegtestStack = {
    devnet,
    feed,
    esplora,
    fed,
    finality,
    g,
    live,
    async wallet(sats = 100_000_000n) {
      const w = new TestWallet(esplora);
      await devnet.faucet(w.address, sats);
      return w;
    },
    vaultOf(w) {
      return vaultDescriptor({
        owner: w.account.publicKey,
        guardians: guardianSetOf(fed.federation),
        csvBlocks: fed.federation.csvBlocks ?? DEFAULT_ESCAPE_CSV_BLOCKS,
      });
    },
    poolAddress() {
      return descriptorAddress(poolDescriptor(guardianSetOf(fed.federation)), "regtest");
    },
    attestation(min = 0n, max = 10n ** 30n) {
      return waitFor(
        "a quorum price attestation",
        async () => {
          const res = await fetch(`${live()[0]!.url}/v1/price`);
          if (!res.ok) return undefined;
          const body = (await res.json()) as { attestation: string; price: string };
          const p = BigInt(body.price);
          return p >= min && p <= max ? Uint8Array.from(Buffer.from(body.attestation, "hex")) : undefined;
        },
        60_000,
      );
    },
    async mine(n = 1) {
      for (let i = 0; i < n; i++) await mineOne();
    },
    async broadcast(w, built) {
      const txid = await esplora.broadcast(finalizePsbt(w.sign(built)).hex);
      await mineOne();
      return txid;
    },
    async send(w, built) {
      const txid = await stack.broadcast(w, built);
      const verdicts = await stack.verdicts(txid);
      if (!verdicts.every((v) => v === "applied")) {
        const rec = await live()[0]!.chain.spellOf(txid);
        throw new Error(
          `spell ${txid} not applied: ${verdicts.join(", ")} (${rec && !rec.ok ? rec.reason.message : ""})`,
        );
      }
      return txid;
    },
    async verdicts(txid) {
      const out: string[] = [];
      for (const x of live()) {
        const rec = await x.chain.spellOf(txid);
        out.push(rec ? (rec.ok ? "applied" : rec.reason.code) : "unseen");
      }
      return out;
    },
    openObligations,
    mempool,
    async settleAll() {
      const mined: string[] = [];
      for (let round = 0; round < 4 && openObligations().length > 0; round++) {
        // The newest open obligation must be D blocks deep before a settlement may name it.
        const newest = Math.max(...openObligations().map((o) => Number(o.height)));
        const deep = newest + finality - devnet.chain.height;
        if (deep > 0) await stack.mine(deep);
        const pending = await waitFor(
          `a settlement in the mempool (${whyNot()})`,
          async () => {
            const ids = await mempool();
            return ids.length > 0 ? ids : undefined;
          },
          60_000,
        );
        await mineOne();
        mined.push(...pending);
      }
      if (openObligations().length > 0)
        throw new Error(
          `obligations still open: ${openObligations()
            .map((o) => o.id)
            .join(", ")}`,
        );
      return mined;
    },
    async alarms() {
      const out: string[] = [];
      for (const x of live())
        for (const type of ALARMS) {
          const page = await x.chain.events({ type, limit: 100 });
          for (const e of page.events)
            out.push(
              `${type} at ${e.height}: ${JSON.stringify(e.event, (_, v) => (typeof v === "bigint" ? v.toString() : v))}`,
            );
        }
      return out;
    },
    custodyHolds,
    async close() {
      await fed.stopAll();
      await feed.close();
      await devnet.close();
    },
  };
  // The fee account funded at genesis (docs/custody.md "The fee account"), confirmed before anything else.
  const feeAccount = opts.feeAccount ?? 0n;
  if (feeAccount > 0n) {
    await fundFeeAccount(devnet.url, fed.federation, feeAccount);
    await mineOne();
  }
  return stack;
}

/** The fee account's genesis funding a journey asks startRegtestStack for, sats. */
export const DEFAULT_TEST_FEE_ACCOUNT = 50_000n;
