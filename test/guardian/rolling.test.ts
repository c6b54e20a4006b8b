/**
 * Issue 13, rolling and consolidation on the real regtest node with three guardian daemons (2-of-3)
 * and a short test timelock (30 blocks, so a coin is due for a roll from age 15,
 * docs/custody.md "Rolling"): a vault that received a deposit holds two coins and the leader's
 * settlement consolidates them into one coin of the same sats at its script; a vault's only coin,
 * growing old, is rolled before its timelock can open. The fee account (a stray below the refund
 * threshold sent to the pool's script) pays; no vault's record changes; every guardian's custody
 * invariants hold and their roots agree.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BuiltPsbt,
  buildDeposit,
  buildLedgerOp,
  buildOpenVault,
  descriptorAddress,
  EsploraClient,
  emptyProof,
  finalizePsbt,
  poolDescriptor,
  type Spell,
  type SpellOperation,
  signPsbtInputs,
  toHex,
  vaultDescriptor,
  type WalletAccount,
  walletAccount,
  walletUtxo,
} from "../../src/btc/index.ts";
import { type PriceFeed, startPriceFeed } from "../../src/devnet/pricefeed.ts";
import { type Devnet, startDevnet } from "../../src/devnet/server.ts";
import { guardianSetOf } from "../../src/guardian/daemon.ts";
import { decodeAttestation } from "../../src/oracle/index.ts";
import { checkInvariants } from "../../src/settlement/invariants.ts";
import { rollAge } from "../../src/settlement/settle.ts";
import { proveSpell, terminateProver } from "../../src/zk/node.ts";
import { startFederation, type TestFederation, waitFor } from "./support.ts";

const E18 = 10n ** 18n;
const SAT = 10n ** 10n;
const CSV = 30;
const D = 1;

let devnet: Devnet;
let feed: PriceFeed;
let esplora: EsploraClient;
let fed: TestFederation;

class Wallet {
  readonly priv = secp256k1.utils.randomSecretKey();
  readonly account: WalletAccount = walletAccount(
    secp256k1.getPublicKey(this.priv, true),
    "p2wpkh",
    "regtest",
  );
  get address() {
    return this.account.address;
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
  sign(built: BuiltPsbt): Uint8Array {
    return signPsbtInputs(built.psbt, this.priv, built.signInputs[this.address]!);
  }
  vault() {
    return vaultDescriptor({
      owner: this.account.publicKey,
      guardians: guardianSetOf(fed.federation),
      csvBlocks: CSV,
    });
  }
}

const keeper = new Wallet();
const alice = new Wallet();
const bob = new Wallet();

const g = (i: number) => fed.guardians[i]!;
/** A vault spell with its proof against the state the guardians hold (every vault operation carries one). */
const proven = (w: Wallet, spell: Spell) => proveSpell(spell, w.address, g(0).chain.state);
const spellOf = (op: SpellOperation, attestation: Uint8Array = new Uint8Array(0)): Spell => ({
  version: 1,
  op,
  attestation,
  proof: emptyProof(),
});

async function attestation(): Promise<Uint8Array> {
  return waitFor("a quorum price attestation", async () => {
    const res = await fetch(`${g(0).url}/v1/price`);
    if (!res.ok) return undefined;
    return Uint8Array.from(Buffer.from(((await res.json()) as { attestation: string }).attestation, "hex"));
  });
}

async function mine(n = 1): Promise<void> {
  await devnet.mine(n);
  const h = devnet.chain.height;
  await waitFor("guardians to sync", () =>
    fed.guardians.every((x) => x && x.chain.height >= h) ? true : undefined,
  );
}

async function send(w: Wallet, built: BuiltPsbt): Promise<string> {
  const txid = await esplora.broadcast(finalizePsbt(w.sign(built)).hex);
  await mine();
  const rec = await g(0).chain.spellOf(txid);
  expect(rec?.ok ? "applied" : rec?.reason.message).toBe("applied");
  return txid;
}

const coinsOf = (owner: string) =>
  [...g(0).chain.state.custody.coins.values()].filter((c) => c.vault === owner);

/** Txids in the mempool, waiting up to `ms` for one (the leader's round runs after each block). */
async function mempool(ms: number): Promise<string[]> {
  return waitFor(
    "a transaction in the mempool",
    async () => {
      const res = await fetch(`${devnet.url}/mempool/txids`);
      const ids = res.ok ? ((await res.json()) as string[]) : [];
      return ids.length > 0 ? ids : undefined;
    },
    ms,
  ).catch(() => [] as string[]);
}

/**
 * Mines block by block (each with whatever the leader put in the mempool) until `owner`'s coins are
 * no longer `before`; returns the block count mined.
 */
async function untilRolled(owner: string, before: string[], maxBlocks: number): Promise<number> {
  for (let i = 1; i <= maxBlocks; i++) {
    await mempool(6_000);
    await mine();
    const now = coinsOf(owner).map((c) => c.outpoint);
    if (now.length !== before.length || now.some((o, j) => o !== before[j])) return i;
  }
  throw new Error(`${owner}'s coins not rolled within ${maxBlocks} blocks`);
}

function custodyHolds(): void {
  for (let i = 0; i < 3; i++) {
    const report = checkInvariants(g(i).chain.state);
    expect(report.problems, `guardian-${i}`).toEqual([]);
  }
  expect(new Set([0, 1, 2].map((i) => g(i).chain.root())).size).toBe(1);
}

