/**
 * Custody scripts (docs/decisions.md §2). A vault is a P2WSH output of
 *
 *   IF   <owner> CHECKSIGVERIFY  k <G1..Gn> n CHECKMULTISIG           (a) owner AND guardian quorum
 *   ELSE IF k <G1..Gn> n CHECKMULTISIG                                 (b) guardian quorum alone
 *        ELSE <csv> CHECKSEQUENCEVERIFY DROP <owner> CHECKSIG          (c) owner after a relative timelock
 *        ENDIF
 *   ENDIF
 *
 * Guardian keys are sorted (BIP67) so the script is a function of the key set. Protocol pools are
 * plain sorted k-of-n P2WSH multisig outputs of the same guardians.
 */

import { secp256k1 } from "@noble/curves/secp256k1.js";
import { hex } from "@scure/base";
import { p2wsh, Script } from "@scure/btc-signer";
import { BtcInputError } from "./errors.ts";
import { type BtcNetworkName, networkParams } from "./network.ts";

/** ≈ 6 months of blocks (docs/decisions.md §2, governance parameter). */
export const DEFAULT_ESCAPE_CSV_BLOCKS = 26_280;
/** BIP68 block-based relative lock fits in 16 bits. */
export const MAX_CSV_BLOCKS = 0xffff;

export type VaultPath = "ownerAndGuardians" | "guardians" | "ownerAfterTimelock";

export interface GuardianSet {
  /** Signatures required (k). */
  threshold: number;
  /** Compressed 33-byte keys (n); stored sorted. */
  keys: Uint8Array[];
}

export interface VaultTerms {
  /** Owner's compressed 33-byte key: the wallet's payment public key. */
  owner: Uint8Array;
  guardians: GuardianSet;
  /** Relative timelock of the escape path in blocks (default 26,280). */
  csvBlocks?: number;
}

/** A vault's scripts: what a PSBT input needs to spend it and what an output needs to fund it. */
export interface VaultDescriptor {
  kind: "vault";
  owner: Uint8Array;
  guardians: GuardianSet;
  csvBlocks: number;
  /** The witness script. */
  witnessScript: Uint8Array;
  /** The P2WSH output script (OP_0 <sha256(witnessScript)>). */
  script: Uint8Array;
}

export interface PoolDescriptor {
  kind: "pool";
  guardians: GuardianSet;
  witnessScript: Uint8Array;
  script: Uint8Array;
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);
const cmp = (a: Uint8Array, b: Uint8Array) => {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
};

/** Checks a compressed secp256k1 public key. */
export function assertPublicKey(key: unknown, what = "public key"): Uint8Array {
  if (!(key instanceof Uint8Array) || key.length !== 33 || (key[0] !== 2 && key[0] !== 3)) {
    throw new BtcInputError(
      "invalidKey",
      `${what}: expected a 33-byte compressed key, got ${key instanceof Uint8Array ? `${key.length} bytes` : typeof key}`,
    );
  }
  try {
    secp256k1.Point.fromBytes(key);
  } catch {
    throw new BtcInputError("invalidKey", `${what}: not a point on secp256k1`);
  }
  return key;
}

function normalizeGuardians(g: GuardianSet): GuardianSet {
  const n = g.keys.length;
  if (!Number.isInteger(g.threshold) || g.threshold < 1 || g.threshold > n || n > 15) {
    throw new BtcInputError("invalidParameter", `guardians: need 1 ≤ k ≤ n ≤ 15, got ${g.threshold}-of-${n}`);
  }
  const keys = g.keys.map((k, i) => assertPublicKey(k, `guardian key ${i}`)).sort(cmp);
  for (let i = 1; i < keys.length; i++) {
    if (eq(keys[i]!, keys[i - 1]!)) throw new BtcInputError("invalidKey", "guardian keys must be distinct");
  }
  return { threshold: g.threshold, keys };
}

const multisigOps = (g: GuardianSet) => [g.threshold, ...g.keys, g.keys.length, "CHECKMULTISIG"] as const;

/** Builds the vault's witness script and P2WSH output script. */
export function vaultDescriptor(terms: VaultTerms): VaultDescriptor {
  const owner = assertPublicKey(terms.owner, "owner key");
  const guardians = normalizeGuardians(terms.guardians);
  const csvBlocks = terms.csvBlocks ?? DEFAULT_ESCAPE_CSV_BLOCKS;
  if (!Number.isInteger(csvBlocks) || csvBlocks < 1 || csvBlocks > MAX_CSV_BLOCKS) {
    throw new BtcInputError(
      "invalidParameter",
      `csvBlocks: expected 1 to ${MAX_CSV_BLOCKS}, got ${csvBlocks}`,
    );
  }
  if (guardians.keys.some((k) => eq(k, owner))) {
    throw new BtcInputError("invalidKey", "the owner key cannot also be a guardian key");
  }
  const witnessScript = Script.encode([
    "IF",
    owner,
    "CHECKSIGVERIFY",
    ...multisigOps(guardians),
    "ELSE",
    "IF",
    ...multisigOps(guardians),
    "ELSE",
    csvBlocks,
    "CHECKSEQUENCEVERIFY",
    "DROP",
    owner,
    "CHECKSIG",
    "ENDIF",
    "ENDIF",
  ]);
  const script = p2wsh({ type: "unknown", script: witnessScript }).script;
  return { kind: "vault", owner, guardians, csvBlocks, witnessScript, script };
}

