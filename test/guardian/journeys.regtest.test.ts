/**
 * Issue 13 "Must show", on the real regtest node (bcoin devnet) with three guardian daemons (2-of-3):
 * the honest journeys end with every vault's coins equal to its ledger collateral, and custody and the
 * ledger agree after EVERY block (`RegtestStack.mine` checks `checkInvariants` and the roots on each
 * guardian after each block; no guardian ever records a CustodyBreach or CustodyInvariantBroken);
 * and the attacks that remain possible against settlements are refused with no BTC moved.
 *
 * Journeys: open, deposit, withdraw, close, a redemption across two vaults (the first fully redeemed),
 * claim surplus, pool deposit and withdraw with gains, a liquidation fully offset by the pool and one
 * with offset and redistribution (then a touched vault's share moved to its coins), an owner's escape
 * after a short test timelock. Attacks: zkUSD moved away in the same block before a redemption; two
 * settlements of one obligation (a lower-rate second plan over the same coins, the same plan again
 * after it confirmed); a settlement that pays 1 sat more or spends the wrong coin; a ledger-only
 * liquidation of an unbacked vault followed by a claim. (Phantom and underfunded opens, and the
 * co-sign attacks: test/guardian/custody.test.ts.)
 *
 * Settlement finality D = 2 and the escape timelock 400 blocks keep the file short (the rules are the
 * same at D = 6; the dev network may set 1, docs/decisions.md §2a "Finality"). While guardians are up
 * they roll a debt-carrying coin long before its timelock, so the escape is what an owner does when
 * they are not: two of the three are stopped, the timelock passes, the owner escapes, they come back.
 */
import { schnorr } from "@noble/curves/secp256k1.js";
import { p2tr, p2wpkh, SigHash, Transaction } from "@scure/btc-signer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildDeposit,
  buildLedgerOp,
  buildOpenVault,
  descriptorAddress,
  finalizePsbt,
  poolDescriptor,
  type Spell,
  type SpellOperation,
  signPsbtInputs,
  type VaultDescriptor,
  vaultDescriptor,
  walletUtxo,
} from "../../src/btc/index.ts";
import { networkParams } from "../../src/btc/network.ts";
import { guardianSetOf } from "../../src/guardian/daemon.ts";
import { leaderAt } from "../../src/guardian/leader.ts";
import { signPeerRequest } from "../../src/guardian/peer-auth.ts";
import { settlementPsbt } from "../../src/guardian/settle.ts";
import { loadVerificationKeys } from "../../src/indexer/index.ts";
import { decodeAttestation } from "../../src/oracle/index.ts";
import { type AccountId, cloneState, initPoseidon, type State } from "../../src/protocol/index.ts";
import {
  checkSettlement,
  decodeSettleSpell,
  namedObligations,
  planSettlement,
  type SettlementPlan,
  vaultTargetSats,
} from "../../src/settlement/index.ts";
import { nodeArtifacts, proveSpell, terminateProver } from "../../src/zk/node.ts";
import {
  DEFAULT_TEST_FEE_ACCOUNT,
  type RegtestStack,
  spellOf,
  startRegtestStack,
  type TestWallet,
} from "./support.ts";

const E18 = 10n ** 18n;
const SAT = 10n ** 10n;
const FINALITY = 2;
// The roll age of a 400-block timelock is 100 blocks (src/settlement/settle.ts rollAge): no coin is
// rolled for its age before the escape, only consolidated.
const CSV = 400;
const MAX_FEE = 5n * 10n ** 16n;

let s: RegtestStack;
const artifacts = nodeArtifacts();
let keeper: TestWallet;
let alice: TestWallet;
let bob: TestWallet;
let carol: TestWallet;
let dave: TestWallet;
let erin: TestWallet;
let frank: TestWallet;
let gina: TestWallet;
let hank: TestWallet;
let mallory: TestWallet;

const custody = () => ({ network: "regtest" as const, csvBlocks: CSV });
const vaultOf = (w: TestWallet): VaultDescriptor =>
  vaultDescriptor({ owner: w.account.publicKey, guardians: guardianSetOf(s.fed.federation), csvBlocks: CSV });
const state = (i = 0): State => s.g(i).chain.state;

