/**
 * The fee account's funding (docs/custody.md "The fee account") through the real Indexer on the
 * simulated chain. Hostile first: a `fund` spell whose named output pays 1 sat less or more than it
 * claims, pays another script (a vault's), does not exist, or claims more than the bound is refused
 * with a plain reason, the fee account does not grow, and the BTC is left to the stray rule (owed
 * back to the sender from 10,000 sats). Then an honest funding adds exactly its sats, pays a roll's
 * whole fee, and a redemption fee refills the account after it is spent; the books agree after
 * every block.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { fromHex } from "../src/btc/scripts.ts";
import { encodeSpell, type SpellOperation } from "../src/btc/spell.ts";
import { initPoseidon } from "../src/protocol/index.ts";
import {
  checkInvariants,
  encodeFundSpell,
  feeAccountSats,
  MAX_FEE_FUNDING,
  planSettlement,
  poolScriptHex,
  rollsDue,
} from "../src/settlement/index.ts";
import { TEST_CUSTODY, testVaultScript } from "./indexer/chain.ts";
import { MemoryChain } from "./indexer/memoryChain.ts";
import { annOpensVault, custodyChain } from "./support/custody-chain.ts";
import { guardianWitness } from "./support/settlement.ts";

const SAT = 10n ** 10n;

const spell = (op: SpellOperation, attestation: Uint8Array = new Uint8Array(0)) =>
  encodeSpell({ version: 1, op, attestation, proof: new Uint8Array(128) });

beforeAll(() => initPoseidon());

describe("funding the fee account (a fund spell)", () => {
  it("refuses a funding that pays less or more than it claims, another script, no output or past the bound; an honest one pays a roll", async () => {
    const { chain, indexer, att } = await custodyChain();
    const ann = MemoryChain.address("ann");
    const annVault = testVaultScript(MemoryChain.key("ann"));
    chain.mine([annOpensVault(att(2))]);
    await indexer.sync();
    const pool = fromHex(poolScriptHex(indexer.state)!);
    const fund = (vout: number, sats: bigint) => encodeFundSpell({ vout, sats });
    const hostile = chain.height + 1;
    chain.mine([
      { actor: "mal", pay: [{ script: pool, sats: 49_999n }], payload: fund(0, 50_000n) },
      { actor: "mal", pay: [{ script: pool, sats: 50_001n }], payload: fund(0, 50_000n) },
      { actor: "mal", pay: [{ script: annVault, sats: 50_000n }], payload: fund(0, 50_000n) },
      { actor: "mal", pay: [{ script: pool, sats: 20_000n }], payload: fund(5, 20_000n) },
      {
        actor: "mal",
        pay: [{ script: pool, sats: MAX_FEE_FUNDING + 1n }],
        payload: fund(0, MAX_FEE_FUNDING + 1n),
      },
    ]);
    await indexer.sync();
    let s = indexer.state;
    expect(checkInvariants(s).problems).toEqual([]);
    expect(s.custody.stray).toBe(0n);
    expect(feeAccountSats(s)).toBe(0n);
    const refused = (await indexer.store.rejected()).filter((r) => r.height === hostile);
    expect(refused.map((r) => [r.opType, r.reason.code])).toEqual(
      new Array(5).fill(["fund", "custodyMismatch"]),
    );
    expect(refused.map((r) => r.reason.message.split(".")[0])).toEqual([
      "fee account funding: output 0 pays 49999 sats, the spell adds 50000 sats",
      "fee account funding: output 0 pays 50001 sats, the spell adds 50000 sats",
      "fee account funding: output 0 does not pay the pool's script",
      "fee account funding: output 5 does not exist",
      `fee account funding: ${MAX_FEE_FUNDING + 1n} sats is outside 1 to ${MAX_FEE_FUNDING} sats`,
    ]);
    // Their BTC is owed back to the sender, like any unclaimed output of 10,000 sats or more.
    const refunds = [...s.custody.obligations.values()].filter(
      (o) => o.status === "open" && o.to === undefined,
    );
    expect(refunds.map((o) => o.sats).sort()).toEqual(
      [49_999n, 50_001n, 50_000n, 20_000n, MAX_FEE_FUNDING + 1n].sort(),
    );
    const events = (await indexer.store.events({ order: "desc", limit: 100 })).events;
    expect(events.filter((e) => e.type === "FeeAccountFunded")).toEqual([]);

    // The refunds are settled first (their payees pay their fees).
    const settle = (ids: string[], rolls: string[] = []) => {
      const plan = planSettlement(indexer.state, ids, 2_000, TEST_CUSTODY, {
        rolls,
        height: chain.height,
      });
      if (!plan.ok) throw new Error(plan.reason.message);
      chain.mine([
        {
          actor: null,
          spend: plan.plan.inputs.map((i) => ({
            txid: i.txid,
            vout: i.vout,
            witness: guardianWitness(i.owner !== null, i.witnessScript),
          })),
          pay: plan.plan.outputs
            .filter((o) => o.kind !== "spell")
            .map((o) => ({ script: fromHex(o.script), sats: o.sats })),
          payload: plan.plan.spellBytes,
        },
      ]);
      return plan.plan;
    };
    chain.mine([]);
    await indexer.sync();
    settle(refunds.map((o) => o.id));
    await indexer.sync();
    s = indexer.state;
    expect([...s.custody.obligations.values()].filter((o) => o.status === "open")).toEqual([]);
    expect(checkInvariants(s).problems).toEqual([]);

    // Ann deposits: two coins, a consolidation is due, and the fee account holds nothing: it waits.
    chain.mine([
      {
        actor: "ann",
        pay: [{ script: annVault, sats: 1_000_000n }],
        payload: spell({ type: "adjustVault", depositCollateral: 1_000_000n * SAT, vaultOutput: 0 }, att(3)),
      },
    ]);
    await indexer.sync();
    expect(rollsDue(indexer.state, chain.height, TEST_CUSTODY)).toEqual([ann]);
    expect(
      planSettlement(indexer.state, [], 2_000, TEST_CUSTODY, { rolls: [ann], height: chain.height }),
    ).toMatchObject({
      ok: false,
      reason: { message: expect.stringContaining("the fee account holds 0 sats") },
    });

    // The honest funding: exactly its sats, at the pool's script.
    chain.mine([{ actor: "fed", pay: [{ script: pool, sats: 20_000n }], payload: fund(0, 20_000n) }]);
    await indexer.sync();
    s = indexer.state;
    expect(s.custody.stray).toBe(20_000n);
    expect(checkInvariants(s).problems).toEqual([]);
    const funded = (await indexer.store.events({ order: "desc", limit: 100 })).events.filter(
      (e) => e.type === "FeeAccountFunded",
    );
    expect(funded.map((e) => (e.event as { sats: bigint }).sats)).toEqual([20_000n]);
    expect([...s.custody.obligations.values()].filter((o) => o.status === "open")).toEqual([]);

    const roll = settle([], [ann]);
    await indexer.sync();
    s = indexer.state;
    expect(roll.fromAccount).toBe(roll.fee);
    expect(s.custody.stray).toBe(20_000n - roll.fee);
    expect([...s.custody.coins.values()].filter((c) => c.vault === ann).map((c) => c.sats)).toEqual([
      31_000_000n,
    ]);
    expect(checkInvariants(s).problems).toEqual([]);
  });
});
