/**
 * Test double of Esplora (tests and benchmarks only): an in-memory regtest chain that answers the
 * indexer's ChainSource calls the way Esplora's REST API does, with real bytes: raw blocks (80-byte
 * headers mined to regtest's target, BIP34 heights in the coinbase, merkle roots of the txids) and raw
 * transactions, so spells go through the real Indexer and its chain checks without a bitcoin node.
 * Each spell transaction's first input spends output 0 of a funding transaction (served by
 * `/tx/:txid/raw`) that pays the actor's P2WPKH script (`MemoryChain.key(name)`, witness signed
 * SIGHASH_ALL in shape), then any protocol coins it `spend`s; its outputs are what it `pay`s, then
 * the payload in an OP_RETURN. `null` spends an output with no address. Witnesses are committed in
 * the coinbase (BIP141), as on a real chain. This is for testing the spell
 * path; the chain data itself is exercised against the regtest devnet elsewhere.
 */

import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { p2wpkh, Script } from "@scure/btc-signer";
import type { EsploraTx, Outspend, TxState, TxStatus } from "../../src/btc/esplora.ts";
import { networkParams } from "../../src/btc/network.ts";
import { type ChainSource, GENESIS_HASH } from "../../src/indexer/index.ts";

/**
 * One transaction to put in a block: the actor's name (its first input is a P2WPKH coin of the key
 * `MemoryChain.key(name)`, signed SIGHASH_ALL; null: an input with no address), outputs to pay first
 * (a vault's inflow), more inputs (protocol coins spent, with their witness) and an OP_RETURN payload.
 */
export interface ChainTx {
  actor: string | null;
  payload?: Uint8Array;
  pay?: { script: Uint8Array; sats: bigint }[];
  spend?: { txid: string; vout: number; witness: Uint8Array[] }[];
}

const NET = networkParams("regtest");
/** A signature-shaped witness item ending with SIGHASH_ALL (consensus checked it on a real chain). */
const SIG = Uint8Array.from([0x30, ...new Array<number>(69).fill(1), 0x01]);

interface MemoryBlock {
  hash: string;
  height: number;
  timestamp: number;
  raw: Uint8Array;
  txids: string[];
}

const sha256d = (b: Uint8Array) => sha256(sha256(b));
const display = (h: Uint8Array) => bytesToHex(Uint8Array.from(h).reverse());
const internal = (hex: string) => Uint8Array.from(Buffer.from(hex, "hex")).reverse();
const u32 = (n: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
};
const u64 = (n: bigint) => {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, n, true);
  return b;
};
const size = (n: number) =>
  n < 0xfd
    ? Uint8Array.of(n)
    : n <= 0xffff
      ? Uint8Array.of(0xfd, n & 0xff, n >> 8)
      : Uint8Array.of(0xfe, ...u32(n));
const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};
interface RawInput {
  txid: Uint8Array;
  vout: number;
  scriptSig?: Uint8Array;
  sequence?: number;
  witness?: Uint8Array[];
}
/** A transaction (BIP144 with marker and flag when an input has a witness); its txid bytes too. */
const rawTx = (inputs: RawInput[], outputs: [bigint, Uint8Array][]): { raw: Uint8Array; id: Uint8Array } => {
  const body = concat(
    size(inputs.length),
    ...inputs.flatMap((i) => [
      i.txid,
      u32(i.vout),
      size(i.scriptSig?.length ?? 0),
      i.scriptSig ?? new Uint8Array(0),
      u32(i.sequence ?? 0xffffffff),
    ]),
    size(outputs.length),
    ...outputs.flatMap(([sats, script]) => [u64(sats), size(script.length), script]),
  );
  const id = sha256d(concat(u32(2), body, u32(0)));
  if (!inputs.some((i) => (i.witness ?? []).length > 0)) return { raw: concat(u32(2), body, u32(0)), id };
  const witness = inputs.flatMap((i) => [
    size(i.witness?.length ?? 0),
    ...(i.witness ?? []).flatMap((w) => [size(w.length), w]),
  ]);
  return { raw: concat(u32(2), Uint8Array.of(0, 1), body, ...witness, u32(0)), id };
};
/** BIP34: `CScript() << height` (heights above 16 here). */
const heightPush = (height: number) => {
  const bytes: number[] = [];
  for (let v = height; v > 0; v = Math.floor(v / 256)) bytes.push(v % 256);
  if (bytes[bytes.length - 1]! & 0x80) bytes.push(0);
  return Uint8Array.from([bytes.length, ...bytes]);
};
const merkle = (leaves: Uint8Array[]): Uint8Array => {
  let level = leaves;
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let i = 0; i < level.length; i += 2)
      next.push(sha256d(concat(level[i]!, level[i + 1] ?? level[i]!)));
    level = next;
  }
  return level[0]!;
};
const OP_TRUE = Uint8Array.of(0x51);

