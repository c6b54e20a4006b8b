/**
 * The indexer on the real regtest node (bcoin in-process, src/devnet) through its Esplora API: a
 * history of mixed operations from four wallets, a deposit and a mint with real Groth16 proofs, a spell whose proof
 * is for another transition, a malformed spell, and a 2-block reorg. Every client that syncs — one that
 * follows along through the reorg (memory store), one that syncs once at the end (IndexedDB on
 * fake-indexeddb), one that starts from a checkpoint (file store) — reaches the same state root.
 */
import "fake-indexeddb/auto";
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import bcoin from "bcoin";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  attest,
  E18,
  ORACLE_KEYS,
  SpellWallet,
  TEST_CUSTODY,
  testVaultScript,
} from "../../test/indexer/chain.ts";
import { EsploraClient, emptyProof, encodeSpell } from "../btc/index.ts";
import { type Devnet, startDevnet } from "../devnet/server.ts";
import {
  coinSats,
  DEFAULT_PARAMS,
  formatDecimal,
  initPoseidon,
  riskiestVaults,
  systemSummary,
} from "../protocol/index.ts";
import { openFileStore } from "../storage/file.ts";
import { createBackup, MemoryStore, openIdbStore, restoreBackup } from "../storage/index.ts";
import { nodeArtifacts, proveSpell, terminateProver } from "../zk/node.ts";
import { Indexer, type IndexerOptions, loadVerificationKeys, type VerifierConfig } from "./index.ts";

const PRICE = 60_000n * E18;

let devnet: Devnet;
let esplora: EsploraClient;
let verifier: VerifierConfig;
let startHeight: number;
let baseTime: number;
let tmp: string;
const artifacts = nodeArtifacts();

const options = (store: IndexerOptions["store"]): IndexerOptions => ({
  store,
  chain: esplora,
  startHeight,
  params: { ...DEFAULT_PARAMS },
  verifier,
  custody: TEST_CUSTODY,
});

