/**
 * The indexer's Esplora JSON mapped onto the verified transaction shape (src/btc/block.ts) until the
 * loop reads verified raw blocks: the actor's previous output here is the server's word.
 */
import type { ChainTxOutput } from "../btc/block.ts";
import type { EsploraTx } from "../btc/esplora.ts";
import { lenientHexBytes } from "../btc/scripts.ts";
import type { TxShape } from "../settlement/index.ts";

// Esplora's hex is the server's word: read leniently (a stranger's bytes never make the indexer throw).
const bytes = (hex: string | undefined): Uint8Array => lenientHexBytes(hex);

export function chainTxOfEsplora(tx: EsploraTx): { tx: TxShape; actorPrevout: ChainTxOutput | undefined } {
  const first = tx.vin[0];
  return {
    tx: {
      txid: tx.txid,
      inputs: tx.vin.map((vin) => ({
        prevTxid: vin.txid,
        vout: vin.vout,
        scriptSig: bytes(vin.scriptsig),
        witness: (vin.witness ?? []).map(bytes),
        sequence: vin.sequence,
      })),
      outputs: tx.vout.map((o) => ({ script: bytes(o.scriptpubkey), sats: BigInt(o.value) })),
    },
    actorPrevout:
      !first || first.is_coinbase || !first.prevout
        ? undefined
        : { script: bytes(first.prevout.scriptpubkey), sats: BigInt(first.prevout.value) },
  };
}
