/**
 * Signing a PSBT's inputs, merging signed copies, and finalizing: the custody witnesses of vault and
 * pool inputs are built here (btc-signer's finalizer drops signatures on custom scripts).
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { SigHash } from "@scure/btc-signer";
import { equalBytes } from "@scure/btc-signer/utils.js";
import { PsbtError } from "./errors.ts";
import { parsePsbt } from "./psbt.ts";
import { parseCustodyScript, poolWitness, toHex, type VaultPath, vaultWitness } from "./scripts.ts";

/** Signs the given inputs with a private key (a dev wallet, a guardian, a test). */
export function signPsbtInputs(psbt: Uint8Array, privateKey: Uint8Array, indexes: number[]): Uint8Array {
  const tx = parsePsbt(psbt);
  for (const i of indexes) {
    if (i < 0 || i >= tx.inputsLength) throw new PsbtError("unknownInput", `input ${i} does not exist`);
    tx.signIdx(privateKey, i);
  }
  return tx.toPSBT();
}

/** Inputs whose custody script includes a key (what a guardian or the owner may sign). */
export function custodyInputsFor(psbt: Uint8Array, publicKey: Uint8Array): number[] {
  const tx = parsePsbt(psbt);
  const out: number[] = [];
  for (let i = 0; i < tx.inputsLength; i++) {
    const ws = tx.getInput(i).witnessScript;
    const d = ws && parseCustodyScript(ws);
    if (!d) continue;
    const keys = [...d.guardians.keys, ...(d.kind === "vault" ? [d.owner] : [])];
    if (keys.some((k) => equalBytes(k, publicKey))) out.push(i);
  }
  return out;
}

/**
 * The partial signatures of `theirs` that can be trusted for `ours`: none unless it is the same
 * unsigned transaction; on each custody input, only SIGHASH_ALL signatures by a key of OUR copy's
 * witness script that verify (BIP143 over our witness script and amount). Never throws. A leader
 * merges only these, so one guardian answering with a forged signature or another transaction can
 * no longer make every settlement fail (red team, docs/custody.md "Identical plan").
 */
export function verifiedPartialSigs(
  ours: Uint8Array,
  theirs: Uint8Array,
): { index: number; key: Uint8Array; sig: Uint8Array }[] {
  const out: { index: number; key: Uint8Array; sig: Uint8Array }[] = [];
  try {
    const mine = parsePsbt(ours);
    const peer = parsePsbt(theirs);
    if (peer.id !== mine.id || peer.inputsLength !== mine.inputsLength) return [];
    for (let i = 0; i < mine.inputsLength; i++) {
      const { witnessScript: ws, witnessUtxo: utxo } = mine.getInput(i);
      const custody = ws && parseCustodyScript(ws);
      if (!ws || !custody || !utxo) continue;
      const keys = [...custody.guardians.keys, ...(custody.kind === "vault" ? [custody.owner] : [])];
      const hash = mine.preimageWitnessV0(i, ws, SigHash.ALL, utxo.amount);
      for (const [key, sig] of peer.getInput(i).partialSig ?? []) {
        if (!keys.some((k) => equalBytes(k, key)) || sig[sig.length - 1] !== SigHash.ALL) continue;
        let valid = false;
        try {
          valid = secp256k1.verify(sig.subarray(0, -1), hash, key, {
            prehash: false,
            format: "der",
            lowS: false,
          });
        } catch {
          valid = false;
        }
        if (valid) out.push({ index: i, key, sig });
      }
    }
  } catch {
    return [];
  }
  return out;
}

/**
 * `ours` with every verified partial signature of each of `theirs` added (`verifiedPartialSigs`), and
 * for each of `theirs` whether it added one.
 */
export function combineVerified(
  ours: Uint8Array,
  theirs: Uint8Array[],
): { psbt: Uint8Array; contributed: boolean[] } {
  const tx = parsePsbt(ours);
  const contributed = theirs.map((p) => {
    const sigs = verifiedPartialSigs(ours, p);
    for (const { index, key, sig } of sigs) tx.updateInput(index, { partialSig: [[key, sig]] }, true);
    return sigs.length > 0;
  });
  return { psbt: tx.toPSBT(), contributed };
}

/** Merges signatures from several copies of the same PSBT (wallet + guardians). */
export function combinePsbts(psbts: Uint8Array[]): Uint8Array {
  if (psbts.length === 0) throw new PsbtError("invalidPsbt", "nothing to combine");
  const first = parsePsbt(psbts[0]!);
  for (const p of psbts.slice(1)) first.combine(parsePsbt(p));
  return first.toPSBT();
}

export interface FinalTx {
  hex: string;
  txid: string;
  vsize: number;
  weight: number;
  fee: bigint;
}

/**
 * Finalizes a signed PSBT. Vault and pool inputs get a witness built here (btc-signer's finalizer
 * drops signatures on custom scripts); the vault path follows from the signatures present: owner +
 * quorum → (a), quorum → (b), owner alone → (c). Wallet inputs use btc-signer's finalizer.
 */
export function finalizePsbt(psbt: Uint8Array | Uint8Array[]): FinalTx {
  const tx = parsePsbt(Array.isArray(psbt) ? combinePsbts(psbt) : psbt);
  for (let i = 0; i < tx.inputsLength; i++) {
    const input = tx.getInput(i);
    if (input.finalScriptWitness || input.finalScriptSig) continue;
    const ws = input.witnessScript;
    if (!ws) {
      try {
        tx.finalizeIdx(i);
      } catch (e) {
        throw new PsbtError("missingSignature", `input ${i}: ${(e as Error).message}`);
      }
      continue;
    }
    const custody = parseCustodyScript(ws);
    if (!custody)
      throw new PsbtError("unknownInput", `input ${i} has a witness script this project did not build`);
    const sigs = new Map<string, Uint8Array>((input.partialSig ?? []).map(([k, s]) => [toHex(k), s]));
    let witness: Uint8Array[];
    try {
      if (custody.kind === "pool") {
        witness = poolWitness(custody, sigs);
      } else {
        const owner = sigs.get(toHex(custody.owner));
        const guardians = new Map([...sigs].filter(([k]) => k !== toHex(custody.owner)));
        const quorum = guardians.size >= custody.guardians.threshold;
        const path: VaultPath = quorum ? (owner ? "ownerAndGuardians" : "guardians") : "ownerAfterTimelock";
        witness = vaultWitness(custody, path, { guardians, ...(owner ? { owner } : {}) });
      }
    } catch (e) {
      throw new PsbtError("missingSignature", `input ${i}: ${(e as Error).message}`);
    }
    tx.updateInput(i, { finalScriptWitness: [...witness, ws] }, true);
  }
  return { hex: tx.hex, txid: tx.id, vsize: tx.vsize, weight: tx.weight, fee: tx.fee };
}
