/**
 * Red team (issue 13, payouts): a spell that names no payout is paid to its actor's own script, the
 * output its first input spends. When that input is a protocol coin (an owner escaping his vault coin
 * with a spell riding along, docs/custody.md "Escape"), the actor's script is custody's own and the
 * obligation would be paid back into a vault script: SPEC §2a "payouts go only to standard,
 * non-protocol scripts", as for a named payout (src/settlement/payout.ts). Failed on main d382b39.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { scriptToAddress } from "../../src/btc/network.ts";
import { fromHex, toHex, vaultDescriptor } from "../../src/btc/scripts.ts";
import { encodeSpell, type SpellOperation } from "../../src/btc/spell.ts";
import { Indexer } from "../../src/indexer/index.ts";
import { DEFAULT_PARAMS, initPoseidon } from "../../src/protocol/index.ts";
import { protocolScripts } from "../../src/settlement/index.ts";
import { MemoryStore } from "../../src/storage/index.ts";
import { attest, E18, ORACLE_KEYS, TEST_CUSTODY, testVaultScript } from "../indexer/chain.ts";
import { MemoryChain } from "../indexer/memoryChain.ts";
import { guardianWitness } from "../support/settlement.ts";

const T0 = 1_700_000_000;
const PRICE = 60_000n * E18;
const SAT = 10n ** 10n;

const spell = (op: SpellOperation, attestation: Uint8Array = new Uint8Array(0)) =>
  encodeSpell({ version: 1, op, attestation, proof: new Uint8Array(128) });

beforeAll(() => initPoseidon());

describe("red team: the default payout (the actor's own script)", () => {
  it("refuses a redemption whose actor is a vault coin's script: its BTC would be owed to custody's own script", async () => {
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
      params: { ...DEFAULT_PARAMS, redemptionBootstrapDays: 0n },
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
            borrow: 5_000n * E18,
            maxFee: E18,
            ownerKey: MemoryChain.key(name),
            vaultOutput: 0,
          },
          att(),
        ),
      })),
    );
    await indexer.sync();
    const vaultScript = testVaultScript(MemoryChain.key("ann"));
    const vaultAccount = scriptToAddress(vaultScript, "regtest")!;
    // Ann gives zkUSD to the account of her vault script's address (any account can hold zkUSD).
    chain.mine([
      { actor: "ann", payload: spell({ type: "transfer", to: vaultAccount, amount: 1_000n * E18 }) },
    ]);
    await indexer.sync();
    expect(indexer.state.accounts.get(vaultAccount)?.balance).toBe(1_000n * E18);
    // Then a transaction whose first input is her vault coin carries a redemption by that account.
    const coin = [...indexer.state.custody.coins.values()].find(
      (c) => c.vault === MemoryChain.address("ann"),
    )!;
    const [txid, vout] = coin.outpoint.split(":");
    const height = chain.height + 1;
    chain.mine([
      {
        actor: null,
        spend: [{ txid: txid!, vout: Number(vout), witness: guardianWitness(true, annWitnessScript()) }],
        pay: [{ script: fromHex("0014" + "11".repeat(20)), sats: coin.sats - 1_000n }],
        payload: spell({ type: "redeem", amount: 500n * E18 }, att()),
      },
    ]);
    await indexer.sync();
    const owedToCustody = [...indexer.state.custody.obligations.values()].filter(
      (o) => o.to === undefined && protocolScripts(indexer.state, TEST_CUSTODY).has(o.script),
    );
    expect(owedToCustody).toEqual([]);
    const rejected = (await indexer.store.rejected()).filter((r) => r.height === height);
    expect(rejected.map((r) => [r.opType, r.reason.code])).toEqual([["redeem", "payoutScript"]]);
  });
});

/** Ann's vault witness script (the chain checks no signatures; the shape is the guardians'). */
function annWitnessScript(): string {
  const d = vaultDescriptor({
    owner: MemoryChain.key("ann"),
    guardians: {
      threshold: TEST_CUSTODY.guardians.threshold,
      keys: TEST_CUSTODY.guardians.keys.map(fromHex),
    },
    csvBlocks: TEST_CUSTODY.csvBlocks,
  });
  return toHex(d.witnessScript);
}
