/**
 * Helpers for e2e/journeys.e2e.ts: the other actors (Node wallets with real keys that build, sign and
 * broadcast spells to the stack's devnet), the engine's state to compare the screen with (the
 * guardians' replay over /v1, and a Node indexer over the same chain for what /v1 does not serve:
 * balances and governance), and the UI steps every journey repeats (wallet, forms, the signing flow,
 * screenshots at desktop and phone width).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { base64, hex } from "@scure/base";
import type { BrowserContext, Page } from "playwright-core";
import { expect, inject } from "vitest";
import {
  type BuiltPsbt,
  buildLedgerOp,
  buildOpenVault,
  DEFAULT_ESCAPE_CSV_BLOCKS,
  EsploraClient,
  emptyProof,
  finalizePsbt,
  fromHex,
  type GuardianSet,
  messageHash,
  parsePsbt,
  type Spell,
  type SpellOperation,
  signPsbtInputs,
  vaultDescriptor,
  type WalletAccount,
  walletAccount,
  walletUtxo,
} from "../../src/btc/index.ts";
import { addressToScript } from "../../src/btc/network.ts";
import { type AccountPosition, accountPosition } from "../../src/client/engine/preview.ts";
import { type GovernanceOverview, governanceOverview } from "../../src/governance/index.ts";
import { type CustodyView, custodyViewFromJson } from "../../src/guardian/custody-view.ts";
import { type Federation, oracleSetOf } from "../../src/guardian/daemon.ts";
import { Indexer, loadVerificationKeys } from "../../src/indexer/index.ts";
import { cloneState, DEFAULT_PARAMS, formatDecimal, initPoseidon } from "../../src/protocol/index.ts";
import { DEFAULT_FINALITY_DEPTH, DEFAULT_PAYOUT_MAX_FEE } from "../../src/settlement/index.ts";
import { MemoryStore } from "../../src/storage/index.ts";
import { nodeArtifacts, proveSpell } from "../../src/zk/node.ts";
import { DESKTOP, PHONE, screenshot } from "./browser.ts";

/** The test stack's local services, on the free ports e2e/support/global-setup.ts took. */
const STACK = inject("localStack");
export const DEVNET_URL = STACK.devnet;
export const FEED_URL = STACK.priceFeed;
export const GUARDIAN_URLS = [...STACK.guardians];
export const E18 = 10n ** 18n;
export const SAT = 10n ** 10n;
/** Blocks a payout is buried before the guardians settle it (the stack's guardians use the default D). */
export const SETTLEMENT_DEPTH = DEFAULT_FINALITY_DEPTH;

