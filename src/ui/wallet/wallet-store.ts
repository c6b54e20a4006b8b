/**
 * The connected wallet (UI state, not persisted: a wallet is reconnected by the user each visit).
 * Connecting checks the wallet's network against the app's: a mismatch is refused with a sentence
 * that says which network to switch to, never a cryptic error.
 */
import { create } from "zustand";
import type { BtcNetworkName } from "../../btc/network.ts";
import type { BitcoinWallet, WalletAddresses } from "../../btc/wallet.ts";

export type WalletKind = "dev" | "sats-connect";

interface WalletState {
  wallet: BitcoinWallet | null;
  kind: WalletKind | null;
  addresses: WalletAddresses | null;
  connecting: WalletKind | null;
  error: string | null;
  connect(kind: WalletKind, network: BtcNetworkName): Promise<void>;
  disconnect(): void;
  clearError(): void;
}

const NETWORK_NAMES: Record<BtcNetworkName, string> = {
  mainnet: "Bitcoin mainnet",
  testnet4: "Testnet4",
  signet: "Signet",
  regtest: "Regtest (local dev chain)",
};

export const networkLabel = (network: BtcNetworkName): string => NETWORK_NAMES[network];

async function openWallet(kind: WalletKind, network: BtcNetworkName): Promise<BitcoinWallet> {
  if (kind === "dev") {
    if (network !== "regtest") {
      throw new Error(
        `The dev wallet works on regtest only, and the app is set to ${networkLabel(network)}. Connect a browser wallet, or switch the network to regtest in Settings.`,
      );
    }
    const { DevWallet } = await import("../../btc/devwallet.ts");
    return DevWallet.open({ network });
  }
  const { SatsConnectWallet } = await import("../../btc/satsconnect.ts");
  return new SatsConnectWallet();
}

/** A wallet failure in plain words with what to do next. */
export function walletErrorMessage(error: unknown): string {
  const e = error as { name?: string; code?: string; userMessage?: string; message?: string };
  if (e?.name === "WalletError") {
    switch (e.code) {
      case "userRejected":
        return "You declined the request in your wallet. Nothing was signed or sent; try again when ready.";
      case "noWallet":
        return "No Bitcoin wallet was found in this browser. Install Xverse (xverse.app) or another sats-connect wallet, then reload this page.";
      case "accessDenied":
        return "Your wallet refused access to this site. Allow zkUSD in the wallet's connected-sites settings and try again.";
      case "wrongNetwork":
        return "Your wallet is on a network this app does not support. Switch the wallet to the network shown in Settings.";
      default:
        return `${e.userMessage ?? "The wallet failed."} (${e.message ?? ""})`;
    }
  }
  return e?.message ?? String(error);
}

export const useWalletStore = create<WalletState>()((set, get) => ({
  wallet: null,
  kind: null,
  addresses: null,
  connecting: null,
  error: null,
  async connect(kind, network) {
    if (get().connecting) return;
    set({ connecting: kind, error: null });
    try {
      const wallet = await openWallet(kind, network);
      const walletNetwork = await wallet.getNetwork();
      if (walletNetwork !== network) {
        throw new Error(
          `Your wallet is on ${networkLabel(walletNetwork)} but zkUSD is set to ${networkLabel(network)}. Switch the wallet's network (or the app's, in Settings) and connect again.`,
        );
      }
      const addresses = await wallet.getAddresses();
      if (addresses.payment.type === "p2tr") {
        throw new Error(
          "Your wallet's payment address is Taproot-only. Vaults need a SegWit (P2WPKH or P2SH-P2WPKH) payment address: switch the wallet's payment address type and connect again.",
        );
      }
      set({ wallet, kind, addresses, connecting: null });
    } catch (error) {
      set({ wallet: null, kind: null, addresses: null, connecting: null, error: walletErrorMessage(error) });
    }
  },
  disconnect: () => set({ wallet: null, kind: null, addresses: null, error: null }),
  clearError: () => set({ error: null }),
}));

/** The connected payment address: the account id the engine knows this user by (the spell's actor). */
export const useAccountId = (): string | undefined => useWalletStore((s) => s.addresses?.payment.address);