/** The guardian pool: a sorted k-of-n P2WSH multisig. */
export function poolDescriptor(guardians: GuardianSet): PoolDescriptor {
  const g = normalizeGuardians(guardians);
  const witnessScript = Script.encode([...multisigOps(g)]);
  return {
    kind: "pool",
    guardians: g,
    witnessScript,
    script: p2wsh({ type: "unknown", script: witnessScript }).script,
  };
}

/** Address of a vault or pool on a network. */
export function descriptorAddress(d: VaultDescriptor | PoolDescriptor, network: BtcNetworkName): string {
  return p2wsh({ type: "unknown", script: d.witnessScript }, networkParams(network)).address!;
}

type Op = string | number | Uint8Array;
const isKey = (x: Op | undefined): x is Uint8Array => x instanceof Uint8Array && x.length === 33;

function readMultisig(ops: Op[], at: number): [GuardianSet, number] | undefined {
  const k = ops[at];
  if (typeof k !== "number") return undefined;
  const keys: Uint8Array[] = [];
  let i = at + 1;
  while (isKey(ops[i])) keys.push(ops[i++] as Uint8Array);
  if (ops[i] !== keys.length || ops[i + 1] !== "CHECKMULTISIG" || k < 1 || k > keys.length) return undefined;
  return [{ threshold: k, keys }, i + 2];
}

/** Recognises a witness script built by this module; undefined for anything else. */
export function parseCustodyScript(witnessScript: Uint8Array): VaultDescriptor | PoolDescriptor | undefined {
  let ops: Op[];
  try {
    ops = Script.decode(witnessScript) as Op[];
  } catch {
    return undefined;
  }
  try {
    const ms = readMultisig(ops, 0);
    if (ms && ms[1] === ops.length) {
      const pool = poolDescriptor(ms[0]);
      return eq(pool.witnessScript, witnessScript) ? pool : undefined;
    }
    const owner = ops[1];
    const csv = ops.at(-7);
    if (ops[0] !== "IF" || !isKey(owner)) return undefined;
    const ms2 = readMultisig(ops, 3);
    if (!ms2) return undefined;
    const csvBlocks =
      typeof csv === "number" ? csv : csv instanceof Uint8Array ? Number(decodeScriptNum(csv)) : Number.NaN;
    const v = vaultDescriptor({ owner, guardians: ms2[0], csvBlocks });
    return eq(v.witnessScript, witnessScript) ? v : undefined;
  } catch {
    return undefined;
  }
}

function decodeScriptNum(b: Uint8Array): bigint {
  if (b.length === 0 || b.length > 4) return -1n;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  const sign = 1n << BigInt(b.length * 8 - 1);
  return v & sign ? -(v & (sign - 1n)) : v;
}

const TRUE = Uint8Array.of(1);
const FALSE = new Uint8Array(0);

/**
 * The witness stack (without the witness script) that spends a vault by `path`. `guardianSigs`
 * maps hex key → signature; exactly `threshold` of them are used, in script (sorted key) order.
 */
export function vaultWitness(
  vault: VaultDescriptor,
  path: VaultPath,
  sigs: { owner?: Uint8Array; guardians?: Map<string, Uint8Array> },
): Uint8Array[] {
  const need = (what: string): never => {
    throw new BtcInputError("invalidParameter", `vault ${path} spend is missing ${what}`);
  };
  const guardianSigs = () => {
    const out: Uint8Array[] = [];
    for (const k of vault.guardians.keys) {
      const s = sigs.guardians?.get(toHex(k));
      if (s && out.length < vault.guardians.threshold) out.push(s);
    }
    if (out.length < vault.guardians.threshold) need(`${vault.guardians.threshold} guardian signatures`);
    return out;
  };
  switch (path) {
    case "ownerAndGuardians":
      return [FALSE, ...guardianSigs(), sigs.owner ?? need("the owner signature"), TRUE];
    case "guardians":
      return [FALSE, ...guardianSigs(), TRUE, FALSE];
    case "ownerAfterTimelock":
      return [sigs.owner ?? need("the owner signature"), FALSE, FALSE];
  }
}

/** Witness stack (without the script) for a pool multisig spend. */
export function poolWitness(pool: PoolDescriptor, guardianSigs: Map<string, Uint8Array>): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const k of pool.guardians.keys) {
    const s = guardianSigs.get(toHex(k));
    if (s && out.length < pool.guardians.threshold) out.push(s);
  }
  if (out.length < pool.guardians.threshold) {
    throw new BtcInputError(
      "invalidParameter",
      `pool spend needs ${pool.guardians.threshold} guardian signatures`,
    );
  }
  return [FALSE, ...out];
}

export const toHex = (b: Uint8Array): string => hex.encode(b);
export const fromHex = (h: string): Uint8Array => {
  if (!/^([0-9a-f]{2})*$/i.test(h))
    throw new BtcInputError("invalidParameter", "expected an even-length hex string");
  return hex.decode(h);
};

/**
 * Hex → bytes that never throws, for hex a server or a peer sent (Esplora's JSON, obligation ids in a
 * request or a spell): a pair that is not hex reads as 0 and an odd last digit is dropped; with
 * `length` the bytes are cut or zero-padded to it. Everything else uses `fromHex`, which refuses.
 */
export function lenientHexBytes(h: string | undefined, length?: number): Uint8Array {
  const text = h ?? "";
  const n = length ?? text.length >> 1;
  if (/^([0-9a-f]{2})*$/i.test(text) && text.length === 2 * n) return hex.decode(text);
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = Number.parseInt(text.slice(2 * i, 2 * i + 2), 16) || 0;
  return out;
}
