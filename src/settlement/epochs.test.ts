/**
 * Key epochs per coin (docs/decisions.md §2a "Key rotation", docs/custody.md "Key epochs"), hostile
 * first: after a rotation a deposit to the previous key set's vault script counts for 144 blocks and
 * is recorded with that epoch, then it is refused in plain words; a settlement spends each coin with
 * its own epoch's witness script and recreates remainders at the current key set's scripts (a vault
 * holding an old-epoch coin is due for a roll, so rolls migrate coins); plan and predicate agree; an
 * escape of an old-epoch coin names that epoch's signing set; epochs survive a backup round trip.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2wpkh } from "@scure/btc-signer";
import { beforeAll, describe, expect, it } from "vitest";
import { planTx } from "../../test/support/settlement.ts";
import { networkParams } from "../btc/network.ts";
import { fromHex, poolDescriptor, toHex, vaultDescriptor } from "../btc/scripts.ts";
import type { SpellOperation } from "../btc/spell.ts";
import { foreignSpends } from "../indexer/custody.ts";
import {
  addCoin,
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  deserializeState,
  initPoseidon,
  type State,
  serializeState,
  setStray,
  stateRoot,
} from "../protocol/index.ts";
import {
  applySettlement,
  type CustodyConfig,
  checkInflow,
  checkInvariants,
  checkSettlement,
  EPOCH_GRACE_BLOCKS,
  noteKeyRotation,
  planSettlement,
  poolScriptHex,
  readActor,
  recordInflow,
  rollDue,
  type TxShape,
} from "./index.ts";

const E18 = 10n ** 18n;
const SAT = 10n ** 10n;
const NET = networkParams("regtest");
const config: CustodyConfig = { network: "regtest", csvBlocks: 144 };
const pub = (n: number) =>
  secp256k1.getPublicKey(
    Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? n : 5)),
    true,
  );
const oldSet = [pub(11), pub(12), pub(13)];
const newSet = [pub(14), pub(15), pub(16)];
const alice = pub(1);
const ROTATED_AT = 1_000;
const sig = Uint8Array.from([0x30, ...new Array(69).fill(7), 0x01]);
let seq = 1;
const txid = () => (seq++).toString(16).padStart(64, "0");

const vaultScript = (keys: Uint8Array[]) =>
  vaultDescriptor({ owner: alice, guardians: { threshold: 2, keys }, csvBlocks: config.csvBlocks });

function aliceTx(outputs: TxShape["outputs"]): TxShape & { prevout: TxShape["outputs"][number] } {
  return {
    txid: txid(),
    inputs: [
      {
        prevTxid: "aa".repeat(32),
        vout: 0,
        scriptSig: new Uint8Array(0),
        witness: [sig, alice],
        sequence: 0,
      },
    ],
    outputs,
    prevout: { script: p2wpkh(alice, NET).script, sats: 1n },
  };
}

/** Checks and applies `op` by alice at `height` as the indexer does (inflow first, then the engine). */
function spell(state: State, op: SpellOperation, t: ReturnType<typeof aliceTx>, height: number) {
  const who = readActor(t, t.prevout, "regtest");
  if (!who.ok) throw new Error(who.reason.message);
  const inflow = checkInflow(state, op, who.actor, t, config, height);
  if (!inflow.ok) return inflow;
  const {
    vaultOutput: _v,
    ownerKey: _k,
    ...engineOp
  } = op as SpellOperation & {
    vaultOutput?: number;
    ownerKey?: Uint8Array;
  };
  const r = apply(state, { ...engineOp, owner: who.actor.account } as never, {
    height: BigInt(height),
    time: state.g.time + 60n,
    txid: t.txid,
    index: 0,
  });
  if (!r.ok) throw new Error(r.error.message);
  if (inflow.inflow) recordInflow(state, inflow.inflow, { txid: t.txid, height });
  return inflow;
}

/** Alice's vault (1 BTC, epoch 0), a funded fee account, then the rotation to `newSet` at ROTATED_AT. */
function rotated() {
  const state = createGenesisState(DEFAULT_PARAMS, {
    time: 1_700_000_000n,
    price: 60_000n * E18,
    governance: { guardians: { keys: oldSet.map(toHex), threshold: 2n } },
  });
  const open = aliceTx([{ script: vaultScript(oldSet).script, sats: 100_000_000n }]);
  const r = spell(
    state,
    { type: "openVault", collateral: E18, borrow: 10_000n * E18, ownerKey: alice, vaultOutput: 0 },
    open,
    ROTATED_AT - 10,
  );
  if (!r.ok) throw new Error(r.reason.message);
  addCoin(state.custody, {
    outpoint: `${txid()}:0`,
    sats: 50_000n,
    vault: null,
    script: poolScriptHex(state)!,
    height: 5n,
  });
  setStray(state.custody, 50_000n);
  const before = state.gov.guardians;
  // What governance's rotateGuardians does when its proposal executes (the indexer then notes it).
  state.gov.guardians = { keys: newSet.map(toHex), threshold: 2n };
  expect(noteKeyRotation(state, before, ROTATED_AT)).toBe(true);
  return { state };
}

const deposit = (sats: bigint): SpellOperation => ({
  type: "adjustVault",
  depositCollateral: sats * SAT,
  vaultOutput: 0,
});

beforeAll(() => initPoseidon());

