/**
 * Issue 13, rolling and consolidation on the real regtest node with three guardian daemons (2-of-3)
 * and a short test timelock (30 blocks, so a coin is due for a roll from age 8,
 * docs/custody.md "Rolling"): a vault that received a deposit holds two coins and the leader's
 * settlement consolidates them into one coin of the same sats at its script; a vault's only coin,
 * growing old, is rolled before its timelock can open. The fee account pays (docs/custody.md "The fee
 * account"): funded at genesis by a `fund` spell only (hostile fundings refused first, a stranger's
 * spend of a pool coin refused by the node), drained by the leader's own roll-only settlements until
 * a roll waits (never below zero), then refilled by a redemption fee. No vault's record changes;
 * every guardian's custody invariants hold and their roots agree.
 */

import { Transaction } from "@scure/btc-signer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  buildDeposit,
  buildLedgerOp,
  buildOpenVault,
  fromHex,
  poolDescriptor,
  type Spell,
  toHex,
} from "../../src/btc/index.ts";
import { networkParams } from "../../src/btc/network.ts";
import { guardianSetOf } from "../../src/guardian/daemon.ts";
import { decodeAttestation } from "../../src/oracle/index.ts";
import {
  encodeFundSpell,
  feeAccountSats,
  planSettlement,
  rollAge,
  rollsDue,
} from "../../src/settlement/index.ts";
import { proveSpell, terminateProver } from "../../src/zk/node.ts";
import { type RegtestStack, spellOf, startRegtestStack, type TestWallet, waitFor } from "./support.ts";

const E18 = 10n ** 18n;
const SAT = 10n ** 10n;
const CSV = 30;
const D = 1;
/** The fee account's genesis funding (startRegtestStack, a `fund` spell). */
const GENESIS_FUNDING = 5_000n;

let s: RegtestStack;
let keeper: TestWallet;
let alice: TestWallet;
let bob: TestWallet;

const g = (i: number) => s.g(i);
/** A vault spell with its proof against the state the guardians hold (every vault operation carries one). */
const proven = (w: TestWallet, spell: Spell) => proveSpell(spell, w.address, g(0).chain.state);

const coinsOf = (owner: string) =>
  [...g(0).chain.state.custody.coins.values()].filter((c) => c.vault === owner);

/**
 * Mines block by block (each with whatever the leader put in the mempool, waiting up to 6 s for it:
 * the leader's round runs after each block) until `owner`'s coins are no longer `before`; returns the
 * block count mined.
 */
async function untilRolled(owner: string, before: string[], maxBlocks: number): Promise<number> {
  for (let i = 1; i <= maxBlocks; i++) {
    await waitFor(
      "a transaction in the mempool",
      async () => ((await s.mempool()).length > 0 ? true : undefined),
      6_000,
    ).catch(() => undefined);
    await s.mine();
    const now = coinsOf(owner).map((c) => c.outpoint);
    if (now.length !== before.length || now.some((o, j) => o !== before[j])) return i;
  }
  throw new Error(`${owner}'s coins not rolled within ${maxBlocks} blocks`);
}

beforeAll(async () => {
  // The short test timelock, published by the federation (every guardian's vault scripts use it).
  s = await startRegtestStack({ csvBlocks: CSV, finality: D, feeAccount: GENESIS_FUNDING });
  keeper = await s.wallet();
  alice = await s.wallet();
  bob = await s.wallet();
  await s.mine();
}, 180_000);

afterAll(async () => {
  await terminateProver();
  await s?.close();
});

const state = () => g(0).chain.state;
const open = () => [...state().custody.obligations.values()].filter((o) => o.status === "open");
/** What the settlements since `from` (exclusive) drew from the fee account, on guardian-1's record. */
async function drawnSince(from: number): Promise<{ drawn: bigint; rollOnly: number }> {
  const page = await g(1).chain.events({ type: "SettlementApplied", limit: 200, order: "desc" });
  let drawn = 0n;
  let rollOnly = 0;
  for (const e of page.events) {
    if (e.height <= from) continue;
    const ev = e.event as { feeFromAccount: bigint; obligations: string[]; rolls: string[] };
    drawn += ev.feeFromAccount;
    if (ev.obligations.length === 0 && ev.rolls.length > 0) rollOnly++;
  }
  return { drawn, rollOnly };
}