/** Sats in a vault's protocol coins, per guardian-0's books. */
const coinsOf = (owner: AccountId): bigint =>
  [...state().custody.coins.values()].filter((c) => c.vault === owner).reduce((a, c) => a + c.sats, 0n);

/**
 * With no obligation open: on every guardian, every vault's coins equal its ledger collateral
 * (floor(collateral / 1e10) sats) and the invariants hold.
 */
function everyVaultBacked(): void {
  expect(s.openObligations()).toEqual([]);
  for (const x of s.live()) {
    const st = x.chain.state;
    for (const v of st.custody.vaultKeys.keys()) {
      const held = [...st.custody.coins.values()]
        .filter((c) => c.vault === v)
        .reduce((a, c) => a + c.sats, 0n);
      expect(held, `vault ${v}`).toBe(vaultTargetSats(st, v));
      const acc = st.accounts.get(v);
      expect(held).toBe(acc?.status === "active" ? acc.coll / SAT : 0n);
    }
  }
  s.custodyHolds();
}

async function setPrice(att: Uint8Array): Promise<void> {
  const price = decodeAttestation(att).price;
  await s.send(
    keeper,
    buildLedgerOp(await keeper.opts(), { spell: spellOf({ type: "setPrice", price }, att) }),
  );
  expect(state().g.price).toBe(price);
}

async function open(w: TestWallet, sats: bigint, borrow: bigint): Promise<string> {
  return s.send(
    w,
    buildOpenVault(await w.opts(), {
      spell: await proved(
        w,
        {
          type: "openVault",
          collateral: sats * SAT,
          borrow: borrow * E18,
          maxFee: MAX_FEE,
          ownerKey: w.account.publicKey,
          vaultOutput: 0,
        },
        await s.attestation(),
      ),
      vault: vaultOf(w),
      collateralSats: sats,
    }),
  );
}

const ledgerOp = async (w: TestWallet, op: SpellOperation, att?: Uint8Array) =>
  buildLedgerOp(await w.opts(), { spell: spellOf(op, att) });

/** A vault spell with its vault proof against guardian-0's replayed state (issue 16's `proveSpell`). */
const proved = (w: TestWallet, op: SpellOperation, att: Uint8Array = new Uint8Array(0)): Promise<Spell> =>
  proveSpell(spellOf(op, att), w.address, cloneState(state()), artifacts);

async function deposit(w: TestWallet, sats: bigint): Promise<string> {
  const op: SpellOperation = { type: "adjustVault", depositCollateral: sats * SAT, vaultOutput: 0 };
  return s.send(
    w,
    buildDeposit(await w.opts(), {
      spell: await proved(w, op, await s.attestation()),
      vault: vaultOf(w),
      collateralSats: sats,
    }),
  );
}

/** The settle spell a raw settlement transaction carries (its last output), decoded against `st`. */
async function settlementOf(txid: string, st: State) {
  const raw = await s.esplora.txRaw(txid);
  const tx = Transaction.fromRaw(raw, { allowUnknownOutputs: true });
  const script = tx.getOutput(tx.outputsLength - 1).script!;
  const payload = script[1] === 0x4c ? script.subarray(3) : script.subarray(2);
  const decoded = decodeSettleSpell(payload);
  if (!decoded.ok) throw new Error(decoded.message);
  const named = namedObligations(st, decoded.spell);
  if (!named.ok) throw new Error(named.message);
  return { feeRate: decoded.spell.feeRate, ids: named.obligations.map((o) => o.id) };
}

/** POST /v1/settle to guardian `i`, signed by another guardian (a federation peer: strangers get 401). */
async function askToSign(i: number, body: { ids: string[]; feeRate: number; txid: string }) {
  const text = JSON.stringify(body);
  const auth = signPeerRequest(s.fed.keys[(i + 1) % 3]!, {
    method: "POST",
    path: "/v1/settle",
    body: text,
    audience: s.fed.federation.members[i]!.custodyKey,
  });
  const res = await fetch(`${s.g(i).url}/v1/settle`, {
    method: "POST",
    headers: { "content-type": "application/json", ...auth },
    body: text,
  });
  const json = (await res.json()) as { psbt?: string; error?: { reason?: string } };
  return { status: res.status, signed: json.psbt !== undefined, reason: json.error?.reason ?? "" };
}

