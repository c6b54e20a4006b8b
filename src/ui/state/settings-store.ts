import { create } from "zustand";
import { createJSONStorage, persist } from "zustand/middleware";
import {
  type BtcNetworkName,
  DEFAULT_ESPLORA_URLS,
  defaultLimitsFor,
  type FeePreset,
  type GuardianSettings,
  type HostLimits,
  LOCAL_STACK,
  originOf,
  type SourceId,
} from "../../client/index.ts";

export interface PriceSourceSetting {
  enabled: boolean;
  /** REST base URL; empty = the exchange's public API. */
  baseUrl: string;
  /** WebSocket stream URL; empty = the exchange's public stream. */
  streamUrl: string;
}

export interface Settings {
  network: BtcNetworkName;
  /** Esplora base URL per network; empty = DEFAULT_ESPLORA_URLS. */
  esploraUrls: Partial<Record<BtcNetworkName, string>>;
  /** A second Esplora per network that the sync cross-checks (optional; docs/bitcoin.md). */
  esploraCheckUrls?: Partial<Record<BtcNetworkName, string>>;
  /**
   * Request caps per Esplora host (key: the URL's origin, as the scheduler shares one per origin);
   * a cap not set is the host's default (src/btc/esplora-scheduler.ts).
   */
  esploraLimits?: Record<string, Partial<HostLimits>>;
  priceSources: Partial<Record<SourceId, PriceSourceSetting>>;
  guardians: GuardianSettings;
  /** The fee speed preselected on review screens. */
  feePreset: FeePreset;
  /** Block explorer link per network, `{txid}` (and `{esplora}`) filled in; empty = EXPLORER_DEFAULTS. */
  explorerUrls?: Partial<Record<BtcNetworkName, string>>;
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
      partialize: ({
        network,
        esploraUrls,
        esploraCheckUrls,
        esploraLimits,
        priceSources,
        guardians,
        feePreset,
        explorerUrls,
      }) => ({
        network,
        esploraUrls,
        esploraCheckUrls,
        esploraLimits,
        priceSources,
        guardians,
        feePreset,
        explorerUrls,
      }),
    },
  ),
);

/** The Esplora base URL in effect for a network. */
export const esploraUrlFor = (settings: Pick<Settings, "esploraUrls">, network: BtcNetworkName): string =>
  settings.esploraUrls[network]?.trim() || DEFAULT_ESPLORA_URLS[network];

/**
 * Readable block explorer pages per network (never raw Esplora JSON): mempool.space's, and on regtest
 * the devnet's own transaction page (src/devnet/explorer-page.ts) next to its Esplora API.
 */
export const EXPLORER_DEFAULTS: Record<BtcNetworkName, string> = {
  mainnet: "https://mempool.space/tx/{txid}",
  testnet4: "https://mempool.space/testnet4/tx/{txid}",
  signet: "https://mempool.space/signet/tx/{txid}",
  regtest: "{esplora}/explorer/tx/{txid}",
};

/** The explorer URL template in effect for a network (Settings, else the default). */
export const explorerTemplateFor = (
  settings: Pick<Settings, "explorerUrls">,
  network: BtcNetworkName,
): string => settings.explorerUrls?.[network]?.trim() || EXPLORER_DEFAULTS[network];

/** The caps the user set for the host of `url` (only those set; the rest stay the host's defaults). */
export const esploraLimitsSet = (
  settings: Pick<Settings, "esploraLimits">,
  url: string,
): Partial<HostLimits> => settings.esploraLimits?.[originOf(url)] ?? {};

/** The caps in effect for the host of `url`: the user's over the host's defaults. */
export const esploraLimitsFor = (settings: Pick<Settings, "esploraLimits">, url: string): HostLimits => ({
  ...defaultLimitsFor(url),
  ...esploraLimitsSet(settings, url),
});

/** Block explorer link for a transaction, from the template in Settings (or the network's default). */
export function explorerTxUrl(network: BtcNetworkName, esploraUrl: string, txid: string): string {
  return explorerTemplateFor(useSettings.getState(), network)
    .replaceAll("{esplora}", esploraUrl.replace(/\/+$/, ""))
    .replaceAll("{txid}", txid);
}
