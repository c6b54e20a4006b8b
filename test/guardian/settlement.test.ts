/**
 * Issue 13 phase 2 on the real regtest node with three guardian daemons (2-of-3): BTC out is the
 * settlement of a confirmed obligation. A close and a redemption are wallet-only spells; once they
 * confirm the ledger owes the payouts, and after D blocks the leader's settlement (signed by a quorum
 * that each recomputed the plan) pays them; afterwards every vault's coins equal its ledger
 * collateral and the custody invariants hold on every guardian.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildLedgerOp, buildOpenVault, type Spell } from "../../src/btc/index.ts";
import { decodeAttestation } from "../../src/oracle/index.ts";
import { proveSpell, terminateProver } from "../../src/zk/node.ts";
import { type RegtestStack, spellOf, startRegtestStack, type TestWallet } from "./support.ts";

const E18 = 10n ** 18n;
const SAT = 10n ** 10n;
const D = 6;

let s: RegtestStack;
let keeper: TestWallet;
let alice: TestWallet;
let bob: TestWallet;
let dave: TestWallet;

const g = (i: number) => s.g(i);

/** The spell with its vault proof, made on the guardians' state (every vault operation carries one). */
const proven = (w: TestWallet, spell: Spell) => proveSpell(spell, w.address, g(0).chain.state);

const open = (state: ReturnType<typeof g>["chain"]["state"]) =>
  [...state.custody.obligations.values()].filter((o) => o.status === "open");

/** Mines D blocks, waits for the leader's settlement to reach the mempool, mines it; returns its txid. */
async function settle(): Promise<string> {
  const [txid] = await s.settleAll();
  return txid!;
}

beforeAll(async () => {
  s = await startRegtestStack({ finality: D });
  keeper = await s.wallet();
  alice = await s.wallet();
  bob = await s.wallet();
  dave = await s.wallet();
  await s.mine();
}, 180_000);

afterAll(async () => {
  await terminateProver();
  await s?.close();
});

describe("settlements on regtest (three guardians)", () => {
  it("opens vaults with their BTC; the custody invariants hold", async () => {
    const att = await s.attestation();
    await s.send(
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
      await s.send(
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
              await s.attestation(),
            ),
          ),
          vault: s.vaultOf(w),
          collateralSats: sats,
        }),
      );
    }
    await s.send(
      bob,
      buildLedgerOp(await bob.opts(), {
        spell: spellOf({ type: "transfer", to: dave.address, amount: 100n * E18 }),
      }),
    );
    await s.send(
      bob,
      buildLedgerOp(await bob.opts(), {
        spell: spellOf({ type: "transfer", to: keeper.address, amount: 1_000n * E18 }),
      }),
    );
    expect(g(0).chain.state.custody.coins.size).toBe(3);
    s.custodyHolds();
  }, 180_000);

  it("a close is a wallet-only spell: stage 1 the ledger owes Dave his collateral, stage 2 the settlement pays it", async () => {
    const before = await dave.balance();
    const txid = await s.send(
      dave,
      buildLedgerOp(await dave.opts(), { spell: await proven(dave, spellOf({ type: "closeVault" })) }),
    );
    const tx = await s.esplora.tx(txid);
    expect(tx.vin.length).toBeGreaterThan(0);
    const owed = open(g(0).chain.state);
    expect(owed).toHaveLength(1);
    expect(owed[0]).toMatchObject({ source: dave.address, sats: 10_000_000n });
    s.custodyHolds();
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
    s.custodyHolds();
  }, 180_000);

  it("a redemption across vaults is paid by one settlement from the main coin; vault coins end at their ledger collateral", async () => {
    const att = await s.attestation();
    await s.send(
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
    s.custodyHolds();
    // Every guardian recorded what it signed (the settlement ledger file) and served the same view.
    const view = (await (await fetch(`${g(1).url}/v1/custody`)).json()) as { invariants: { status: string } };
    expect(view.invariants.status).toBe("ok");
  }, 180_000);
});
