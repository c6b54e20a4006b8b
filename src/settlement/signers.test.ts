/**
 * A breach names the custody keys whose signatures verify (docs/decisions.md §2a, docs/custody.md
 * "Breaches name their signers"): a real P2WSH spend signed off-plan by two known guardians names
 * exactly those two, through the indexer's custody step; a signature by anyone else, a witness
 * script that is not the coin's, and garbage witnesses name nobody and never throw.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2wpkh, SigHash, Transaction } from "@scure/btc-signer";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseTx } from "../btc/block.ts";
import { networkParams } from "../btc/network.ts";
import { TX_OPTS } from "../btc/psbt.ts";
import { poolDescriptor, toHex, vaultDescriptor } from "../btc/scripts.ts";
import { foreignSpends } from "../indexer/custody.ts";
import { addCoin, createGenesisState, DEFAULT_PARAMS } from "../protocol/index.ts";
import { custodySigners, segwitV0Sighash } from "./signers.ts";

const NET = networkParams("regtest");
const priv = (n: number) => Uint8Array.from({ length: 32 }, (_, i) => (i === 31 ? n : 3));
const gPriv = [priv(31), priv(32), priv(33)];
const gKeys = gPriv.map((p) => secp256k1.getPublicKey(p, true));
const ownerPriv = priv(40);
const owner = secp256k1.getPublicKey(ownerPriv, true);
const guardians = { threshold: 2, keys: gKeys };
const vault = vaultDescriptor({ owner, guardians, csvBlocks: 144 });
const pool = poolDescriptor(guardians);
/** Script order (BIP67-sorted) of the guardian keys, as the descriptors hold them. */
const sorted = vault.guardians.keys.map(toHex);
const privOf = (keyHex: string) => gPriv[gKeys.findIndex((k) => toHex(k) === keyHex)]!;
const PREV = "ab".repeat(32);
const VAULT_SATS = 50_000_000n;
const POOL_SATS = 20_000_000n;

function sign(tx: Transaction, idx: number, ws: Uint8Array, amount: bigint, p: Uint8Array, type = 1) {
  const hash = tx.preimageWitnessV0(idx, ws, type, amount);
  return Uint8Array.of(...secp256k1.sign(hash, p, { prehash: false, format: "der" }), type);
}

/** A transaction spending the vault coin (vout 0) and the pool coin (vout 1) to an attacker. */
function unsigned(): Transaction {
  const tx = new Transaction({ ...TX_OPTS, version: 2, lockTime: 0 });
  tx.addInput({
    txid: PREV,
    index: 0,
    sequence: 0xfffffffd,
    witnessUtxo: { script: vault.script, amount: VAULT_SATS },
  });
  tx.addInput({
    txid: PREV,
    index: 1,
    sequence: 0xfffffffd,
    witnessUtxo: { script: pool.script, amount: POOL_SATS },
  });
  tx.addOutput({ script: p2wpkh(secp256k1.getPublicKey(priv(50), true), NET).script, amount: 69_000_000n });
  return tx;
}

function offPlan(vaultSigners: string[], poolSigners: string[], type = 1) {
  const tx = unsigned();
  const vs = vaultSigners.map((k) => sign(tx, 0, vault.witnessScript, VAULT_SATS, privOf(k), type));
  const ps = poolSigners.map((k) => sign(tx, 1, pool.witnessScript, POOL_SATS, privOf(k), type));
  // The guardians' branch of the vault script: [dummy, sigs…, TRUE, FALSE, script].
  tx.updateInput(0, {
    finalScriptWitness: [new Uint8Array(0), ...vs, Uint8Array.of(1), new Uint8Array(0), vault.witnessScript],
  });
  tx.updateInput(1, { finalScriptWitness: [new Uint8Array(0), ...ps, pool.witnessScript] });
  return parseTx(tx.extract(), tx.id);
}

const vaultCoin = { script: toHex(vault.script), sats: VAULT_SATS };
const poolCoin = { script: toHex(pool.script), sats: POOL_SATS };

