/**
 * The wallets the app connects, each loaded on demand (its own chunk, fetched when the user connects):
 * the dev wallet and the devnet's faucet on regtest, a sats-connect browser wallet elsewhere.
 */
import type { BtcNetworkName } from "../btc/network.ts";
import type { BitcoinWallet } from "../btc/wallet.ts";

/** The dev wallet of this browser (regtest only; the caller says why not elsewhere). */
export async function openDevWallet(network: BtcNetworkName): Promise<BitcoinWallet> {
  const { DevWallet } = await import("../btc/devwallet.ts");
  return DevWallet.open({ network });
}

/** A browser wallet through sats-connect. */
export async function openSatsConnectWallet(): Promise<BitcoinWallet> {
  const { SatsConnectWallet } = await import("../btc/satsconnect.ts");
  return new SatsConnectWallet();
}

/** The devnet's faucet pays `sats` to `address`, then one block confirms it. */
export async function devnetFund(esploraUrl: string, address: string, sats: bigint): Promise<void> {
  const { devnetFaucet, devnetMine } = await import("../btc/devwallet.ts");
  await devnetFaucet(esploraUrl, address, sats);
  await devnetMine(esploraUrl, 1);
}
