/**
 * Unsigned LEB128 (little-endian base-128) for spell integers. Decoding is strict: the encoding must
 * be minimal (no trailing 0x00 group), so every value has exactly one byte form and a spell's bytes
 * are a function of its content.
 */
import { SpellDecodeError } from "./errors.ts";

/** Appends the LEB128 bytes of a non-negative bigint to `out`. */
export function writeLeb128(out: number[], value: bigint): void {
  if (value < 0n) throw new RangeError(`LEB128: expected a non-negative integer, got ${value}`);
  let v = value;
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v !== 0n) byte |= 0x80;
    out.push(byte);
  } while (v !== 0n);
}

/** Byte length of the LEB128 form of `value`. */
export function leb128Length(value: bigint): number {
  let n = 1;
  let v = value >> 7n;
  while (v !== 0n) {
    n++;
    v >>= 7n;
  }
  return n;
}

/**
 * Reads a minimal LEB128 integer below 2^maxBits at `offset`. Returns the value and the next offset;
 * throws SpellDecodeError on truncation, a non-minimal form or an oversized value.
 */
export function readLeb128(bytes: Uint8Array, offset: number, maxBits = 256): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  let i = offset;
  const maxBytes = Math.ceil(maxBits / 7);
  for (;;) {
    if (i >= bytes.length) throw new SpellDecodeError("truncated", "integer runs past the end", i);
    const byte = bytes[i]!;
    i++;
    value |= BigInt(byte & 0x7f) << shift;
    shift += 7n;
    if ((byte & 0x80) === 0) {
      if (byte === 0 && i - offset > 1) {
        throw new SpellDecodeError("nonCanonicalInteger", "integer has a trailing zero group", i - 1);
      }
      break;
    }
    if (i - offset >= maxBytes) {
      throw new SpellDecodeError("integerTooLarge", `integer longer than ${maxBytes} bytes`, i);
    }
  }
  if (value >> BigInt(maxBits) !== 0n) {
    throw new SpellDecodeError("integerTooLarge", `integer does not fit in ${maxBits} bits`, offset);
  }
  return [value, i];
}