export const esplora = new EsploraClient({ baseUrl: DEVNET_URL, retries: 2, backoffMs: 100 });

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it returns a value (not undefined), or throws naming what was awaited. */
export async function until<T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  everyMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ""}`,
      );
    await sleep(everyMs);
  }
}

export async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = await res.text();
  if (!res.ok) throw new Error(`GET ${url}: HTTP ${res.status} ${body.slice(0, 300)}`);
  return JSON.parse(body) as T;
}

export async function postJson<T>(url: string, payload: unknown): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(payload),
  });
  const body = await res.text();
  if (!res.ok) throw new Error(`POST ${url}: HTTP ${res.status} ${body.slice(0, 300)}`);
  return JSON.parse(body) as T;
}

// ---------------------------------------------------------------------------------------------
// The federation and the chain

/** The local federation as its guardians publish it (GET /v1/federation: custody keys, oracle keys, threshold). */
export function localFederation(): Promise<Federation> {
  // The test stack keeps the guardians' files in a temp dir (free ports), so ask them, as the app does.
  return getJson<Federation>(`${GUARDIAN_URLS[0]}/v1/federation`);
}

/** The custody set the guardians sign with now (GET /v1/status). */
export async function custodySet(): Promise<GuardianSet> {
  const s = await getJson<{ custodySet: { threshold: number; keys: string[] } }>(
    `${GUARDIAN_URLS[0]}/v1/status`,
  );
  return { threshold: s.custodySet.threshold, keys: s.custodySet.keys.map(fromHex) };
}

export interface GuardianStatus {
  chain: { height: number; tip: number; lag: number; stateRoot: string; lastError: string | null };
}

/**
 * Waits until a transaction is confirmed. The devnet mines on its own shortly after a broadcast;
 * if nothing is mined within `graceMs` a block is asked for (POST /regtest/mine), and counted.
 */
export const mining = { fallbackBlocks: 0 };
export async function confirmed(txid: string, graceMs = 8_000): Promise<number> {
  const start = Date.now();
  let asked = false;
  return until(
    `transaction ${txid} to confirm`,
    async () => {
      const s = await esplora.txStatus(txid);
      if (s.confirmed) return s.block_height!;
      if (!asked && Date.now() - start > graceMs) {
        asked = true;
        mining.fallbackBlocks++;
        await postJson(`${DEVNET_URL}/regtest/mine`, { blocks: 1 });
      }
      return undefined;
    },
    60_000,
  );
}

/** Waits until every guardian has applied the chain up to `height` and they agree on the root. */
export async function guardiansAt(
  height: number,
  timeoutMs = 90_000,
): Promise<{ height: number; root: string }> {
  return until(
    `the three guardians at block ${height}`,
    async () => {
      const all = await Promise.all(GUARDIAN_URLS.map((u) => getJson<GuardianStatus>(`${u}/v1/status`)));
      if (all.some((s) => s.chain.height < height || s.chain.lag > 0)) return undefined;
      const heights = new Set(all.map((s) => s.chain.height));
      const roots = new Set(all.map((s) => s.chain.stateRoot));
      if (heights.size !== 1) return undefined;
      expect(roots.size, "the guardians' state roots agree").toBe(1);
      return { height: all[0]!.chain.height, root: all[0]!.chain.stateRoot };
    },
    timeoutMs,
  );
}

export async function tipHeight(): Promise<number> {
  return esplora.tipHeight();
}

/** What the guardians recorded for a confirmed spell transaction: applied, or rejected and why. */
export async function spellOutcome(txid: string): Promise<{ ok: boolean; reason?: { message: string } }> {
  const height = await confirmed(txid);
  await guardiansAt(height);
  const { spells } = await getJson<{
    spells: { txid: string; ok: boolean; reason?: { code: string; message: string } }[];
  }>(`${GUARDIAN_URLS[0]}/v1/spells?limit=500`);
  const rec = spells.find((s) => s.txid === txid);
  if (!rec) throw new Error(`guardian-0 has no spell record for ${txid}`);
  return rec;
}

/** Confirms `txid` and asserts that the guardians applied its spell. */
export async function applied(txid: string): Promise<void> {
  const rec = await spellOutcome(txid);
  expect(rec.ok ? "applied" : `rejected: ${rec.reason?.message}`, `spell ${txid}`).toBe("applied");
}

export interface VaultJson {
  owner: string;
  status: string;
  collateral: bigint;
  debt: bigint;
  icr: bigint;
}
export interface DepositJson {
  initial: bigint;
  compounded: bigint;
  btcGain: bigint;
}

/** The guardians' view of an account's vault and pool deposit (GET /v1/vaults/:owner), or null. */
export async function guardianVault(
  owner: string,
  guardian = 0,
): Promise<{ vault: VaultJson; deposit: DepositJson | null } | null> {
  const res = await fetch(`${GUARDIAN_URLS[guardian]}/v1/vaults/${owner}`);
  if (res.status === 404) return null;
  if (!res.ok) throw new Error(`GET /v1/vaults/${owner}: HTTP ${res.status}`);
  const b = (await res.json()) as {
    vault: Record<string, string>;
    deposit: Record<string, string> | null;
  };
  return {
    vault: {
      owner: b.vault.owner!,
      status: b.vault.status!,
      collateral: BigInt(b.vault.collateral!),
      debt: BigInt(b.vault.debt!),
      icr: BigInt(b.vault.icr!),
    },
    deposit: b.deposit
      ? {
          initial: BigInt(b.deposit.initial!),
          compounded: BigInt(b.deposit.compounded!),
          btcGain: BigInt(b.deposit.btcGain!),
        }
      : null,
  };
}

export async function guardianPool(): Promise<{
  deposits: bigint;
  collateral: bigint;
  onChainSats: number | null;
  price: bigint;
}> {
  const b = await getJson<{
    deposits: string;
    collateral: string;
    onChainSats: number | null;
    summary: { price: string };
  }>(`${GUARDIAN_URLS[0]}/v1/pool`);
  return {
    deposits: BigInt(b.deposits),
    collateral: BigInt(b.collateral),
    onChainSats: b.onChainSats,
    price: BigInt(b.summary.price),
  };
}

export interface EventJson {
  height: number;
  txid: string;
  type: string;
  event: Record<string, string | boolean>;
}

export async function guardianEvents(type: string, account?: string): Promise<EventJson[]> {
  const q = new URLSearchParams({ type, limit: "500", ...(account ? { account } : {}) });
  return (await getJson<{ events: EventJson[] }>(`${GUARDIAN_URLS[0]}/v1/events?${q}`)).events;
}

/** A payout a confirmed spell owes (its ObligationRecorded event): obligation id and sats. */
export interface Payout {
  id: string;
  sats: bigint;
}

/**
 * Stage 1 of a payout (docs/custody.md): the obligations the spell of `txid` recorded to `address`'s
 * script (payouts; internal moves between protocol coins are not the user's).
 */
export async function payoutsOf(txid: string, address: string): Promise<Payout[]> {
  const script = hex.encode(addressToScript(address, "regtest"));
  return (await guardianEvents("ObligationRecorded"))
    .filter((e) => e.txid === txid && e.event.script === script && e.event.to === undefined)
    .map((e) => ({ id: String(e.event.id), sats: BigInt(e.event.sats as string) }));
}

/** The guardians' custody view (GET /v1/custody on guardian `i`). */
export async function guardianCustody(i = 0): Promise<CustodyView> {
  return custodyViewFromJson(await getJson(`${GUARDIAN_URLS[i]}/v1/custody`));
}

/**
 * Stage 2: buries the payouts D blocks (the devnet mines only when asked or when the mempool has
 * transactions), waits until the leader's settlement of them confirmed and every guardian applied
 * it, and checks it on chain: each payout reaches `address` less at most its maximum fee share, and
 * custody agrees with the ledger on every guardian. Returns the settlement's txid and what it paid.
 */
export async function settlementPays(
  payouts: readonly Payout[],
  address: string,
): Promise<{ txid: string; paid: bigint[] }> {
  expect(payouts.length, "the spell recorded a payout to the wallet").toBeGreaterThan(0);
  await postJson(`${DEVNET_URL}/regtest/mine`, { blocks: SETTLEMENT_DEPTH });
  const txid = await until(
    "the settlement of the payouts to confirm",
    async () => {
      const view = await guardianCustody();
      const found = payouts.map((p) => view.custody.obligations.get(p.id));
      if (!found.every((o) => o?.status === "settled")) return undefined;
      const by = new Set(found.map((o) => o!.settledBy));
      expect(by.size, "one settlement pays them all").toBe(1);
      return [...by][0]!;
    },
    120_000,
  );
  expect(txid).toMatch(/^[0-9a-f]{64}$/);
  await guardiansAt(await confirmed(txid));
  const tx = await esplora.tx(txid);
  const paid: bigint[] = [];
  for (const p of payouts) {
    const out = tx.vout.find(
      (o) =>
        o.scriptpubkey_address === address &&
        BigInt(o.value) <= p.sats &&
        BigInt(o.value) >= p.sats - DEFAULT_PAYOUT_MAX_FEE,
    );
    expect(out, `the settlement pays ${p.sats} sats less its fee share to ${address}`).toBeDefined();
    paid.push(BigInt(out!.value));
  }
  for (let i = 0; i < GUARDIAN_URLS.length; i++) {
    const view = await guardianCustody(i);
    expect(view.invariants.status, `guardian-${i}: ${view.invariants.detail}`).toBe("ok");
    expect(view.breaches, `guardian-${i} breaches`).toEqual([]);
  }
  return { txid, paid };
}

/** The federation's latest price attestation within [min, max] (waits for one). */
export async function attestation(
  min = 0n,
  max = 10n ** 30n,
): Promise<{ bytes: Uint8Array; price: bigint; time: bigint; statePrice: bigint }> {
  return until(
    `a quorum price attestation between ${formatDecimal(min)} and ${formatDecimal(max)}`,
    async () => {
      const res = await fetch(`${GUARDIAN_URLS[0]}/v1/price`);
      if (!res.ok) return undefined;
      const b = (await res.json()) as {
        attestation: string;
        price: string;
        timestamp: number;
        statePrice: string;
      };
      const price = BigInt(b.price);
      if (price < min || price > max) return undefined;
      // time: the attestation's, the block time the app's previews assume (src/ui/queries/readiness.ts).
      return {
        bytes: hex.decode(b.attestation),
        price,
        time: BigInt(b.timestamp),
        statePrice: BigInt(b.statePrice),
      };
    },
    120_000,
    500,
  );
}

export async function setFeedPrice(price: string): Promise<void> {
  await postJson(`${FEED_URL}/admin/price`, { price });
}

export async function feedPrice(): Promise<string | undefined> {
  try {
    const b = await getJson<Record<string, unknown>>(`${FEED_URL}/admin/price`);
    const p = (b as { price?: unknown }).price;
    return typeof p === "string" ? p : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// Node actors: real keys, real PSBTs, spells broadcast to the devnet

export const spellOf = (op: SpellOperation, att: Uint8Array = new Uint8Array(0)): Spell => ({
  version: 1,
  op,
  attestation: att,
  proof: emptyProof(),
});

export class Actor {
  readonly priv = secp256k1.utils.randomSecretKey();
  readonly account: WalletAccount = walletAccount(
    secp256k1.getPublicKey(this.priv, true),
    "p2wpkh",
    "regtest",
  );
  constructor(readonly name: string) {}
  get address(): string {
    return this.account.address;
  }

  /** Coins from the devnet's faucet, confirmed. */
  async fund(sats: bigint): Promise<void> {
    const { txid } = await postJson<{ txid: string }>(`${DEVNET_URL}/regtest/faucet`, {
      address: this.address,
      sats: sats.toString(),
    });
    await confirmed(txid);
  }

  async opts() {
    const utxos = (await esplora.addressUtxos(this.address)).map((u) =>
      walletUtxo(this.account, "regtest", { txid: u.txid, vout: u.vout, value: BigInt(u.value) }),
    );
    return {
      network: "regtest" as const,
      wallet: this.account,
      walletUtxos: utxos,
      feeRate: 2,
      strategy: "largestFirst" as const,
    };
  }

  /** Signs its own inputs, broadcasts, waits for the block and for the guardians to apply the spell. */
  async send(built: BuiltPsbt): Promise<string> {
    const signed = signPsbtInputs(built.psbt, this.priv, built.signInputs[this.address] ?? []);
    const txid = await esplora.broadcast(finalizePsbt(signed).hex);
    await applied(txid);
    return txid;
  }

  async cast(op: SpellOperation, att?: Uint8Array): Promise<string> {
    return this.send(buildLedgerOp(await this.opts(), { spell: spellOf(op, att) }));
  }

  /** Opens a vault with its proof, made on the Node replay's state at the tip (every vault operation is proven). */
  async openVault(collateralSats: bigint, borrow: bigint, att: Uint8Array): Promise<string> {
    const open = spellOf(
      {
        type: "openVault",
        collateral: collateralSats * SAT,
        borrow,
        maxFee: 5n * 10n ** 16n,
        ownerKey: this.account.publicKey,
        vaultOutput: 0, // buildOpenVault pays the vault first
      },
      att,
    );
    // one proof at a time (actors opening together), each on a copy of the replay's state at the tip
    const run = proving.then(async () =>
      proveSpell(open, this.address, cloneState((await referenceState()).state)),
    );
    proving = run.catch(() => undefined);
    const spell = await run;
    return this.send(
      buildOpenVault(await this.opts(), {
        spell,
        vault: vaultDescriptor({ owner: this.account.publicKey, guardians: await custodySet() }),
        collateralSats,
      }),
    );
  }
}

/**
 * Makes the chain's price the federation's attested price in [min, max]: a keeper puts the
 * attestation on chain unless the state already has exactly that price. Returns the attestation.
 */
export async function chainPriceIn(keeper: Actor, min: bigint, max: bigint): Promise<Uint8Array> {
  const att = await attestation(min, max);
  if (att.price !== att.statePrice) {
    await keeper.cast({ type: "setPrice", price: att.price }, att.bytes);
    const pool = await guardianPool();
    expect(pool.price).toBe(att.price);
  }
  return att.bytes;
}

// ---------------------------------------------------------------------------------------------
// A second, independent replay in Node (the shared indexer over the same chain, proofs verified),
// for what the guardians' /v1 does not serve: zkUSD balances and governance.

let reference: Promise<Indexer> | undefined;
let syncs: Promise<unknown> = Promise.resolve();
let proving: Promise<unknown> = Promise.resolve();

export async function referenceState(): Promise<Indexer> {
  reference ??= (async () => {
    await initPoseidon();
    const federation = await localFederation();
    return Indexer.open({
      store: new MemoryStore(),
      chain: esplora,
      // As the local federation does (src/guardian/main.ts): the protocol starts at block 1.
      startHeight: 1,
      params: { ...DEFAULT_PARAMS },
      verifier: {
        proofs: true,
        oracleKeys: oracleSetOf(federation),
        verificationKeys: await loadVerificationKeys(nodeArtifacts()),
      },
      custody: {
        network: "regtest",
        csvBlocks: federation.csvBlocks ?? DEFAULT_ESCAPE_CSV_BLOCKS,
        guardians: { keys: federation.members.map((m) => m.custodyKey), threshold: federation.threshold },
      },
    });
  })();
  const ix = await reference;
  // one sync at a time (actors opening vaults together each ask for the state)
  const run = syncs.then(() => ix.sync());
  syncs = run.catch(() => undefined);
  await run;
  return ix;
}

/** The account's position and the governance overview in the Node replay at the guardians' head. */
export async function referenceAccount(
  owner: string,
): Promise<{ height: number; root: string; position: AccountPosition; gov: GovernanceOverview }> {
  const g = await guardiansAt(await tipHeight());
  const ix = await referenceState();
  expect(ix.head.height, "the Node replay reached the guardians' block").toBe(g.height);
  expect(ix.head.root, "the Node replay's root equals the guardians'").toBe(g.root);
  return {
    height: ix.head.height,
    root: ix.head.root,
    position: accountPosition(ix.state, owner),
    gov: governanceOverview(ix.state, owner),
  };
}

// ---------------------------------------------------------------------------------------------
// The injected sats-connect provider: its key stays in Node and signs for real

export interface InjectedWallet {
  address: string;
  publicKey: Uint8Array;
  calls: string[];
}

export async function injectSatsConnect(context: BrowserContext): Promise<InjectedWallet> {
  const priv = secp256k1.utils.randomSecretKey();
  const pub = secp256k1.getPublicKey(priv, true);
  const payment = walletAccount(pub, "p2wpkh", "regtest");
  const wallet: InjectedWallet = { address: payment.address, publicKey: pub, calls: [] };
  const network = { bitcoin: { name: "Regtest" }, stacks: { name: "testnet" }, spark: { name: "regtest" } };
  await context.exposeFunction("__journeyWallet", (method: string, params: Record<string, unknown>) => {
    wallet.calls.push(method);
    const ok = (result: unknown) => ({ jsonrpc: "2.0", id: "1", result });
    switch (method) {
      case "getInfo":
        return ok({
          version: "1.0.0",
          platform: "web",
          methods: ["getAddresses", "signPsbt", "signMessage", "wallet_getNetwork"],
          supports: [],
        });
      case "wallet_getNetwork":
        return ok(network);
      case "getAddresses":
        return ok({
          addresses: [
            {
              address: payment.address,
              publicKey: hex.encode(pub),
              purpose: "payment",
              addressType: "p2wpkh",
              walletType: "software",
            },
          ],
          network,
        });
      case "signPsbt": {
        const tx = parsePsbt(base64.decode(params.psbt as string));
        const signInputs = (params.signInputs ?? {}) as Record<string, number[]>;
        for (const i of signInputs[payment.address] ?? []) tx.signIdx(priv, i);
        return ok({ psbt: base64.encode(tx.toPSBT()) });
      }
      case "signMessage": {
        const sig = secp256k1.sign(messageHash(params.message as string), priv, {
          prehash: false,
          format: "recovered",
        });
        const out = new Uint8Array(65);
        out[0] = 27 + 12 + sig[0]!;
        out.set(sig.subarray(1), 1);
        return ok({
          signature: base64.encode(out),
          address: payment.address,
          messageHash: "",
          protocol: "ECDSA",
        });
      }
      default:
        return { jsonrpc: "2.0", id: "1", error: { code: -32601, message: `method ${method} not found` } };
    }
  });
  await context.addInitScript(() => {
    const w = window as unknown as Record<string, unknown>;
    w.XverseProviders = {
      BitcoinProvider: {
        request: (m: string, p: unknown) => (w.__journeyWallet as (m: string, p: unknown) => unknown)(m, p),
      },
    };
    w.btc_providers = [{ id: "XverseProviders.BitcoinProvider", name: "Test Wallet", icon: "data:," }];
  });
  return wallet;
}

// ---------------------------------------------------------------------------------------------
// UI steps

/**
 * Collects console errors, page errors and CSP violations of a page. A failed name lookup is not
 * one: the price card also reads the public exchanges, which a machine without internet (this
 * test's) cannot resolve; everything the journeys use is on loopback.
 */
export function watchProblems(page: Page, into: string[]): void {
  page.on("console", (m) => {
    if (m.type() !== "error" || m.text().includes("net::ERR_NAME_NOT_RESOLVED")) return;
    const url = m.location().url ?? "";
    into.push(`console: ${m.text()}${url ? ` (${url})` : ""}`);
  });
  page.on("pageerror", (e) => into.push(`page error: ${e.message}`));
}

export const SCREEN_TITLES = [
  "Vault",
  "Stability pool",
  "Redeem",
  "Liquidations",
  "Governance",
  "Activity",
  "Health",
  "Settings",
  "Backup",
  "Dashboard",
] as const;

/**
 * Opens every screen once, so each lazily loaded page module is in the tab before the journeys
 * (a late chunk load must not be what a journey waits on).
 */
export async function visitEveryScreen(page: Page): Promise<void> {
  for (const title of SCREEN_TITLES) await go(page, title);
}

/** Opens a screen from the navigation; a screen already open is left and reopened, so it starts fresh. */
export async function go(page: Page, title: string): Promise<void> {
  const nav = page.getByRole("navigation", { name: "Screens" });
  const link = nav.getByRole("link", { name: title, exact: true });
  if ((await link.getAttribute("aria-current")) === "page") {
    const other = title === "Activity" ? "Health" : "Activity";
    await nav.getByRole("link", { name: other, exact: true }).click();
    await page.getByRole("heading", { level: 1, name: other }).waitFor();
  }
  await link.click();
  await page.getByRole("heading", { level: 1, name: title }).waitFor();
}

async function openWalletMenu(page: Page): Promise<void> {
  if ((await page.getByTestId("wallet-menu").getAttribute("open")) === null)
    await page.getByTestId("wallet-button").click();
}

async function closeWalletMenu(page: Page): Promise<void> {
  if ((await page.getByTestId("wallet-menu").getAttribute("open")) !== null)
    await page.getByTestId("wallet-button").click();
}

export async function connectWallet(page: Page, kind: "dev" | "sats-connect"): Promise<string> {
  await openWalletMenu(page);
  await page.getByTestId(kind === "dev" ? "connect-dev-wallet" : "connect-sats-connect").click();
  await page.locator('[data-testid="wallet-button"][data-connected="yes"]').waitFor({ timeout: 30_000 });
  await openWalletMenu(page);
  const address = (await page.getByTestId("wallet-address").textContent()) ?? "";
  await closeWalletMenu(page);
  expect(address).toMatch(/^bcrt1q/);
  return address;
}

/** The wallet's BTC as the header shows it (sats), once it equals what the chain says. */
export async function walletBalanceMatchesChain(page: Page, address: string): Promise<bigint> {
  await openWalletMenu(page);
  let chain = 0n;
  await until(
    "the wallet balance on screen to equal the chain's",
    async () => {
      chain = (await esplora.addressUtxos(address)).reduce((a, u) => a + BigInt(u.value), 0n);
      const shown = await page.getByTestId("wallet-balance").getAttribute("data-value");
      return shown === chain.toString() ? true : undefined;
    },
    60_000,
    500,
  ).catch(async (e: Error) => {
    const shown = await page.getByTestId("wallet-balance").getAttribute("data-value");
    throw new Error(`${e.message}: screen ${shown} sats, chain ${chain} sats`);
  });
  await closeWalletMenu(page);
  return chain;
}

/** Waits until a figure's exact value (`data-value`) is `expected`; says what it shows otherwise. */
export async function figureEquals(
  page: Page,
  id: string,
  expected: bigint | string,
  timeoutMs = 60_000,
): Promise<void> {
  const want = typeof expected === "bigint" ? formatDecimal(expected) : expected;
  const selector = `[data-figure="${id}"]`;
  try {
    await page.waitForFunction(
      ([sel, v]) => document.querySelector(sel!)?.getAttribute("data-value") === v,
      [selector, want] as const,
      { timeout: timeoutMs, polling: 200 },
    );
  } catch {
    const shown = await page
      .locator(selector)
      .first()
      .getAttribute("data-value", { timeout: 1_000 })
      .catch(() => null);
    throw new Error(`figure ${id}: expected ${want}, the screen shows ${shown ?? "nothing"}`);
  }
}

/** The figure's visible text. */
export async function figureText(page: Page, id: string): Promise<string> {
  return (await page.locator(`[data-figure="${id}"] dd`).first().textContent()) ?? "";
}

/** Waits until the vault form's preview answers for what is typed now. */
export async function settledPreview(page: Page): Promise<void> {
  await page.locator('[data-testid="vault-preview"][data-pending="no"]').waitFor({ timeout: 30_000 });
}

export interface FlowResult {
  txid: string;
  ms: number;
  steps: { step: string; state: string }[];
}

async function stepStates(page: Page): Promise<{ step: string; state: string }[]> {
  return page.locator("[data-testid=tx-steps] [data-step]").evaluateAll((els) =>
    els.map((e) => ({
      step: e.getAttribute("data-step") ?? "",
      state: e.getAttribute("data-state") ?? "",
    })),
  );
}

/**
 * Every step of a confirmed flow is done or skipped, except a payout's settlement stage: that one
 * runs on (stage 2 is the guardians', after D more blocks; docs/custody.md "What a user sees").
 */
export function expectStepsEnded(steps: readonly { step: string; state: string }[]): void {
  for (const s of steps)
    expect(s.step === "settle" ? ["running", "skipped"] : ["done", "skipped"], `step ${s.step}`).toContain(
      s.state,
    );
}

/**
 * From the review: the real PSBT is shown; "Sign and send" runs the steps (attestation, price update
 * when needed, proof, wallet, broadcast) until the transaction is confirmed; a payout's settlement
 * stage is then still running.
 */
export async function signAndSend(page: Page, timeoutMs = 240_000): Promise<FlowResult> {
  await page.getByTestId("psbt-preview").waitFor({ timeout: 60_000 });
  const start = Date.now();
  await page.getByTestId("sign-and-send").click();
  const end = page.locator('[data-testid="tx-confirmed"], [data-testid="tx-error"]').first();
  try {
    await end.waitFor({ timeout: timeoutMs });
  } catch {
    throw new Error(
      `the flow neither confirmed nor failed within ${timeoutMs} ms: ${JSON.stringify(await stepStates(page))}`,
    );
  }
  const steps = await stepStates(page);
  if (await page.getByTestId("tx-error").isVisible()) {
    throw new Error(
      `the flow failed: ${await page.getByTestId("tx-error").textContent()} — steps ${JSON.stringify(steps)}`,
    );
  }
  const txid = (await page.getByTestId("tx-confirmed").getAttribute("data-txid")) ?? "";
  expect(txid).toMatch(/^[0-9a-f]{64}$/);
  expectStepsEnded(steps);
  return { txid, ms: Date.now() - start, steps };
}

/** The app engine's head (dashboard sync line): blocks applied and state root. */
export async function appHead(page: Page): Promise<{ height: number; root: string }> {
  const position = page.getByTestId("chain-position");
  const attr = await position.getAttribute("data-height");
  let height = attr ? Number(attr) : Number.NaN;
  if (Number.isNaN(height)) {
    const m = /block ([\d,]+)/i.exec((await position.textContent()) ?? "");
    height = m ? Number(m[1]!.replaceAll(",", "")) : -1;
  }
  const root = (await page.getByTestId("state-root").getAttribute("title")) ?? "";
  return { height, root };
}

/**
 * The app's engine reached the chain's tip and its state root equals the guardians' there (their
 * independent replay of the same blocks). Leaves the page on the dashboard.
 */
export async function appRootMatchesGuardians(page: Page): Promise<{ height: number; root: string }> {
  let g = await guardiansAt(await tipHeight());
  await go(page, "Dashboard");
  let last = { height: -1, root: "" };
  // Height and root are read by two queries that refresh a moment apart: wait for both. The chain
  // may move on meanwhile (a settlement or a roll the guardians send by themselves): follow it.
  await until(
    "the app's engine at the guardians' block with their root",
    async () => {
      last = await appHead(page);
      if (last.height > g.height) g = await guardiansAt(last.height, 30_000);
      return last.height === g.height && last.root === g.root ? true : undefined;
    },
    90_000,
    500,
  ).catch(async (e: Error) => {
    const says = await page.getByTestId("chain-position").textContent();
    throw new Error(
      `${e.message}: the app shows block ${last.height} root ${last.root} ("${says?.trim()}"); guardians block ${g.height} root ${g.root}`,
    );
  });
  return g;
}

/** Screenshots of the current screen at 1280 px and 390 px wide (test-results/screenshots/). */
export async function shots(page: Page, name: string): Promise<void> {
  for (const [viewport, width] of [
    [DESKTOP, "desktop"],
    [PHONE, "phone"],
  ] as const) {
    await page.setViewportSize(viewport);
    await page
      .waitForFunction(() => !document.querySelector(".loading"), undefined, { timeout: 10_000 })
      .catch(() => undefined); // a screenshot is an artifact: take it even if something still loads
    if (width === "phone") {
      // Every screen fits a phone with real data on it (charts re-measure after the resize: poll).
      const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      await expect
        .poll(overflow, { timeout: 10_000 })
        .toBeLessThanOrEqual(0)
        .catch(async () => {
          // Name the outermost elements that stick out, so the failure says what to fix.
          const culprits = await page.evaluate(() =>
            [...document.querySelectorAll("body *")]
              .filter((e) => {
                const right = (x: Element) => x.getBoundingClientRect().right;
                return (
                  right(e) > window.innerWidth + 1 &&
                  !(e.parentElement && right(e.parentElement) > window.innerWidth + 1)
                );
              })
              .slice(0, 5)
              .map(
                (e) =>
                  `${e.tagName.toLowerCase()}.${[...e.classList].join(".")} (${Math.round(e.getBoundingClientRect().width)} px)`,
              ),
          );
          throw new Error(
            `${name}: the page scrolls sideways at 390 px by ${await overflow()} px: ${culprits.join(", ")}`,
          );
        });
    }
    await screenshot(page, `journey-${name}-${width}`);
  }
  await page.setViewportSize(DESKTOP);
}
