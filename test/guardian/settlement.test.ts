/**
 * Issue 13 phase 2 on the real regtest node with three guardian daemons (2-of-3): BTC out is the
 * settlement of a confirmed obligation. A close and a redemption are wallet-only spells; once they
 * confirm the ledger owes the payouts, and after D blocks the leader's settlement (signed by a quorum
 * that each recomputed the plan) pays them; afterwards every vault's coins equal its ledger
 * collateral and the custody invariants hold on every guardian.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  type BuiltPsbt,
  buildLedgerOp,
  buildOpenVault,
  EsploraClient,
  emptyProof,
  finalizePsbt,
  type Spell,
  type SpellOperation,
  signPsbtInputs,
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
import { proveSpell, terminateProver } from "../../src/zk/node.ts";
import { startFederation, type TestFederation, waitFor } from "./support.ts";

const E18 = 10n ** 18n;
const SAT = 10n ** 10n;
const D = 6;

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
  async balance(): Promise<bigint> {
    return (await esplora.addressUtxos(this.address)).reduce((a, u) => a + BigInt(u.value), 0n);
  }
}

const keeper = new Wallet();
const alice = new Wallet();
const bob = new Wallet();
const dave = new Wallet();

const g = (i: number) => fed.guardians[i]!;
const spellOf = (op: SpellOperation, attestation: Uint8Array = new Uint8Array(0)): Spell => ({
  version: 1,
  op,
  attestation,
  proof: emptyProof(),
});

/** The spell with its vault proof, made on the guardians' state (every vault operation carries one). */
const proven = (w: Wallet, spell: Spell) => proveSpell(spell, w.address, g(0).chain.state);

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

const open = (state: ReturnType<typeof g>["chain"]["state"]) =>
  [...state.custody.obligations.values()].filter((o) => o.status === "open");

/** Mines D blocks, waits for the leader's settlement to reach the mempool, mines it. */
async function settle(): Promise<string> {
  await mine(D);
  const pending = await waitFor(
    "a settlement in the mempool",
    async () => {
      const res = await fetch(`${devnet.url}/mempool/txids`);
      const ids = res.ok ? ((await res.json()) as string[]) : [];
      return ids.length > 0 ? ids : undefined;
    },
    60_000,
  );
  await mine();
  return pending[0]!;
}

function custodyHolds(): void {
  for (let i = 0; i < 3; i++) {
    const report = checkInvariants(g(i).chain.state);
    expect(report.problems, `guardian-${i}`).toEqual([]);
    expect(report.ok).toBe(true);
  }
  expect(new Set([0, 1, 2].map((i) => g(i).chain.root())).size).toBe(1);
}

beforeAll(async () => {
  devnet = await startDevnet({ port: 0 });
  feed = await startPriceFeed({ price: "97000" });
  esplora = new EsploraClient({ baseUrl: devnet.url, retries: 1, backoffMs: 50 });
  for (const w of [keeper, alice, bob, dave]) await devnet.faucet(w.address, 100_000_000n);
  await devnet.mine(1);
  fed = await startFederation({ esploraUrl: devnet.url, feed, startHeight: 1 });
}, 180_000);

afterAll(async () => {
  await terminateProver();
  await fed?.stopAll();
  await feed?.close();
  await devnet?.close();
});

describe("settlements on regtest (three guardians)", () => {
  it("opens vaults with their BTC; the custody invariants hold", async () => {
    const att = await attestation();
    await send(
      keeper,
      buildLedgerOp(await keeper.opts(), {
        spell: spellOf({ type: "setPrice", price: decodeAttestation(att).price }, att),
      }),
    );
    for (const [w, sats, borrow] of [
      [alice, 50_000_000n, 3_000n],
      [bob, 20_000_000n, 4_000n],
      [dave, 10_000_000n, 2_000n],
    ] as const) {
      const vault = vaultDescriptor({ owner: w.account.publicKey, guardians: guardianSetOf(fed.federation) });
      await send(
        w,
        buildOpenVault(await w.opts(), {
          spell: await proven(
            w,
            spellOf(
              {
                type: "openVault",
                collateral: sats * SAT,
                borrow: borrow * E18,
                maxFee: 5n * 10n ** 16n,
                ownerKey: w.account.publicKey,
                vaultOutput: 0,
              },
              await attestation(),
            ),
          ),
          vault,
          collateralSats: sats,
        }),
      );
    }
    await send(
      bob,
      buildLedgerOp(await bob.opts(), {
        spell: spellOf({ type: "transfer", to: dave.address, amount: 100n * E18 }),
      }),
    );
    await send(
      bob,
      buildLedgerOp(await bob.opts(), {
        spell: spellOf({ type: "transfer", to: keeper.address, amount: 1_000n * E18 }),
      }),
    );
    expect(g(0).chain.state.custody.coins.size).toBe(3);
    custodyHolds();
  }, 180_000);

  it("a close is a wallet-only spell: stage 1 the ledger owes Dave his collateral, stage 2 the settlement pays it", async () => {
    const before = await dave.balance();
    const txid = await send(
      dave,
      buildLedgerOp(await dave.opts(), { spell: await proven(dave, spellOf({ type: "closeVault" })) }),
    );
    const tx = await esplora.tx(txid);
    expect(tx.vin.length).toBeGreaterThan(0);
    const owed = open(g(0).chain.state);
    expect(owed).toHaveLength(1);
    expect(owed[0]).toMatchObject({ source: dave.address, sats: 10_000_000n });
    custodyHolds();
    const settlement = await settle();
    expect([...g(0).chain.state.custody.obligations.values()].every((o) => o.status === "settled")).toBe(
      true,
    );
    expect(g(0).chain.state.custody.obligations.get(owed[0]!.id)?.settledBy).toBe(settlement);
    const paid = (await dave.balance()) - before;
    // The close's own network fee came out of Dave's wallet before; the payout is 10,000,000 sats less
    // its fee share (at most the obligation's maximum fee).
    expect(paid).toBeGreaterThan(10_000_000n - 5_000n - 2_000n);
    expect([...g(0).chain.state.custody.coins.values()].some((c) => c.vault === dave.address)).toBe(false);
    custodyHolds();
  }, 180_000);

  it("a redemption across vaults is paid by one settlement from the main coin; vault coins end at their ledger collateral", async () => {
    const att = await attestation();
    await send(
      keeper,
      buildLedgerOp(await keeper.opts(), {
        spell: spellOf({ type: "redeem", amount: 500n * E18, maxFee: 5n * 10n ** 16n }, att),
      }),
    );
    expect(open(g(0).chain.state).length).toBeGreaterThan(0);
    const before = await keeper.balance();
    await settle();
    expect(open(g(0).chain.state)).toEqual([]);
    expect(await keeper.balance()).toBeGreaterThan(before);
    custodyHolds();
    // Every guardian recorded what it signed (the settlement ledger file) and served the same view.
    const view = (await (await fetch(`${g(1).url}/v1/custody`)).json()) as { invariants: { status: string } };
    expect(view.invariants.status).toBe("ok");
  }, 180_000);
});
