/**
 * Dust griefing (docs/custody.md "Dust and griefing", docs/decisions.md §2a "Dust and griefing") through
 * the real Indexer on the simulated chain, with the guardian leader's own choice every block
 * (`freshProposal`): a stranger sends 300 outputs of 330 sats to a debt-carrying vault's script. Each
 * is a stray coin with a sweep obligation, but none makes the vault due for a consolidation roll and
 * no sweep is batched on its own while it costs more to spend than it holds: the fee account is not
 * spent on them until the vault is rolled for its age (then it is, and the books still agree). The
 * invariants hold after every block.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { fromHex } from "../src/btc/scripts.ts";
import { freshProposal } from "../src/guardian/settle.ts";
import { initPoseidon } from "../src/protocol/index.ts";
import {
  checkInvariants,
  feeAccountSats,
  isDustSweep,
  MAX_SETTLE_WINDOW,
  planSettlement,
  poolScriptHex,
  rollAge,
} from "../src/settlement/index.ts";
import { TEST_CUSTODY, testVaultScript } from "./indexer/chain.ts";
import { MemoryChain } from "./indexer/memoryChain.ts";
import { annOpensVault, custodyChain } from "./support/custody-chain.ts";
import { guardianWitness } from "./support/settlement.ts";

/** 20 sat/vB, sat/kvB: a 330-sat coin costs far more to spend than it holds. */
const RATE = 20_000;
const DUST = 330n;
const COUNT = 300;
const FUNDING = 1_000_000n;

beforeAll(() => initPoseidon());

/** Ann's vault with debt, a funded fee account, then `count` outputs of 330 sats to her vault. */
async function dusted(count: number) {
  const { chain, indexer, att } = await custodyChain();
  const ann = MemoryChain.address("ann");
  const annVault = testVaultScript(MemoryChain.key("ann"));
  chain.mine([
    annOpensVault(att(2)),
    // The fee account's own funding: BTC at the pool's script from an input with no address
    // (nobody to refund: kept as stray).
    { actor: null, pay: [{ script: fromHex(poolScriptHex(indexer.state)!), sats: FUNDING }] },
  ]);
  await indexer.sync();
  const opened = indexer.head.height;
  const funded = feeAccountSats(indexer.state);
  expect(funded).toBe(FUNDING);

  // Mallory: `count` outputs of 330 sats to ann's vault, no spell.
  chain.mine([
    {
      actor: "mallory",
      pay: Array.from({ length: count }, () => ({ script: annVault, sats: DUST })),
    },
  ]);
  await indexer.sync();
  const withDust = feeAccountSats(indexer.state);
  expect(withDust).toBe(funded + BigInt(count) * DUST);
  const annCoins = () => [...indexer.state.custody.coins.values()].filter((c) => c.vault === ann);
  expect(annCoins()).toHaveLength(count + 1);

  // The leader's round every block (its own choice, planned, mined, replayed by the indexer).
  const spent: { height: number; fee: bigint; rolls: string[]; ids: number }[] = [];
  const block = async () => {
    const state = indexer.state;
    const tip = indexer.head.height;
    const { ids, rolls } = freshProposal(state, tip, 1, RATE, TEST_CUSTODY);
    if (ids.length + rolls.length === 0) chain.mine([]);
    else {
      const planned = planSettlement(state, ids, RATE, TEST_CUSTODY, { rolls, height: tip });
      if (!planned.ok) throw new Error(planned.reason.message);
      const plan = planned.plan;
      spent.push({ height: tip + 1, fee: plan.fromAccount, rolls: plan.rolls, ids: plan.ids.length });
      chain.mine([
        {
          actor: null,
          spend: plan.inputs.map((i) => ({
            txid: i.txid,
            vout: i.vout,
            witness: guardianWitness(i.owner !== null, i.witnessScript),
          })),
          pay: plan.outputs
            .filter((o) => o.kind !== "spell")
            .map((o) => ({ script: fromHex(o.script), sats: o.sats })),
          payload: plan.spellBytes,
        },
      ]);
    }
    await indexer.sync();
    expect(checkInvariants(indexer.state).problems).toEqual([]);
  };
  return { indexer, ann, annCoins, block, spent, opened, withDust };
}

describe("dust sent to a debt-carrying vault (red team: dust drains the fee account)", () => {
  it("300 outputs of 330 sats: the fee account pays nothing for them until the vault's age roll", async () => {
    const { indexer, ann, annCoins, block, spent, opened, withDust } = await dusted(COUNT);

    // Until the vault's oldest coin is due for its age, nothing is spent on the dust.
    const ageDue = opened + rollAge(TEST_CUSTODY.csvBlocks);
    while (indexer.head.height < ageDue - 1) await block();
    expect(spent).toEqual([]);
    expect(feeAccountSats(indexer.state)).toBe(withDust);
    expect(annCoins()).toHaveLength(COUNT + 1);

    // Then the age rule rolls every coin (no coin reaches its timelock unrolled), in chunks.
    while (indexer.head.height < ageDue + 20) await block();
    expect(spent.length).toBeGreaterThan(0);
    expect(spent.every((s) => s.height > ageDue - 1)).toBe(true);
    const age = BigInt(rollAge(TEST_CUSTODY.csvBlocks));
    expect(annCoins().every((c) => BigInt(indexer.head.height) - c.height < age)).toBe(true);
    // The last chunk carries the sweeps along (every coin spent anyway), as many as one spell names
    // (256 places of the queue): the rest wait in ann's one coin for her vault's next spend.
    const left = COUNT - MAX_SETTLE_WINDOW;
    expect(spent.at(-1)!.ids).toBe(MAX_SETTLE_WINDOW);
    expect(annCoins().map((c) => c.sats)).toEqual([30_000_000n + BigInt(left) * DUST]);
    const open = [...indexer.state.custody.obligations.values()].filter((o) => o.status === "open");
    expect(open).toHaveLength(left);
    expect(open.every((o) => isDustSweep(o) && o.source === ann)).toBe(true);
    expect(freshProposal(indexer.state, indexer.head.height, 1, RATE, TEST_CUSTODY)).toEqual({
      ids: [],
      rolls: [],
    });
  });

  it("3 outputs of 330 sats: no sweep is batched for itself and nothing is rolled for them", async () => {
    const { indexer, annCoins, block, spent, withDust } = await dusted(3);
    for (let i = 0; i < 10; i++) await block();
    expect(spent).toEqual([]);
    expect(feeAccountSats(indexer.state)).toBe(withDust);
    expect(annCoins()).toHaveLength(4);
  });
});
