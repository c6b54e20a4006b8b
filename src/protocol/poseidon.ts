/**
 * The one Poseidon over BN254 (circomlib's parameters): the state root, the vault circuit's hashes
 * (src/zk/hash.ts) and the oracle's EdDSA-Poseidon signatures (src/oracle/) all hash here. Uses
 * circomlibjs's WebAssembly implementation (≈ 14–19k two-input hashes/s here, about 4× poseidon-lite's
 * pure-bigint speed; the state root is 4–5× faster with it: docs/decisions.md §7 "One Poseidon");
 * field elements stay in its 32-byte Montgomery form inside trees to skip conversions.
 * Building the WebAssembly is asynchronous, so every entry point (worker start, CLI command, guardian
 * start, bench, test setup) calls `await initPoseidon()` once before its first hash; a hash before
 * that throws an Error that says so, never a wrong value.
 */
import { buildPoseidon } from "circomlibjs";

interface WasmPoseidon {
  (input: Uint8Array): Uint8Array;
  F: { e(x: bigint): Uint8Array; toObject(x: Uint8Array): bigint; zero: Uint8Array };
}

let instance: WasmPoseidon | undefined;
let loading: Promise<void> | undefined;

/** BN254 scalar field modulus. */
export const FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617n;

export function initPoseidon(): Promise<void> {
  loading ??= (async () => {
    instance = (await buildPoseidon()) as unknown as WasmPoseidon;
  })();
  return loading;
}

function hasher(): WasmPoseidon {
  if (!instance)
    throw new Error(
      "Poseidon is not initialised: await initPoseidon() at the entry point before the first hash " +
        '(docs/decisions.md §7 "One Poseidon")',
    );
  return instance;
}

/** A field element (Montgomery form, 32 bytes) from a non-negative integer below the modulus. */
export function fieldOf(x: bigint): Uint8Array {
  if (x < 0n || x >= FIELD_MODULUS) throw new RangeError(`value ${x} is outside the BN254 scalar field`);
  return hasher().F.e(x);
}

export function bigintOf(element: Uint8Array): bigint {
  return hasher().F.toObject(element);
}

const scratch = new Map<number, Uint8Array>();

/** Poseidon of 1–16 field elements. */
export function poseidonElements(elements: readonly Uint8Array[]): Uint8Array {
  const n = elements.length;
  if (n < 1 || n > 16) throw new RangeError(`Poseidon takes 1 to 16 inputs, got ${n}`);
  let buffer = scratch.get(n);
  if (!buffer) {
    buffer = new Uint8Array(32 * n);
    scratch.set(n, buffer);
  }
  for (let i = 0; i < n; i++) buffer.set(elements[i]!, 32 * i);
  return hasher()(buffer);
}

/** Poseidon of 1–16 integers, as an integer (circomlib Poseidon(n)). */
export function poseidon(inputs: readonly bigint[]): bigint {
  return bigintOf(poseidonElements(inputs.map(fieldOf)));
}
