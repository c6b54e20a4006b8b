/**
 * BTC/USD as this browser reads it from the exchanges (src/oracle's PriceOracle with the user's
 * source settings): a reading every 30 s, the accepted ones kept for the chart (price-history.ts).
 * The oracle and its streams live as long as the component tree that uses them.
 */

import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import {
  LOCAL_STACK,
  type OracleSettings,
  type PriceHistory,
  PriceOracle,
  type PriceReading,
  priceFeedSources,
  SOURCE_IDS,
  type SourceId,
} from "../../client/index.ts";
import { type Settings, useSettings } from "../state/settings-store.ts";
import { keyOf, queryKeys } from "./keys.ts";
import { keptPriceHistory } from "./price-history.ts";

/** The local dev price feed `npm start` runs (src/devnet/pricefeed.ts): regtest's default source. */
export const DEV_PRICE_FEED_URL = LOCAL_STACK.priceFeed;

export function oracleSettingsFrom(
  priceSources: Settings["priceSources"],
  network: Settings["network"] = "mainnet",
): OracleSettings {
  const sources: OracleSettings["sources"] = {};
  if (network === "regtest") {
    // A regtest chain has no market: its price comes from the local feed unless Settings say otherwise.
    Object.assign(sources, priceFeedSources(DEV_PRICE_FEED_URL));
  }
  for (const [id, s] of Object.entries(priceSources) as [
    SourceId,
    NonNullable<Settings["priceSources"][SourceId]>,
  ][]) {
    // A source with its own URL in Settings is not the local feed: it keeps its own transport.
    const own = Boolean(s.baseUrl.trim() || s.streamUrl.trim());
    sources[id] = {
      ...(own ? {} : sources[id]),
      enabled: s.enabled,
      ...(s.baseUrl.trim() ? { baseUrl: s.baseUrl.trim() } : {}),
      ...(s.streamUrl.trim() ? { streamUrl: s.streamUrl.trim() } : {}),
    };
  }
  return { sources };
}

export interface PriceFeed {
  oracle: PriceOracle | null;
  history: PriceHistory;
  /** Why the oracle could not be set up (a malformed URL in Settings). */
  setupError: string | null;
}

/** One oracle per source configuration, its streams started while mounted. */
export function usePriceFeed(): PriceFeed {
  const priceSources = useSettings((s) => s.priceSources);
  const network = useSettings((s) => s.network);
  const feed = useMemo<PriceFeed>(() => {
    // Kept for the page's lifetime and in IndexedDB: the chart survives navigation and reloads.
    const history = keptPriceHistory(network).history;
    try {
      const oracle = new PriceOracle(oracleSettingsFrom(priceSources, network), {
        history,
        ...(typeof WebSocket === "function" ? { WebSocket: WebSocket as never } : {}),
      });
      return { oracle, history, setupError: null };
    } catch (error) {
      return { oracle: null, history, setupError: (error as Error).message };
    }
  }, [priceSources, network]);
  useEffect(() => {
    feed.oracle?.startStreams();
    return () => feed.oracle?.close();
  }, [feed]);
  return feed;
}

export function usePriceReading(feed: PriceFeed) {
  const priceSources = useSettings((s) => s.priceSources);
  const network = useSettings((s) => s.network);
  return useQuery({
    queryKey: queryKeys.prices.reading(keyOf({ network, priceSources })),
    queryFn: async (): Promise<PriceReading> => {
      if (!feed.oracle) throw new Error(feed.setupError ?? "The price sources are not configured.");
      return feed.oracle.readPrice();
    },
    // Streams need a few seconds to deliver their first ticker: retry sooner while unavailable.
    refetchInterval: (query) => (query.state.data?.status === "ok" ? 30_000 : 5_000),
    retry: 0,
    structuralSharing: false,
  });
}
