/**
 * A real regtest chain in this process: a bcoin FullNode with an in-memory chain, no P2P, segwit
 * active (bcoin activates it after ~432 regtest blocks, so they are mined at start), a spender index
 * for outspend queries, a faucet key that received the early coinbases, and block mining. Node-only
 * dev tooling: never imported by browser code.
 *
 * bcoin prints regtest addresses with the `rb` prefix; this project speaks `bcrt` (btc-signer).
 * Only output scripts cross the boundary, so the prefix never matters: every address is turned into
 * its script with btc-signer and from there into a bcoin Address.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2wpkh, Script, Transaction } from "@scure/btc-signer";
import bcoin from "bcoin";
import { addressToScript, networkParams } from "../btc/network.ts";
import { feeForVsize } from "../btc/networkFees.ts";

const NET = "regtest" as const;
const COINBASE_MATURITY = 100;

export interface ChainOptions {
  /** Blocks mined at start (≥ 432 so segwit and CSV are active; default 500). */
  initialBlocks?: number;
  /** Log level of bcoin (default "error"). */
  logLevel?: string;
}

export interface SpentBy {
  txid: string;
  vin: number;
}

type BcoinTX = {
  txid(): string;
  hash(): Buffer;
  toRaw(): Buffer;
  inputs: {
    prevout: { txid(): string; hash: Buffer; index: number };
    witness: { items: Buffer[] };
    sequence: number;
    script: { toRaw(): Buffer };
  }[];
  outputs: { script: { toRaw(): Buffer }; value: number }[];
  isCoinbase(): boolean;
  getSize(): number;
  getWeight(): number;
  getVirtualSize(): number;
  getFee(view: unknown): number;
  version: number;
  locktime: number;
};

