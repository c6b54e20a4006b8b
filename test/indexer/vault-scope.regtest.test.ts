/**
 * Issue 16 on the real regtest node (bcoin in-process) with the real prover: vault proofs are scoped
 * to the vault, so other users' spells confirming first cannot invalidate them; only a change to the
 * same vault can.
 *
 * Why this fails on the pre-#16 design: there every proof's public inputs bound the one global state
 * root before and after the operation. In the first case the second mint's root-before is the state
 * after the first mint (a different root), in the second the third party's transfer changes the root
 * before the deposit runs: both proofs were refused `proofInvalid` ("the mint proof does not verify
 * for the engine's transition", as the issue reports). Here both must be `verified`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EsploraClient, emptyProof, type SpellOperation } from "../../src/btc/index.ts";
import { type Devnet, startDevnet } from "../../src/devnet/server.ts";
import {
  Indexer,
  type IndexerOptions,
  loadVerificationKeys,
  type VerifierConfig,
} from "../../src/indexer/index.ts";
import { DEFAULT_PARAMS, initPoseidon, type State } from "../../src/protocol/index.ts";
import { MemoryStore } from "../../src/storage/index.ts";
import { nodeArtifacts, proveSpell, terminateProver } from "../../src/zk/node.ts";
import { attest, E18, ORACLE_KEYS, SpellWallet, TEST_CUSTODY } from "./chain.ts";

const PRICE = 60_000n * E18;

let devnet: Devnet;
let esplora: EsploraClient;
let verifier: VerifierConfig;
let startHeight: number;
let baseTime: number;
const artifacts = nodeArtifacts();

describe("vault proofs scoped to the vault (issue 16, regtest)", () => {
  beforeAll(async () => {
    await initPoseidon();
    devnet = await startDevnet({ port: 0 });
    esplora = new EsploraClient({ baseUrl: devnet.url, retries: 1 });
    verifier = {
      proofs: true,
      oracleKeys: ORACLE_KEYS,
      verificationKeys: await loadVerificationKeys(artifacts),
    };
    startHeight = devnet.chain.height + 1;
    baseTime = (await esplora.block(await esplora.blockHash(startHeight - 1))).timestamp;
  }, 240_000);

  afterAll(async () => {
    await terminateProver();
    await devnet?.close();
  });

  it("two users' proofs against one state both confirm in one block; a third party's spell earlier in the block does not reject a proof; a change to the same vault does", async () => {
    const [alice, bob, carol, dave] = [0, 1, 2, 3].map(() => new SpellWallet(devnet, esplora)) as [
      SpellWallet,
      SpellWallet,
      SpellWallet,
      SpellWallet,
    ];
    for (const w of [alice, bob, carol, dave]) await w.fund(300_000_000n);
    await devnet.mine(1);
    const options: IndexerOptions = {
      store: new MemoryStore(),
      chain: esplora,
      startHeight,
      params: { ...DEFAULT_PARAMS },
      verifier,
      custody: TEST_CUSTODY,
    };
    const indexer = await Indexer.open(options);
    const step = async () => {
      await devnet.mine(1);
      await indexer.sync();
      return indexer.head.height;
    };
    const t = (minutes: number) => baseTime + minutes * 60;

    await dave.cast({ type: "setPrice", price: PRICE }, attest(PRICE, t(1), 1n).bytes);
    await step();
    const a2 = attest(PRICE, t(2), 2n);
    const open = { type: "openVault", collateral: E18, borrow: 5_000n * E18, maxFee: E18 / 20n } as const;
    for (const w of [alice, bob, carol]) await w.castProven(open, a2.bytes, indexer.state);
    await step();

    /** Proves `op` on `owner`'s vault against `state` (a mint declares the fee quoted now); casts later. */
    const proveFor = async (
      owner: SpellWallet,
      op: SpellOperation,
      state: State,
      minute: number,
      nonce: bigint,
    ) => {
      const attestation = attest(PRICE, t(minute), nonce).bytes;
      const s = await proveSpell({ version: 1, op, attestation, proof: emptyProof() }, owner.address, state);
      return () => owner.cast(s.op, s.attestation, s.proof);
    };
    const proveMint = (owner: SpellWallet, amount: bigint, state: State, minute: number, nonce: bigint) =>
      proveFor(owner, { type: "adjustVault", borrow: amount, maxFee: E18 / 20n }, state, minute, nonce);
    const proveDeposit = (owner: SpellWallet, amount: bigint, state: State, minute: number, nonce: bigint) =>
      proveFor(owner, { type: "adjustVault", depositCollateral: amount }, state, minute, nonce);

    // 1. Alice and bob each prove a mint against the same state; both confirm in one block.
    const same = indexer.state;
    const castAlice = await proveMint(alice, 300n * E18, same, 3, 3n);
    const castBob = await proveMint(bob, 400n * E18, same, 3, 4n);
    const mintA = await castAlice();
    const mintB = await castBob();
    const h1 = await step();

    // 2. Alice proves a deposit; carol's transfer (a third party's spell, smaller so a higher fee
    // rate: bcoin puts it first) confirms earlier in the same block.
    const castDeposit = await proveDeposit(alice, E18 / 10n, indexer.state, 4, 5n);
    const transfer = await carol.cast({ type: "transfer", to: dave.address, amount: 10n * E18 });
    const deposit = await castDeposit();
    const h2 = await step();

    // 3. Bob proves a deposit and a mint against one state; the mint confirms first (same vault,
    // same block: the deposit spends the mint's change, so it comes after it). The deposit's record
    // before is no longer bob's vault: proofInvalid. Its network fee is spent; nothing else changes.
    const s3 = indexer.state;
    const bobColl = s3.accounts.get(bob.address)?.coll;
    const castStaleDeposit = await proveDeposit(bob, E18 / 10n, s3, 5, 6n);
    const castMint = await proveMint(bob, 100n * E18, s3, 5, 7n);
    const mint3 = await castMint();
    const stale = await castStaleDeposit();
    const h3 = await step();

    const spells = await indexer.store.spells({ fromHeight: h1 });
    const rejected = await indexer.store.rejected();
    const spell = (txid: string) => spells.find((s) => s.txid === txid);

    expect([spell(mintA)?.height, spell(mintB)?.height]).toEqual([h1, h1]);
    expect([spell(mintA)?.proof, spell(mintB)?.proof]).toEqual(["verified", "verified"]);

    expect([spell(transfer)?.height, spell(deposit)?.height]).toEqual([h2, h2]);
    expect(spell(transfer)!.position).toBeLessThan(spell(deposit)!.position);
    expect(spell(deposit)?.proof).toBe("verified");

    expect(spell(mint3)).toMatchObject({ height: h3, proof: "verified" });
    expect(spell(stale)).toBeUndefined();
    expect(rejected.map((r) => [r.txid, r.height, r.reason.code])).toEqual([[stale, h3, "proofInvalid"]]);
    // bob's vault carries the mint only (the stale deposit changed nothing in the ledger)
    expect(indexer.state.accounts.get(bob.address)?.coll).toBe(bobColl);
  }, 600_000);
});
