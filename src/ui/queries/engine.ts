/** Queries over the engine worker. The engine is in-memory, so reads are cheap and never stale by time. */
import { queryOptions, useQuery } from "@tanstack/react-query";
import type { EngineClient } from "../engine/client.ts";
import { useEngine } from "../engine/EngineProvider.tsx";
import { queryKeys } from "./keys.ts";

export const engineInfoQuery = (engine: EngineClient) =>
  queryOptions({
    queryKey: queryKeys.engine.info(),
    queryFn: () => engine.init(),
    staleTime: Number.POSITIVE_INFINITY,
  });

/** System totals; changes only when the engine applies something (callers invalidate engine.all). */
export const systemSummaryQuery = (engine: EngineClient) =>
  queryOptions({
    queryKey: queryKeys.engine.summary(),
    queryFn: async () => {
      await engine.init(); // idempotent: the worker starts once
      return engine.summary();
    },
    staleTime: Number.POSITIVE_INFINITY,
  });

export function useEngineInfo() {
  return useQuery(engineInfoQuery(useEngine()));
}

export function useSystemSummary() {
  return useQuery(systemSummaryQuery(useEngine()));
}