export class MemoryChain implements ChainSource {
  private readonly blocks: MemoryBlock[] = [];
  private readonly hashes = new Map<string, MemoryBlock>();
  /** Every raw transaction (block transactions and funding ones), with its block height if mined. */
  private readonly txs = new Map<string, { raw: Uint8Array; height?: number }>();
  private txCount = 0;

  /** A chain whose first block (no spells) is at `baseHeight` with time `baseTime`. */
  constructor(
    readonly baseHeight: number,
    readonly baseTime: number,
  ) {
    this.append(baseHeight, baseTime, new Uint8Array(32), []);
  }

  get height(): number {
    return this.blocks[this.blocks.length - 1]!.height;
  }

  /** The actor's compressed key (deterministic from the name). */
  static key(name: string): Uint8Array {
    return secp256k1.getPublicKey(sha256(new TextEncoder().encode(`actor ${name}`)), true);
  }

  /** The actor's account id: its P2WPKH regtest address. */
  static address(name: string): string {
    return p2wpkh(MemoryChain.key(name), NET).address!;
  }

  /** Appends a block holding `txs` in order, `seconds` after the previous one; returns its height. */
  mine(txs: readonly ChainTx[], seconds = 600): number {
    const prev = this.blocks[this.blocks.length - 1]!;
    this.append(prev.height + 1, prev.timestamp + seconds, internal(prev.hash), txs);
    return this.height;
  }

  private append(height: number, time: number, prevHash: Uint8Array, txs: readonly ChainTx[]): void {
    const built = txs.map((t) => this.transaction(t));
    const witnessed = built.some((t) => t.raw.length > 0 && t.raw[4] === 0 && t.raw[5] === 1);
    const commitment: [bigint, Uint8Array][] = [];
    if (witnessed) {
      // BIP141: the coinbase's wtxid counts as zero; reserved value 32 zero bytes.
      const root = merkle([new Uint8Array(32), ...built.map((t) => sha256d(t.raw))]);
      const c = sha256d(concat(root, new Uint8Array(32)));
      commitment.push([0n, concat(Uint8Array.of(0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed), c)]);
    }
    const coinbase = rawTx(
      [
        {
          txid: new Uint8Array(32),
          vout: 0xffffffff,
          scriptSig: concat(heightPush(height), Uint8Array.of(0)),
          ...(witnessed ? { witness: [new Uint8Array(32)] } : {}),
        },
      ],
      [[50n * 100_000_000n, OP_TRUE], ...commitment],
    );
    const all = [coinbase, ...built];
    const ids = all.map((t) => t.id);
    const header = concat(u32(0x20000000), prevHash, merkle(ids), u32(time), u32(0x207fffff), u32(0));
    // Regtest's target is 2^255 (bits 0x207fffff): about every other nonce meets it.
    for (let nonce = 0; sha256d(header)[31]! >= 0x80; nonce++) header.set(u32(nonce), 76);
    const block: MemoryBlock = {
      hash: display(sha256d(header)),
      height,
      timestamp: time,
      raw: concat(header, size(all.length), ...all.map((t) => t.raw)),
      txids: ids.map(display),
    };
    this.blocks.push(block);
    this.hashes.set(block.hash, block);
    for (const [i, t] of all.entries()) this.txs.set(block.txids[i]!, { raw: t.raw, height });
  }

