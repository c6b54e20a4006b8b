/**
 * Issue 16 on the in-memory chain (deterministic order inside a block) through the real Indexer with
 * real Groth16 proofs: two users' proofs made against one state confirm in one block and are both
 * verified; a third party's spell earlier in the same block does not reject a proven deposit; a
 * change to the same vault earlier in the block does (proofInvalid, nothing changes). On the pre-#16
 * design (every proof bound the global state root) the second mint and the deposit after the third
 * party's transfer were refused proofInvalid: their root-before was no longer the state's.
 * The regtest version (bcoin devnet) is vault-scope.regtest.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeSpell, type SpellOperation } from "../../src/btc/spell.ts";
import { Indexer, loadVerificationKeys } from "../../src/indexer/index.ts";
import { DEFAULT_PARAMS, initPoseidon, type State } from "../../src/protocol/index.ts";
import { MemoryStore } from "../../src/storage/index.ts";
import { nodeArtifacts, proveSpell, terminateProver } from "../../src/zk/node.ts";
import { attest, E18, ORACLE_KEYS, TEST_CUSTODY, testVaultScript } from "./chain.ts";
import { MemoryChain } from "./memoryChain.ts";

const T0 = 1_700_000_000;
const PRICE = 60_000n * E18;
const SAT = 10n ** 10n;
const artifacts = nodeArtifacts();

const spell = (
  op: SpellOperation,
  attestation: Uint8Array = new Uint8Array(0),
  proof: Uint8Array = new Uint8Array(128),
) => encodeSpell({ version: 1, op, attestation, proof });

beforeAll(() => initPoseidon());
afterAll(() => terminateProver());

describe("vault proofs scoped to the vault (issue 16, in-memory chain, real proofs)", () => {
  it("two proofs on one state both verify in one block; a third party's spell first does not reject a proof; a change to the same vault does", async () => {
    const chain = new MemoryChain(100, T0);
    const att = (n: number) => attest(PRICE, T0 + 60 * n, BigInt(n));
    chain.mine([{ actor: "dan", payload: spell({ type: "setPrice", price: PRICE }, att(1).bytes) }]);
    const indexer = await Indexer.open({
      store: new MemoryStore(),
      chain,
      startHeight: 101,
      params: { ...DEFAULT_PARAMS },
      verifier: {
        proofs: true,
        oracleKeys: ORACLE_KEYS,
        verificationKeys: await loadVerificationKeys(artifacts),
      },
      custody: { ...TEST_CUSTODY, finality: 1 },
    });
    await indexer.sync();
    const addr = (name: string) => MemoryChain.address(name);
    /** The spell `name` casts, proven on `state` (src/zk/node.ts proveSpell). */
    const proven = async (name: string, op: SpellOperation, state: State, n: number) =>
      encodeSpell(
        await proveSpell(
          { version: 1, op, attestation: att(n).bytes, proof: new Uint8Array(128) },
          addr(name),
          state,
        ),
      );
    const opens = [];
    for (const [i, name] of ["ann", "ben", "cat"].entries()) {
      const op: SpellOperation = {
        type: "openVault",
        collateral: 100_000_000n * SAT,
        borrow: 5_000n * E18,
        maxFee: E18 / 20n,
        ownerKey: MemoryChain.key(name),
        vaultOutput: 0,
      };
      opens.push({
        actor: name,
        pay: [{ script: testVaultScript(MemoryChain.key(name)), sats: 100_000_000n }],
        payload: await proven(name, op, indexer.state, 2 + i),
      });
    }
    const h0 = chain.mine(opens);
    await indexer.sync();

    const mintTx = async (name: string, amount: bigint, state: State, n: number) => ({
      actor: name,
      payload: await proven(name, { type: "adjustVault", borrow: amount, maxFee: E18 / 20n }, state, n),
    });
    const depositTx = async (name: string, sats: bigint, state: State, n: number) => ({
      actor: name,
      pay: [{ script: testVaultScript(MemoryChain.key(name)), sats }],
      payload: await proven(
        name,
        { type: "adjustVault", depositCollateral: sats * SAT, vaultOutput: 0 },
        state,
        n,
      ),
    });

    // 1. ann and ben prove mints against the same state; one block holds both.
    const h1 = chain.mine([
      await mintTx("ann", 300n * E18, indexer.state, 10),
      await mintTx("ben", 400n * E18, indexer.state, 11),
    ]);
    await indexer.sync();
    // 2. ann proves a deposit; cat's transfer (a third party) comes first in the same block.
    const deposit = await depositTx("ann", 10_000_000n, indexer.state, 12);
    const h2 = chain.mine([
      { actor: "cat", payload: spell({ type: "transfer", to: addr("dan"), amount: 10n * E18 }) },
      deposit,
    ]);
    await indexer.sync();
    // 3. ben proves a deposit and a mint on one state; the mint comes first in the block: the
    // deposit's record before is no longer ben's vault.
    const s3 = indexer.state;
    const benColl = s3.accounts.get(addr("ben"))?.coll;
    const stale = await depositTx("ben", 10_000_000n, s3, 13);
    const mint3 = await mintTx("ben", 100n * E18, s3, 14);
    const h3 = chain.mine([mint3, stale]);
    await indexer.sync();

    const spells = await indexer.store.spells({ fromHeight: h0 });
    const rejected = await indexer.store.rejected({ fromHeight: h1 });
    const at = (h: number) =>
      spells.filter((s) => s.height === h).map((s) => [s.position, s.op.type, s.proof]);
    // the opens carry their proofs too (every vault operation must)
    expect(at(h0)).toEqual([1, 2, 3].map((p) => [p, "openVault", "verified"]));
    expect(at(h1)).toEqual([
      [1, "adjustVault", "verified"],
      [2, "adjustVault", "verified"],
    ]);
    expect(at(h2)).toEqual([
      [1, "transfer", "noCircuit"],
      [2, "adjustVault", "verified"],
    ]);
    expect(at(h3)).toEqual([[1, "adjustVault", "verified"]]);
    expect(rejected.map((r) => [r.height, r.position, r.reason.code])).toEqual([[h3, 2, "proofInvalid"]]);
    expect(indexer.state.accounts.get(addr("ben"))?.coll).toBe(benColl);
  }, 300_000);
});
