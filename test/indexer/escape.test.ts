/**
 * An owner's escape on the real regtest node (bcoin in-process) with a short test timelock (5
 * blocks): docs/decisions.md §2a "Escape", docs/custody.md "Escape". Dave opens a vault, withdraws 0.1 BTC (the
 * vault owes him a payout not yet settled), tries to take the vault's coin before the timelock
 * (the node refuses it: BIP68), then takes it by the timelock path. The books must follow exactly:
 * his own open payout is paid by the escape, the collateral he took leaves the ledger, the vault
 * closes, its gas reserve is burned and its debt is redistributed to the other vaults (never offset
 * against the pool); custody and the ledger agree after every block, nothing is a breach, later
 * spells still apply, and a client syncing from scratch reaches the same root.
 */
import { p2wpkh, SigHash, Transaction } from "@scure/btc-signer";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  EsploraClient,
  encodeSpell,
  finalizePsbt,
  signPsbtInputs,
  vaultDescriptor,
} from "../../src/btc/index.ts";
import { networkParams } from "../../src/btc/network.ts";
import { type Devnet, startDevnet } from "../../src/devnet/server.ts";
import { Indexer, type IndexerOptions } from "../../src/indexer/index.ts";
import { DEFAULT_PARAMS, entireDebt, findAccount, initPoseidon } from "../../src/protocol/index.ts";
import { checkInvariants } from "../../src/settlement/index.ts";
import { MemoryStore, type StoredEvent } from "../../src/storage/index.ts";
import { attest, E18, ORACLE_KEYS, SpellWallet, TEST_CUSTODY } from "./chain.ts";

const CSV = 5;
const CUSTODY = { ...TEST_CUSTODY, csvBlocks: CSV };
const PRICE = 60_000n * E18;
const SAT = 10n ** 10n;

let devnet: Devnet;
let esplora: EsploraClient;
let startHeight: number;
let baseTime: number;

const guardians = {
  threshold: CUSTODY.guardians.threshold,
  keys: CUSTODY.guardians.keys.map((k) => Uint8Array.from(Buffer.from(k, "hex"))),
};
const vaultOf = (w: SpellWallet) => vaultDescriptor({ owner: w.pub, guardians, csvBlocks: CSV });

const options = (store: IndexerOptions["store"]): IndexerOptions => ({
  store,
  chain: esplora,
  startHeight,
  params: { ...DEFAULT_PARAMS },
  // No circuit-covered proofs here (replay only): this test is about custody.
  verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
  custody: CUSTODY,
});

/** Opens a vault whose output is at the short-timelock vault script. */
function open(w: SpellWallet, sats: bigint, borrow: bigint, att: Uint8Array): Promise<string> {
  return w.send(
    encodeSpell({
      version: 1,
      op: {
        type: "openVault",
        collateral: sats * SAT,
        borrow,
        maxFee: E18 / 20n,
        ownerKey: w.pub,
        vaultOutput: 0,
      },
      attestation: att,
      proof: new Uint8Array(128),
    }),
    [{ script: vaultOf(w).script, amount: sats }],
  );
}

/** The owner alone spends his vault coin by the timelock path (nSequence = CSV) to his own address. */
function escapeTx(w: SpellWallet, coin: { txid: string; vout: number; sats: bigint }): string {
  const vault = vaultOf(w);
  const tx = new Transaction({ version: 2 });
  tx.addInput({
    txid: coin.txid,
    index: coin.vout,
    sequence: CSV,
    witnessUtxo: { script: vault.script, amount: coin.sats },
    witnessScript: vault.witnessScript,
    sighashType: SigHash.ALL,
  });
  tx.addOutput({ script: p2wpkh(w.pub, networkParams("regtest")).script, amount: coin.sats - 2_000n });
  return finalizePsbt(signPsbtInputs(tx.toPSBT(), w.priv, [0])).hex;
}

beforeAll(async () => {
  await initPoseidon();
  devnet = await startDevnet({ port: 0 });
  esplora = new EsploraClient({ baseUrl: devnet.url, retries: 1 });
  startHeight = devnet.chain.height + 1;
  baseTime = (await esplora.block(await esplora.blockHash(startHeight - 1))).timestamp;
}, 120_000);

afterAll(async () => {
  await devnet?.close();
});