/** Runs a bcoin regtest node and the devnet's faucet. */
export class RegtestChain {
  readonly node: Bcoin;
  private readonly faucetKey = secp256k1.utils.randomSecretKey();
  readonly faucetScript: Uint8Array;
  readonly faucetAddress: string;
  /** "txid:vout" → spender, over confirmed blocks (bcoin keeps no such index). */
  private readonly spentBy = new Map<string, SpentBy>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly opts: ChainOptions = {}) {
    this.node = new bcoin.FullNode({
      network: "regtest",
      memory: true,
      workers: false,
      listen: false,
      selfish: true,
      noDns: true,
      logLevel: opts.logLevel ?? "error",
      indexTX: true,
      indexAddress: true,
      // Mirror Bitcoin Core ≥ 30 relay: large OP_RETURN spells are fine (regtest is non-standard-tolerant).
      requireStandard: false,
      replaceByFee: true,
      httpPort: 0,
      plugins: [],
    });
    const pay = p2wpkh(secp256k1.getPublicKey(this.faucetKey, true), networkParams(NET));
    this.faucetScript = pay.script;
    this.faucetAddress = pay.address!;
  }

  async open(): Promise<void> {
    // The node's HTTP server and P2P pool are not used: nothing listens but our own Esplora API.
    await this.node.chain.open();
    await this.node.mempool.open();
    await this.node.miner.open();
    this.node.chain.on("connect", (_entry: unknown, block: { txs: BcoinTX[] }) => this.index(block, true));
    this.node.chain.on("disconnect", (_entry: unknown, block: { txs: BcoinTX[] }) =>
      this.index(block, false),
    );
    await this.mine(this.opts.initialBlocks ?? 500, this.faucetScript);
  }

  async close(): Promise<void> {
    await this.node.miner.close();
    await this.node.mempool.close();
    await this.node.chain.close();
  }

  private index(block: { txs: BcoinTX[] }, connect: boolean): void {
    for (const tx of block.txs) {
      if (tx.isCoinbase()) continue;
      tx.inputs.forEach((input, vin) => {
        const key = `${input.prevout.txid()}:${input.prevout.index}`;
        if (connect) this.spentBy.set(key, { txid: tx.txid(), vin });
        else this.spentBy.delete(key);
      });
    }
  }

  get height(): number {
    return this.node.chain.height;
  }

  /** Serializes faucet/mining/broadcast work so the faucet never double-spends its own coins. */
  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Mines `n` blocks paying the coinbase to `script` (default: the faucet); returns their hashes. */
  mine(n: number, script: Uint8Array = this.faucetScript): Promise<string[]> {
    return this.serial(async () => {
      const address = bcoin.Script.fromRaw(Buffer.from(script)).getAddress();
      if (!address) throw new Error("mining needs a standard output script");
      const hashes: string[] = [];
      for (let i = 0; i < n; i++) {
        const block = await this.node.miner.mineBlock(this.node.chain.tip, address);
        await this.node.chain.add(block);
        hashes.push(block.rhash());
      }
      return hashes;
    });
  }

  /** Adds a raw transaction to the mempool; throws the node's reason when it is refused. */
  broadcast(hex: string): Promise<string> {
    return this.serial(() => this.accept(hex));
  }

  private async accept(hex: string): Promise<string> {
    let tx: BcoinTX;
    try {
      tx = bcoin.TX.fromRaw(Buffer.from(hex, "hex"));
    } catch (e) {
      throw new RejectedError(`TX decode failed: ${(e as Error).message}`);
    }
    try {
      // mempool.addTX, not node.sendTX: sendTX swallows score-0 verify errors ("broadcast anyway").
      const missing = await this.node.mempool.addTX(tx);
      if (missing && missing.length > 0) throw new RejectedError("missing-inputs");
    } catch (e) {
      if (e instanceof RejectedError) throw e;
      const err = e as { reason?: string; message?: string; code?: string };
      throw new RejectedError(err.reason ?? err.message ?? String(e));
    }
    return tx.txid();
  }

  /** Sends `sats` from the faucet to an address (mempool; mine to confirm). */
  /**
   * Sends `sats` to `address` (output 0; change is output 1); with `data`, an OP_RETURN carrying it
   * follows (output 2), e.g. a `fund` spell naming output 0 (the fee account's genesis funding).
   */
  faucet(address: string, sats: bigint, feeRate = 2, data?: Uint8Array): Promise<string> {
    return this.serial(async () => {
      const to = addressToScript(address, NET);
      const coins = await this.node.getCoinsByAddress([
        bcoin.Script.fromRaw(Buffer.from(this.faucetScript)).getAddress(),
      ]);
      const tip = this.height;
      const mature = coins
        .filter((c: Bcoin) => !c.coinbase || (c.height !== -1 && tip + 1 - c.height >= COINBASE_MATURITY))
        .sort((a: Bcoin, b: Bcoin) => b.value - a.value);
      const coin = mature[0];
      const fee = feeForVsize(10 + 68 + 2 * 31 + 12 + (data ? 11 + data.length : 0), feeRate);
      if (!coin || BigInt(coin.value) < sats + fee + 1000n)
        throw new Error("faucet is empty: mine more blocks");
      const tx = new Transaction({ version: 2, allowUnknownOutputs: true });
      tx.addInput({
        txid: coin.txid(),
        index: coin.index,
        witnessUtxo: { script: this.faucetScript, amount: BigInt(coin.value) },
      });
      tx.addOutput({ script: to, amount: sats });
      tx.addOutput({ script: this.faucetScript, amount: BigInt(coin.value) - sats - fee });
      if (data) tx.addOutput({ script: Script.encode(["RETURN", data]), amount: 0n });
      tx.sign(this.faucetKey);
      tx.finalize();
      return this.accept(tx.hex);
    });
  }

  async txMeta(txid: string): Promise<Bcoin | null> {
    return this.node.getMeta(revHex(txid));
  }

  spender(txid: string, vout: number): SpentBy | undefined {
    const confirmed = this.spentBy.get(`${txid}:${vout}`);
    if (confirmed) return confirmed;
    const entry = this.node.mempool.getSpent(revHex(txid), vout);
    if (!entry) return undefined;
    const tx: BcoinTX = entry.tx;
    const vin = tx.inputs.findIndex((i) => i.prevout.txid() === txid && i.prevout.index === vout);
    return { txid: tx.txid(), vin };
  }

  /** Fee estimate in sat/vB for a confirmation target: bcoin's estimator, else the minimum relay fee. */
  feeEstimate(target: number): number {
    const fees = this.node.fees;
    const max = fees?.feeStats?.maxConfirms ?? 25;
    const perKb = fees ? fees.estimateFee(Math.min(Math.max(1, target), max), true) : 0;
    const minRelay = this.node.mempool.options.minRelay ?? 1000;
    return Math.max(perKb, minRelay) / 1000;
  }
}

/** bcoin 1.0 hashes are hex strings in internal (reversed) byte order; this flips display ↔ internal. */
export const revHex = (h: string | Uint8Array): string =>
  Buffer.from(typeof h === "string" ? Buffer.from(h, "hex") : h)
    .reverse()
    .toString("hex");

export class RejectedError extends Error {
  override readonly name = "RejectedError";
}
