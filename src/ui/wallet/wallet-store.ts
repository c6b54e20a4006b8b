import { hex } from "@scure/base";
import { create } from "zustand";
import {
  type BitcoinWallet,
  type BtcNetworkName,
  openDevWallet,
  openSatsConnectWallet,
  type WalletAddress,
  type WalletAddresses,
} from "../../client/index.ts";

export type WalletKind = "dev" | "sats-connect";

interface WalletState {
  wallet: BitcoinWallet | null;
  kind: WalletKind | null;
  addresses: WalletAddresses | null;
  connecting: WalletKind | null;
  error: string | null;
  connect(kind: WalletKind, network: BtcNetworkName): Promise<void>;
  /** Reopens the wallet connected before the reload, if any (see the file comment). */
  reconnect(network: BtcNetworkName): Promise<void>;
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
    return openDevWallet(network);
  }
  return openSatsConnectWallet();
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

const SAVED_KEY = "zkusd.wallet";

interface SavedAddress {
  address: string;
  publicKey: string;
  purpose: WalletAddress["purpose"];
  type: WalletAddress["type"];
}

interface SavedWallet {
  kind: WalletKind;
  network: BtcNetworkName;
  payment: SavedAddress;
  ordinals?: SavedAddress;
}

const saveAddress = (a: WalletAddress): SavedAddress => ({ ...a, publicKey: hex.encode(a.publicKey) });
const loadAddress = (a: SavedAddress): WalletAddress => ({ ...a, publicKey: hex.decode(a.publicKey) });

function storage(): Storage | null {
  try {
    return typeof localStorage === "undefined" ? null : localStorage;
  } catch {
    return null; // storage disabled by the browser: connections simply do not survive a reload
  }
}

function saveWallet(kind: WalletKind, addresses: WalletAddresses): void {
  const saved: SavedWallet = {
    kind,
    network: addresses.network,
    payment: saveAddress(addresses.payment),
    ...(addresses.ordinals ? { ordinals: saveAddress(addresses.ordinals) } : {}),
  };
  storage()?.setItem(SAVED_KEY, JSON.stringify(saved));
}

/** The wallet saved at connect time, or null (none, or unreadable: then it is forgotten). */
export function savedWallet(): SavedWallet | null {
  const raw = storage()?.getItem(SAVED_KEY);
  if (!raw) return null;
  try {
    const s = JSON.parse(raw) as SavedWallet;
    if ((s.kind !== "dev" && s.kind !== "sats-connect") || typeof s.payment?.address !== "string")
      throw new Error("not a saved wallet");
    loadAddress(s.payment);
    return s;
  } catch {
    storage()?.removeItem(SAVED_KEY);
    return null;
  }
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
      saveWallet(kind, addresses);
      set({ wallet, kind, addresses, connecting: null });
    } catch (error) {
      set({ wallet: null, kind: null, addresses: null, connecting: null, error: walletErrorMessage(error) });
    }
  },
  async reconnect(network) {
    const saved = savedWallet();
    if (!saved || get().wallet || get().connecting) return;
    if (saved.network !== network) {
      // The app's network changed in Settings since: that connection does not apply any more.
      storage()?.removeItem(SAVED_KEY);
      return;
    }
    if (saved.kind === "dev") {
      await get().connect("dev", network); // no prompt: the keys are in this browser
      if (get().error) storage()?.removeItem(SAVED_KEY);
      return;
    }
    set({ connecting: saved.kind, error: null });
    try {
      const wallet = await openWallet(saved.kind, network);
      const walletNetwork = await wallet.getNetwork();
      if (walletNetwork !== network) {
        throw new Error(
          `Your wallet is now on ${networkLabel(walletNetwork)} but zkUSD is set to ${networkLabel(network)}. Switch the wallet's network and connect again.`,
        );
      }
      const addresses: WalletAddresses = {
        payment: loadAddress(saved.payment),
        ...(saved.ordinals ? { ordinals: loadAddress(saved.ordinals) } : {}),
        network,
      };
      set({ wallet, kind: saved.kind, addresses, connecting: null });
    } catch (error) {
      storage()?.removeItem(SAVED_KEY);
      set({
        wallet: null,
        kind: null,
        addresses: null,
        connecting: null,
        error: `Your wallet did not reconnect after the reload: ${walletErrorMessage(error)} Connect it again.`,
      });
    }
  },
  disconnect: () => {
    storage()?.removeItem(SAVED_KEY);
    set({ wallet: null, kind: null, addresses: null, error: null });
  },
  clearError: () => set({ error: null }),
}));

/** The connected payment address: the account id the engine knows this user by (the spell's actor). */
export const useAccountId = (): string | undefined => useWalletStore((s) => s.addresses?.payment.address);
