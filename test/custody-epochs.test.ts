/**
 * Key rotation through the real Indexer on the simulated chain (docs/custody.md "Key epochs"): a
 * governance proposal rotating the custody key set executes no sooner than 30 days after it is
 * queued; the block that executes it begins key epoch 1 (`KeyEpochBegan`); a deposit to the previous
 * key set's vault script counts within 144 blocks (its coin keeps epoch 0) and is refused after.
 * It executes only once k of the outgoing guardians approved it (`approveRotation`, each signed by a
 * guardian key spending its own P2WPKH coin as the first input).
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2wpkh } from "@scure/btc-signer";
import { beforeAll, describe, expect, it } from "vitest";
import { networkParams } from "../src/btc/network.ts";
import { fromHex, poolDescriptor, toHex, vaultDescriptor } from "../src/btc/scripts.ts";
import { encodeSpell, type SpellOperation } from "../src/btc/spell.ts";
import { Indexer } from "../src/indexer/index.ts";
import { DEFAULT_PARAMS, initPoseidon, type ProtocolEventType } from "../src/protocol/index.ts";
import { checkInvariants, planSettlement, settleWindow } from "../src/settlement/index.ts";
import { MemoryStore } from "../src/storage/index.ts";
import { attest, E18, ORACLE_KEYS, TEST_CUSTODY } from "./indexer/chain.ts";
import { MemoryChain } from "./indexer/memoryChain.ts";
import { guardianWitness } from "./support/settlement.ts";

const T0 = 1_700_000_000;
const PRICE = 60_000n * E18;
const SAT = 10n ** 10n;
const DAY = 86_400;
const spell = (op: SpellOperation, attestation: Uint8Array = new Uint8Array(0)) =>
  encodeSpell({ version: 1, op, attestation, proof: new Uint8Array(128) });
const newKeys = [41, 42, 43].map((n) =>
  toHex(
    secp256k1.getPublicKey(
      Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? n : 9)),
      true,
    ),
  ),
);

/** The outgoing set (2 of 3): keys the simulated chain can spend from, so guardians can act. */
const GUARDIANS = ["g0", "g1", "g2"];
const CUSTODY = {
  ...TEST_CUSTODY,
  finality: 1,
  guardians: { keys: GUARDIANS.map((g) => toHex(MemoryChain.key(g))), threshold: 2 },
};

beforeAll(() => initPoseidon());

