/**
 * BTC/USD as this browser reads it from the exchanges (src/oracle's PriceOracle with the user's
 * source settings): a reading every 30 s, the accepted ones kept in a session history for the chart.
 * The oracle and its streams live as long as the component tree that uses them.
 */
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo } from "react";
import type { PriceReading } from "../../oracle/aggregate.ts";
import { PriceHistory } from "../../oracle/history.ts";
import { type OracleSettings, PriceOracle } from "../../oracle/oracle.ts";
import type { SourceId } from "../../oracle/types.ts";
import { type Settings, useSettings } from "../state/settings-store.ts";
import { keyOf, queryKeys } from "./keys.ts";

export function oracleSettingsFrom(priceSources: Settings["priceSources"]): OracleSettings {
  const sources: OracleSettings["sources"] = {};
  for (const [id, s] of Object.entries(priceSources) as [
    SourceId,
    NonNullable<Settings["priceSources"][SourceId]>,
  ][]) {
    sources[id] = {
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
  const feed = useMemo<PriceFeed>(() => {
    const history = new PriceHistory({ capacity: 2_880 });
    try {
      const oracle = new PriceOracle(oracleSettingsFrom(priceSources), {
        history,
        ...(typeof WebSocket === "function" ? { WebSocket: WebSocket as never } : {}),
      });
      return { oracle, history, setupError: null };
    } catch (error) {
      return { oracle: null, history, setupError: (error as Error).message };
    }
  }, [priceSources]);
  useEffect(() => {
    feed.oracle?.startStreams();
    return () => feed.oracle?.close();
  }, [feed]);
  return feed;
}

export function usePriceReading(feed: PriceFeed) {
  const priceSources = useSettings((s) => s.priceSources);
  return useQuery({
    queryKey: queryKeys.prices.reading(keyOf(priceSources)),
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
