import { secp256k1 } from "@noble/curves/secp256k1.js";
import { SigHash, Transaction } from "@scure/btc-signer";
import { Psbt } from "bitcoinjs-lib";
import { describe, expect, it } from "vitest";
import { spellOfChainTx } from "../indexer/indexer.ts";
import { parseTx } from "./block.ts";
import { PsbtError } from "./errors.ts";
import {
  buildLedgerOp,
  buildOpenVault,
  buildWithdraw,
  parsePsbt,
  spellScript,
  TX_OPTS,
  walletAccount,
  walletUtxo,
} from "./psbt.ts";
import { spellOfTransaction, summarizePsbt } from "./psbt-preview.ts";
import { custodyInputsFor, finalizePsbt, signPsbtInputs } from "./psbt-sign.ts";
import { poolDescriptor, vaultDescriptor } from "./scripts.ts";
import { encodeSpell, SPELL_MAGIC, type Spell } from "./spell.ts";

const key = () => secp256k1.utils.randomSecretKey();
const ownerPriv = key();
const gPriv = [key(), key(), key()];
const guardians = { threshold: 2, keys: gPriv.map((k) => secp256k1.getPublicKey(k, true)) };
const spell: Spell = {
  version: 1,
  op: { type: "closeVault" },
  attestation: new Uint8Array(),
  proof: new Uint8Array(128),
};
/** The transaction as the indexer sees it in a block. */
const chainTx = (tx: Transaction) => ({ ...parseTx(tx.unsignedTx, tx.id), position: 1 });
const txid = (n: number) => n.toString(16).padStart(64, "0");

function setup(type: "p2wpkh" | "p2sh-p2wpkh" | "p2tr") {
  const pub = secp256k1.getPublicKey(ownerPriv, true);
  const wallet = walletAccount(pub, type, "regtest");
  const utxos = [walletUtxo(wallet, "regtest", { txid: txid(1), vout: 0, value: 1_000_000n })];
  return { wallet, utxos, opts: { network: "regtest" as const, wallet, walletUtxos: utxos, feeRate: 2 } };
}

/** A withdrawal of 100,000 sats from the wallet owner's vault coin of 500,000 sats. */
function withdrawal(opts: ReturnType<typeof setup>["opts"], wallet: ReturnType<typeof setup>["wallet"]) {
  const vault = vaultDescriptor({ owner: wallet.publicKey, guardians });
  const built = buildWithdraw(opts, {
    spell,
    vault,
    vaultUtxos: [{ txid: txid(2), vout: 1, value: 500_000n }],
    amountSats: 100_000n,
  });
  return { vault, built };
}