describe("key epochs per coin", () => {
  it("a deposit to the previous epoch's script counts for 144 blocks (recorded with that epoch), then is refused", () => {
    const { state } = rotated();
    expect(state.custody.epochs.map((e) => e.from)).toEqual([0n, BigInt(ROTATED_AT)]);
    const last = ROTATED_AT + Number(EPOCH_GRACE_BLOCKS) - 1;
    const late = spell(
      state,
      deposit(200_000n),
      aliceTx([{ script: vaultScript(oldSet).script, sats: 200_000n }]),
      last + 1,
    );
    expect(late).toMatchObject({ ok: false, reason: { code: "custodyMismatch" } });
    if (!late.ok)
      expect(late.reason.message).toContain(
        `previous custody key set (epoch 0), which took deposits until height ${last}`,
      );
    const inGrace = aliceTx([{ script: vaultScript(oldSet).script, sats: 200_000n }]);
    expect(spell(state, deposit(200_000n), inGrace, last)).toMatchObject({ ok: true, inflow: { epoch: 0 } });
    expect(state.custody.coins.get(`${inGrace.txid}:0`)?.epoch ?? 0).toBe(0);
    const current = aliceTx([{ script: vaultScript(newSet).script, sats: 300_000n }]);
    expect(spell(state, deposit(300_000n), current, last + 1)).toMatchObject({
      ok: true,
      inflow: { epoch: 1 },
    });
    expect(state.custody.coins.get(`${current.txid}:0`)?.epoch).toBe(1);
    // A script of no epoch at all is refused as before.
    const other = vaultDescriptor({
      owner: alice,
      guardians: { threshold: 1, keys: [pub(20)] },
      csvBlocks: 144,
    });
    expect(
      spell(state, deposit(1_000n), aliceTx([{ script: other.script, sats: 1_000n }]), last),
    ).toMatchObject({
      ok: false,
      reason: { code: "custodyMismatch" },
    });
    expect(checkInvariants(state)).toMatchObject({ ok: true });
  });

  it("a settlement spends each coin with its own epoch's keys and recreates it at the current script", () => {
    const { state } = rotated();
    const vault = [...state.custody.coins.values()].find((c) => c.vault !== null)!;
    const height = ROTATED_AT + 1;
    // One young coin, but of the previous epoch: due, so the roll migrates it.
    expect(rollDue(state, vault.vault!, height, config)).toBe(true);
    const p = planSettlement(state, [], 2_000, config, { rolls: [vault.vault!], height });
    if (!p.ok) throw new Error(p.reason.message);
    const plan = p.plan;
    // Inputs: the vault coin and the main coin, each with its own (old) epoch's witness script.
    expect(plan.inputs.map((i) => i.witnessScript).sort()).toEqual(
      [
        toHex(vaultScript(oldSet).witnessScript),
        toHex(poolDescriptor({ threshold: 2, keys: oldSet }).witnessScript),
      ].sort(),
    );
    expect(plan.outputs.find((o) => o.kind === "vault")?.script).toBe(toHex(vaultScript(newSet).script));
    expect(plan.outputs.find((o) => o.kind === "main")?.script).toBe(
      toHex(poolDescriptor({ threshold: 2, keys: newSet }).script),
    );
    const tx = planTx(plan, txid());
    const checked = checkSettlement(tx, plan.spellBytes, state, { height, finality: 6 }, config);
    expect(checked).toMatchObject({ ok: true });
    if (!checked.ok) return;
    applySettlement(state, tx.txid, checked, height);
    expect([...state.custody.coins.values()].map((c) => c.epoch)).toEqual([1, 1]);
    expect(rollDue(state, vault.vault!, height + 1, config)).toBe(false);
    expect(checkInvariants(state)).toMatchObject({ ok: true });
    // Refused: the remainder back at the previous epoch's script.
    const { state: s2 } = rotated();
    const p2 = planSettlement(s2, [], 2_000, config, { rolls: [vault.vault!], height });
    if (!p2.ok) throw new Error(p2.reason.message);
    const back = p2.plan.outputs.map((o) =>
      o.kind === "vault"
        ? { script: vaultScript(oldSet).script, sats: o.sats }
        : { script: fromHex(o.script), sats: o.sats },
    );
    const stale = checkSettlement(
      { ...tx, outputs: back },
      p2.plan.spellBytes,
      s2,
      { height, finality: 6 },
      config,
    );
    expect(stale).toMatchObject({ ok: false });
  });

  it("an escape of an old-epoch coin names that epoch's signing set; epochs survive a backup", () => {
    const { state } = rotated();
    const root = stateRoot(state);
    expect(stateRoot(deserializeState(serializeState(state)))).toBe(root);
    expect(deserializeState(serializeState(state)).custody.epochs).toEqual(state.custody.epochs);
    const vault = [...state.custody.coins.values()].find((c) => c.vault !== null)!;
    const [prev, vout] = vault.outpoint.split(":");
    const escaped: TxShape & { version: number; locktime: number } = {
      txid: txid(),
      version: 2,
      locktime: 0,
      inputs: [
        {
          prevTxid: prev!,
          vout: Number(vout),
          scriptSig: new Uint8Array(0),
          witness: [sig, new Uint8Array(0), new Uint8Array(0), vaultScript(oldSet).witnessScript],
          sequence: 144,
        },
      ],
      outputs: [{ script: p2wpkh(alice, NET).script, sats: 99_000_000n }],
    };
    const events = foreignSpends(state, escaped, ROTATED_AT + 5, { ...config, finality: 6 });
    expect(events.find((e) => e.type === "MissedRoll")).toMatchObject({
      guardians: oldSet.map(toHex),
      threshold: 2n,
      epoch: 0n,
    });
  });
});