describe("custodySigners", () => {
  it("BIP143: our sighash is the one @scure/btc-signer signs, for every sighash type", () => {
    const tx = new Transaction({ ...TX_OPTS, version: 2, lockTime: 7 });
    tx.addInput({
      txid: PREV,
      index: 0,
      sequence: 5,
      witnessUtxo: { script: vault.script, amount: VAULT_SATS },
    });
    tx.addInput({
      txid: PREV,
      index: 3,
      sequence: 9,
      witnessUtxo: { script: pool.script, amount: POOL_SATS },
    });
    tx.addOutput({ script: pool.script, amount: 1_000n });
    const parsed = parseTx(tx.unsignedTx, tx.id);
    for (const type of [1, 2, 3, 0x81, 0x82, 0x83])
      for (const idx of [0, 1])
        expect(toHex(segwitV0Sighash(parsed, idx, vault.witnessScript, 123n, type)), `${type}/${idx}`).toBe(
          toHex(tx.preimageWitnessV0(idx, vault.witnessScript, type, 123n)),
        );
  });

  it("a spend signed by two known guardians names exactly those two", () => {
    const tx = offPlan([sorted[0]!, sorted[2]!], [sorted[1]!, sorted[2]!]);
    expect(custodySigners(tx, 0, vaultCoin)).toEqual([sorted[0], sorted[2]]);
    expect(custodySigners(tx, 1, poolCoin)).toEqual([sorted[1], sorted[2]]);
    // Any sighash type verifies: SINGLE|ANYONECANPAY signatures name their signers too.
    const odd = offPlan([sorted[1]!, sorted[2]!], [sorted[0]!], SigHash.SINGLE_ANYONECANPAY);
    expect(custodySigners(odd, 0, vaultCoin)).toEqual([sorted[1], sorted[2]]);
    expect(custodySigners(odd, 1, poolCoin)).toEqual([sorted[0]]);
  });

  it("the indexer's CustodyBreach names the signers of each coin's spend", () => {
    const state = createGenesisState(DEFAULT_PARAMS, {
      time: 1_700_000_000n,
      price: 60_000n * 10n ** 18n,
      governance: { guardians: { keys: gKeys.map(toHex), threshold: 2n } },
    });
    addCoin(state.custody, {
      outpoint: `${PREV}:0`,
      vault: "alice",
      ...vaultCoin,
      height: 5n,
    });
    addCoin(state.custody, { outpoint: `${PREV}:1`, vault: null, ...poolCoin, height: 5n });
    const tx = offPlan([sorted[0]!, sorted[2]!], [sorted[0]!, sorted[1]!]);
    const events = foreignSpends(state, tx, 10, { network: "regtest", csvBlocks: 144, finality: 1 });
    expect(events).toEqual([
      expect.objectContaining({
        type: "CustodyBreach",
        outpoint: `${PREV}:0`,
        signers: [sorted[0], sorted[2]],
      }),
      expect.objectContaining({
        type: "CustodyBreach",
        outpoint: `${PREV}:1`,
        signers: [sorted[0], sorted[1]],
      }),
    ]);
  });

  it("names nobody for a signature by another key, the wrong amount, or another coin's script", () => {
    const tx = offPlan([sorted[0]!, sorted[2]!], [sorted[0]!, sorted[1]!]);
    // The owner's signature in a guardian's slot is not a custody key's.
    const byOwner = structuredClone(tx);
    byOwner.inputs[0]!.witness[1] = sign(unsigned(), 0, vault.witnessScript, VAULT_SATS, ownerPriv);
    expect(custodySigners(byOwner, 0, vaultCoin)).toEqual([sorted[2]]);
    // The sighash commits to the amount: a coin recorded with other sats verifies nobody.
    expect(custodySigners(tx, 0, { ...vaultCoin, sats: VAULT_SATS + 1n })).toEqual([]);
    // The pool's witness script is not the vault coin's script: its keys are not trusted for it.
    // (the same sats, so only the script check stands between them and a name).
    expect(custodySigners(tx, 1, { script: vaultCoin.script, sats: POOL_SATS })).toEqual([]);
  });

  it("a garbage or forged witness never throws and names nobody", () => {
    const tx = offPlan([sorted[0]!, sorted[2]!], [sorted[0]!, sorted[1]!]);
    const bytes = fc.uint8Array({ maxLength: 90 });
    fc.assert(
      fc.property(
        fc.array(bytes, { maxLength: 30 }),
        fc.boolean(),
        fc.integer({ min: -1, max: 5 }),
        (items, withScript, idx) => {
          const forged = structuredClone(tx);
          // DER-shaped garbage too: 0x30 first, any sighash byte last.
          const witness = items.map((b, i) => (i % 2 === 0 && b.length > 8 ? Uint8Array.of(0x30, ...b) : b));
          if (forged.inputs[0])
            forged.inputs[0].witness = withScript ? [...witness, vault.witnessScript] : witness;
          expect(custodySigners(forged, idx, vaultCoin)).toEqual([]);
        },
      ),
      { numRuns: 300, seed: 13 },
    );
    // Forged: the right keys' signatures over another transaction.
    const other = offPlan([sorted[0]!, sorted[1]!], []);
    other.outputs[0]!.sats -= 1n;
    expect(custodySigners(other, 0, vaultCoin)).toEqual([]);
  });
});
