/**
 * Test double of Esplora (tests and benchmarks only): an in-memory chain that answers the indexer's
 * ChainSource calls the way Esplora's REST API does (25 transactions per page, headers with
 * tx_count and previousblockhash), so spells go through the real Indexer without a bitcoin node. Each
 * transaction has one input whose previous output belongs to the spell's actor (the address the
 * indexer reads as the actor) and one OP_RETURN output carrying the payload. This is for testing the
 * spell path; the chain data itself is exercised against the regtest devnet elsewhere.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { bytesToHex } from "@noble/hashes/utils.js";
import { Script } from "@scure/btc-signer";
import type { EsploraTx, Outspend, TxState, TxStatus } from "../../src/btc/esplora.ts";
import type { ChainSource } from "../../src/indexer/indexer.ts";

/** One transaction to put in a block: an OP_RETURN payload and the actor (null: a coinbase-like input). */
export interface ChainTx {
  actor: string | null;
  payload: Uint8Array;
}

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

  private transaction({ actor, payload }: ChainTx): EsploraTx {
    const txid = hashOf(`tx ${this.txCount++}`);
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
          prevout:
            actor === null
              ? null
              : {
                  scriptpubkey: "0014",
                  scriptpubkey_type: "v0_p2wpkh",
                  scriptpubkey_address: actor,
                  value: 10_000,
                },
        },
      ],
      vout: [
        {
          scriptpubkey: bytesToHex(Script.encode(["RETURN", payload])),
          scriptpubkey_type: "op_return",
          value: 0,
        },
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
