/**
 * Bitcoin blocks and transactions from their raw bytes, checked here rather than trusted from a
 * server (docs/bitcoin.md, "Verified chain data"). A block is accepted only when its 80-byte header
 * hashes to the hash asked for, its proof of work meets the target its `nBits` encodes and that target
 * is within the network's limit, its transactions hash to the header's merkle root (with Bitcoin
 * Core's duplicate-pair mutation check, CVE-2012-2459), the first and only the first transaction is a
 * coinbase, and the coinbase's BIP141 witness commitment matches the witness merkle root (so witnesses
 * are authentic too). A standalone transaction is accepted only when it hashes to the txid asked for.
 *
 * Serialization: Bitcoin Core `primitives/transaction.h` (BIP144 marker and flag), `serialize.h`
 * (canonical CompactSize); merkle: `consensus/merkle.cpp`; commitment: BIP141 "Commitment structure".
 */

import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes } from "@noble/hashes/utils.js";
import { hex } from "@scure/base";
import type { BtcNetworkName } from "./network.ts";
import { lenientHexBytes } from "./scripts.ts";

export type ChainDataErrorCode =
  | "malformed"
  | "wrongHash"
  | "brokenLink"
  | "badProofOfWork"
  | "badMerkleRoot"
  | "badCoinbase"
  | "badWitnessCommitment"
  | "wrongTx"
  | "sourcesDisagree"
  | "badSignetSolution";

