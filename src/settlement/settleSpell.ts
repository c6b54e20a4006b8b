/**
 * The `settle` spell (docs/decisions.md §2a "Size and leadership"): small enough for every relay policy (≤ 80
 * bytes), no attestation and no proof (a settlement is checked against the state, not proven):
 *
 *   magic "zkUSD" (5) | version 1 | op 0x81 | basis (LEB128) | fee rate, sat/kvB (LEB128)
 *   | count (LEB128) | bitmap length (1 byte, 1–32) | bitmap | idsHash (16)
 *
 * The named obligations are the set bits of the bitmap over L(basis): the open obligations created
 * at or below `basis`, ordered by (height, id), first 256 of them (bit i = byte i>>3, bit i&7). The
 * list is the same for every client from the moment the basis is final, since no obligation can be
 * created at a height that is already final. `idsHash` = first 16 bytes of sha256 over the ids'
 * bytes in that order: a cross-check that the signer and the indexer saw the same list.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { readLeb128, writeLeb128 } from "../btc/leb128.ts";
import { lenientHexBytes } from "../btc/scripts.ts";
import { SPELL_MAGIC, SPELL_VERSION } from "../btc/spell.ts";
import type { Obligation, State } from "../protocol/index.ts";

export const SETTLE_OP_CODE = 0x81;
/** Most obligations a settlement can name (bitmap of 32 bytes). */
export const MAX_SETTLE_WINDOW = 256;
export const MAX_SETTLE_SPELL_BYTES = 80;
/** Largest fee rate a settlement may declare, sat/kvB (10,000 sat/vB). */
export const MAX_SETTLE_FEE_RATE = 10_000_000;

export interface SettleSpell {
  basis: number;
  /** sat/kvB. */
  feeRate: number;
  count: number;
  bitmap: Uint8Array;
  idsHash: Uint8Array;
}

export type SettleDecode = { ok: true; spell: SettleSpell } | { ok: false; message: string };

/** True when the payload is a settle spell (magic, version, op 0x81), before decoding it. */
export const isSettlePayload = (b: Uint8Array): boolean =>
  b.length > 7 &&
  SPELL_MAGIC.every((x, i) => b[i] === x) &&
  b[5] === SPELL_VERSION &&
  b[6] === SETTLE_OP_CODE;

export function encodeSettleSpell(s: SettleSpell): Uint8Array {
  const out: number[] = [...SPELL_MAGIC, SPELL_VERSION, SETTLE_OP_CODE];
  writeLeb128(out, BigInt(s.basis));
  writeLeb128(out, BigInt(s.feeRate));
  writeLeb128(out, BigInt(s.count));
  out.push(s.bitmap.length, ...s.bitmap, ...s.idsHash);
  return Uint8Array.from(out);
}

/** Decodes a settle spell; never throws. */
export function decodeSettleSpell(b: Uint8Array): SettleDecode {
  try {
    if (!isSettlePayload(b)) return { ok: false, message: "not a settle spell" };
    if (b.length > MAX_SETTLE_SPELL_BYTES) return { ok: false, message: `${b.length} bytes exceeds 80` };
    let pos = 7;
    const leb = (bits: number) => {
      const [v, next] = readLeb128(b, pos, bits);
      pos = next;
      return v;
    };
    const basis = Number(leb(32));
    const feeRate = Number(leb(32));
    const count = Number(leb(16));
    const len = b[pos++];
    if (len === undefined || len < 1 || len > MAX_SETTLE_WINDOW / 8)
      return { ok: false, message: "bad bitmap length" };
    const bitmap = b.slice(pos, pos + len);
    pos += len;
    const idsHash = b.slice(pos, pos + 16);
    pos += 16;
    if (bitmap.length !== len || idsHash.length !== 16 || pos !== b.length)
      return { ok: false, message: "truncated or trailing bytes" };
    if (feeRate < 1 || feeRate > MAX_SETTLE_FEE_RATE)
      return { ok: false, message: `fee rate ${feeRate} out of range` };
    // count 0: a settlement that only rolls vaults (its inputs name them, settle.ts).
    if (count > MAX_SETTLE_WINDOW) return { ok: false, message: `count ${count} out of range` };
    return { ok: true, spell: { basis, feeRate, count, bitmap, idsHash } };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

const cmpObligation = (a: Obligation, b: Obligation) =>
  a.height !== b.height ? (a.height < b.height ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** L(basis): open obligations created at or below `basis`, first in first out, the first 256. */
export function settleWindow(state: State, basis: number): Obligation[] {
  const out: Obligation[] = [];
  for (const o of state.custody.obligations.values())
    if (o.status === "open" && o.height <= BigInt(basis)) out.push(o);
  return out.sort(cmpObligation).slice(0, MAX_SETTLE_WINDOW);
}

export function idsHashOf(ids: readonly string[]): Uint8Array {
  const bytes = new Uint8Array(ids.length * 32);
  ids.forEach((id, i) => {
    bytes.set(lenientHexBytes(id, 32), i * 32);
  });
  return sha256(bytes).slice(0, 16);
}

/** The obligations a settle spell names, or why they cannot be read from the state. */
export function namedObligations(
  state: State,
  spell: SettleSpell,
): { ok: true; obligations: Obligation[] } | { ok: false; message: string } {
  const window = settleWindow(state, spell.basis);
  const named: Obligation[] = [];
  for (let i = 0; i < spell.bitmap.length * 8; i++) {
    if (((spell.bitmap[i >> 3]! >> (i & 7)) & 1) === 0) continue;
    const o = window[i];
    if (!o) return { ok: false, message: `bit ${i} names no open obligation at basis ${spell.basis}` };
    named.push(o);
  }
  if (named.length !== spell.count)
    return { ok: false, message: `the bitmap names ${named.length}, not ${spell.count}` };
  const hash = idsHashOf(named.map((o) => o.id));
  if (!hash.every((x, i) => x === spell.idsHash[i]))
    return { ok: false, message: "the ids hash does not match" };
  return { ok: true, obligations: named };
}

/** The settle spell naming `ids` (all in L(basis)). */
export function settleSpellFor(
  state: State,
  ids: readonly string[],
  basis: number,
  feeRate: number,
): { ok: true; spell: SettleSpell } | { ok: false; message: string } {
  const window = settleWindow(state, basis);
  const index = new Map(window.map((o, i) => [o.id, i]));
  const bitmap = new Uint8Array(Math.max(1, Math.ceil(window.length / 8)));
  const ordered: string[] = [];
  for (const id of ids) {
    const i = index.get(id);
    if (i === undefined)
      return { ok: false, message: `obligation ${id} is not open at or below basis ${basis}` };
    bitmap[i >> 3]! |= 1 << (i & 7);
  }
  for (const o of window)
    if ((bitmap[index.get(o.id)! >> 3]! >> (index.get(o.id)! & 7)) & 1) ordered.push(o.id);
  if (ordered.length !== ids.length) return { ok: false, message: "an obligation is named twice" };
  return { ok: true, spell: { basis, feeRate, count: ordered.length, bitmap, idsHash: idsHashOf(ordered) } };
}
