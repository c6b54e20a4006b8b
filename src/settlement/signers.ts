/**
 * Which custody keys signed a spend of a protocol coin (docs/decisions.md §2a "Invariants, exactly":
 * custody uses script multisig, so every breach names the keys whose signatures verify). Each
 * signature-shaped item of the input's witness is checked (BIP143 sighash at its own sighash byte)
 * against every guardian key of the witness script, which must be the coin's own script (its P2WSH
 * program), so the keys named are those of the coin's key set and nobody else's. Pure; never throws:
 * a garbage or forged witness names nobody.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromHex, parseCustodyScript, toHex } from "../btc/scripts.ts";
import type { ChainTx } from "./tx.ts";

/** What a BIP143 sighash reads of a transaction. */
export type SighashTx = Pick<ChainTx, "version" | "locktime" | "inputs" | "outputs">;

/** Signature-shaped witness items checked per input (a k-of-15 multisig has at most 16 besides). */
const MAX_SIGS_CHECKED = 20;

const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n >>> 0, true);
  return b;
};
const u64 = (n: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, n), true);
  return b;
};
const varint = (n: number): Uint8Array =>
  n < 0xfd
    ? Uint8Array.of(n)
    : n <= 0xffff
      ? Uint8Array.of(0xfd, n & 0xff, n >> 8)
      : Uint8Array.of(0xfe, ...u32(n));
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
const sha256d = (b: Uint8Array) => sha256(sha256(b));
/** A txid in display order (hex) as the 32 bytes a transaction serializes. */
const internalTxid = (txid: string) => fromHex(txid).reverse();

/**
 * The BIP143 (segwit v0) signature hash of input `index` spending `amount` sats under `scriptCode`
 * (for P2WSH: the witness script) at sighash type `hashType` (ALL, NONE, SINGLE, each with or
 * without ANYONECANPAY).
 */
export function segwitV0Sighash(
  tx: SighashTx,
  index: number,
  scriptCode: Uint8Array,
  amount: bigint,
  hashType: number,
): Uint8Array {
  const anyoneCanPay = (hashType & 0x80) !== 0;
  const base = hashType & 0x1f;
  const zero = new Uint8Array(32);
  const input = tx.inputs[index]!;
  const hashPrevouts = anyoneCanPay
    ? zero
    : sha256d(concat(...tx.inputs.map((i) => concat(internalTxid(i.prevTxid), u32(i.vout)))));
  const hashSequence =
    anyoneCanPay || base === 0x02 || base === 0x03
      ? zero
      : sha256d(concat(...tx.inputs.map((i) => u32(i.sequence))));
  const output = (o: SighashTx["outputs"][number]) => concat(u64(o.sats), varint(o.script.length), o.script);
  const hashOutputs =
    base !== 0x02 && base !== 0x03
      ? sha256d(concat(...tx.outputs.map(output)))
      : base === 0x03 && index < tx.outputs.length
        ? sha256d(output(tx.outputs[index]!))
        : zero;
  return sha256d(
    concat(
      u32(tx.version),
      hashPrevouts,
      hashSequence,
      internalTxid(input.prevTxid),
      u32(input.vout),
      varint(scriptCode.length),
      scriptCode,
      u64(amount),
      u32(input.sequence),
      hashOutputs,
      u32(tx.locktime),
      u32(hashType),
    ),
  );
}

/** A DER ECDSA signature followed by its sighash byte (the shape of any signature push). */
const looksLikeSig = (b: Uint8Array) => b.length >= 9 && b.length <= 73 && b[0] === 0x30;

function verifies(der: Uint8Array, hash: Uint8Array, key: Uint8Array): boolean {
  try {
    return secp256k1.verify(der, hash, key, { prehash: false, format: "der", lowS: false });
  } catch {
    return false;
  }
}

/**
 * The guardian keys (compressed, hex, in the script's sorted order) whose signatures on input
 * `index` verify, for a protocol coin at `coin.script` (P2WSH, hex) holding `coin.sats`. Empty when
 * the witness script is not the coin's or not a custody script, or when no signature verifies.
 */
export function custodySigners(
  tx: SighashTx,
  index: number,
  coin: { script: string; sats: bigint },
): string[] {
  try {
    const witness = tx.inputs[index]?.witness ?? [];
    const ws = witness.at(-1);
    if (!ws || witness.length < 2) return [];
    if (`0020${toHex(sha256(ws))}` !== coin.script.toLowerCase()) return [];
    const desc = parseCustodyScript(ws);
    if (!desc) return [];
    const keys = desc.guardians.keys;
    const signed = new Set<number>();
    const sigs = witness.slice(0, -1).filter(looksLikeSig).slice(0, MAX_SIGS_CHECKED);
    for (const sig of sigs) {
      const hash = segwitV0Sighash(tx, index, ws, coin.sats, sig[sig.length - 1]!);
      const der = sig.subarray(0, -1);
      keys.forEach((key, k) => {
        if (!signed.has(k) && verifies(der, hash, key)) signed.add(k);
      });
    }
    return keys.filter((_, k) => signed.has(k)).map(toHex);
  } catch {
    return [];
  }
}
