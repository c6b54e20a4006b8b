/**
 * The `settle` spell (docs/decisions.md §2a "Size and leadership"): small enough for every relay policy (≤ 80
 * bytes), no attestation and no proof (a settlement is checked against the state, not proven):
 *
 *   magic "zkUSD" (5) | version 1 | op 0x81 | basis (LEB128) | fee rate, sat/kvB (LEB128)
 *   | count (LEB128) | bitmap length (1 byte, 1–32) | bitmap | idsHash (16)
 *
 * or, naming obligations past the first 256 (offset > 0), the length byte with its high bit set
 * (0x80 | length) followed by the offset (LEB128, at least 1) before the bitmap.
 *
 * The named obligations are the set bits of the bitmap over L(basis, offset): the open obligations
 * created at or below `basis`, ordered by (height, id), 256 of them from position `offset` (bit i =
 * byte i>>3, bit i&7). The list is the same for every client from the moment the basis is final,
 * since no obligation can be created at a height that is already final. `idsHash` = first 16 bytes of
 * sha256 over the ids' bytes in that order: a cross-check that the signer and the indexer saw the
 * same list. The offset exists so that 256 obligations that cannot be paid yet (a stranger's dust
 * sent to a vault's script, each swept by an internal move the fee account cannot afford) never hold
 * up the ones behind them (docs/decisions.md §2a "Dust and griefing"); a settlement whose obligations
 * are all among the first 256 has offset 0 and the first form, byte for byte.
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
/** High bit of the bitmap length byte: an offset into L(basis) follows. */
const OFFSET_FLAG = 0x80;
/** Largest fee rate a settlement may declare, sat/kvB (10,000 sat/vB). */
export const MAX_SETTLE_FEE_RATE = 10_000_000;

export interface SettleSpell {
  basis: number;
  /** Position in L(basis) of the bitmap's first bit (0: the first form, no offset field). */
  offset: number;
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
  if (s.offset > 0) {
    out.push(OFFSET_FLAG | s.bitmap.length);
    writeLeb128(out, BigInt(s.offset));
  } else out.push(s.bitmap.length);
  out.push(...s.bitmap, ...s.idsHash);
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
    const lenByte = b[pos++];
    if (lenByte === undefined) return { ok: false, message: "bad bitmap length" };
    const len = lenByte & ~OFFSET_FLAG;
    if (len < 1 || len > MAX_SETTLE_WINDOW / 8) return { ok: false, message: "bad bitmap length" };
    const offset = lenByte & OFFSET_FLAG ? Number(leb(32)) : 0;
    // One encoding per spell: an offset of 0 is the first form.
    if (lenByte & OFFSET_FLAG && offset === 0) return { ok: false, message: "an offset field of 0" };
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
    return { ok: true, spell: { basis, offset, feeRate, count, bitmap, idsHash } };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

const cmpObligation = (a: Obligation, b: Obligation) =>
  a.height !== b.height ? (a.height < b.height ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0;

/** Every open obligation created at or below `basis`, first in first out (height, then id). */
export function openAtBasis(state: State, basis: number): Obligation[] {
  const out: Obligation[] = [];
  for (const o of state.custody.obligations.values())
    if (o.status === "open" && o.height <= BigInt(basis)) out.push(o);
  return out.sort(cmpObligation);
}

/** L(basis, offset): the 256 open obligations at or below `basis` from position `offset` (first in first out). */
export function settleWindow(state: State, basis: number, offset = 0): Obligation[] {
  return openAtBasis(state, basis).slice(offset, offset + MAX_SETTLE_WINDOW);
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
  const window = settleWindow(state, spell.basis, spell.offset);
  const named: Obligation[] = [];
  for (let i = 0; i < spell.bitmap.length * 8; i++) {
    if (((spell.bitmap[i >> 3]! >> (i & 7)) & 1) === 0) continue;
    const o = window[i];
    if (!o)
      return {
        ok: false,
        message: `bit ${i} names no open obligation at basis ${spell.basis}, offset ${spell.offset}`,
      };
    named.push(o);
  }
  if (named.length !== spell.count)
    return { ok: false, message: `the bitmap names ${named.length}, not ${spell.count}` };
  const hash = idsHashOf(named.map((o) => o.id));
  if (!hash.every((x, i) => x === spell.idsHash[i]))
    return { ok: false, message: "the ids hash does not match" };
  return { ok: true, obligations: named };
}

/**
 * The settle spell naming `ids` (all within 256 places of L(basis)): offset 0 while they are all among
 * the first 256, else the place of the first of them.
 */
export function settleSpellFor(
  state: State,
  ids: readonly string[],
  basis: number,
  feeRate: number,
): { ok: true; spell: SettleSpell } | { ok: false; message: string } {
  const all = openAtBasis(state, basis);
  const place = new Map(all.map((o, i) => [o.id, i]));
  let first = Number.MAX_SAFE_INTEGER;
  let last = -1;
  for (const id of ids) {
    const i = place.get(id);
    if (i === undefined) continue; // reported below
    first = Math.min(first, i);
    last = Math.max(last, i);
  }
  const offset = last < MAX_SETTLE_WINDOW ? 0 : first;
  if (last - offset >= MAX_SETTLE_WINDOW)
    return { ok: false, message: `the obligations span more than ${MAX_SETTLE_WINDOW} places of the queue` };
  const window = all.slice(offset, offset + MAX_SETTLE_WINDOW);
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
  return {
    ok: true,
    spell: { basis, offset, feeRate, count: ordered.length, bitmap, idsHash: idsHashOf(ordered) },
  };
}