/** Chain data that fails a check: the source is broken or lying; nothing of it may be used. */
export class ChainDataError extends Error {
  override readonly name = "ChainDataError";
  constructor(
    readonly code: ChainDataErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** One input of a transaction, as in its bytes (`prevTxid` in display order, like Esplora's). */
export interface ChainTxInput {
  prevTxid: string;
  vout: number;
  scriptSig: Uint8Array;
  /** Witness stack items; empty for an input without witness. */
  witness: Uint8Array[];
  sequence: number;
}

/** One output: its script and value in satoshis. */
export interface ChainTxOutput {
  script: Uint8Array;
  sats: bigint;
}

/** A transaction parsed from bytes that hash to `txid`. */
export interface ParsedTx {
  txid: string;
  wtxid: string;
  version: number;
  locktime: number;
  /** The block's first transaction (one input spending the null outpoint). */
  coinbase: boolean;
  inputs: ChainTxInput[];
  outputs: ChainTxOutput[];
}

/**
 * A transaction of a verified block, at `position` in it. This is the one shape the indexer's loop
 * (and the custody checks built on it) reads transactions in; nothing in it came from a server's JSON.
 */
export interface ChainTx extends ParsedTx {
  position: number;
}

export interface BlockHeader {
  /** Double-SHA256 of the 80 bytes, display order. */
  hash: string;
  version: number;
  prevHash: string;
  merkleRoot: string;
  time: number;
  bits: number;
  nonce: number;
}

export interface ChainBlock {
  header: BlockHeader;
  txs: ChainTx[];
}

/** A block's serialized size is at most its weight limit (4,000,000 weight units ≥ bytes). */
export const MAX_BLOCK_BYTES = 4_000_000;
const MAX_BLOCK_WEIGHT = 4_000_000;

/** The easiest target each network allows (Bitcoin Core `chainparams.cpp` powLimit). */
export const POW_LIMIT: Readonly<Record<BtcNetworkName, bigint>> = {
  mainnet: 0x00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffn,
  testnet4: 0x00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffffn,
  signet: 0x00000377ae000000000000000000000000000000000000000000000000000000n,
  regtest: 0x7fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffn,
};
/**
 * The least work a mainnet block must show when its parent is not at hand (a first header, after a
 * restart or a rollback): the target of block 840,000 (difficulty 86.4 T) eased by the most one
 * retarget allows (x4). Without it a difficulty-1 header (2^32 hashes: a GPU-second) passes as block
 * 900,000. Blocks below the checkpoint are never synced on mainnet (the protocol starts later).
 * testnet4 keeps its 20-minute minimum-difficulty rule, so difficulty-1 blocks are real there and no
 * floor can hold; signet is guarded by its block signature (signet.ts); regtest by nothing
 * (docs/bitcoin.md, "What a lying server can and cannot do").
 */
const MAINNET_CHECKPOINT = { height: 840_000, bits: 0x17034219 };

/** Regtest never retargets (`fPowNoRetargeting`): every block carries the genesis bits. */
const REGTEST_BITS = 0x207fffff;
const RETARGET_INTERVAL = 2016;

export const sha256d = (b: Uint8Array): Uint8Array => sha256(sha256(b));

const hexOf = (b: Uint8Array): string => hex.encode(b);
/** Hashes are little-endian numbers; Esplora and block explorers show them byte-reversed. */
export const displayHex = (hash: Uint8Array): string => hexOf(Uint8Array.from(hash).reverse());

class Reader {
  pos = 0;
  constructor(readonly b: Uint8Array) {}
  private need(n: number, what: string): void {
    if (this.pos + n > this.b.length)
      throw new ChainDataError(
        "malformed",
        `truncated at byte ${this.pos}: ${what} needs ${n} bytes, ${this.b.length - this.pos} left`,
      );
  }
  bytes(n: number, what: string): Uint8Array {
    this.need(n, what);
    const out = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(n: number, what: string): void {
    this.need(n, what);
    this.pos += n;
  }
  u8(what: string): number {
    this.need(1, what);
    return this.b[this.pos++]!;
  }
  u32(what: string): number {
    const b = this.bytes(4, what);
    return (b[0]! | (b[1]! << 8) | (b[2]! << 16) | (b[3]! << 24)) >>> 0;
  }
  u64(what: string): bigint {
    const lo = BigInt(this.u32(what));
    return lo | (BigInt(this.u32(what)) << 32n);
  }
  /** CompactSize, canonical only (Core refuses a longer encoding than needed), at most `max`. */
  size(what: string, max: number): number {
    const first = this.u8(what);
    let n: number;
    let min: number;
    if (first < 0xfd) return this.bounded(first, what, max);
    if (first === 0xfd) {
      const b = this.bytes(2, what);
      n = b[0]! | (b[1]! << 8);
      min = 0xfd;
    } else if (first === 0xfe) {
      n = this.u32(what);
      min = 0x10000;
    } else {
      const v = this.u64(what);
      if (v > BigInt(max)) throw new ChainDataError("malformed", `${what}: ${v} exceeds ${max}`);
      n = Number(v);
      min = 0x1_0000_0000;
    }
    if (n < min) throw new ChainDataError("malformed", `${what}: non-canonical size encoding at ${this.pos}`);
    return this.bounded(n, what, max);
  }
  private bounded(n: number, what: string, max: number): number {
    if (n > max) throw new ChainDataError("malformed", `${what}: ${n} exceeds ${max}`);
    return n;
  }
  get left(): number {
    return this.b.length - this.pos;
  }
}

/** Reads one transaction at the reader's position (BIP144 when the marker 0x00 and flag 0x01 follow the version). */
/**
 * Reads one transaction. `witnesses: false` steps over witness items without keeping them (their
 * count and sizes are still checked): a first pass that only needs txids costs no memory per item.
 */
function readTx(r: Reader, witnesses = true): ParsedTx {
  const start = r.pos;
  const version = r.u32("version");
  let segwit = false;
  if (r.left >= 2 && r.b[r.pos] === 0x00) {
    r.pos++;
    const flag = r.u8("segwit flag");
    if (flag !== 0x01)
      throw new ChainDataError("malformed", `unknown transaction flag ${flag} at ${r.pos - 1}`);
    segwit = true;
  }
  const bodyStart = r.pos;
  // Each input is at least 41 bytes and each output 9: counts beyond what is left are refused
  // before anything is allocated.
  const nIn = r.size("input count", Math.floor(r.left / 41));
  if (nIn === 0) throw new ChainDataError("malformed", `transaction at byte ${start} has no inputs`);
  const inputs: ChainTxInput[] = [];
  for (let i = 0; i < nIn; i++) {
    const prev = r.bytes(32, "previous txid");
    const vout = r.u32("previous output index");
    const scriptSig = r.bytes(r.size("scriptSig length", r.left), "scriptSig");
    const sequence = r.u32("sequence");
    inputs.push({ prevTxid: displayHex(prev), vout, scriptSig, witness: [], sequence });
  }
  const nOut = r.size("output count", Math.floor(r.left / 9));
  const outputs: ChainTxOutput[] = [];
  for (let i = 0; i < nOut; i++) {
    const sats = r.u64("output value");
    const script = r.bytes(r.size("script length", r.left), "output script");
    outputs.push({ sats, script });
  }
  const bodyEnd = r.pos;
  if (segwit) {
    let any = false;
    for (const input of inputs) {
      const items = r.size("witness item count", r.left);
      for (let j = 0; j < items; j++) {
        const size = r.size("witness item length", r.left);
        if (witnesses) input.witness.push(r.bytes(size, "witness item"));
        else r.skip(size, "witness item");
      }
      if (items > 0) any = true;
    }
    // Core: "Superfluous witness record" when the flag is set and every witness is empty.
    if (!any)
      throw new ChainDataError("malformed", `transaction at byte ${start} has an empty witness record`);
  }
  const locktime = r.u32("locktime");
  const raw = r.b.subarray(start, r.pos);
  const wtxid = sha256d(raw);
  const txid = segwit
    ? sha256d(concatBytes(raw.subarray(0, 4), r.b.subarray(bodyStart, bodyEnd), raw.subarray(raw.length - 4)))
    : wtxid;
  const first = inputs[0]!;
  const coinbase = nIn === 1 && first.vout === 0xffffffff && /^0{64}$/.test(first.prevTxid);
  return { txid: displayHex(txid), wtxid: displayHex(wtxid), version, locktime, coinbase, inputs, outputs };
}

/** Parses a raw transaction and checks it hashes to `txid` (never trust a server's prevout JSON). */
export function parseTx(raw: Uint8Array, txid: string): ParsedTx {
  const r = new Reader(raw);
  const tx = readTx(r);
  if (r.left !== 0)
    throw new ChainDataError("malformed", `transaction ${txid}: ${r.left} bytes after its end`);
  if (tx.txid !== txid)
    throw new ChainDataError("wrongTx", `asked for transaction ${txid}, the bytes served hash to ${tx.txid}`);
  return tx;
}

/** Parses an 80-byte header. */
export function parseHeader(raw: Uint8Array): BlockHeader {
  if (raw.length !== 80)
    throw new ChainDataError("malformed", `a block header is 80 bytes, got ${raw.length}`);
  const r = new Reader(raw);
  const version = r.u32("version") | 0;
  const prevHash = displayHex(r.bytes(32, "previous block hash"));
  const merkleRoot = displayHex(r.bytes(32, "merkle root"));
  const time = r.u32("time");
  const bits = r.u32("bits");
  const nonce = r.u32("nonce");
  return { hash: displayHex(sha256d(raw)), version, prevHash, merkleRoot, time, bits, nonce };
}

/** The merkle root of 32-byte hashes (internal order) and whether a level had an equal adjacent pair. */
export function merkleRoot(leaves: Uint8Array[]): { root: Uint8Array; mutated: boolean } {
  let level = leaves;
  let mutated = false;
  while (level.length > 1) {
    for (let i = 0; i + 1 < level.length; i += 2) if (equal(level[i]!, level[i + 1]!)) mutated = true;
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(sha256d(concatBytes(level[i]!, level[i + 1] ?? level[i]!)));
    level = next;
  }
  return { root: level[0] ?? new Uint8Array(32), mutated };
}

const equal = (a: Uint8Array, b: Uint8Array): boolean =>
  a.length === b.length && a.every((x, i) => x === b[i]);
export const internal = (displayHash: string): Uint8Array => lenientHexBytes(displayHash, 32).reverse();

/** The target `nBits` encodes, or null for a negative, zero or overflowing encoding (Core `SetCompact`). */
export function targetOfBits(bits: number): bigint | null {
  const exponent = bits >>> 24;
  const mantissa = bits & 0x007fffff;
  if (mantissa !== 0 && bits & 0x00800000) return null;
  const target =
    exponent <= 3
      ? BigInt(mantissa >>> (8 * (3 - exponent)))
      : BigInt(mantissa) << BigInt(8 * (exponent - 3));
  if (target === 0n || target >= 1n << 256n) return null;
  return target;
}

/**
 * Proof of work for the network: the hash meets the target, the target is within the network's
 * limit, and the difficulty follows the previous header's where that is knowable without the whole
 * chain: regtest never changes it; mainnet and signet keep it for 2,016 blocks and change it by at
 * most a factor of 4 at a retarget height. testnet4 lets any block drop to the limit (its 20-minute
 * rule), so only the limit is checked there.
 */
export function checkProofOfWork(
  header: BlockHeader,
  network: BtcNetworkName,
  height: number,
  prev?: BlockHeader,
): void {
  const target = targetOfBits(header.bits);
  const hex = `0x${header.bits.toString(16)}`;
  if (target === null)
    throw new ChainDataError("badProofOfWork", `block ${header.hash}: invalid nBits ${hex}`);
  if (target > POW_LIMIT[network])
    throw new ChainDataError(
      "badProofOfWork",
      `block ${header.hash}: target ${hex} is easier than ${network} allows`,
    );
  if (BigInt(`0x${header.hash}`) > target)
    throw new ChainDataError("badProofOfWork", `block ${header.hash} does not meet its own target ${hex}`);
  if (network === "mainnet" && prev === undefined && !(height < MAINNET_CHECKPOINT.height)) {
    const floor = targetOfBits(MAINNET_CHECKPOINT.bits)! * 4n;
    if (target > floor)
      throw new ChainDataError(
        "badProofOfWork",
        `block ${header.hash}: target ${hex} is easier than any mainnet block since height ${MAINNET_CHECKPOINT.height} (a cheaply mined header)`,
      );
  }
  if (network === "regtest" && header.bits !== REGTEST_BITS)
    throw new ChainDataError(
      "badProofOfWork",
      `block ${header.hash}: regtest bits must be 0x207fffff, got ${hex}`,
    );
  if ((network === "mainnet" || network === "signet") && prev) {
    if (height % RETARGET_INTERVAL !== 0) {
      if (header.bits !== prev.bits)
        throw new ChainDataError(
          "badProofOfWork",
          `block ${header.hash} at ${height} changes the difficulty between retargets (${hex} after 0x${prev.bits.toString(16)})`,
        );
    } else {
      const before = targetOfBits(prev.bits) ?? 0n;
      if (target > before * 4n || target < before / 4n)
        throw new ChainDataError(
          "badProofOfWork",
          `block ${header.hash}: retarget by more than a factor of 4`,
        );
    }
  }
}

const COMMITMENT_PREFIX = [0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed];

/**
 * Parses a raw block and checks everything that needs no other block: size and weight, the header
 * hash against `hash`, the merkle root, the coinbase, the witness commitment. Throws ChainDataError.
 */
export function parseBlock(raw: Uint8Array, hash: string): ChainBlock {
  if (raw.length > MAX_BLOCK_BYTES)
    throw new ChainDataError("malformed", `block ${hash}: ${raw.length} bytes exceed ${MAX_BLOCK_BYTES}`);
  if (raw.length < 80)
    throw new ChainDataError("malformed", `block ${hash}: ${raw.length} bytes is no block`);
  const header = parseHeader(raw.subarray(0, 80));
  if (header.hash !== hash)
    throw new ChainDataError(
      "wrongHash",
      `asked for block ${hash}, the header served hashes to ${header.hash}`,
    );
  const r = new Reader(raw);
  r.pos = 80;
  // A transaction is at least 60 bytes (version, one input, no output, locktime).
  const count = r.size("transaction count", Math.floor(r.left / 60));
  if (count === 0) throw new ChainDataError("malformed", `block ${hash} has no transactions`);
  // First pass, txids only: a body that is not the header's (junk padded into witness items, which
  // never change a txid) is refused by its merkle root before its witnesses cost any memory.
  const bodyStart = r.pos;
  const txids: string[] = [];
  for (let position = 0; position < count; position++) txids.push(readTx(r, false).txid);
  checkMerkleRoot(hash, header, txids);
  r.pos = bodyStart;
  const txs: ChainTx[] = [];
  let stripped = 80 + (r.pos - 80);
  for (let position = 0; position < count; position++) {
    const at = r.pos;
    const tx = readTx(r);
    const size = r.pos - at;
    const witnessBytes = tx.inputs.some((i) => i.witness.length > 0)
      ? 2 + tx.inputs.reduce((n, i) => n + witnessSize(i.witness), 0)
      : 0;
    stripped += size - witnessBytes;
    txs.push({ ...tx, position });
  }
  if (r.left !== 0)
    throw new ChainDataError("malformed", `block ${hash}: ${r.left} bytes after its last transaction`);
  if (stripped * 3 + raw.length > MAX_BLOCK_WEIGHT)
    throw new ChainDataError("malformed", `block ${hash} weighs more than ${MAX_BLOCK_WEIGHT}`);

  if (!txs[0]!.coinbase)
    throw new ChainDataError("badCoinbase", `block ${hash}: the first transaction is not a coinbase`);
  if (txs.slice(1).some((t) => t.coinbase))
    throw new ChainDataError("badCoinbase", `block ${hash}: a second coinbase`);
  checkWitnessCommitment(hash, txs);
  return { header, txs };
}

function checkMerkleRoot(hash: string, header: BlockHeader, txids: string[]): void {
  const { root, mutated } = merkleRoot(txids.map(internal));
  if (mutated)
    throw new ChainDataError("badMerkleRoot", `block ${hash} repeats a transaction (mutated merkle tree)`);
  if (displayHex(root) !== header.merkleRoot)
    throw new ChainDataError(
      "badMerkleRoot",
      `block ${hash}: its transactions do not hash to the header's merkle root (a transaction was dropped, added, reordered or altered)`,
    );
}

function witnessSize(items: Uint8Array[]): number {
  const sizeOf = (n: number) => (n < 0xfd ? 1 : n <= 0xffff ? 3 : n <= 0xffffffff ? 5 : 9);
  return sizeOf(items.length) + items.reduce((n, w) => n + sizeOf(w.length) + w.length, 0);
}

/** BIP141: the index of the coinbase's witness commitment, the last output starting 6a24aa21a9ed. */
export function witnessCommitmentIndex(coinbase: ParsedTx): number | null {
  let index: number | null = null;
  coinbase.outputs.forEach((o, i) => {
    if (o.script.length >= 38 && COMMITMENT_PREFIX.every((b, j) => o.script[j] === b)) index = i;
  });
  return index;
}

/** BIP141: the witness commitment commits to the wtxids' merkle root. */
function checkWitnessCommitment(hash: string, txs: ChainTx[]): void {
  const coinbase = txs[0]!;
  const at = witnessCommitmentIndex(coinbase);
  const commitment = at === null ? undefined : coinbase.outputs[at]!.script.subarray(6, 38);
  const witnessed = txs.some((t) => t.inputs.some((i) => i.witness.length > 0));
  if (!commitment) {
    if (witnessed)
      throw new ChainDataError(
        "badWitnessCommitment",
        `block ${hash} has witnesses but no witness commitment`,
      );
    return;
  }
  const reserved = coinbase.inputs[0]!.witness;
  if (reserved.length !== 1 || reserved[0]!.length !== 32)
    throw new ChainDataError(
      "badWitnessCommitment",
      `block ${hash}: the coinbase witness is not one 32-byte value`,
    );
  const leaves = txs.map((t, i) => (i === 0 ? new Uint8Array(32) : internal(t.wtxid)));
  const expected = sha256d(concatBytes(merkleRoot(leaves).root, reserved[0]!));
  if (!equal(expected, commitment))
    throw new ChainDataError(
      "badWitnessCommitment",
      `block ${hash}: the witnesses do not match the coinbase's witness commitment`,
    );
}
