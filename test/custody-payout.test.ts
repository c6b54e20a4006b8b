/**
 * A spell's payout script and maximum fee (docs/decisions.md §2a rule 2, "Inflows": "payouts go only to standard,
 * non-protocol scripts"; docs/spell-format.md "Payout") through the real Indexer on the simulated
 * chain. Hostile first: a payout to a vault's script, the pool's, OP_RETURN or garbage, or a maximum
 * fee out of bounds, rejects the spell with a typed reason and changes nothing; then valid P2TR, P2WSH
 * and P2PKH destinations get their withdrawal in the settlement, within the spell's maximum fee.
 */
import { p2pkh, p2tr, p2wpkh } from "@scure/btc-signer";
import { beforeAll, describe, expect, it } from "vitest";
import { networkParams } from "../src/btc/network.ts";
import { fromHex, toHex, vaultDescriptor } from "../src/btc/scripts.ts";
import { encodeSpell, type SpellOperation } from "../src/btc/spell.ts";
import { Indexer } from "../src/indexer/index.ts";
import { DEFAULT_PARAMS, initPoseidon } from "../src/protocol/index.ts";
import {
  checkInvariants,
  DEFAULT_PAYOUT_MAX_FEE,
  encodeFundSpell,
  planSettlement,
  poolScriptHex,
  settleWindow,
} from "../src/settlement/index.ts";
import { MemoryStore } from "../src/storage/index.ts";
import { attest, E18, ORACLE_KEYS, TEST_CUSTODY, testVaultScript } from "./indexer/chain.ts";
import { MemoryChain } from "./indexer/memoryChain.ts";
import { guardianWitness } from "./support/settlement.ts";

const T0 = 1_700_000_000;
const PRICE = 60_000n * E18;
const SAT = 10n ** 10n;
const NET = networkParams("regtest");

const spell = (op: SpellOperation, attestation: Uint8Array = new Uint8Array(0)) =>
  encodeSpell({ version: 1, op, attestation, proof: new Uint8Array(128) });

beforeAll(() => initPoseidon());

async function setup() {
  const chain = new MemoryChain(100, T0);
  let round = 0;
  const att = () => {
    round++;
    return attest(PRICE, T0 + 60 * round, BigInt(round)).bytes;
  };
  chain.mine([{ actor: "ann", payload: spell({ type: "setPrice", price: PRICE }, att()) }]);
  const indexer = await Indexer.open({
    store: new MemoryStore(),
    chain,
    startHeight: 101,
    params: { ...DEFAULT_PARAMS },
    verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
    custody: { ...TEST_CUSTODY, finality: 1 },
  });
  chain.mine(
    ["ann", "ben"].map((name) => ({
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
        att(),
      ),
    })),
  );
  await indexer.sync();
  return { chain, indexer, att };
}

const withdraw = (sats: bigint, payout?: { script?: Uint8Array; maxFee?: bigint }): SpellOperation => ({
  type: "adjustVault",
  withdrawCollateral: sats * SAT,
  ...(payout ? { payout } : {}),
});

