/**
 * Hostile first (docs/decisions.md §2a rules 1 and 4): a spell that claims collateral its own transaction does not
 * pay to the vault's script, or whose owner key the actor did not sign for, is refused with a typed
 * reason; the honest open and deposit record the vault's key and coin and change the state root.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { ripemd160 } from "@noble/hashes/legacy.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { p2pkh, p2sh, p2tr, p2wpkh, p2wsh, Script } from "@scure/btc-signer";
import { beforeAll, describe, expect, it } from "vitest";
import { networkParams } from "../btc/network.ts";
import { toHex, vaultDescriptor } from "../btc/scripts.ts";
import type { SpellOperation } from "../btc/spell.ts";
import {
  createGenesisState,
  DEFAULT_PARAMS,
  deserializeState,
  initPoseidon,
  type State,
  serializeState,
  stateRoot,
} from "../protocol/index.ts";
import {
  type Actor,
  type ChainTxInput,
  type ChainTxOutput,
  type CustodyConfig,
  checkInflow,
  readActor,
  recordInflow,
  type TxShape,
  vaultScriptFor,
} from "./index.ts";

/** An input with the output it spends (what the indexer's verified prevout lookup returns). */
interface ChainInput extends ChainTxInput {
  prevout?: ChainTxOutput;
}
type ChainTx = TxShape & { inputs: ChainInput[] };

const SAT = 10n ** 10n;
const NET = networkParams("regtest");
const config: CustodyConfig = { network: "regtest", csvBlocks: 144 };
const key = (n: number) =>
  secp256k1.getPublicKey(Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? n : 1)));
const guardians = [key(11), key(12), key(13)];
const alice = key(1);
const mallory = key(2);
/** A signature-shaped push ending with the sighash byte (signature validity is Bitcoin consensus's job). */
const sig = (sighash = 0x01) => Uint8Array.from([0x30, ...new Array(69).fill(7), sighash]);
const hash160 = (b: Uint8Array) => ripemd160(sha256(b));

function genesis(): State {
  return createGenesisState(DEFAULT_PARAMS, {
    time: 1_700_000_000n,
    governance: { guardians: { keys: guardians.map(toHex), threshold: 2n } },
  });
}

const wpkhInput = (k: Uint8Array, sighash = 0x01): ChainInput => ({
  prevTxid: "aa".repeat(32),
  sequence: 0,
  vout: 0,
  scriptSig: new Uint8Array(0),
  witness: [sig(sighash), k],
  prevout: { script: p2wpkh(k, NET).script, sats: 50_000_000n },
});

function tx(input: ChainInput, outputs: ChainTxOutput[], txid = "bb".repeat(32)): ChainTx {
  return { txid, inputs: [input], outputs };
}

const vaultScript = (owner: Uint8Array, csvBlocks = config.csvBlocks, g = guardians) =>
  vaultDescriptor({ owner, guardians: { threshold: 2, keys: g }, csvBlocks }).script;

const open = (
  sats: bigint,
  extra: Partial<Extract<SpellOperation, { type: "openVault" }>> = {},
): SpellOperation => ({
  type: "openVault",
  collateral: sats * SAT,
  borrow: 2_000n * 10n ** 18n,
  ownerKey: alice,
  vaultOutput: 0,
  ...extra,
});

function actorOf(t: ChainTx): Actor {
  const r = readActor(t, t.inputs[0]?.prevout, "regtest");
  if (!r.ok) throw new Error(r.reason.message);
  return r.actor;
}

function check(state: State, op: SpellOperation, t: ChainTx) {
  const who = readActor(t, t.inputs[0]?.prevout, "regtest");
  if (!who.ok) return who;
  return checkInflow(state, op, who.actor, t, config);
}

beforeAll(() => initPoseidon());