/** A plan's transaction as the indexer reads it (inputs and outputs). */
const shapeOf = (plan: SettlementPlan, outputs = plan.outputs, inputs = plan.inputs) => ({
  txid: settlementPsbt({ ...plan, inputs, outputs }).txid,
  inputs: inputs.map((i) => ({
    prevTxid: i.txid,
    vout: i.vout,
    scriptSig: new Uint8Array(0),
    witness: [],
    sequence: 0,
  })),
  outputs: outputs.map((o) => ({ script: Uint8Array.from(Buffer.from(o.script, "hex")), sats: o.sats })),
});

beforeAll(async () => {
  await initPoseidon();
  await loadVerificationKeys(artifacts);
  s = await startRegtestStack({ finality: FINALITY, csvBlocks: CSV, feeAccount: DEFAULT_TEST_FEE_ACCOUNT });
  keeper = await s.wallet();
  alice = await s.wallet();
  bob = await s.wallet();
  carol = await s.wallet();
  dave = await s.wallet();
  erin = await s.wallet();
  frank = await s.wallet();
  gina = await s.wallet();
  hank = await s.wallet();
  mallory = await s.wallet();
  await s.mine();
}, 240_000);

afterAll(async () => {
  await terminateProver();
  expect(await s?.alarms()).toEqual([]);
  await s?.close();
});

