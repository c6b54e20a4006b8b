/** Shared helpers for the regtest integration tests: an independent PSBT check with bitcoinjs-lib. */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { Transaction as BjsTransaction, networks, Psbt } from "bitcoinjs-lib";
import { expect } from "vitest";

/**
 * Parses a PSBT with bitcoinjs-lib and validates every partial signature it carries (ECDSA over the
 * BIP143 sighash bitcoinjs computes itself). Returns the number of signatures checked.
 */
export function validateWithBitcoinjs(psbt: Uint8Array): number {
  const p = Psbt.fromBuffer(psbt, { network: networks.regtest });
  const validator = (pubkey: Uint8Array, msghash: Uint8Array, signature: Uint8Array) =>
    secp256k1.verify(signature, msghash, pubkey, { prehash: false, lowS: true });
  let checked = 0;
  p.data.inputs.forEach((input, i) => {
    if (input.partialSig && input.partialSig.length > 0) {
      expect(p.validateSignaturesOfInput(i, validator)).toBe(true);
      checked += input.partialSig.length;
    }
  });
  return checked;
}

/** Virtual size of a raw transaction as bitcoinjs-lib computes it. */
export const bitcoinjsVsize = (hex: string): number => BjsTransaction.fromHex(hex).virtualSize();