describe("a spell's payout script", () => {
  it("refuses payouts to protocol scripts, OP_RETURN, garbage and out-of-bounds fees, changing nothing", async () => {
    const { chain, indexer, att } = await setup();
    const before = indexer.state.accounts.get(MemoryChain.address("ann"))!.coll;
    const obligations = indexer.state.custody.obligations.size;
    const pool = fromHex(poolScriptHex(indexer.state)!);
    const hostile: [string, SpellOperation][] = [
      ["own vault", withdraw(1_000_000n, { script: testVaultScript(MemoryChain.key("ann")) })],
      ["another vault", withdraw(1_000_000n, { script: testVaultScript(MemoryChain.key("ben")) })],
      ["pool", withdraw(1_000_000n, { script: pool })],
      ["OP_RETURN", withdraw(1_000_000n, { script: Uint8Array.of(0x6a, 0x04, 1, 2, 3, 4) })],
      ["garbage", withdraw(1_000_000n, { script: Uint8Array.of(0xff, 0x00, 0x51, 0x20) })],
      ["bare OP_TRUE", withdraw(1_000_000n, { script: Uint8Array.of(0x51) })],
      ["fee too low", withdraw(1_000_000n, { maxFee: 999n })],
      ["fee too high", withdraw(1_000_000n, { maxFee: 100_001n })],
      // An op that had no flags byte before: a pool deposit whose gains would go to the pool's script.
      ["pool deposit to the pool", { type: "poolDeposit", amount: 100n * E18, payout: { script: pool } }],
    ];
    const height = chain.height + 1;
    chain.mine(hostile.map(([, op]) => ({ actor: "ann", payload: spell(op, att()) })));
    await indexer.sync();
    const rejected = (await indexer.store.rejected()).filter((r) => r.height === height);
    expect(rejected.map((r) => r.reason.code)).toEqual([
      "payoutScript",
      "payoutScript",
      "payoutScript",
      "payoutScript",
      "payoutScript",
      "payoutScript",
      "payoutMaxFee",
      "payoutMaxFee",
      "payoutScript",
    ]);
    expect(rejected[0]!.reason.message).toMatch(/custody's own.*standard address/);
    expect(rejected[3]!.reason.message).toMatch(/not a standard address/);
    const s = indexer.state;
    expect(s.accounts.get(MemoryChain.address("ann"))!.coll).toBe(before);
    expect(s.accounts.get(MemoryChain.address("ann"))!.depositInitial).toBe(0n);
    expect(s.custody.obligations.size).toBe(obligations);
    expect(checkInvariants(s).problems).toEqual([]);
  });

  it("refuses a withdrawal below its destination's dust limit plus its maximum fee (belowMinPayout), by script type", async () => {
    const { chain, indexer, att } = await setup();
    const ann = MemoryChain.address("ann");
    const before = indexer.state.accounts.get(ann)!.coll;
    const taproot = p2tr(MemoryChain.key("tara").slice(1), undefined, NET).script;
    const pkh = p2pkh(MemoryChain.key("pat"), NET).script;
    const height = chain.height + 1;
    chain.mine(
      [
        // Default maximum fee 5,000 + P2WPKH dust 294 = 5,294 > 5,000 (the actor's own script).
        withdraw(5_000n),
        // 1,000 + P2PKH dust 546 = 1,546 > 1,500: refused; the same to a P2TR (330): 1,330 ≤ 1,500, applied.
        withdraw(1_500n, { script: pkh, maxFee: 1_000n }),
        withdraw(1_500n, { script: taproot, maxFee: 1_000n }),
      ].map((op) => ({ actor: "ann", payload: spell(op, att()) })),
    );
    await indexer.sync();
    const rejected = (await indexer.store.rejected()).filter((r) => r.height === height);
    expect(rejected.map((r) => [r.position, r.reason.code])).toEqual([
      [1, "belowMinPayout"],
      [2, "belowMinPayout"],
    ]);
    expect(rejected[1]!.reason.message).toContain("dust limit 546 plus the maximum fee 1000");
    const s = indexer.state;
    // Only the Taproot withdrawal applied; the refused ones left nothing behind.
    expect(s.accounts.get(ann)!.coll).toBe(before - 1_500n * SAT);
    const payouts = [...s.custody.obligations.values()].filter((o) => o.script !== "");
    expect(payouts.map((o) => [o.script, o.sats, o.maxFee])).toEqual([[toHex(taproot), 1_500n, 1_000n]]);
    expect(checkInvariants(s).problems).toEqual([]);
  });

  it("pays P2TR, P2WSH and P2PKH destinations in the settlement, within the spell's maximum fee", async () => {
    const { chain, indexer, att } = await setup();
    const key = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (i * 7 + n) & 0xff);
    const taproot = p2tr(MemoryChain.key("tara").slice(1), undefined, NET).script;
    // A multisig's P2WSH (any 32-byte program: the indexer checks the script type, not what it hides).
    const wsh = Uint8Array.of(0x00, 0x20, ...key(1));
    const pkh = p2pkh(MemoryChain.key("pat"), NET).script;
    const wanted: [Uint8Array, bigint, bigint][] = [
      [taproot, 1_000_000n, 2_000n],
      [wsh, 2_000_000n, DEFAULT_PAYOUT_MAX_FEE],
      [pkh, 3_000_000n, 1_000n],
    ];
    chain.mine([
      // The fee account pays what the payees' maxima leave (docs/custody.md "The fee account").
      {
        actor: "fay",
        pay: [{ script: fromHex(poolScriptHex(indexer.state)!), sats: 100_000n }],
        payload: encodeFundSpell({ vout: 0, sats: 100_000n }),
      },
      ...wanted.map(([script, sats, maxFee], i) => ({
        actor: i === 1 ? "ben" : "ann",
        // Ben names no maximum fee: the default.
        payload: spell(withdraw(sats, i === 1 ? { script } : { script, maxFee }), att()),
      })),
    ]);
    await indexer.sync();
    expect(await indexer.store.rejected()).toEqual([]);
    const s = indexer.state;
    const payouts = [...s.custody.obligations.values()].filter((o) => o.status === "open" && o.script !== "");
    expect(payouts.map((o) => [o.script, o.sats, o.maxFee]).sort()).toEqual(
      wanted.map(([script, sats, maxFee]) => [toHex(script), sats, maxFee]).sort(),
    );
    // The settlement pays them there, each less at most its maximum fee.
    const ids = settleWindow(s, indexer.head.height).map((o) => o.id);
    const plan = planSettlement(s, ids, 20_000, TEST_CUSTODY);
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
    expect([...after.custody.obligations.values()].filter((o) => o.status === "open")).toEqual([]);
    expect(checkInvariants(after).problems).toEqual([]);
    for (const [script, sats, maxFee] of wanted) {
      const paid = outputs.find((o) => o.kind === "payout" && o.script === toHex(script));
      expect(paid, toHex(script)).toBeDefined();
      expect(paid!.sats).toBeLessThan(sats);
      expect(paid!.sats).toBeGreaterThanOrEqual(sats - maxFee);
    }
    // At 20 sat/vB the 1,000-sat cap binds: that payee paid exactly its maximum.
    expect(outputs.find((o) => o.script === toHex(pkh))!.sats).toBe(3_000_000n - 1_000n);
  });

  it("an escape before the settlement counts the owner's withdrawal to a named address as his own: no shortfall, nothing owed on", async () => {
    const { chain, indexer, att } = await setup();
    const ann = MemoryChain.address("ann");
    const taproot = p2tr(MemoryChain.key("tara").slice(1), undefined, NET).script;
    chain.mine([{ actor: "ann", payload: spell(withdraw(1_000_000n, { script: taproot }), att()) }]);
    await indexer.sync();
    const owed = [...indexer.state.custody.obligations.values()].find((o) => o.script === toHex(taproot))!;
    expect(owed).toMatchObject({ source: ann, sats: 1_000_000n, byOwner: true, status: "open" });
    const strayBefore = indexer.state.custody.stray;
    // Ann takes her whole coin (30,000,000 sats) by the timelock path before any settlement.
    const coin = [...indexer.state.custody.coins.values()].find((c) => c.vault === ann)!;
    const [txid, vout] = coin.outpoint.split(":") as [string, string];
    const witnessScript = vaultDescriptor({
      owner: MemoryChain.key("ann"),
      guardians: {
        threshold: TEST_CUSTODY.guardians.threshold,
        keys: TEST_CUSTODY.guardians.keys.map(fromHex),
      },
      csvBlocks: TEST_CUSTODY.csvBlocks,
    }).witnessScript;
    const sig = Uint8Array.from([0x30, ...new Array(69).fill(3), 0x01]);
    chain.mine([
      {
        actor: null,
        spend: [
          { txid, vout: Number(vout), witness: [sig, new Uint8Array(0), new Uint8Array(0), witnessScript] },
        ],
        pay: [{ script: p2wpkh(MemoryChain.key("ann"), NET).script, sats: coin.sats - 1_000n }],
      },
    ]);
    await indexer.sync();
    const s = indexer.state;
    const events = (await indexer.store.events({ order: "desc", limit: 50 })).events.map((e) => e.type);
    expect(events).toContain("VaultEscapeBooked");
    expect(events).not.toContain("EscapeShortfall");
    // The Taproot payout was the owner's own BTC: the escape paid it; the pool owes it to nobody.
    expect(s.custody.obligations.get(owed.id)!.status).toBe("settled");
    expect([...s.custody.obligations.values()].filter((o) => o.status === "open" && o.script !== "")).toEqual(
      [],
    );
    expect(s.custody.stray).toBe(strayBefore);
    expect(checkInvariants(s).problems).toEqual([]);
  });
});