describe("honest journeys and settlement attacks on regtest (three guardians)", () => {
  it("open: each vault's collateral arrives with its spell; coins equal ledger collateral", async () => {
    // The fee account (docs/decisions.md §2a "Fees": funded at genesis) pays the network fee of a
    // settlement that moves BTC only between protocol coins (a redistribution share moved to a vault):
    // startRegtestStack funded it with a `fund` spell, as a deployment does; a stray below the refund
    // threshold sent to the pool's script adds to it too.
    expect(state().custody.stray).toBe(DEFAULT_TEST_FEE_ACCOUNT);
    const pool = descriptorAddress(poolDescriptor(guardianSetOf(s.fed.federation)), "regtest");
    await s.devnet.faucet(pool, 9_999n);
    await s.mine();
    expect(state().custody.stray).toBe(DEFAULT_TEST_FEE_ACCOUNT + 9_999n);
    await setPrice(await s.attestation());
    await open(alice, 50_000_000n, 9_000n);
    await open(bob, 30_000_000n, 8_000n);
    await open(dave, 10_000_000n, 2_000n);
    await open(gina, 5_000_000n, 2_200n);
    await open(hank, 5_000_000n, 2_500n);
    // Erin's vault is the one she escapes from at the end (its coin then long past the timelock).
    await open(erin, 5_000_000n, 2_000n);
    expect(coinsOf(alice.address)).toBe(50_000_000n);
    everyVaultBacked();
  }, 240_000);

  it("deposit: a proven deposit adds a coin at the vault's script, paid by the wallet alone", async () => {
    await deposit(bob, 5_000_000n);
    expect([...state().custody.coins.values()].filter((c) => c.vault === bob.address)).toHaveLength(2);
    expect(coinsOf(bob.address)).toBe(35_000_000n);
    everyVaultBacked();
    // (The next settlement involving the vault spends both coins: the withdrawal below.)
  }, 120_000);

  it("withdraw: the vault owes Bob; one settlement pays him; a second settlement of it, or one that pays 1 sat more or spends the wrong coin, is refused", async () => {
    const spell = await proved(
      bob,
      { type: "adjustVault", withdrawCollateral: 2_000_000n * SAT },
      await s.attestation(),
    );
    const before = await bob.balance();
    await s.send(bob, buildLedgerOp(await bob.opts(), { spell }));
    const owed = s.openObligations();
    expect(owed).toHaveLength(1);
    expect(owed[0]).toMatchObject({ source: bob.address, sats: 2_000_000n });
    const afterSpell = await bob.balance();
    // Stage 1 only: the ledger owes, no BTC moved yet.
    expect(afterSpell).toBeLessThan(before);
    // D blocks, then the leader's settlement reaches the mempool (both followers signed it).
    await s.mine(FINALITY);
    const [pending] = await waitMempool();
    const honest = await settlementOf(pending!, state(1));
    expect(honest.ids).toEqual([owed[0]!.id]);
    const followers = [0, 1, 2].filter((i) => i !== leaderIndex());
    for (const i of followers) {
      // A second settlement of the same obligation over the same coins (a lower fee rate: not a
      // replacement), planned exactly by the follower's own rules: refused, it already signed one.
      const lower = planSettlement(state(i), honest.ids, honest.feeRate - 1, custody());
      expect(lower.ok).toBe(true);
      if (!lower.ok) return;
      const second = await askToSign(i, {
        ids: honest.ids,
        feeRate: honest.feeRate - 1,
        txid: settlementPsbt(lower.plan).txid,
      });
      expect(second, `guardian-${i}`).toMatchObject({ status: 422, signed: false });
      expect(second.reason).toContain("alreadySigned");
      // A settlement that pays Bob 1 sat more (and the vault 1 sat less back).
      const planned = planSettlement(state(i), honest.ids, honest.feeRate, custody());
      if (!planned.ok) throw new Error(planned.reason.message);
      const plan = planned.plan;
      const more = plan.outputs.map((o) =>
        o.kind === "payout"
          ? { ...o, sats: o.sats + 1n }
          : o.kind === "vault"
            ? { ...o, sats: o.sats - 1n }
            : o,
      );
      const moreTx = shapeOf(plan, more);
      const check = checkSettlement(
        moreTx,
        plan.spellBytes,
        state(i),
        { height: s.g(i).chain.height + 1, finality: FINALITY },
        custody(),
      );
      expect(check.ok ? "accepted" : check.reason.code).toBe("wrongOutputs");
      const asked = await askToSign(i, { ids: honest.ids, feeRate: honest.feeRate, txid: moreTx.txid });
      expect(asked.signed).toBe(false);
      expect(asked.reason).toContain("differentPlan");
      // A settlement that spends the wrong coin: Alice's vault coin instead of one of Bob's.
      const aliceCoin = [...state(i).custody.coins.values()].find((c) => c.vault === alice.address)!;
      const [txid, vout] = aliceCoin.outpoint.split(":") as [string, string];
      const wrong = plan.inputs.map((x, k) =>
        k === plan.inputs.findIndex((y) => y.owner === bob.address)
          ? { ...x, outpoint: aliceCoin.outpoint, txid, vout: Number(vout), sats: aliceCoin.sats }
          : x,
      );
      const wrongTx = shapeOf(plan, plan.outputs, wrong);
      const wrongCheck = checkSettlement(
        wrongTx,
        plan.spellBytes,
        state(i),
        { height: s.g(i).chain.height + 1, finality: FINALITY },
        custody(),
      );
      expect(wrongCheck.ok ? "accepted" : wrongCheck.reason.code).toBe("coinsNotConsolidated");
      const askedWrong = await askToSign(i, { ids: honest.ids, feeRate: honest.feeRate, txid: wrongTx.txid });
      expect(askedWrong.signed).toBe(false);
      expect(askedWrong.reason).toContain("differentPlan");
    }
    // Only the honest settlement is in the mempool; it confirms and pays Bob once.
    expect(await s.mempool()).toEqual([pending]);
    await s.mine();
    expect(state().custody.obligations.get(owed[0]!.id)).toMatchObject({
      status: "settled",
      settledBy: pending,
    });
    const paid = (await bob.balance()) - afterSpell;
    expect(paid).toBeGreaterThan(2_000_000n - 5_000n);
    expect(paid).toBeLessThanOrEqual(2_000_000n);
    // Asked again after it confirmed: nothing is open to settle.
    for (const i of followers) {
      const again = await askToSign(i, { ids: honest.ids, feeRate: honest.feeRate, txid: pending! });
      expect(again.signed).toBe(false);
      expect(again.reason).toContain("planFails");
    }
    await s.mine(FINALITY + 1);
    expect(await s.mempool()).toEqual([]);
    expect((await bob.balance()) - afterSpell).toBe(paid);
    expect(coinsOf(bob.address)).toBe(33_000_000n);
    everyVaultBacked();
  }, 240_000);

  it("close to a Taproot address the spell names: a payout to the pool's script is refused first; the settlement pays the named address, the vault holds none", async () => {
    await s.send(alice, await ledgerOp(alice, { type: "transfer", to: dave.address, amount: 300n * E18 }));
    // Hostile first: the close's BTC named to custody's own script (the pool's) is refused by all three.
    const pool = poolDescriptor(guardianSetOf(s.fed.federation)).script;
    const hostile = await s.broadcast(
      dave,
      buildLedgerOp(await dave.opts(), {
        spell: await proved(dave, { type: "closeVault", payout: { script: pool } }),
      }),
    );
    expect(await s.verdicts(hostile)).toEqual(["payoutScript", "payoutScript", "payoutScript"]);
    expect(s.openObligations()).toEqual([]);
    // Dave's payout goes to a Taproot address of another key (docs/custody.md "Payout destinations").
    const to = p2tr(schnorr.getPublicKey(new Uint8Array(32).fill(7)), undefined, networkParams("regtest"));
    await s.send(
      dave,
      buildLedgerOp(await dave.opts(), {
        spell: await proved(dave, { type: "closeVault", payout: { script: to.script, maxFee: 3_000n } }),
      }),
    );
    expect(s.openObligations()).toMatchObject([{ source: dave.address, sats: 10_000_000n, maxFee: 3_000n }]);
    await s.settleAll();
    const paid = (await s.esplora.addressUtxos(to.address!)).reduce((a, u) => a + BigInt(u.value), 0n);
    expect(paid).toBeGreaterThanOrEqual(10_000_000n - 3_000n);
    expect(paid).toBeLessThan(10_000_000n);
    expect(coinsOf(dave.address)).toBe(0n);
    everyVaultBacked();
  }, 240_000);

  it("zkUSD moved away before the payout: a redemption after a transfer of all zkUSD in the same block is refused; nothing is owed, no BTC moves", async () => {
    await s.send(
      alice,
      await ledgerOp(alice, { type: "transfer", to: keeper.address, amount: 3_000n * E18 }),
    );
    const coins = state().custody.coins.size;
    const sats = [...state().custody.coins.values()].reduce((a, c) => a + c.sats, 0n);
    // The transfer and the redemption are signed together; the redemption spends the transfer's
    // change, so the block orders it after the transfer.
    const transfer = finalizePsbt(
      keeper.sign(await ledgerOp(keeper, { type: "transfer", to: bob.address, amount: 3_000n * E18 })),
    );
    const change = Transaction.fromRaw(Buffer.from(transfer.hex, "hex"), { allowUnknownOutputs: true });
    const last = change.outputsLength - 1;
    const redeem = buildLedgerOp(
      {
        network: "regtest",
        wallet: keeper.account,
        walletUtxos: [
          walletUtxo(keeper.account, "regtest", {
            txid: change.id,
            vout: last,
            value: change.getOutput(last).amount!,
          }),
        ],
        feeRate: 2,
        strategy: "largestFirst",
      },
      { spell: spellOf({ type: "redeem", amount: 2_812n * E18, maxFee: E18 / 10n }, await s.attestation()) },
    );
    const transferId = await s.esplora.broadcast(transfer.hex);
    const redeemId = await s.broadcast(keeper, redeem);
    expect(await s.verdicts(transferId)).toEqual(["applied", "applied", "applied"]);
    expect(await s.verdicts(redeemId)).toEqual(["ruleViolated", "ruleViolated", "ruleViolated"]);
    expect(s.openObligations()).toEqual([]);
    await s.mine(FINALITY + 1);
    expect(await s.mempool()).toEqual([]);
    expect(state().custody.coins.size).toBe(coins);
    expect([...state().custody.coins.values()].reduce((a, c) => a + c.sats, 0n)).toBe(sats);
    // Bob gives it back for the honest redemption.
    await s.send(bob, await ledgerOp(bob, { type: "transfer", to: keeper.address, amount: 3_000n * E18 }));
    everyVaultBacked();
  }, 240_000);

  it("a redemption across two vaults (Hank's fully, Gina's partly) is paid by one settlement; Hank claims his surplus", async () => {
    const supply = state().g.zkusdSupply;
    const before = await keeper.balance();
    await s.send(
      keeper,
      await ledgerOp(
        keeper,
        { type: "redeem", amount: 2_812n * E18, maxFee: E18 / 10n },
        await s.attestation(),
      ),
    );
    // The redeemed zkUSD is burned, and so is Hank's gas reserve (his vault is fully redeemed).
    expect(state().g.zkusdSupply).toBe(supply - 2_812n * E18 - state().params.gasReserve);
    expect(state().accounts.get(hank.address)?.status).toBe("closedByRedemption");
    expect(state().accounts.get(gina.address)?.status).toBe("active");
    const surplus = state().accounts.get(hank.address)!.surplus;
    expect(surplus).toBeGreaterThan(0n);
    await s.settleAll();
    expect(await keeper.balance()).toBeGreaterThan(before);
    expect(coinsOf(hank.address)).toBe(0n);
    expect(coinsOf(gina.address)).toBe(state().accounts.get(gina.address)!.coll / SAT);
    everyVaultBacked();
    const hankBefore = await hank.balance();
    await s.send(hank, await ledgerOp(hank, { type: "claimSurplus" }));
    expect(s.openObligations()).toMatchObject([{ source: null, sats: surplus / SAT }]);
    await s.settleAll();
    expect((await hank.balance()) - hankBefore).toBeGreaterThan(surplus / SAT - 5_000n - 2_000n);
    everyVaultBacked();
  }, 240_000);

  it("pool deposit, a liquidation fully offset by the pool, and a pool withdrawal with its BTC gains", async () => {
    await open(carol, 5_000_000n, 3_800n);
    await open(frank, 6_000_000n, 3_900n);
    await s.send(alice, await ledgerOp(alice, { type: "poolDeposit", amount: 4_500n * E18 }));
    s.feed.setPrice("85000");
    await setPrice(await s.attestation(84_000n * E18, 86_000n * E18));
    await s.send(
      keeper,
      await ledgerOp(keeper, { type: "liquidate", owner: carol.address }, await s.attestation()),
    );
    expect(state().accounts.get(carol.address)?.status).toBe("closedByLiquidation");
    expect(state().g.defaultDebt).toBe(0n);
    await s.settleAll();
    expect(coinsOf(carol.address)).toBe(0n);
    everyVaultBacked();
    expect(state().accounts.get(alice.address)!.depositInitial).toBeGreaterThan(0n);
    const before = await alice.balance();
    await s.send(alice, await ledgerOp(alice, { type: "poolWithdraw", amount: 300n * E18 }));
    const owed = s.openObligations();
    expect(owed).toHaveLength(1);
    expect(owed[0]!.source).toBeNull();
    expect(owed[0]!.sats).toBeGreaterThan(1_000_000n);
    const afterSpell = await alice.balance();
    expect(afterSpell).toBeLessThan(before);
    await s.settleAll();
    expect((await alice.balance()) - afterSpell).toBeGreaterThan(owed[0]!.sats - 5_000n);
    everyVaultBacked();
  }, 300_000);

  it("a ledger-only liquidation of an unbacked vault, then a claim: the phantom vault never exists, nothing is liquidated, nothing is owed", async () => {
    const sats = [...state().custody.coins.values()].reduce((a, c) => a + c.sats, 0n);
    const root = s.g(0).chain.root();
    const phantom = await s.broadcast(
      mallory,
      buildLedgerOp(await mallory.opts(), {
        // Proved like any open (the engine alone would accept it): refused for its custody only.
        spell: await proved(
          mallory,
          {
            type: "openVault",
            collateral: 5_000_000n * SAT,
            borrow: 3_000n * E18,
            maxFee: E18 / 10n,
            ownerKey: mallory.account.publicKey,
            vaultOutput: 0,
          },
          await s.attestation(),
        ),
      }),
    );
    expect(await s.verdicts(phantom)).toEqual(["custodyMismatch", "custodyMismatch", "custodyMismatch"]);
    const liquidate = await s.broadcast(
      mallory,
      await ledgerOp(mallory, { type: "liquidate", owner: mallory.address }, await s.attestation()),
    );
    expect(await s.verdicts(liquidate)).toEqual(["ruleViolated", "ruleViolated", "ruleViolated"]);
    const claim = await s.broadcast(mallory, await ledgerOp(mallory, { type: "claimGains" }));
    expect(await s.verdicts(claim)).toEqual(["ruleViolated", "ruleViolated", "ruleViolated"]);
    expect(s.g(0).chain.root()).toBe(root);
    expect(s.openObligations()).toEqual([]);
    await s.mine(FINALITY + 1);
    expect(await s.mempool()).toEqual([]);
    expect([...state().custody.coins.values()].reduce((a, c) => a + c.sats, 0n)).toBe(sats);
  }, 180_000);

  it("a liquidation with offset and redistribution; a touched vault's share moves to its coins", async () => {
    const pool = state().g.poolDeposits;
    expect(pool).toBeGreaterThan(0n);
    s.feed.setPrice("75000");
    await setPrice(await s.attestation(74_000n * E18, 76_000n * E18));
    await s.send(
      keeper,
      await ledgerOp(keeper, { type: "liquidate", owner: frank.address }, await s.attestation()),
    );
    expect(state().accounts.get(frank.address)?.status).toBe("closedByLiquidation");
    expect(state().g.poolDeposits).toBe(0n);
    expect(state().g.defaultDebt).toBeGreaterThan(0n);
    expect(state().g.defaultColl).toBeGreaterThan(0n);
    await s.settleAll();
    expect(coinsOf(frank.address)).toBe(0n);
    everyVaultBacked();
    // Bob's deposit applies his pending share of Frank's collateral: the pool owes it to his coins.
    const bobBefore = coinsOf(bob.address);
    await deposit(bob, 1_000_000n);
    expect(s.openObligations().some((o) => o.source === null && o.to === bob.address)).toBe(true);
    await s.settleAll();
    expect(coinsOf(bob.address)).toBeGreaterThan(bobBefore + 1_000_000n);
    everyVaultBacked();
  }, 300_000);

  it("an owner's escape after the timelock, while two guardians are down: the coin leaves custody, the vault closes in the books, no breach", async () => {
    await s.fed.stop(1);
    await s.fed.stop(2);
    const coin = [...state().custody.coins.values()].find((c) => c.vault === erin.address)!;
    const vault = vaultOf(erin);
    const [txid, vout] = coin.outpoint.split(":") as [string, string];
    const tx = new Transaction({ version: 2 });
    tx.addInput({
      txid,
      index: Number(vout),
      sequence: CSV,
      witnessUtxo: { script: vault.script, amount: coin.sats },
      witnessScript: vault.witnessScript,
      sighashType: SigHash.ALL,
    });
    tx.addOutput({
      script: p2wpkh(erin.account.publicKey, networkParams("regtest")).script,
      amount: coin.sats - 2_000n,
    });
    const hex = finalizePsbt(signPsbtInputs(tx.toPSBT(), erin.priv, [0])).hex;
    // Before the timelock the node refuses it (BIP68).
    await expect(s.esplora.broadcast(hex)).rejects.toThrow();
    // The timelock passes with one guardian up: it follows every block (its indexer checks custody
    // after each and would record CustodyInvariantBroken) but cannot roll anything alone.
    const age = s.devnet.chain.height - Number(coin.height);
    await s.devnet.mine(CSV - age);
    await s.mine();
    const debt = state().g.activeDebt;
    const reserve = state().g.defaultDebt;
    await s.esplora.broadcast(hex);
    await s.mine();
    await s.fed.start(1);
    await s.fed.start(2);
    await s.mine();
    for (const x of s.live()) {
      const escaped = await x.chain.events({ type: "VaultEscaped" });
      expect(escaped.events.map((e) => e.event)).toMatchObject([{ owner: erin.address, sats: coin.sats }]);
      expect(x.chain.state.accounts.get(erin.address)?.status).toBe("closedByLiquidation");
    }
    expect(coinsOf(erin.address)).toBe(0n);
    // Her debt is redistributed to the other vaults, never offset against the pool.
    expect(state().g.activeDebt).toBeLessThan(debt);
    expect(state().g.defaultDebt).toBeGreaterThan(reserve);
    // The coin carried debt and was not rolled in time: MissedRoll, on every guardian.
    for (const x of s.live())
      expect((await x.chain.events({ type: "MissedRoll" })).events.length, x.url).toBeGreaterThan(0);
    await s.settleAll();
    everyVaultBacked();
  }, 300_000);
});

const leaderIndex = () => leaderAt(s.devnet.chain.height, 3);

async function waitMempool(): Promise<string[]> {
  for (let i = 0; i < 300; i++) {
    const ids = await s.mempool();
    if (ids.length > 0) return ids;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("no settlement reached the mempool");
}