describe("BTC in travels with its spell (open)", () => {
  it("refuses a phantom open: the spell names no vault output, or one that does not exist", () => {
    const state = genesis();
    const t = tx(wpkhInput(alice), [{ script: p2wpkh(alice, NET).script, sats: 1_000n }]);
    const none = check(state, open(1_000_000_000n, { vaultOutput: undefined }), t);
    expect(none).toMatchObject({ ok: false, reason: { code: "custodyMismatch" } });
    const missing = check(state, open(1_000_000_000n, { vaultOutput: 3 }), t);
    expect(missing).toMatchObject({ ok: false, reason: { code: "custodyMismatch" } });
    // The output that exists pays the wallet, not the vault.
    const wallet = check(state, open(1_000n, { vaultOutput: 0 }), t);
    expect(wallet).toMatchObject({ ok: false, reason: { code: "custodyMismatch" } });
  });

  it("refuses an underfunded open (1,000 sats for 10 BTC) and one that pays 1 sat too much", () => {
    const state = genesis();
    const under = tx(wpkhInput(alice), [{ script: vaultScript(alice), sats: 1_000n }]);
    expect(check(state, open(1_000_000_000n), under)).toMatchObject({
      ok: false,
      reason: { code: "custodyMismatch" },
    });
    const over = tx(wpkhInput(alice), [{ script: vaultScript(alice), sats: 1_000_001n }]);
    expect(check(state, open(1_000_000n), over)).toMatchObject({
      ok: false,
      reason: { code: "custodyMismatch" },
    });
  });

  it("refuses an output at another owner's, another key set's or another timelock's vault script", () => {
    const state = genesis();
    for (const script of [
      vaultScript(mallory),
      vaultScript(alice, 26_280),
      vaultScript(alice, config.csvBlocks, [guardians[0]!, guardians[1]!, key(14)]),
    ]) {
      const t = tx(wpkhInput(alice), [{ script, sats: 1_000_000n }]);
      expect(check(state, open(1_000_000n), t)).toMatchObject({
        ok: false,
        reason: { code: "custodyMismatch" },
      });
    }
  });

  it("refuses an owner key that did not sign the first input, and an open without one", () => {
    const state = genesis();
    const t = tx(wpkhInput(alice), [{ script: vaultScript(mallory), sats: 1_000_000n }]);
    expect(check(state, open(1_000_000n, { ownerKey: mallory }), t)).toMatchObject({
      ok: false,
      reason: { code: "unsupportedOwner" },
    });
    expect(check(state, open(1_000_000n, { ownerKey: undefined }), t)).toMatchObject({
      ok: false,
      reason: { code: "unsupportedOwner" },
    });
  });

  it("refuses vault ownership to input types that cannot own one (P2PKH, P2WSH, Taproot script path)", () => {
    const state = genesis();
    const out = [{ script: vaultScript(alice), sats: 1_000_000n }];
    const pkh = tx(
      {
        prevTxid: "aa".repeat(32),
        sequence: 0,
        vout: 0,
        scriptSig: Script.encode([sig(), alice]),
        witness: [],
        prevout: { script: p2pkh(alice, NET).script, sats: 1n },
      },
      out,
    );
    expect(check(state, open(1_000_000n), pkh)).toMatchObject({
      ok: false,
      reason: { code: "unsupportedOwner" },
    });
    const ws = Script.encode([alice, "CHECKSIG"]);
    const wsh = tx(
      {
        prevTxid: "aa".repeat(32),
        sequence: 0,
        vout: 0,
        scriptSig: new Uint8Array(0),
        witness: [sig(), ws],
        prevout: { script: p2wsh({ type: "unknown", script: ws }, NET).script, sats: 1n },
      },
      out,
    );
    expect(check(state, open(1_000_000n), wsh)).toMatchObject({
      ok: false,
      reason: { code: "unsupportedOwner" },
    });
    const trScript = tx(
      {
        prevTxid: "aa".repeat(32),
        sequence: 0,
        vout: 0,
        scriptSig: new Uint8Array(0),
        witness: [new Uint8Array(64), Uint8Array.of(0x51), Uint8Array.of(0xc0, ...new Array(32).fill(1))],
        prevout: { script: p2tr(alice.subarray(1), undefined, NET).script, sats: 1n },
      },
      out,
    );
    expect(check(state, open(1_000_000n), trScript)).toMatchObject({
      ok: false,
      reason: { code: "actorSighash" },
    });
  });

  it("refuses a first input whose witness key does not hash to its previous output (a lying source)", () => {
    const state = genesis();
    const lying = { ...wpkhInput(alice), prevout: { script: p2wpkh(mallory, NET).script, sats: 1n } };
    const t = tx(lying, [{ script: vaultScript(alice), sats: 1_000_000n }]);
    expect(check(state, open(1_000_000n), t)).toMatchObject({ ok: false, reason: { code: "actorWitness" } });
    const noPrevout = { ...wpkhInput(alice), prevout: undefined };
    expect(readActor(tx(noPrevout, []), undefined, "regtest")).toMatchObject({
      ok: false,
      reason: { code: "noActor" },
    });
  });

  it("refuses an actor signature that is not SIGHASH_ALL (NONE, SINGLE|ANYONECANPAY), for any spell", () => {
    for (const sighash of [0x02, 0x83]) {
      const t = tx(wpkhInput(alice, sighash), [{ script: vaultScript(alice), sats: 1_000_000n }]);
      expect(readActor(t, t.inputs[0]?.prevout, "regtest")).toMatchObject({
        ok: false,
        reason: { code: "actorSighash" },
      });
    }
  });

  it("accepts an honest P2WPKH open and records the vault's owner key and coin in the state root", () => {
    const state = genesis();
    const before = stateRoot(state);
    const t = tx(wpkhInput(alice), [{ script: vaultScript(alice), sats: 1_000_000n }]);
    const r = check(state, open(1_000_000n), t);
    expect(r).toMatchObject({ ok: true, inflow: { vault: actorOf(t).account, sats: 1_000_000n, vout: 0 } });
    if (!r.ok || !("inflow" in r) || !r.inflow) throw new Error("expected an inflow");
    const coin = recordInflow(state, r.inflow, { txid: t.txid, height: 101 });
    expect(coin.outpoint).toBe(`${t.txid}:0`);
    expect(state.custody.vaultKeys.get(actorOf(t).account)).toBe(toHex(alice));
    const after = stateRoot(state);
    expect(after).not.toBe(before);
    // Backups and undo snapshots carry custody: the root survives a round trip.
    expect(stateRoot(deserializeState(serializeState(state)))).toBe(after);
  });

  it("accepts P2SH-P2WPKH and Taproot (BIP86 internal key) owners, and refuses the wrong internal key", () => {
    const state = genesis();
    const redeem = p2wpkh(alice, NET).script;
    const nested = tx(
      {
        prevTxid: "aa".repeat(32),
        sequence: 0,
        vout: 0,
        scriptSig: Script.encode([redeem]),
        witness: [sig(), alice],
        prevout: { script: p2sh(p2wpkh(alice, NET), NET).script, sats: 1n },
      },
      [{ script: vaultScript(alice), sats: 1_000_000n }],
    );
    expect(check(state, open(1_000_000n), nested)).toMatchObject({ ok: true });
    expect(hash160(redeem)).toEqual(p2sh(p2wpkh(alice, NET), NET).script.subarray(2, 22));
    const taproot = (owner: Uint8Array) =>
      tx(
        {
          prevTxid: "aa".repeat(32),
          sequence: 0,
          vout: 0,
          scriptSig: new Uint8Array(0),
          witness: [new Uint8Array(64).fill(9)],
          prevout: { script: p2tr(alice.subarray(1), undefined, NET).script, sats: 1n },
        },
        [{ script: vaultScript(owner), sats: 1_000_000n }],
      );
    expect(check(state, open(1_000_000n), taproot(alice))).toMatchObject({ ok: true });
    expect(check(state, open(1_000_000n, { ownerKey: mallory }), taproot(mallory))).toMatchObject({
      ok: false,
      reason: { code: "unsupportedOwner" },
    });
  });
});