describe("an owner's escape on regtest (timelock 5 blocks)", () => {
  it("closes the vault in the books: own payout paid, collateral out, debt redistributed, custody exact", async () => {
    const [alice, bob, dave] = [0, 1, 2].map(() => new SpellWallet(devnet, esplora)) as [
      SpellWallet,
      SpellWallet,
      SpellWallet,
    ];
    for (const w of [alice, bob, dave]) await w.fund(300_000_000n);
    await devnet.mine(1);
    const follower = await Indexer.open(options(new MemoryStore()));
    const seen: StoredEvent[] = [];
    const step = async (n = 1) => {
      await devnet.mine(n);
      await follower.sync();
      const report = checkInvariants(follower.state);
      expect(report.problems, `custody after block ${follower.head.height}`).toEqual([]);
    };
    const t = (minutes: number) => baseTime + minutes * 60;
    await dave.cast({ type: "setPrice", price: PRICE }, attest(PRICE, t(1), 1n).bytes);
    await step();
    const a2 = attest(PRICE, t(2), 2n).bytes;
    await open(alice, 100_000_000n, 10_000n * E18, a2);
    await open(bob, 100_000_000n, 10_000n * E18, a2);
    const opened = await open(dave, 50_000_000n, 5_000n * E18, a2);
    await step();
    // Dave withdraws 0.1 BTC: the vault owes him 10,000,000 sats (no settlement in this test).
    await dave.cast({ type: "adjustVault", withdrawCollateral: E18 / 10n }, attest(PRICE, t(3), 3n).bytes);
    await step();
    const s0 = follower.state;
    const owed = [...s0.custody.obligations.values()].filter((o) => o.status === "open");
    expect(owed.map((o) => [o.source, o.sats])).toEqual([[dave.address, 10_000_000n]]);
    const daveBefore = findAccount(s0, dave.address)!;
    const daveDebt = entireDebt(s0, daveBefore);
    const aliceDebt = entireDebt(s0, findAccount(s0, alice.address)!);
    const bobDebt = entireDebt(s0, findAccount(s0, bob.address)!);
    const systemDebt = s0.g.activeDebt + s0.g.defaultDebt;
    const supply = s0.g.zkusdSupply;
    const collateral = s0.g.activeColl + s0.g.defaultColl;
    expect(collateral).toBe(2n * E18 + (4n * E18) / 10n);

    // Before the timelock the node refuses the owner's spend (BIP68): nothing happens.
    const coin = { txid: opened, vout: 0, sats: 50_000_000n };
    const early = escapeTx(dave, coin);
    await expect(devnet.chain.broadcast(early)).rejects.toThrow();
    await step(CSV - 2);
    expect(findAccount(follower.state, dave.address)!.status).toBe("active");

    // After it, the escape confirms and the books follow it.
    const escapeTxid = await devnet.chain.broadcast(escapeTx(dave, coin));
    await step();
    const s = follower.state;
    for (const e of (await follower.store.events({ limit: 500 })).events) seen.push(e);
    const types = seen.filter((e) => e.txid === escapeTxid).map((e) => e.event.type);
    expect(types).toContain("VaultEscaped");
    expect(types).toContain("VaultEscapeBooked");
    // Dave's vault carried debt: nobody rolled its coin in time (docs/custody.md "Rolling").
    expect(types).toContain("MissedRoll");
    expect(types).not.toContain("CustodyBreach");
    expect(types).not.toContain("EscapeShortfall");
    expect(seen.some((e) => e.event.type === "CustodyInvariantBroken")).toBe(false);
    const booked = seen.find((e) => e.event.type === "VaultEscapeBooked")!.event as Record<string, unknown>;
    expect(booked).toMatchObject({
      owner: dave.address,
      escapedSats: 50_000_000n,
      ownPayoutsSats: 10_000_000n,
      collateralTaken: (4n * E18) / 10n,
    });
    // His own payout is paid by the escape (he took that BTC), never again by a settlement.
    expect(s.custody.obligations.get(owed[0]!.id)).toMatchObject({
      status: "settled",
      settledBy: escapeTxid,
    });
    expect([...s.custody.obligations.values()].filter((o) => o.status === "open")).toEqual([]);
    expect([...s.custody.coins.values()].some((c) => c.vault === dave.address)).toBe(false);
    // The vault is closed; its debt less the burned gas reserve went to alice's and bob's vaults.
    const daveAfter = findAccount(s, dave.address)!;
    expect(daveAfter.status).toBe("closedByLiquidation");
    expect([daveAfter.coll, daveAfter.debt]).toEqual([0n, 0n]);
    const gas = s.params.gasReserve;
    expect(s.g.activeDebt + s.g.defaultDebt).toBe(systemDebt - gas);
    expect(s.g.zkusdSupply).toBe(supply - gas);
    expect(s.g.activeColl + s.g.defaultColl).toBe(2n * E18);
    const gained =
      entireDebt(s, findAccount(s, alice.address)!) -
      aliceDebt +
      (entireDebt(s, findAccount(s, bob.address)!) - bobDebt);
    // Redistribution rounds down per unit of stake (the remainder is carried, never created).
    expect(gained).toBeLessThanOrEqual(daveDebt - gas);
    expect(gained).toBeGreaterThan(daveDebt - gas - 10n ** 6n);
    expect(s.g.poolDeposits).toBe(s0.g.poolDeposits);

    // Later spells still apply; a client syncing from scratch reaches the same root.
    await bob.send(
      encodeSpell({
        version: 1,
        op: { type: "adjustVault", depositCollateral: E18 / 10n, vaultOutput: 0 },
        attestation: attest(PRICE, t(20), 4n).bytes,
        proof: new Uint8Array(128),
      }),
      [{ script: vaultOf(bob).script, amount: 10_000_000n }],
    );
    await alice.cast({ type: "transfer", to: dave.address, amount: 10n * E18 });
    await step();
    expect(follower.state.g.activeColl + follower.state.g.defaultColl).toBe(2n * E18 + E18 / 10n);
    const fresh = await Indexer.open(options(new MemoryStore()));
    await fresh.sync();
    expect(fresh.head.root).toBe(follower.head.root);
    expect(checkInvariants(fresh.state).ok).toBe(true);
  }, 240_000);
});