describe("custody key rotation on a chain", () => {
  it("a rotation needs k outgoing guardians' approvals and begins epoch 1 after 30 days; old-script deposits count for 144 blocks, then are refused", async () => {
    const chain = new MemoryChain(100, T0);
    let round = 1;
    let time = T0;
    const att = () => attest(PRICE, time + 60, BigInt(round++)).bytes;
    chain.mine([{ actor: "ann", payload: spell({ type: "setPrice", price: PRICE }, att()) }]);
    const indexer = await Indexer.open({
      store: new MemoryStore(),
      chain,
      startHeight: 101,
      params: { ...DEFAULT_PARAMS },
      verifier: { proofs: false, oracleKeys: ORACLE_KEYS, verificationKeys: {} },
      custody: CUSTODY,
    });
    const mine = async (txs: Parameters<MemoryChain["mine"]>[0], seconds = 600) => {
      time += seconds;
      chain.mine(txs, seconds);
      await indexer.sync();
      return indexer.head.height;
    };
    const events = async (type: ProtocolEventType) =>
      (await indexer.store.events({ types: [type], limit: 50, order: "asc" })).events;
    const oldScript = vaultDescriptor({
      owner: MemoryChain.key("ann"),
      guardians: { threshold: 2, keys: CUSTODY.guardians.keys.map((k) => fromHex(k)) },
      csvBlocks: TEST_CUSTODY.csvBlocks,
    }).script;
    await mine([
      {
        actor: "ann",
        pay: [{ script: oldScript, sats: 30_000_000n }],
        payload: spell(
          {
            type: "openVault",
            collateral: 30_000_000n * SAT,
            borrow: 2_000n * E18,
            maxFee: E18,
            ownerKey: MemoryChain.key("ann"),
            vaultOutput: 0,
          },
          att(),
        ),
      },
    ]);
    await mine([
      { actor: "ann", payload: spell({ type: "delegate", delegatee: MemoryChain.address("ann") }) },
    ]);
    // Voting power is the least held over 1,008 blocks.
    for (let i = 0; i < 1_010; i++) chain.mine([], 600);
    time += 1_010 * 600;
    await indexer.sync();
    await mine([
      {
        actor: "ann",
        payload: spell({
          type: "propose",
          actions: [{ type: "rotateGuardians", keys: newKeys, threshold: 2 }],
        }),
      },
    ]);
    const proposalId = (await events("ProposalCreated"))[0]!.event as { proposalId: bigint };
    const id = BigInt(proposalId.proposalId);
    await mine([{ actor: "ann", payload: spell({ type: "vote", proposalId: id, support: "for" }) }]);
    // Governance reads the time from price attestations: a price update marks the vote's end.
    await mine([], 7 * DAY);
    await mine([{ actor: "ben", payload: spell({ type: "queue", proposalId: id }, att()) }]);
    // The default timelock (2 days) is not enough for a rotation: 30 days.
    await mine([], 2 * DAY);
    await mine([{ actor: "ben", payload: spell({ type: "execute", proposalId: id }, att()) }]);
    expect(await events("ProposalExecuted")).toHaveLength(0);
    expect((await indexer.store.rejected({})).map((r) => r.reason.detail)).toEqual(["timelockNotElapsed"]);
    await mine([], 28 * DAY);
    const reasons = async () => (await indexer.store.rejected({})).map((r) => r.reason.detail);
    // 30 days are not enough either: the outgoing set's quorum (2 of 3) has not approved it.
    await mine([{ actor: "ben", payload: spell({ type: "execute", proposalId: id }, att()) }]);
    expect(await events("ProposalExecuted")).toHaveLength(0);
    expect((await reasons()).at(-1)).toBe("rotationNotApproved");
    const approve = (actor: string) => ({
      actor,
      payload: spell({ type: "approveRotation", proposalId: id }),
    });
    // A stranger cannot approve, and a guardian approves once.
    await mine([approve("ben")]);
    expect((await reasons()).at(-1)).toBe("notGuardian");
    await mine([approve("g0")]);
    await mine([approve("g0")]);
    expect((await reasons()).at(-1)).toBe("alreadyApprovedRotation");
    await mine([{ actor: "ben", payload: spell({ type: "execute", proposalId: id }, att()) }]);
    expect((await reasons()).at(-1)).toBe("rotationNotApproved");
    await mine([approve("g2")]);
    expect((await events("RotationApproved")).map((e) => e.event)).toEqual([
      expect.objectContaining({ guardian: CUSTODY.guardians.keys[0], approvals: 1n }),
      expect.objectContaining({ guardian: CUSTODY.guardians.keys[2], approvals: 2n }),
    ]);
    const rotatedAt = await mine([
      { actor: "ben", payload: spell({ type: "execute", proposalId: id }, att()) },
    ]);
    expect(await events("ProposalExecuted")).toHaveLength(1);
    expect(indexer.state.gov.guardians.keys).toEqual(newKeys);
    expect((await events("KeyEpochBegan")).map((e) => e.event)).toEqual([
      expect.objectContaining({ epoch: 1n, guardians: newKeys, previousUntil: BigInt(rotatedAt + 144) }),
    ]);
    expect(indexer.state.custody.epochs.map((e) => e.from)).toEqual([0n, BigInt(rotatedAt)]);

    const deposit = (sats: bigint, script: Uint8Array) => ({
      actor: "ann",
      pay: [{ script, sats }],
      payload: spell({ type: "adjustVault", depositCollateral: sats * SAT, vaultOutput: 0 }, att()),
    });
    const newScript = vaultDescriptor({
      owner: MemoryChain.key("ann"),
      guardians: { threshold: 2, keys: newKeys.map((k) => fromHex(k)) },
      csvBlocks: TEST_CUSTODY.csvBlocks,
    }).script;
    // Within the grace: the old script counts, its coin keeps epoch 0.
    const inGrace = await mine([deposit(100_000n, oldScript)]);
    const coinAt = (h: number) =>
      [...indexer.state.custody.coins.values()].filter((c) => c.height === BigInt(h));
    expect(coinAt(inGrace).map((c) => c.epoch ?? 0)).toEqual([0]);
    for (let h = inGrace; h < rotatedAt + 143; h++) {
      chain.mine([], 600);
      time += 600; // the attestations' clock follows the blocks'
    }
    await indexer.sync();
    // The grace's last block is rotatedAt + 143; one block later the old script is refused.
    const late = await mine([deposit(100_000n, oldScript)]);
    expect(late).toBe(rotatedAt + 144);
    const rejected = (await indexer.store.rejected({})).filter((r) => r.height === late);
    expect(rejected.map((r) => r.reason.code)).toEqual(["custodyMismatch"]);
    expect(rejected[0]!.reason.message).toContain("previous custody key set (epoch 0)");
    // Its BTC is not ignored: a stray at the old script, tracked at epoch 0 and owed back to ann.
    expect(coinAt(late).map((c) => [c.vault, c.sats, c.epoch ?? 0])).toEqual([
      [MemoryChain.address("ann"), 100_000n, 0],
    ]);
    const current = await mine([deposit(100_000n, newScript)]);
    expect(coinAt(current).map((c) => c.epoch)).toEqual([1]);
    expect((await indexer.store.rejected({})).filter((r) => r.height === current)).toEqual([]);
    expect(checkInvariants(indexer.state)).toMatchObject({ ok: true });

    // Hostile: BTC with no spell to the OLD pool script and dust to ann's OLD vault script, after the
    // grace. Both are custody's, at epoch 0: the first owed back to its sender, the dust kept.
    const oldPool = poolDescriptor({
      threshold: 2,
      keys: CUSTODY.guardians.keys.map((k) => fromHex(k)),
    }).script;
    const strayAt = await mine([
      { actor: "mallory", pay: [{ script: oldPool, sats: 50_000n }] },
      { actor: "dan", pay: [{ script: oldScript, sats: 3_000n }] },
    ]);
    expect(coinAt(strayAt).map((c) => [c.vault, c.sats, c.epoch ?? 0])).toEqual([
      [null, 50_000n, 0],
      [MemoryChain.address("ann"), 3_000n, 0],
    ]);
    const received = (await events("StrayReceived")).map(
      (e) => e.event as { sats: bigint; refunded: boolean },
    );
    expect(received.map((e) => [e.sats, e.refunded])).toEqual([
      [100_000n, true],
      [50_000n, true],
      [3_000n, false],
    ]);
    const wallet = (name: string) => toHex(p2wpkh(MemoryChain.key(name), networkParams("regtest")).script);
    const open = () => [...indexer.state.custody.obligations.values()].filter((o) => o.status === "open");
    expect(
      open()
        .filter((o) => o.to === undefined)
        .map((o) => [o.script, o.sats]),
    ).toEqual([
      [wallet("ann"), 100_000n],
      [wallet("mallory"), 50_000n],
    ]);
    expect(checkInvariants(indexer.state).problems).toEqual([]);
    // The refunds are settled like any payout: the old-epoch coins are spent with their own
    // epoch's witness script, the remainders come back at the new set's scripts.
    const plan = planSettlement(
      indexer.state,
      settleWindow(indexer.state, indexer.head.height).map((o) => o.id),
      2_000,
      TEST_CUSTODY,
    );
    if (!plan.ok) throw new Error(plan.reason.message);
    const oldHex = [toHex(oldScript), toHex(oldPool)];
    expect(plan.plan.inputs.filter((i) => oldHex.includes(i.script)).length).toBeGreaterThanOrEqual(3);
    await mine([
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
    expect(open()).toEqual([]);
    expect(checkInvariants(indexer.state).problems).toEqual([]);
    expect(
      [...indexer.state.custody.coins.values()].filter((c) => oldHex.includes(c.script)).map((c) => c.sats),
    ).toEqual([]);
  }, 120_000);
});