beforeAll(async () => {
  devnet = await startDevnet({ port: 0 });
  feed = await startPriceFeed({ price: "97000" });
  esplora = new EsploraClient({ baseUrl: devnet.url, retries: 1, backoffMs: 50 });
  for (const w of [keeper, alice, bob]) await devnet.faucet(w.address, 100_000_000n);
  await devnet.mine(1);
  fed = await startFederation({
    esploraUrl: devnet.url,
    feed,
    startHeight: 1,
    startNow: false,
    overrides: { settlement: { finality: D } },
  });
  // The short test timelock, published by the federation (every guardian's vault scripts use it).
  fed.federation.csvBlocks = CSV;
  await Promise.all([0, 1, 2].map((i) => fed.start(i)));
}, 180_000);

afterAll(async () => {
  await terminateProver();
  await fed?.stopAll();
  await feed?.close();
  await devnet?.close();
});

describe(`rolling and consolidation on regtest (three guardians, timelock ${CSV} blocks)`, () => {
  it("a vault's two coins (open, then a deposit) are consolidated into one by the leader's settlement", async () => {
    const att = await attestation();
    await send(
      keeper,
      buildLedgerOp(await keeper.opts(), {
        spell: spellOf({ type: "setPrice", price: decodeAttestation(att).price }, att),
      }),
    );
    // The fee account: 9,000 sats at the pool's script, below the refund threshold, so kept.
    await devnet.faucet(descriptorAddress(poolDescriptor(guardianSetOf(fed.federation)), "regtest"), 9_000n);
    await mine();
    expect(g(0).chain.state.custody.stray).toBe(9_000n);
    await send(
      alice,
      buildOpenVault(await alice.opts(), {
        spell: await proven(
          alice,
          spellOf(
            {
              type: "openVault",
              collateral: 30_000_000n * SAT,
              borrow: 3_000n * E18,
              maxFee: 5n * 10n ** 16n,
              ownerKey: alice.account.publicKey,
              vaultOutput: 0,
            },
            await attestation(),
          ),
        ),
        vault: alice.vault(),
        collateralSats: 30_000_000n,
      }),
    );
    const record = structuredClone(g(0).chain.state.accounts.get(alice.address));
    await send(
      alice,
      buildDeposit(await alice.opts(), {
        spell: await proven(
          alice,
          spellOf(
            { type: "adjustVault", depositCollateral: 5_000_000n * SAT, vaultOutput: 0 },
            await attestation(),
          ),
        ),
        vault: alice.vault(),
        collateralSats: 5_000_000n,
      }),
    );
    expect(coinsOf(alice.address)).toHaveLength(2);
    const after = structuredClone(g(0).chain.state.accounts.get(alice.address))!;
    await untilRolled(
      alice.address,
      coinsOf(alice.address).map((c) => c.outpoint),
      3,
    );
    const coins = coinsOf(alice.address);
    expect(coins).toHaveLength(1);
    expect(coins[0]).toMatchObject({ sats: 35_000_000n, script: toHex(alice.vault().script) });
    const settlement = coins[0]!.outpoint.split(":")[0]!;
    // The roll changed only the coins: the record is the deposit's, untouched by the settlement.
    expect(g(0).chain.state.accounts.get(alice.address)).toEqual(after);
    expect(after.coll).toBe(record!.coll + 5_000_000n * SAT);
    // The fee account paid the fee.
    expect(g(0).chain.state.custody.stray).toBeLessThan(9_000n);
    const tx = await esplora.tx(settlement);
    expect(tx.vin.length).toBe(3); // alice's two coins and the main coin
    custodyHolds();
  }, 240_000);

  it(`a vault's only coin is rolled once it is ${rollAge(CSV)} blocks old, before its ${CSV}-block timelock opens`, async () => {
    await send(
      bob,
      buildOpenVault(await bob.opts(), {
        spell: await proven(
          bob,
          spellOf(
            {
              type: "openVault",
              collateral: 20_000_000n * SAT,
              borrow: 2_000n * E18,
              maxFee: 5n * 10n ** 16n,
              ownerKey: bob.account.publicKey,
              vaultOutput: 0,
            },
            await attestation(),
          ),
        ),
        vault: bob.vault(),
        collateralSats: 20_000_000n,
      }),
    );
    const [first] = coinsOf(bob.address);
    expect(first).toBeDefined();
    const born = Number(first!.height);
    const record = structuredClone(g(0).chain.state.accounts.get(bob.address));
    // Nothing happens to bob's coin while it is young.
    await mine(rollAge(CSV) - 3);
    expect(coinsOf(bob.address).map((c) => c.outpoint)).toEqual([first!.outpoint]);
    await untilRolled(bob.address, [first!.outpoint], 10);
    const [rolled] = coinsOf(bob.address);
    const applied = await g(1).chain.events({ type: "SettlementApplied", limit: 5, order: "desc" });
    expect(applied.events.some((e) => (e.event as { rolls: string[] }).rolls.includes(bob.address))).toBe(
      true,
    );
    expect(rolled!.sats).toBe(20_000_000n);
    expect(rolled!.script).toBe(first!.script);
    // Rolled with room to spare: the old coin's timelock would have opened at born + CSV.
    expect(Number(rolled!.height)).toBeLessThan(born + CSV);
    expect(Number(rolled!.height) - born).toBeGreaterThanOrEqual(rollAge(CSV));
    expect(g(0).chain.state.accounts.get(bob.address)).toEqual(record);
    custodyHolds();
  }, 240_000);
});
