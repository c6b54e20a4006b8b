/**
 * The indexer's verified view of the chain (docs/storage.md, "What the indexer checks"): Esplora
 * answers are used only after they are checked here. Blocks come raw, one request each, and must hash
 * to the hash asked for, carry valid proof of work for the network, commit to their transactions and
 * witnesses, and name their own height in the coinbase (BIP34); a previous output is read from the
 * raw previous transaction after it hashed to its txid. With a second Esplora every block hash is
 * asked of both, and a disagreement stops the sync with a sentence naming both servers.
 */
import { hex } from "@scure/base";
import {
  type BlockHeader,
  type ChainBlock,
  ChainDataError,
  type ChainTxOutput,
  checkProofOfWork,
  parseBlock,
  parseHeader,
  parseTx,
} from "../btc/block.ts";
import type { EsploraClient } from "../btc/esplora.ts";
import type { BtcNetworkName } from "../btc/network.ts";
import { checkSignetSolution } from "../btc/signet.ts";

/** The part of the Esplora client the indexer uses (the guardian may pass its own). */
export type ChainSource = Pick<
  EsploraClient,
  "tipHeight" | "blockHash" | "blockRaw" | "blockHeader" | "txRaw" | "tx" | "txState" | "outspends"
> &
  Partial<Pick<EsploraClient, "forgetBlockHash">> & { readonly baseUrl?: string };

/** Block 0 of each network (display order): the network a source serves when none is configured. */
export const GENESIS_HASH: Readonly<Record<BtcNetworkName, string>> = {
  mainnet: "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
  testnet4: "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043",
  signet: "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
  regtest: "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
};

/** First height whose coinbase must start with its height (BIP34; Core's chainparams, regtest: 1). */
const BIP34_HEIGHT: Readonly<Record<BtcNetworkName, number>> = {
  mainnet: 227_931,
  testnet4: 1,
  signet: 1,
  regtest: 1,
};

/** `CScript() << height` (Core's BIP34 check compares the coinbase's first bytes with it). */
export function heightPush(height: number): Uint8Array {
  if (height === 0) return Uint8Array.of(0x00);
  if (height <= 16) return Uint8Array.of(0x50 + height);
  const bytes: number[] = [];
  for (let v = height; v > 0; v = Math.floor(v / 256)) bytes.push(v % 256);
  if (bytes[bytes.length - 1]! & 0x80) bytes.push(0);
  return Uint8Array.from([bytes.length, ...bytes]);
}

const label = (s: ChainSource, i: number) => s.baseUrl ?? `Esplora #${i + 1}`;

/**
 * How many blocks the indexer asks for ahead of the one it applies, while far behind the tip: the
 * round trips of the next blocks overlap the work on this one (a fresh browser replaying a long
 * chain spent more than half its time waiting for two requests per block, one after the other).
 * Only final heights (CACHE_DEPTH under the tip) are asked ahead: their hashes are the ones the
 * client keeps anyway. The requests are the ones the sync makes anyway, through the same host caps.
 */
export const BLOCKS_AHEAD = 8;

/** A block asked for ahead of its turn: its hash (from every source) and its raw bytes, not yet checked. */
interface AheadBlock {
  hash: Promise<string>;
  raw: Promise<Uint8Array>;
}

export class VerifiedChain {
  private resolved?: BtcNetworkName;
  private readonly outputs = new Map<string, ChainTxOutput[]>();
  private readonly ahead = new Map<number, AheadBlock>();

  constructor(
    private readonly sources: readonly ChainSource[],
    network?: BtcNetworkName,
  ) {
    if (sources.length === 0) throw new Error("the indexer needs at least one Esplora source");
    this.resolved = network;
  }

  get primary(): ChainSource {
    return this.sources[0]!;
  }

  /** The configured network, else the one whose block 0 the source serves. */
  async network(): Promise<BtcNetworkName> {
    if (this.resolved) return this.resolved;
    const genesis = await this.blockHash(0);
    const found = (Object.keys(GENESIS_HASH) as BtcNetworkName[]).find((n) => GENESIS_HASH[n] === genesis);
    if (!found)
      throw new ChainDataError(
        "malformed",
        `block 0 of ${label(this.primary, 0)} is ${genesis}, the genesis of no known network: set the network in the sync settings`,
      );
    this.resolved = found;
    return found;
  }

  /** The lowest tip of the sources (where all of them can answer). */
  async tipHeight(): Promise<number> {
    const tips = await Promise.all(this.sources.map((s) => s.tipHeight()));
    return Math.min(...tips);
  }

  /**
   * Asks for the blocks from `from` to `to` (final heights only: the caller's bound) ahead of their
   * turn. Nothing is trusted until its turn: `blockHash` and `block` check the answers then, exactly
   * as answers fetched at that moment; a failed request is asked again then.
   */
  prefetch(from: number, to: number): void {
    for (let height = from; height <= to; height++) {
      if (this.ahead.has(height)) continue;
      const hash = this.fetchHash(height);
      const raw = hash.then((h) => this.primary.blockRaw(h));
      // Failures surface (and are retried) when the block's turn comes.
      hash.catch(() => undefined);
      raw.catch(() => undefined);
      this.ahead.set(height, { hash, raw });
    }
  }

