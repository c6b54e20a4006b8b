/**
 * Fee model: a transaction's virtual size from the size of each input's scriptSig and witness items
 * and each output's script, with signatures at their largest standard size (72 bytes: 71-byte low-S
 * DER + sighash byte; 64 for taproot key path). Fee = ceil(vsize × rate) with the rate in sat/vB.
 * Estimating at the largest signature size means the real vsize can only be smaller (by ¼ vB per
 * signature byte), so a transaction never pays below the chosen rate.
 */
import { BtcInputError } from "./errors.ts";
import type { VaultPath } from "./scripts.ts";

export const MAX_ECDSA_SIG = 72;
export const SCHNORR_SIG = 64;

/** How an input is spent, enough to size it before it is signed. */
export type InputKind =
  | { type: "p2wpkh" }
  | { type: "p2sh-p2wpkh" }
  | { type: "p2tr" }
  | { type: "p2pkh" }
  | { type: "vault"; path: VaultPath; threshold: number; witnessScriptLength: number }
  | { type: "multisig"; threshold: number; witnessScriptLength: number };

export interface InputSize {
  scriptSig: number;
  /** Byte length of each witness item, script included (empty array = no witness). */
  witness: number[];
}

export function inputSize(kind: InputKind): InputSize {
  switch (kind.type) {
    case "p2wpkh":
      return { scriptSig: 0, witness: [MAX_ECDSA_SIG, 33] };
    case "p2sh-p2wpkh":
      return { scriptSig: 23, witness: [MAX_ECDSA_SIG, 33] };
    case "p2tr":
      return { scriptSig: 0, witness: [SCHNORR_SIG] };
    case "p2pkh":
      return { scriptSig: 1 + MAX_ECDSA_SIG + 1 + 33, witness: [] };
    case "multisig":
      return {
        scriptSig: 0,
        witness: [0, ...Array(kind.threshold).fill(MAX_ECDSA_SIG), kind.witnessScriptLength],
      };
    case "vault": {
      const g = Array(kind.threshold).fill(MAX_ECDSA_SIG) as number[];
      const s = kind.witnessScriptLength;
      if (kind.path === "ownerAndGuardians") return { scriptSig: 0, witness: [0, ...g, MAX_ECDSA_SIG, 1, s] };
      if (kind.path === "guardians") return { scriptSig: 0, witness: [0, ...g, 1, 0, s] };
      return { scriptSig: 0, witness: [MAX_ECDSA_SIG, 0, 0, s] };
    }
  }
}

/** Bytes of a Bitcoin CompactSize integer. */
export const varIntSize = (n: number): number => (n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffff_ffff ? 5 : 9);

/** Weight units of a transaction with these inputs and output script lengths. */
export function txWeight(inputs: InputKind[], outputScriptLengths: number[]): number {
  const sizes = inputs.map(inputSize);
  let base = 4 + varIntSize(inputs.length) + varIntSize(outputScriptLengths.length) + 4;
  for (const s of sizes) base += 32 + 4 + varIntSize(s.scriptSig) + s.scriptSig + 4;
  for (const l of outputScriptLengths) base += 8 + varIntSize(l) + l;
  const segwit = sizes.some((s) => s.witness.length > 0);
  let witness = 0;
  if (segwit) {
    witness = 2;
    for (const s of sizes) {
      witness += varIntSize(s.witness.length);
      for (const item of s.witness) witness += varIntSize(item) + item;
    }
  }
  return base * 4 + witness;
}

/** Virtual size in vbytes (weight / 4, rounded up). */
export const estimateVsize = (inputs: InputKind[], outputScriptLengths: number[]): number =>
  Math.ceil(txWeight(inputs, outputScriptLengths) / 4);

/** Checks a fee rate in sat/vB: a finite number in [0.1, 10,000] with at most 3 decimals used. */
export function assertFeeRate(rate: unknown): number {
  if (typeof rate !== "number" || !Number.isFinite(rate) || rate < 0.1 || rate > 10_000) {
    throw new BtcInputError(
      "invalidParameter",
      `fee rate: expected 0.1 to 10000 sat/vB, got ${String(rate)}`,
    );
  }
  return rate;
}

/** Fee in sats for a vsize at a rate (sat/vB), rounded up so the rate is always met. */
export function feeForVsize(vsize: number, rate: number): bigint {
  const milli = BigInt(Math.round(assertFeeRate(rate) * 1000));
  return (BigInt(vsize) * milli + 999n) / 1000n;
}

/** Fee one input adds to a transaction at a rate (its weight, rounded up to vbytes). */
export function inputFee(kind: InputKind, rate: number): bigint {
  const s = inputSize(kind);
  let w = (32 + 4 + varIntSize(s.scriptSig) + s.scriptSig + 4) * 4;
  w += varIntSize(s.witness.length) + s.witness.reduce((a, i) => a + varIntSize(i) + i, 0);
  return feeForVsize(Math.ceil(w / 4), rate);
}

/** Fee one output adds at a rate. */
export const outputFee = (scriptLength: number, rate: number): bigint =>
  feeForVsize(8 + varIntSize(scriptLength) + scriptLength, rate);

/**
 * Dust threshold of an output script as Bitcoin Core computes it at the default dust relay fee of
 * 3 sat/vB: 3 × (output size + size of the input that would spend it). P2PKH 546, P2SH 540, P2WPKH
 * 294, P2WSH and P2TR 330; OP_RETURN outputs are never dust (they carry 0).
 */
export function dustThreshold(script: Uint8Array): bigint {
  if (script[0] === 0x6a) return 0n;
  const outSize = 8 + varIntSize(script.length) + script.length;
  const isWitness =
    script.length >= 4 &&
    script.length <= 42 &&
    (script[0] === 0 || (script[0]! >= 0x51 && script[0]! <= 0x60));
  const spendSize = isWitness ? 32 + 4 + 1 + Math.floor(107 / 4) + 4 : 32 + 4 + 1 + 107 + 4;
  return BigInt((outSize + spendSize) * 3);
}

/** Sequence that signals replace-by-fee (BIP125) without enabling a relative lock. */
export const RBF_SEQUENCE = 0xffff_fffd;
export const FINAL_SEQUENCE = 0xffff_ffff;

/** Esplora fee estimates (confirmation target in blocks → sat/vB) reduced to UI presets. */
export interface FeePresets {
  fastest: number;
  halfHour: number;
  hour: number;
  economy: number;
}

export function feePresets(estimates: Record<string, number>): FeePresets {
  const at = (target: number) => {
    const keys = Object.keys(estimates)
      .map(Number)
      .filter((k) => Number.isFinite(k) && estimates[String(k)]! > 0)
      .sort((a, b) => a - b);
    const k = keys.find((x) => x >= target) ?? keys.at(-1);
    return k === undefined ? 1 : Math.max(1, estimates[String(k)]!);
  };
  // Each faster preset pays at least 1 sat/vB more than the slower one: when the estimates are flat
  // (an empty mempool, regtest) the four choices would otherwise be the same rate under four names.
  const economy = at(144);
  const hour = Math.max(at(6), economy + 1);
  const halfHour = Math.max(at(3), hour + 1);
  const fastest = Math.max(at(1), halfHour + 1);
  return { fastest, halfHour, hour, economy };
}