describe(`rolling and consolidation on regtest (three guardians, timelock ${CSV} blocks)`, () => {
  it("fundings that pay less or more than they claim, or another script, are refused; a stranger cannot spend a pool coin", async () => {
    // Genesis: the fee account holds exactly the funding, nothing from fees.
    expect(state().custody.stray).toBe(GENESIS_FUNDING);
    expect(state().g.feeCollateral).toBe(0n);
    const fund = (sats: bigint) => encodeFundSpell({ vout: 0, sats });
    const under = await s.devnet.faucet(s.poolAddress(), 49_999n, fund(50_000n));
    const over = await s.devnet.faucet(s.poolAddress(), 50_001n, fund(50_000n));
    const elsewhere = await s.devnet.faucet(keeper.address, 50_000n, fund(50_000n));
    await s.mine();
    for (const txid of [under, over, elsewhere])
      expect(await s.verdicts(txid)).toEqual(["custodyMismatch", "custodyMismatch", "custodyMismatch"]);
    const why = await g(2).chain.spellOf(under);
    expect(why && !why.ok ? why.reason.message : "").toMatch(
      /^fee account funding: output 0 pays 49999 sats, the spell adds 50000 sats/,
    );
    expect(state().custody.stray).toBe(GENESIS_FUNDING);
    // The two outputs at the pool's script are owed back to the faucet, like any unclaimed BTC.
    expect(
      open()
        .map((o) => o.sats)
        .sort(),
    ).toEqual([49_999n, 50_001n]);
    // A stranger spends one of those pool coins with his own signature: the node refuses, nothing moves.
    const coin = [...state().custody.coins.values()].find((c) => c.sats === 49_999n)!;
    const [txid, vout] = coin.outpoint.split(":");
    const theft = new Transaction({ allowUnknownOutputs: true });
    theft.addInput({
      txid: txid!,
      index: Number(vout),
      witnessUtxo: { script: fromHex(coin.script), amount: coin.sats },
      witnessScript: poolDescriptor(guardianSetOf(s.fed.federation)).witnessScript,
    });
    theft.addOutputAddress(keeper.address, 49_000n, networkParams("regtest"));
    const sig = Uint8Array.from([0x30, ...new Array(69).fill(7), 0x01]);
    theft.updateInput(0, {
      finalScriptWitness: [
        new Uint8Array(0),
        sig,
        sig,
        poolDescriptor(guardianSetOf(s.fed.federation)).witnessScript,
      ],
    });
    await expect(s.esplora.broadcast(theft.hex)).rejects.toThrow();
    await s.mine();
    expect(state().custody.coins.has(coin.outpoint)).toBe(true);
    // The guardians pay the refunds (the payees' fee shares cover the fee; the account is untouched).
    await s.settleAll();
    expect(open()).toEqual([]);
    expect(state().custody.stray).toBe(GENESIS_FUNDING);
    s.custodyHolds();
  }, 240_000);

  it("a vault's two coins (open, then a deposit) are consolidated into one by the leader's settlement", async () => {
    const att = await s.attestation();
    await s.send(
      keeper,
      buildLedgerOp(await keeper.opts(), {
        spell: spellOf({ type: "setPrice", price: decodeAttestation(att).price }, att),
      }),
    );
    // The fee account holds only its genesis funding.
    expect(state().custody.stray).toBe(GENESIS_FUNDING);
    const start = g(0).chain.height;
    await s.send(
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
            await s.attestation(),
          ),
        ),
        vault: s.vaultOf(alice),
        collateralSats: 30_000_000n,
      }),
    );
    const record = structuredClone(g(0).chain.state.accounts.get(alice.address));
    await s.send(
      alice,
      buildDeposit(await alice.opts(), {
        spell: await proven(
          alice,
          spellOf(
            { type: "adjustVault", depositCollateral: 5_000_000n * SAT, vaultOutput: 0 },
            await s.attestation(),
          ),
        ),
        vault: s.vaultOf(alice),
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
    expect(coins[0]).toMatchObject({ sats: 35_000_000n, script: toHex(s.vaultOf(alice).script) });
    const settlement = coins[0]!.outpoint.split(":")[0]!;
    // The roll changed only the coins: the record is the deposit's, untouched by the settlement.
    expect(g(0).chain.state.accounts.get(alice.address)).toEqual(after);
    expect(after.coll).toBe(record!.coll + 5_000_000n * SAT);
    // The genesis funding paid the whole fee (no redemption yet: no BTC fees).
    const tx = await s.esplora.tx(settlement);
    const fee = BigInt(tx.fee ?? 0);
    expect(fee).toBeGreaterThan(0n);
    expect((await drawnSince(start)).drawn).toBe(fee);
    expect(state().custody.stray).toBe(GENESIS_FUNDING - fee);
    expect(state().g.feeCollateral).toBe(0n);
    expect(tx.vin.length).toBe(3); // alice's two coins and the main coin
    s.custodyHolds();
  }, 240_000);

  it(`a vault's only coin is rolled once it is ${rollAge(CSV)} blocks old, before its ${CSV}-block timelock opens`, async () => {
    await s.send(
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
            await s.attestation(),
          ),
        ),
        vault: s.vaultOf(bob),
        collateralSats: 20_000_000n,
      }),
    );
    const [first] = coinsOf(bob.address);
    expect(first).toBeDefined();
    const born = Number(first!.height);
    const record = structuredClone(g(0).chain.state.accounts.get(bob.address));
    // Nothing happens to bob's coin while it is young.
    await s.mine(rollAge(CSV) - 3);
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
    s.custodyHolds();
  }, 240_000);
  it("the leader's own roll-only settlements drain the fee account until a roll waits (never below zero); a redemption fee refills it", async () => {
    const custody = { network: "regtest" as const, csvBlocks: CSV };
    const start = g(0).chain.height;
    const funded = state().custody.stray;
    // Rolls come due every few blocks; the leader proposes them on its own until the account cannot pay.
    let held = 0;
    for (let i = 0; i < 150 && held < 3; i++) {
      const due = rollsDue(state(), g(0).chain.height, custody);
      if (due.length > 0)
        await waitFor(
          "a roll in the mempool",
          async () => ((await s.mempool()).length > 0 ? true : undefined),
          5_000,
        ).catch(() => undefined);
      const waiting = due.length > 0 && (await s.mempool()).length === 0;
      await s.mine();
      expect(state().custody.stray).toBeGreaterThanOrEqual(0n);
      held = waiting && rollsDue(state(), g(0).chain.height, custody).length > 0 ? held + 1 : 0;
    }
    expect(held).toBe(3);
    // It waits for the fee account, nothing else: at the lowest rate a leader uses, no due roll fits,
    // because the account holds too little or because what it would leave in the main coin (which
    // holds only the account's sats) is dust.
    const tip = g(0).chain.height;
    for (const v of rollsDue(state(), tip, custody))
      expect(planSettlement(state(), [], 1_000, custody, { rolls: [v], height: tip })).toMatchObject({
        ok: false,
        reason: {
          message: expect.stringMatching(
            /the fee account holds \d+ sats, the settlement needs \d+|the main coin's remainder of \d+ sats is dust/,
          ),
        },
      });
    const drained = await drawnSince(start);
    // Every sat that left the account paid a settlement of this stretch, all of them roll-only.
    expect(drained.drawn).toBe(funded - state().custody.stray);
    expect(drained.rollOnly).toBeGreaterThanOrEqual(2);
    expect(state().g.feeCollateral).toBe(0n);
    const left = state().custody.stray;
    console.log(
      `fee account: genesis ${GENESIS_FUNDING} sats; after the first two rolls ${funded}; ${drained.rollOnly} roll-only settlements drew ${drained.drawn}; ${left} left, a roll waits`,
    );
    s.custodyHolds();

    // A redemption: its fee (BTC) stays in the pool as feeCollateral, and the account can pay again.
    const att = await s.attestation();
    await s.send(
      alice,
      buildLedgerOp(await alice.opts(), {
        spell: spellOf({ type: "transfer", to: keeper.address, amount: 200n * E18 }),
      }),
    );
    await s.send(
      keeper,
      buildLedgerOp(await keeper.opts(), {
        spell: spellOf({ type: "redeem", amount: 200n * E18, maxFee: E18 / 10n }, att),
      }),
    );
    const fees = state().g.feeCollateral;
    expect(fees / SAT).toBeGreaterThan(0n);
    const refill = g(0).chain.height;
    const strayBefore = state().custody.stray;
    for (let i = 0; i < 40 && state().g.feeCollateral === fees; i++) {
      await waitFor(
        "a settlement in the mempool",
        async () => ((await s.mempool()).length > 0 ? true : undefined),
        5_000,
      ).catch(() => undefined);
      await s.mine();
      expect(state().custody.stray).toBeGreaterThanOrEqual(0n);
    }
    // The rolls went on: the stray part went first, then whole satoshis of the redemption fee.
    expect(state().g.feeCollateral).toBeLessThan(fees);
    expect(state().custody.stray).toBe(0n);
    const after = await drawnSince(refill);
    expect(after.drawn * SAT).toBe(strayBefore * SAT + (fees - state().g.feeCollateral));
    expect(feeAccountSats(state())).toBeGreaterThanOrEqual(0n);
    console.log(
      `refill: redemption fee ${fees / SAT} sats (${fees} units); settlements drew ${after.drawn} (stray ${strayBefore}, fees ${(fees - state().g.feeCollateral) / SAT}); account now ${feeAccountSats(state())}`,
    );
    s.custodyHolds();
  }, 600_000);
});
