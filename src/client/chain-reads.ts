/**
 * The wallet's coins as the page reads them through the user's Esplora API, without React: each coin
 * with its funding transaction (cached), and the shape the PSBT builders take.
 */
import type { EsploraClient } from "../btc/esplora.ts";

export interface WalletCoin {
  txid: string;
  vout: number;
  value: bigint;
  confirmed: boolean;
  height?: number;
  /** The funding transaction (raw hex), so wallets that distrust witnessUtxo can check amounts. */
  rawTx?: string;
}

/** An address's coins, with each funding transaction's hex (cached: fetched once per transaction). */
export async function fetchWalletCoins(client: EsploraClient, address: string): Promise<WalletCoin[]> {
  const utxos = await client.addressUtxos(address);
  return Promise.all(
    utxos.map(async (u) => ({
      txid: u.txid,
      vout: u.vout,
      value: BigInt(u.value),
      confirmed: u.status.confirmed,
      ...(u.status.block_height !== undefined ? { height: u.status.block_height } : {}),
      rawTx: await client.txHex(u.txid),
    })),
  );
}

/** A coin as the builders' `walletUtxo` takes it. */
export const walletCoinUtxo = (c: WalletCoin) => ({
  txid: c.txid,
  vout: c.vout,
  value: c.value,
  ...(c.height !== undefined ? { height: c.height } : {}),
  ...(c.rawTx ? { rawTx: c.rawTx } : {}),
});
