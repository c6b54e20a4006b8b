/**
 * Issue 13, rolling and consolidation on the real regtest node with three guardian daemons (2-of-3)
 * and a short test timelock (30 blocks, so a coin is due for a roll from age 15,
 * docs/custody.md "Rolling"): a vault that received a deposit holds two coins and the leader's
 * settlement consolidates them into one coin of the same sats at its script; a vault's only coin,
 * growing old, is rolled before its timelock can open. The fee account (a stray below the refund
 * threshold sent to the pool's script) pays; no vault's record changes; every guardian's custody
 * invariants hold and their roots agree.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildDeposit, buildLedgerOp, buildOpenVault, type Spell, toHex } from "../../src/btc/index.ts";
import { decodeAttestation } from "../../src/oracle/index.ts";
import { rollAge } from "../../src/settlement/settle.ts";
import { proveSpell, terminateProver } from "../../src/zk/node.ts";
import { type RegtestStack, spellOf, startRegtestStack, type TestWallet, waitFor } from "./support.ts";

const E18 = 10n ** 18n;
const SAT = 10n ** 10n;
const CSV = 30;
const D = 1;

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
  s = await startRegtestStack({ csvBlocks: CSV, finality: D });
  keeper = await s.wallet();
  alice = await s.wallet();
  bob = await s.wallet();
  await s.mine();
}, 180_000);

afterAll(async () => {
  await terminateProver();
  await s?.close();
});

describe(`rolling and consolidation on regtest (three guardians, timelock ${CSV} blocks)`, () => {
  it("a vault's two coins (open, then a deposit) are consolidated into one by the leader's settlement", async () => {
    const att = await s.attestation();
    await s.send(
      keeper,
      buildLedgerOp(await keeper.opts(), {
        spell: spellOf({ type: "setPrice", price: decodeAttestation(att).price }, att),
      }),
    );
    // The fee account: 9,000 sats at the pool's script, below the refund threshold, so kept.
    await s.devnet.faucet(s.poolAddress(), 9_000n);
    await s.mine();
    expect(g(0).chain.state.custody.stray).toBe(9_000n);
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
    // The fee account paid the fee.
    expect(g(0).chain.state.custody.stray).toBeLessThan(9_000n);
    const tx = await s.esplora.tx(settlement);
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
});