beforeAll(async () => {
  await initPoseidon();
  tmp = await mkdtemp(join(tmpdir(), "zkusd-indexer-"));
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

/** Runs the real `zkusd` binary and returns its stdout (rejects on a non-zero exit). */
function zkusd(...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["bin/zkusd.mjs", ...args], { timeout: 120_000 }, (error, stdout, stderr) =>
      error ? reject(new Error(`zkusd ${args.join(" ")}: ${error.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

afterAll(async () => {
  await terminateProver();
  await devnet?.close();
  await rm(tmp, { recursive: true, force: true });
});

describe("indexer on regtest", () => {
  it("every client reaches the same root; bad spells are rejected and change nothing", async () => {
    const [alice, bob, carol, dave] = [0, 1, 2, 3].map(() => new SpellWallet(devnet, esplora)) as [
      SpellWallet,
      SpellWallet,
      SpellWallet,
      SpellWallet,
    ];
    for (const w of [alice, bob, carol, dave]) await w.fund(300_000_000n);
    await devnet.mine(1);

    const follower = await Indexer.open(options(new MemoryStore()));
    const step = async () => {
      await devnet.mine(1);
      await follower.sync();
    };
    const t = (minutes: number) => baseTime + minutes * 60;

    // Price, then three vaults at that price.
    const a1 = attest(PRICE, t(1), 1n);
    await dave.cast({ type: "setPrice", price: PRICE }, a1.bytes);
    await step();
    const a2 = attest(PRICE, t(2), 2n);
    const opens = { type: "openVault", collateral: E18, borrow: 5_000n * E18, maxFee: E18 / 20n } as const;
    for (const w of [alice, bob, carol]) await w.castProven(opens, a2.bytes, follower.state);
    // Hostile (docs/decisions.md §2a rule 1): a phantom open (no vault output) and an underfunded one (1,000 sats
    // paid for 10 BTC claimed), each with a good proof. Both are refused by every client; dave holds no vault
    // and no zkUSD.
    const claim = await proveSpell(
      {
        version: 1,
        op: { type: "openVault", collateral: 10n * E18, borrow: 200_000n * E18, maxFee: E18 / 20n },
        attestation: a2.bytes,
        proof: emptyProof(),
      },
      dave.address,
      follower.state,
    );
    const phantom = await dave.send(encodeSpell({ ...claim, op: { ...claim.op, ownerKey: dave.pub } }));
    const underfunded = await dave.send(
      encodeSpell({ ...claim, op: { ...claim.op, ownerKey: dave.pub, vaultOutput: 0 } }),
      [{ script: testVaultScript(dave.pub), amount: 1_000n }],
    );
    await step();
    // Token and pool operations, a two-change adjustment (proven like any vault change), and a malformed spell.
    await alice.cast({ type: "transfer", to: dave.address, amount: 100n * E18 });
    await bob.cast({ type: "poolDeposit", amount: 1_000n * E18 });
    await carol.cast({ type: "approve", spender: dave.address, amount: 50n * E18 });
    const a3 = attest(PRICE, t(3), 3n);
    const combined = await alice.castProven(
      { type: "adjustVault", depositCollateral: E18 / 10n, borrow: 100n * E18, maxFee: E18 / 20n },
      a3.bytes,
      follower.state,
    );
    const malformed = await dave.send(Uint8Array.from([0x7a, 0x6b, 0x55, 0x53, 0x44, 0x01, 0x10, 0xff]));
    await step();
    await dave.cast({ type: "transferFrom", from: carol.address, to: dave.address, amount: 20n * E18 });
    await step();

    // A collateral deposit with a real proof against the state the follower holds now.
    const a4 = attest(PRICE, t(4), 4n);
    const deposit = { type: "adjustVault" as const, depositCollateral: E18 / 10n };
    const { proof } = await proveSpell(
      { version: 1, op: deposit, attestation: a4.bytes, proof: emptyProof() },
      bob.address,
      follower.state,
    );
    const goodProof = await bob.cast(deposit, a4.bytes, proof);
    await step();
    // A mint (borrowing fee, base rate) with a real proof, in the next block.
    const a6 = attest(PRICE, t(6), 6n);
    const goodMint = await alice.castProven(
      { type: "adjustVault", borrow: 250n * E18, maxFee: E18 / 20n },
      a6.bytes,
      follower.state,
    );
    await step();
    // The deposit's proof on another transition (carol's deposit): it does not verify. Its BTC,
    // paid to carol's vault script by a refused spell, is a stray owed back to its sender
    // (docs/custody.md, stray outputs): the only change the block makes.
    const carolBefore = follower.state.accounts.get(carol.address)!.coll;
    const a5 = attest(PRICE, t(7), 7n);
    const badProof = await carol.cast({ type: "adjustVault", depositCollateral: E18 / 10n }, a5.bytes, proof);
    await step();
    expect(follower.state.accounts.get(carol.address)!.coll).toBe(carolBefore);
    const refunds = [...follower.state.custody.obligations.values()].filter(
      (o) => o.source === carol.address && o.sats === 10_000_000n,
    );
    expect(refunds.map((o) => o.status)).toEqual(["open"]);

    // A checkpoint here; later operations follow.
    const checkpoint = await createBackup(follower.store, 1);
    const late = [await alice.cast({ type: "poolDeposit", amount: 500n * E18 })];
    await step();
    late.push(await bob.cast({ type: "transfer", to: carol.address, amount: 42n * E18 }));
    await step();
    const heightBeforeReorg = follower.head.height;

    // A 2-block reorg: three empty blocks on the block before the last two; then their spells are re-mined.
    const node = devnet.chain.node;
    const miner = bcoin.Script.fromRaw(Buffer.from(devnet.chain.faucetScript)).getAddress();
    let tip = await node.chain.getEntry(heightBeforeReorg - 2);
    for (let i = 0; i < 3; i++) {
      const block = await node.miner.mineBlock(tip, miner);
      await node.chain.add(block);
      tip = await node.chain.getEntry(block.hash("hex"));
    }
    expect(devnet.chain.height).toBe(heightBeforeReorg + 1);
    const reorgs: unknown[] = [];
    follower.subscribe((e) => {
      if (e.type === "reorg") reorgs.push(e);
    });
    await follower.sync();
    expect(reorgs).toEqual([{ type: "reorg", from: heightBeforeReorg, to: heightBeforeReorg - 2 }]);
    expect((await follower.store.spells({ fromHeight: heightBeforeReorg - 1 })).length).toBe(0);
    // The orphaned transactions are broadcast again and mined in the new branch.
    for (const txid of late)
      await devnet.chain.broadcast((alice.raw.get(txid) ?? bob.raw.get(txid))!).catch(() => undefined);
    await devnet.mine(1);
    await follower.sync();
    expect((await follower.store.spells({ fromHeight: heightBeforeReorg - 1 })).map((s) => s.txid)).toEqual(
      late,
    );

    // A fresh client on IndexedDB, and one that starts from the checkpoint.
    const fresh = await Indexer.open(options(await openIdbStore({ name: "regtest-fresh" })));
    await fresh.sync();
    const fileStore = await openFileStore(join(tmp, "checkpoint.json"));
    await restoreBackup(fileStore, checkpoint);
    const fromCheckpoint = await Indexer.open(options(fileStore));
    expect(fromCheckpoint.head.height).toBeLessThan(fresh.head.height);
    await fromCheckpoint.sync();

    expect(fresh.head.height).toBe(devnet.chain.height);
    expect(follower.head).toEqual(fresh.head);
    expect(fromCheckpoint.head).toEqual(fresh.head);

    const store = await openIdbStore({ name: "regtest-fresh" });
    const rejected = await store.rejected();
    expect(rejected.map((r) => [r.txid, r.reason.code])).toEqual([
      [phantom, "custodyMismatch"],
      [underfunded, "custodyMismatch"],
      [malformed, "malformedSpell"],
      [badProof, "proofInvalid"],
    ]);
    const spells = await store.spells();
    expect(spells.find((s) => s.txid === goodProof)?.proof).toBe("verified");
    expect(spells.find((s) => s.txid === goodMint)?.proof).toBe("verified");
    expect(spells.find((s) => s.txid === combined)?.proof).toBe("verified");
    // every vault operation carries its proof: the three opens, the combined adjustment, deposit, mint
    expect(spells.filter((s) => s.proof === "verified").length).toBe(6);
    expect(spells.filter((s) => s.proof === "noCircuit").length).toBe(spells.length - 6);
    expect(spells.length).toBe(13);
    const events = await store.events({ account: carol.address, limit: 500 });
    // The refused spell's only trace: its BTC received as a stray and owed back.
    expect(
      events.events
        .filter((e) => e.txid === badProof)
        .every((e) => ["StrayReceived", "ObligationRecorded"].includes(e.event.type)),
    ).toBe(true);
    expect(fresh.state.accounts.get(dave.address)?.status ?? "nonExistent").toBe("nonExistent");
    // Every vault's coins hold exactly its ledger collateral (no redistribution in this history),
    // carol's also the refused deposit until its refund is settled (no guardians run here).
    for (const w of [alice, bob, carol]) {
      const account = fresh.state.accounts.get(w.address)!;
      const owedBack = w === carol ? E18 / 10n : 0n;
      expect(coinSats(fresh.state.custody, w.address) * 10n ** 10n).toBe(account.coll + owedBack);
    }

    // The operator CLI (the real binary) reads the regtest history from the checkpointed file store.
    const storeFile = join(tmp, "checkpoint.json");
    const status = JSON.parse(await zkusd("status", "--store", storeFile, "--format", "json"));
    const summary = systemSummary(fresh.state);
    expect(status.chain).toEqual({
      height: fresh.head.height,
      tip: fresh.head.height,
      stateRoot: fresh.head.root,
    });
    expect(status.activeVaults).toBe(summary.activeVaults.toString());
    expect(status.totalDebt).toBe(formatDecimal(summary.totalDebt));
    expect(status.totalCollateral).toBe(formatDecimal(summary.totalCollateral));
    expect(status.price).toBe(formatDecimal(summary.price));
    const listed = JSON.parse(await zkusd("vault", "list", "--store", storeFile, "--format", "json"));
    const engineVaults = riskiestVaults(fresh.state).map((v) => [v.owner, formatDecimal(v.debt)]);
    expect(listed.vaults.map((v: { owner: string; debt: string }) => [v.owner, v.debt]).sort()).toEqual(
      engineVaults.sort(),
    );
    expect(engineVaults.length).toBeGreaterThan(0);
  }, 300_000);
});