describe("BTC in travels with its spell (deposit)", () => {
  function opened(): { state: State; account: string } {
    const state = genesis();
    const t = tx(wpkhInput(alice), [{ script: vaultScript(alice), sats: 1_000_000n }]);
    const r = check(state, open(1_000_000n), t);
    if (!r.ok || !("inflow" in r) || !r.inflow) throw new Error("expected an inflow");
    recordInflow(state, r.inflow, { txid: t.txid, height: 101 });
    return { state, account: actorOf(t).account };
  }
  const deposit = (sats: bigint, vaultOutput?: number): SpellOperation => ({
    type: "adjustVault",
    depositCollateral: sats * SAT,
    ...(vaultOutput === undefined ? {} : { vaultOutput }),
  });

  it("adds a new coin at the vault's script, spending no custody input", () => {
    const { state } = opened();
    const t = tx(wpkhInput(alice), [{ script: vaultScript(alice), sats: 250_000n }], "cc".repeat(32));
    const r = check(state, deposit(250_000n, 0), t);
    expect(r).toMatchObject({ ok: true, inflow: { sats: 250_000n } });
    if (!r.ok || !("inflow" in r) || !r.inflow) throw new Error("expected an inflow");
    recordInflow(state, r.inflow, { txid: t.txid, height: 102 });
    expect(state.custody.coins.size).toBe(2);
  });

  it("refuses a deposit without its output, with a short one, or to a vault with no key on record", () => {
    const { state } = opened();
    const t = tx(wpkhInput(alice), [{ script: vaultScript(alice), sats: 249_999n }]);
    expect(check(state, deposit(250_000n), t)).toMatchObject({
      ok: false,
      reason: { code: "custodyMismatch" },
    });
    expect(check(state, deposit(250_000n, 0), t)).toMatchObject({
      ok: false,
      reason: { code: "custodyMismatch" },
    });
    const stranger = tx(wpkhInput(mallory), [{ script: vaultScript(mallory), sats: 250_000n }]);
    expect(check(state, deposit(250_000n, 0), stranger)).toMatchObject({
      ok: false,
      reason: { code: "custodyMismatch" },
    });
  });

  it("refuses a vault output named by a spell that deposits nothing; ledger-only spells need none", () => {
    const { state } = opened();
    const t = tx(wpkhInput(alice), []);
    expect(check(state, { type: "adjustVault", repay: 1n, vaultOutput: 0 }, t)).toMatchObject({
      ok: false,
      reason: { code: "custodyMismatch" },
    });
    expect(check(state, { type: "adjustVault", repay: 1n }, t)).toEqual({ ok: true, inflow: null });
    expect(check(state, { type: "poolDeposit", amount: 1n }, t)).toEqual({ ok: true, inflow: null });
  });

  it("has no vault script without a custody key set (nothing can be opened)", () => {
    const state = createGenesisState(DEFAULT_PARAMS, { time: 1n });
    expect(vaultScriptFor(state, alice, config)).toBeUndefined();
    const t = tx(wpkhInput(alice), [{ script: vaultScript(alice), sats: 1_000_000n }]);
    expect(check(state, open(1_000_000n), t)).toMatchObject({
      ok: false,
      reason: { code: "custodyMismatch" },
    });
  });
});
