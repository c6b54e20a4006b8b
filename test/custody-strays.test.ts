/**
 * Stray BTC at protocol scripts (docs/decisions.md §2a "Refunds", "Dust and griefing"; docs/custody.md "Stray
 * outputs") through the real Indexer on the simulated chain: BTC sent to a vault's script with no
 * spell, or in a transaction whose spell is rejected, is owed back to the sender (the script of the
 * transaction's first input) and paid by a settlement like any other payout; below 10,000 sats it is
 * kept as stray (the fee account), swept from a vault's script to the pool's main coin. Custody and
 * the ledger agree after every block, and nobody's ledger balance changes.
 */
import { p2wpkh } from "@scure/btc-signer";
import { beforeAll, describe, expect, it } from "vitest";
import { networkParams } from "../src/btc/network.ts";
import { fromHex, toHex } from "../src/btc/scripts.ts";
import { encodeSpell, type SpellOperation } from "../src/btc/spell.ts";
import { Indexer } from "../src/indexer/index.ts";
import { DEFAULT_PARAMS, initPoseidon } from "../src/protocol/index.ts";
import { checkInvariants, planSettlement, poolScriptHex, settleWindow } from "../src/settlement/index.ts";
import { MemoryStore } from "../src/storage/index.ts";
import { attest, E18, ORACLE_KEYS, TEST_CUSTODY, testVaultScript } from "./indexer/chain.ts";
import { MemoryChain } from "./indexer/memoryChain.ts";
import { guardianWitness } from "./support/settlement.ts";

const T0 = 1_700_000_000;
const PRICE = 60_000n * E18;
const SAT = 10n ** 10n;

const spell = (op: SpellOperation, attestation: Uint8Array = new Uint8Array(0)) =>
  encodeSpell({ version: 1, op, attestation, proof: new Uint8Array(128) });
const walletScript = (name: string) => p2wpkh(MemoryChain.key(name), networkParams("regtest")).script;

beforeAll(() => initPoseidon());

describe("stray outputs at protocol scripts", () => {
  it("refunds them to the sender through a settlement, keeps dust as stray, and the books agree", async () => {
    const chain = new MemoryChain(100, T0);
    const att = (n: number) => attest(PRICE, T0 + 60 * n, BigInt(n)).bytes;
    chain.mine([{ actor: "ann", payload: spell({ type: "setPrice", price: PRICE }, att(1)) }]);
    const indexer = await Indexer.open({
      store: new MemoryStore(),
      chain,
      startHeight: 101,
      params: { ...DEFAULT_PARAMS },
      verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
      custody: { ...TEST_CUSTODY, finality: 1 },
    });
    const ann = MemoryChain.address("ann");
    const annVault = testVaultScript(MemoryChain.key("ann"));
    chain.mine(
      ["ann", "ben"].map((name, i) => ({
        actor: name,
        pay: [{ script: testVaultScript(MemoryChain.key(name)), sats: 30_000_000n }],
        payload: spell(
          {
            type: "openVault",
            collateral: 30_000_000n * SAT,
            borrow: 2_000n * E18,
            maxFee: E18,
            ownerKey: MemoryChain.key(name),
            vaultOutput: 0,
          },
          att(2 + i),
        ),
      })),
    );
    await indexer.sync();
    const ledgerBefore = indexer.state.g.activeColl;
    const pool = poolScriptHex(indexer.state)!;
    const height = chain.height + 1;

    chain.mine([
      // Mallory sends 50,000 sats to ann's vault with no spell.
      { actor: "mallory", pay: [{ script: annVault, sats: 50_000n }] },
      // Cat's deposit claims 100,000 sats but pays 99,999: the spell is rejected, the BTC owed back.
      {
        actor: "cat",
        pay: [{ script: annVault, sats: 99_999n }],
        payload: spell({ type: "adjustVault", depositCollateral: 100_000n * SAT, vaultOutput: 0 }, att(9)),
      },
      // Dust: 5,000 sats to the pool's script and 3,000 to ann's vault, no spell.
      { actor: "dan", pay: [{ script: fromHex(pool), sats: 5_000n }] },
      { actor: "dan", pay: [{ script: annVault, sats: 3_000n }] },
    ]);
    await indexer.sync();
    const s = indexer.state;
    expect(checkInvariants(s).problems).toEqual([]);
    expect(s.g.activeColl).toBe(ledgerBefore);
    const events = (await indexer.store.events({ order: "desc", limit: 100 })).events.filter(
      (e) => e.height === height,
    );
    const strays = events.filter((e) => e.type === "StrayReceived").map((e) => e.event);
    expect(strays.map((e) => [(e as { sats: bigint }).sats, (e as { refunded: boolean }).refunded])).toEqual(
      expect.arrayContaining([
        [50_000n, true],
        [99_999n, true],
        [5_000n, false],
        [3_000n, false],
      ]),
    );
    const refunds = [...s.custody.obligations.values()].filter(
      (o) => o.status === "open" && o.to === undefined,
    );
    expect(refunds.map((o) => [o.script, o.sats]).sort()).toEqual(
      [
        [toHex(walletScript("mallory")), 50_000n],
        [toHex(walletScript("cat")), 99_999n],
      ].sort(),
    );
    expect(refunds.every((o) => o.source === ann)).toBe(true);
    expect(s.custody.stray).toBe(8_000n);
    // The refunds are paid by a settlement like any other payout.
    const ids = settleWindow(s, indexer.head.height).map((o) => o.id);
    const plan = planSettlement(s, ids, 2_000, TEST_CUSTODY);
    if (!plan.ok) throw new Error(plan.reason.message);
    const outputs = plan.plan.outputs.filter((o) => o.kind !== "spell");
    chain.mine([
      {
        actor: null,
        spend: plan.plan.inputs.map((i) => ({
          txid: i.txid,
          vout: i.vout,
          witness: guardianWitness(i.owner !== null, i.witnessScript),
        })),
        pay: outputs.map((o) => ({ script: fromHex(o.script), sats: o.sats })),
        payload: plan.plan.spellBytes,
      },
    ]);
    await indexer.sync();
    const after = indexer.state;
    expect(checkInvariants(after).problems).toEqual([]);
    expect([...after.custody.obligations.values()].filter((o) => o.status === "open")).toEqual([]);
    const paid = outputs.filter((o) => o.kind === "payout").map((o) => [o.script, o.sats]);
    expect(paid.find(([script]) => script === toHex(walletScript("mallory")))![1]).toBeGreaterThan(45_000n);
    expect(paid.find(([script]) => script === toHex(walletScript("cat")))![1]).toBeGreaterThan(94_999n);
    // Ann's vault is back to one coin of exactly her collateral; the dust sits in the main coin.
    const annCoins = [...after.custody.coins.values()].filter((c) => c.vault === ann);
    expect(annCoins.map((c) => c.sats)).toEqual([30_000_000n]);
  });
});
