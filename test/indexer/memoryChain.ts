/**
 * Test double of Esplora (tests and benchmarks only): an in-memory chain that answers the indexer's
 * ChainSource calls the way Esplora's REST API does (25 transactions per page, headers with
 * tx_count and previousblockhash), so spells go through the real Indexer without a bitcoin node. Each
 * transaction has one input whose previous output belongs to the spell's actor (the address the
 * indexer reads as the actor) and one OP_RETURN output carrying the payload. This is for testing the
 * spell path; the chain data itself is exercised against the regtest devnet elsewhere.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { p2wpkh, Script } from "@scure/btc-signer";
import type { EsploraTx, Outspend, TxState, TxStatus } from "../../src/btc/esplora.ts";
import { networkParams } from "../../src/btc/network.ts";
import type { ChainSource } from "../../src/indexer/indexer.ts";

/**
 * One transaction to put in a block: the actor's name (its first input is a P2WPKH coin of the key
 * `MemoryChain.key(name)`, signed SIGHASH_ALL; null: a coinbase-like input), outputs to pay first
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
const SIG = bytesToHex(Uint8Array.from([0x30, ...new Array(69).fill(1), 0x01]));

interface MemoryBlock {
  hash: string;
  height: number;
  timestamp: number;
  previousblockhash?: string;
  txs: EsploraTx[];
}

const hashOf = (text: string) => bytesToHex(sha256(new TextEncoder().encode(text)));

export class MemoryChain implements ChainSource {
  private readonly blocks: MemoryBlock[] = [];
  private readonly hashes = new Map<string, MemoryBlock>();
  private readonly txs = new Map<string, { tx: EsploraTx; height: number }>();
  private txCount = 0;

  /** A chain whose first block (no spells) is at `baseHeight` with time `baseTime`. */
  constructor(
    readonly baseHeight: number,
    readonly baseTime: number,
  ) {
    const base = { hash: hashOf(`block ${baseHeight}`), height: baseHeight, timestamp: baseTime, txs: [] };
    this.blocks.push(base);
    this.hashes.set(base.hash, base);
  }

  /** The actor's compressed key (deterministic from the name). */
  static key(name: string): Uint8Array {
    return secp256k1.getPublicKey(sha256(new TextEncoder().encode(`actor ${name}`)), true);
  }

  /** The actor's account id: its P2WPKH regtest address. */
  static address(name: string): string {
    return p2wpkh(MemoryChain.key(name), NET).address!;
  }

  get height(): number {
    return this.blocks[this.blocks.length - 1]!.height;
  }

  /** Appends a block holding `txs` in order, `seconds` after the previous one; returns its height. */
  mine(txs: readonly ChainTx[], seconds = 600): number {
    const prev = this.blocks[this.blocks.length - 1]!;
    const height = prev.height + 1;
    const block: MemoryBlock = {
      hash: hashOf(`block ${height} after ${prev.hash}`),
      height,
      timestamp: prev.timestamp + seconds,
      previousblockhash: prev.hash,
      txs: txs.map((t) => this.transaction(t)),
    };
    this.blocks.push(block);
    this.hashes.set(block.hash, block);
    for (const tx of block.txs) this.txs.set(tx.txid, { tx, height });
    return height;
  }

  private transaction({ actor, payload, pay = [], spend = [] }: ChainTx): EsploraTx {
    const txid = hashOf(`tx ${this.txCount++}`);
    const key = actor === null ? undefined : MemoryChain.key(actor);
    return {
      txid,
      version: 2,
      locktime: 0,
      vin: [
        {
          txid: hashOf(`funding ${txid}`),
          vout: 0,
          is_coinbase: actor === null,
          sequence: 0xffffffff,
          scriptsig: "",
          witness: key ? [SIG, bytesToHex(key)] : [],
          prevout: key
            ? {
                scriptpubkey: bytesToHex(p2wpkh(key, NET).script),
                scriptpubkey_type: "v0_p2wpkh",
                scriptpubkey_address: MemoryChain.address(actor!),
                value: 10_000,
              }
            : null,
        },
        ...spend.map((s) => ({
          txid: s.txid,
          vout: s.vout,
          is_coinbase: false,
          sequence: 0xfffffffd,
          scriptsig: "",
          witness: s.witness.map(bytesToHex),
          prevout: null,
        })),
      ],
      vout: [
        ...pay.map((o) => ({
          scriptpubkey: bytesToHex(o.script),
          scriptpubkey_type: "unknown",
          value: Number(o.sats),
        })),
        ...(payload
          ? [
              {
                scriptpubkey: bytesToHex(Script.encode(["RETURN", payload])),
                scriptpubkey_type: "op_return",
                value: 0,
              },
            ]
          : []),
      ],
    } as EsploraTx;
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
    return this.at(height).hash;
  }
  async block(hash: string) {
    const b = this.byHash(hash);
    return {
      id: b.hash,
      height: b.height,
      timestamp: b.timestamp,
      tx_count: b.txs.length,
      ...(b.previousblockhash ? { previousblockhash: b.previousblockhash } : {}),
    };
  }
  async blockTxs(hash: string, start = 0) {
    return this.byHash(hash).txs.slice(start, start + 25);
  }
  async blockTxsAll(hash: string, count: number) {
    const txs = this.byHash(hash).txs;
    if (txs.length !== count) throw new Error(`block ${hash} has ${txs.length} transactions, not ${count}`);
    return [...txs];
  }
  async tx(txid: string) {
    const found = this.txs.get(txid);
    if (!found) throw new Error(`no transaction ${txid}`);
    return found.tx;
  }
  async txStatus(txid: string): Promise<TxStatus> {
    const found = this.txs.get(txid);
    if (!found) return { confirmed: false };
    return { confirmed: true, block_height: found.height, block_hash: this.at(found.height).hash };
  }
  async txState(txid: string): Promise<TxState> {
    const status = await this.txStatus(txid);
    return status.confirmed ? { state: "confirmed", status } : { state: "unknown" };
  }
  /** No transaction here spends another's outputs. */
  async outspends(txid: string): Promise<Outspend[]> {
    return (this.txs.get(txid)?.tx.vout ?? []).map(() => ({ spent: false }));
  }
}
