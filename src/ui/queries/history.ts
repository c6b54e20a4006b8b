/**
 * The dashboard's TCR and supply history: points the engine worker stored with each block that changed
 * the state. Under the "engine" key, so every block notice (main.tsx invalidates ["engine"]) refetches.
 */

import { queryOptions, useQuery } from "@tanstack/react-query";
import type { EngineClient, HistoryQuery } from "../../client/index.ts";
import { useEngine } from "../engine/EngineProvider.tsx";
import { keyOf } from "./keys.ts";

export const historyKey = (query: HistoryQuery) => ["engine", "history", keyOf(query)] as const;

export const historyQuery = (engine: EngineClient, query: HistoryQuery = {}) =>
  queryOptions({
    queryKey: historyKey(query),
    queryFn: () => engine.history(query),
    staleTime: Number.POSITIVE_INFINITY,
  });

export function useHistory(query: HistoryQuery = {}) {
  return useQuery(historyQuery(useEngine(), query));
}
