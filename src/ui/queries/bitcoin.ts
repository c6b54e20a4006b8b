import { useQuery } from "@tanstack/react-query";
import {
  EsploraClient,
  type FeePresets,
  feePresets,
  fetchWalletCoins,
  openIdbEsploraCache,
  setHostLimits,
  setPersistentCache,
} from "../../client/index.ts";
import { esploraLimitsFor, esploraUrlFor, type Settings, useSettings } from "../state/settings-store.ts";
import { queryKeys } from "./keys.ts";

export function useEsploraUrl(): string {
  const network = useSettings((s) => s.network);
  const esploraUrls = useSettings((s) => s.esploraUrls);
  return esploraUrlFor({ esploraUrls }, network);
}

// The page's clients share the engine worker's IndexedDB cache of immutable answers (a funding
// transaction's hex is fetched once, not every 20 s per coin).
if (typeof indexedDB !== "undefined") void openIdbEsploraCache().then(setPersistentCache, () => undefined);

// The user's request caps (Settings) for the Esplora host this page asks, now and after each save;
// the engine worker gets them with its sync settings.
const applyLimits = (s: Settings) => {
  const url = esploraUrlFor(s, s.network);
  setHostLimits(url, esploraLimitsFor(s, url));
};
applyLimits(useSettings.getState());
useSettings.subscribe(applyLimits);

export const esploraClient = (baseUrl: string) =>
  new EsploraClient({ baseUrl, retries: 1, timeoutMs: 8_000 });

export function useTipHeight() {
  const url = useEsploraUrl();
  return useQuery({
    queryKey: queryKeys.chain.tip(url),
    queryFn: () => esploraClient(url).tipHeight(),
    refetchInterval: 15_000,
    retry: 0,
  });
}

/** The wallet address's coins, with each funding transaction's hex. */
export function useWalletCoins(address: string | undefined) {
  const url = useEsploraUrl();
  return useQuery({
    queryKey: queryKeys.chain.utxos(url, address ?? ""),
    queryFn: () => fetchWalletCoins(esploraClient(url), address!),
    enabled: Boolean(address),
    refetchInterval: 20_000,
    retry: 0,
  });
}

export function useFeePresets() {
  const url = useEsploraUrl();
  return useQuery({
    queryKey: queryKeys.chain.fees(url),
    queryFn: async (): Promise<FeePresets> => feePresets(await esploraClient(url).feeEstimates()),
    refetchInterval: 60_000,
    retry: 0,
  });
}

/** A broadcast transaction's status until it confirms (then it stops polling). */
export function useTxStatus(txid: string | null) {
  const url = useEsploraUrl();
  return useQuery({
    queryKey: queryKeys.chain.tx(url, txid ?? ""),
    queryFn: () => esploraClient(url).txStatus(txid!),
    enabled: Boolean(txid),
    refetchInterval: (query) => (query.state.data?.confirmed ? false : 10_000),
  });
}
