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
import {
  compressProof,
  proofFromJson,
  prove,
  withDeclaredFee,
  type ZkOperation,
} from "../../src/zk/index.ts";
import { nodeArtifacts, terminateProver } from "../../src/zk/node.ts";
import { attest, E18, ORACLE_KEYS, TEST_CUSTODY, testVaultScript } from "./chain.ts";
import { MemoryChain } from "./memoryChain.ts";

const T0 = 1_700_000_000;
const PRICE = 60_000n * E18;
const SAT = 10n ** 10n;
const artifacts = nodeArtifacts();
type VaultAdjust = Extract<ZkOperation, { type: "adjustVault" }>;

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
    chain.mine(
      ["ann", "ben", "cat"].map((name, i) => ({
        actor: name,
        pay: [{ script: testVaultScript(MemoryChain.key(name)), sats: 100_000_000n }],
        payload: spell(
          {
            type: "openVault",
            collateral: 100_000_000n * SAT,
            borrow: 5_000n * E18,
            maxFee: E18 / 20n,
            ownerKey: MemoryChain.key(name),
            vaultOutput: 0,
          },
          att(2 + i).bytes,
        ),
      })),
    );
    await indexer.sync();
    const addr = (name: string) => MemoryChain.address(name);

    const mintTx = async (name: string, amount: bigint, state: State, n: number) => {
      const a = att(n);
      const ctx = { time: a.statement.timestamp, attestation: a.statement };
      const op = withDeclaredFee(
        { type: "adjustVault", owner: addr(name), borrow: amount, maxFee: E18 / 20n },
        state,
        ctx,
      ) as VaultAdjust;
      const proof = compressProof(proofFromJson((await prove(op, state, ctx, artifacts)).proof));
      return {
        actor: name,
        payload: spell(
          { type: "adjustVault", borrow: op.borrow!, maxFee: op.maxFee!, fee: op.fee! },
          a.bytes,
          proof,
        ),
      };
    };
    const depositTx = async (name: string, sats: bigint, state: State, n: number) => {
      const a = att(n);
      const ctx = { time: a.statement.timestamp, attestation: a.statement };
      const op = { type: "adjustVault" as const, owner: addr(name), depositCollateral: sats * SAT };
      const proof = compressProof(proofFromJson((await prove(op, state, ctx, artifacts)).proof));
      return {
        actor: name,
        pay: [{ script: testVaultScript(MemoryChain.key(name)), sats }],
        payload: spell(
          { type: "adjustVault", depositCollateral: sats * SAT, vaultOutput: 0 },
          a.bytes,
          proof,
        ),
      };
    };

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

    const spells = await indexer.store.spells({ fromHeight: h1 });
    const rejected = await indexer.store.rejected({ fromHeight: h1 });
    const at = (h: number) =>
      spells.filter((s) => s.height === h).map((s) => [s.position, s.op.type, s.proof]);
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