describe("PSBT builders", () => {
  it("gives each wallet type the input metadata its wallet needs", () => {
    for (const type of ["p2wpkh", "p2sh-p2wpkh", "p2tr"] as const) {
      const { opts } = setup(type);
      const built = buildLedgerOp(opts, { spell });
      const input = parsePsbt(built.psbt).getInput(0);
      expect(input.witnessUtxo?.amount).toBe(1_000_000n);
      expect(input.sequence).toBe(0xfffffffd);
      if (type === "p2sh-p2wpkh") expect(input.redeemScript?.length).toBe(22);
      if (type === "p2tr") expect(input.tapInternalKey?.length).toBe(32);
      // bitcoinjs-lib parses it too
      expect(Psbt.fromBuffer(built.psbt).data.inputs.length).toBe(1);
    }
  });

  it("puts witnessScript and SIGHASH_ALL on vault inputs and lists who signs what", () => {
    const { opts, wallet } = setup("p2sh-p2wpkh");
    const { vault, built } = withdrawal(opts, wallet);
    const tx = parsePsbt(built.psbt);
    const vin = tx.getInput(1);
    expect(vin.witnessScript).toEqual(vault.witnessScript);
    expect(vin.sighashType).toBe(SigHash.ALL);
    expect(built.signInputs).toEqual({ [wallet.address]: [0, 1] });
    expect(built.guardianInputs).toEqual([1]);
    expect(custodyInputsFor(built.psbt, guardians.keys[1]!)).toEqual([1]);
    expect(built.outputs.map((o) => o.label)).toEqual(["payout", "vault", "spell", "change"]);
    const summary = summarizePsbt(built.base64, "regtest", { vaults: [vault] });
    expect(summary.inputs.map((i) => i.kind)).toEqual(["wallet", "vault"]);
    expect(summary.inputs[1]!.path).toBe("ownerAndGuardians");
    expect(summary.spell).toEqual(spell);
    expect(summary.feeRate).toBeGreaterThanOrEqual(2);
  });

  it("refuses unbalanced protocol funds, dust outputs and a vault the wallet does not own", () => {
    const { opts, wallet } = setup("p2wpkh");
    const vault = vaultDescriptor({ owner: wallet.publicKey, guardians });
    expect(() => buildOpenVault(opts, { spell, vault, collateralSats: 100n })).toThrow(PsbtError);
    const other = vaultDescriptor({ owner: secp256k1.getPublicKey(key(), true), guardians });
    expect(() =>
      buildWithdraw(opts, {
        spell,
        vault: other,
        vaultUtxos: [{ txid: txid(3), vout: 0, value: 10_000n }],
        amountSats: 1_000n,
      }),
    ).toThrow(/owner key/);
    const pool = poolDescriptor(guardians);
    expect(pool.script.length).toBe(34);
  });

  it("can turn RBF off", () => {
    const { opts } = setup("p2wpkh");
    expect(parsePsbt(buildLedgerOp({ ...opts, rbf: false }, { spell }).psbt).getInput(0).sequence).toBe(
      0xffffffff,
    );
  });

  it("finalizes only with the signatures a path needs", () => {
    const { opts, wallet } = setup("p2wpkh");
    const { built } = withdrawal(opts, wallet);
    // Wallet input unsigned: btc-signer's own finalizer refuses.
    expect(() => finalizePsbt(built.psbt)).toThrow(PsbtError);
    const owner = signPsbtInputs(built.psbt, ownerPriv, [0, 1]);
    const g0 = signPsbtInputs(built.psbt, gPriv[0]!, [1]);
    const g1 = signPsbtInputs(built.psbt, gPriv[1]!, [1]);
    const final = finalizePsbt([owner, g0, g1]);
    const tx = parsePsbt(owner);
    expect(tx.getInput(1).partialSig?.length).toBe(1);
    expect(final.vsize).toBeLessThanOrEqual(built.estimatedVsize);
    expect(final.fee).toBe(built.fee);
    const found = spellOfTransaction(final.hex);
    expect(found).toMatchObject({ ok: true, spell, vout: 2 });
    expect(spellOfTransaction("00")).toMatchObject({ ok: false });
  });

  it("previews the spell the indexer reads: the first magic output, even malformed, not a later valid one (issue 13)", () => {
    const { opts } = setup("p2wpkh");
    const input = parsePsbt(buildLedgerOp(opts, { spell }).psbt).getInput(0);
    const tx = new Transaction(TX_OPTS);
    tx.addInput(input);
    // A malformed spell first (the magic, then garbage), a valid one second.
    tx.addOutput({ script: spellScript(Uint8Array.of(...SPELL_MAGIC, 0xff, 0xff)), amount: 0n });
    tx.addOutput({ script: spellScript(encodeSpell(spell)), amount: 0n });
    const summary = summarizePsbt(tx.toPSBT(), "regtest");
    expect(summary.outputs.map((o) => o.kind)).toEqual(["spell", "spell"]);
    // The review says the spell will be refused, as the indexer refuses it.
    expect(summary.spell).toBeUndefined();
    expect(summary.spellError).toBeTruthy();
    const indexed = spellOfChainTx(chainTx(tx));
    expect(indexed?.ok).toBe(false);
    expect(spellOfTransaction(tx.unsignedTx)).toEqual({ ok: false, reason: summary.spellError });
    // The valid spell first: read, and the later garbage ignored by both.
    const swapped = new Transaction(TX_OPTS);
    swapped.addInput(input);
    swapped.addOutput({ script: spellScript(encodeSpell(spell)), amount: 0n });
    swapped.addOutput({ script: spellScript(Uint8Array.of(...SPELL_MAGIC, 0xff, 0xff)), amount: 0n });
    expect(summarizePsbt(swapped.toPSBT(), "regtest")).toMatchObject({ spell });
    expect(summarizePsbt(swapped.toPSBT(), "regtest").spellError).toBeUndefined();
    expect(spellOfChainTx(chainTx(swapped))).toMatchObject({ ok: true, spell });
  });
});