  /** The block hash at `height`, the same from every source or a ChainDataError naming both. */
  async blockHash(height: number): Promise<string> {
    const ahead = this.ahead.get(height);
    if (ahead) {
      try {
        return await ahead.hash;
      } catch {
        this.ahead.delete(height); // asked again below, and its error is the one reported
      }
    }
    return this.fetchHash(height);
  }

  private async fetchHash(height: number): Promise<string> {
    const hashes = await Promise.all(this.sources.map((s) => s.blockHash(height)));
    const first = hashes[0]!;
    const other = hashes.findIndex((h) => h !== first);
    if (other > 0)
      throw new ChainDataError(
        "sourcesDisagree",
        `the Esplora servers disagree on block ${height}: ${label(this.primary, 0)} says ${first}, ${label(this.sources[other]!, other)} says ${hashes[other]}; syncing stops until they agree`,
      );
    return first;
  }

  /** The header of `hash`, checked to hash to it and to carry valid proof of work. */
  async header(hash: string): Promise<BlockHeader> {
    const header = parseHeader(hexBytes(await this.primary.blockHeader(hash)));
    if (header.hash !== hash)
      throw new ChainDataError(
        "wrongHash",
        `asked for header ${hash}, the bytes served hash to ${header.hash}`,
      );
    checkProofOfWork(header, await this.network(), Number.NaN);
    return header;
  }

  /**
   * The block `hash` at `height`, verified: raw bytes (src/btc/block.ts), proof of work for the
   * network (difficulty continuity against `prev` when known), and its height in the coinbase.
   */
  async block(hash: string, height: number, prev?: BlockHeader): Promise<ChainBlock> {
    const network = await this.network();
    let block: ChainBlock | undefined;
    // Checked before the client caches the bytes, so a lie is never kept.
    const verify = (raw: Uint8Array) => {
      block = parseBlock(raw, hash);
      if (network === "signet") checkSignetSolution(block);
      checkProofOfWork(
        block.header,
        network,
        height,
        prev?.hash === block.header.prevHash ? prev : undefined,
      );
      if (height >= BIP34_HEIGHT[network]) {
        const expected = heightPush(height);
        const script = block.txs[0]!.inputs[0]!.scriptSig;
        if (!expected.every((b, i) => script[i] === b))
          throw new ChainDataError(
            "wrongHash",
            `block ${hash} was served as block ${height}, but its coinbase does not name that height`,
          );
      }
    };
    const raw = (await this.aheadRaw(hash, height)) ?? (await this.primary.blockRaw(hash, verify));
    // A cached answer (or one asked for ahead) is checked here, as a fresh one is in `blockRaw`.
    if (!block) verify(raw);
    if (!block) throw new ChainDataError("malformed", `block ${hash} could not be read`);
    for (const tx of block.txs) this.remember(tx.txid, tx.outputs);
    return block;
  }

  /** The bytes of `hash` asked for ahead at `height`, once (undefined: none, or the request failed). */
  private async aheadRaw(hash: string, height: number): Promise<Uint8Array | undefined> {
    const ahead = this.ahead.get(height);
    if (!ahead) return undefined;
    this.ahead.delete(height);
    try {
      return (await ahead.hash) === hash ? await ahead.raw : undefined;
    } catch {
      return undefined;
    }
  }

  /**
   * Forgets every source's cached hash at `height` (its block failed a check: the hash may have been
   * a lie, or a reorg moved it), and every block asked for ahead.
   */
  forget(height: number): void {
    for (const s of this.sources) s.forgetBlockHash?.(height);
    this.dropAhead();
  }

  /** Drops the blocks asked for ahead (a sync ended: the next one asks again, near the tip it then sees). */
  dropAhead(): void {
    this.ahead.clear();
  }

  /** The output `txid:vout`, from the block just read or the raw transaction hashed to `txid`. */
  async prevout(txid: string, vout: number): Promise<ChainTxOutput> {
    let outputs = this.outputs.get(txid);
    if (!outputs) {
      outputs = parseTx(await this.primary.txRaw(txid), txid).outputs;
      this.remember(txid, outputs);
    }
    const out = outputs[vout];
    if (!out) throw new ChainDataError("wrongTx", `transaction ${txid} has no output ${vout}`);
    return out;
  }

  /** Keeps the outputs of the last few thousand transactions (spells often spend recent change). */
  private remember(txid: string, outputs: ChainTxOutput[]): void {
    this.outputs.delete(txid);
    this.outputs.set(txid, outputs);
    if (this.outputs.size > 5_000) this.outputs.delete(this.outputs.keys().next().value!);
  }
}

function hexBytes(text: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/i.test(text)) throw new ChainDataError("malformed", "expected hex");
  return hex.decode(text);
}
