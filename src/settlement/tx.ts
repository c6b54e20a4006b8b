/**
 * The transaction shape the settlement rules read: the indexer's verified transaction
 * (src/btc/block.ts `ChainTx`: parsed from bytes that hash to its txid), or any object with the same
 * inputs and outputs. The actor's previous output comes separately, from the indexer's verified
 * prevout lookup (never a server's JSON).
 */
import type { ChainTx, ChainTxInput, ChainTxOutput } from "../btc/block.ts";

export type { ChainTx, ChainTxInput, ChainTxOutput };

/** What the rules read of a transaction. */
export type TxShape = Pick<ChainTx, "txid" | "inputs" | "outputs">;

/** "txid:vout", the key of a coin. */
export const outpointKey = (txid: string, vout: number): string => `${txid}:${vout}`;
