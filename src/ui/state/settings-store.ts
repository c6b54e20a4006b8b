/**
 * Connection settings the user controls (Settings screen), kept in this browser: the Bitcoin network,
 * the Esplora API per network, the price sources' base URLs and the guardian federation. Nothing
 * here is protocol state; an empty value means "the built-in default".
 */
import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";
import { type BtcNetworkName, DEFAULT_ESPLORA_URLS } from "../../btc/network.ts";
import { LOCAL_STACK } from "../../devnet/local-stack.ts";
import type { SourceId } from "../../oracle/types.ts";

export interface PriceSourceSetting {
  enabled: boolean;
  /** REST base URL; empty = the exchange's public API. */
  baseUrl: string;
  /** WebSocket stream URL; empty = the exchange's public stream. */
  streamUrl: string;
}

export interface GuardianSettings {
  /** Guardian daemon URLs (co-signing, price attestations). */
  urls: string[];
  /** Compressed public keys (66 hex characters each), as the federation publishes them. */
  keys: string[];
  /** Signatures required (k of n). */
  threshold: number;
}

export type FeePreset = "fastest" | "halfHour" | "hour" | "economy";

export interface Settings {
  network: BtcNetworkName;
  /** Esplora base URL per network; empty = DEFAULT_ESPLORA_URLS. */
  esploraUrls: Partial<Record<BtcNetworkName, string>>;
  /** A second Esplora per network that the sync cross-checks (optional; docs/bitcoin.md). */
  esploraCheckUrls?: Partial<Record<BtcNetworkName, string>>;
  priceSources: Partial<Record<SourceId, PriceSourceSetting>>;
  guardians: GuardianSettings;
  /** The fee speed preselected on review screens. */
  feePreset: FeePreset;
}

interface SettingsStore extends Settings {
  update(patch: Partial<Settings>): void;
  reset(): void;
}

/** The dev federation's guardians on regtest (ports 18491–18493; a test stack's own, see src/devnet/local-stack.ts). */
export const LOCAL_GUARDIAN_URLS = [...LOCAL_STACK.guardians];

export const DEFAULT_SETTINGS: Settings = {
  network: "regtest",
  esploraUrls: {},
  priceSources: {},
  // The local 2-of-3 federation `npm start` runs (src/guardian/main.ts); its keys are learnt from it.
  guardians: { urls: LOCAL_GUARDIAN_URLS, keys: [], threshold: 2 },
  feePreset: "halfHour",
};

export const useSettings = create<SettingsStore>()(
  persist(
    (set) => ({
      ...DEFAULT_SETTINGS,
      update: (patch) => set(patch),
      reset: () => set(DEFAULT_SETTINGS),
    }),
    {
      name: "zkusd.settings",
      version: 1,
      storage: createJSONStorage(() => localStorage),
      partialize: ({ network, esploraUrls, esploraCheckUrls, priceSources, guardians, feePreset }) => ({
        network,
        esploraUrls,
        esploraCheckUrls,
        priceSources,
        guardians,
        feePreset,
      }),
    },
  ),
);

/** The Esplora base URL in effect for a network. */
export const esploraUrlFor = (settings: Pick<Settings, "esploraUrls">, network: BtcNetworkName): string =>
  settings.esploraUrls[network]?.trim() || DEFAULT_ESPLORA_URLS[network];

/** Block explorer link for a transaction (mempool.space for public networks, the devnet's API on regtest). */
export function explorerTxUrl(network: BtcNetworkName, esploraUrl: string, txid: string): string {
  if (network === "mainnet") return `https://mempool.space/tx/${txid}`;
  if (network === "testnet4") return `https://mempool.space/testnet4/tx/${txid}`;
  if (network === "signet") return `https://mempool.space/signet/tx/${txid}`;
  return `${esploraUrl.replace(/\/+$/, "")}/tx/${txid}`;
}