  /** Drops the last `depth` blocks (a reorg: the next `mine` builds the other branch). */
  reorg(depth: number): void {
    this.rewind(Math.max(this.baseHeight, this.height - depth));
  }

  private transaction({ actor, payload, pay = [], spend = [] }: ChainTx): {
    raw: Uint8Array;
    id: Uint8Array;
  } {
    const n = this.txCount++;
    const key = actor === null ? undefined : MemoryChain.key(actor);
    // A transaction that only spends given coins (a settlement) has no funding input.
    const funded = !(actor === null && spend.length > 0);
    const funding = rawTx(
      [{ txid: sha256(new TextEncoder().encode(`funding ${n}`)), vout: 0 }],
      [[10_000n, key ? p2wpkh(key, NET).script : OP_TRUE]],
    );
    if (funded) this.txs.set(display(funding.id), { raw: funding.raw });
    return rawTx(
      [
        ...(funded ? [{ txid: funding.id, vout: 0, witness: key ? [SIG, key] : [] }] : []),
        ...spend.map((s) => ({
          txid: internal(s.txid),
          vout: s.vout,
          sequence: 0xfffffffd,
          witness: s.witness,
        })),
      ],
      [
        ...pay.map((o): [bigint, Uint8Array] => [o.sats, o.script]),
        ...(payload ? [[0n, Script.encode(["RETURN", payload])] as [bigint, Uint8Array]] : []),
      ],
    );
  }

  /** Drops every block above `height` (a reorg: mine the new branch next). */
  rewind(height: number): void {
    this.blocks.splice(height - this.baseHeight + 1);
  }

  /** A block's header and transactions as bytes (for tests that tamper with them). */
  parts(hash: string): { header: Uint8Array; txs: Uint8Array[] } {
    const b = this.byHash(hash);
    return { header: b.raw.slice(0, 80), txs: b.txids.map((id) => this.txs.get(id)!.raw) };
  }

  /** Header and transactions serialized as a block. */
  static block(header: Uint8Array, txs: Uint8Array[]): Uint8Array {
    return concat(header, size(txs.length), ...txs);
  }

  private at(height: number): MemoryBlock {
    const block = this.blocks[height - this.baseHeight];
    if (!block) throw new Error(`no block at height ${height}`);
    return block;
  }

  private byHash(hash: string): MemoryBlock {
    const block = this.hashes.get(hash);
    if (!block) throw new Error(`no block ${hash}`);
    return block;
  }

  async tipHeight() {
    return this.height;
  }
  async blockHash(height: number) {
    // Block 0 is regtest's genesis (the indexer reads the network from it); the rest is in memory.
    if (height === 0 && this.baseHeight > 0) return GENESIS_HASH.regtest;
    return this.at(height).hash;
  }
  async blockRaw(hash: string) {
    return this.byHash(hash).raw;
  }
  async blockHeader(hash: string) {
    return bytesToHex(this.byHash(hash).raw.subarray(0, 80));
  }
  async txRaw(txid: string) {
    const found = this.txs.get(txid);
    if (!found) throw new Error(`no transaction ${txid}`);
    return found.raw;
  }
  /** Only what `trackPending` reads: the outputs' scripts. */
  async tx(txid: string) {
    const found = this.txs.get(txid);
    if (!found) throw new Error(`no transaction ${txid}`);
    return { txid, vin: [], vout: [] } as unknown as EsploraTx;
  }
  async txStatus(txid: string): Promise<TxStatus> {
    const found = this.txs.get(txid);
    if (found?.height === undefined) return { confirmed: false };
    return { confirmed: true, block_height: found.height, block_hash: this.at(found.height).hash };
  }
  async txState(txid: string): Promise<TxState> {
    const status = await this.txStatus(txid);
    return status.confirmed ? { state: "confirmed", status } : { state: "unknown" };
  }
  /** Nothing here spends another transaction's outputs as far as pending checks are concerned. */
  async outspends(txid: string): Promise<Outspend[]> {
    return this.txs.has(txid) ? [{ spent: false }] : [];
  }
}
