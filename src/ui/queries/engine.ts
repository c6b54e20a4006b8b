/** Queries over the engine worker. The engine is in-memory, so reads are cheap and never stale by time. */

import { keepPreviousData, queryOptions, useQuery } from "@tanstack/react-query";
import {
  addressToScript,
  type BorrowChange,
  type BtcNetworkName,
  type EngineClient,
  toHex,
} from "../../client/index.ts";
import type { AccountId, Operation } from "../../protocol/index.ts";
import { useEngine } from "../engine/EngineProvider.tsx";
import { rememberedPayoutScripts } from "../state/payout-scripts.ts";
import { keyOf, queryKeys } from "./keys.ts";
import { useMeetQuote } from "./readiness.ts";

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

/** An account's vault, balance and pool deposit; disabled without an account. */
export function usePosition(owner: AccountId | undefined) {
  const engine = useEngine();
  return useQuery({
    queryKey: queryKeys.engine.position(owner ?? ""),
    queryFn: () => engine.position(owner!),
    enabled: Boolean(owner),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/**
 * The connected account's vault coins and payouts (owed: confirmed on the ledger, waiting for their
 * settlement; settled: paid on Bitcoin). Payout scripts are the account's own address script and the
 * "Send BTC to" addresses named from this browser.
 */
export function useAccountCustody(owner: AccountId | undefined, network: BtcNetworkName) {
  const engine = useEngine();
  return useQuery({
    queryKey: queryKeys.engine.custody(owner ?? ""),
    queryFn: () => {
      let scripts: string[] = [];
      try {
        scripts = [toHex(addressToScript(owner!, network))];
      } catch {
        scripts = []; // an account that is no address on this network is owed nothing here
      }
      // Plus the "Send BTC to" addresses this browser named for it (state/payout-scripts.ts).
      return engine.custody(owner!, [...scripts, ...rememberedPayoutScripts(owner!)]);
    },
    enabled: Boolean(owner),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

export function useAtRisk(limit = 50) {
  const engine = useEngine();
  return useQuery({
    queryKey: queryKeys.engine.atRisk(limit),
    queryFn: () => engine.atRisk(limit),
    staleTime: Number.POSITIVE_INFINITY,
  });
}

/**
 * The engine's outcome of `op` on a copy of the state, at the price and time the transaction will
 * meet (the guardians' attested price, which the flow puts on chain first); null `op` = nothing to
 * preview yet. Waits for the first attestation answer when the app follows a federation.
 */
export function usePreview(op: Operation | null) {
  const engine = useEngine();
  const meet = useMeetQuote();
  return useQuery({
    queryKey: op ? [...queryKeys.engine.preview(op), keyOf(meet)] : ["engine", "preview", "none"],
    queryFn: () => engine.preview(op!, meet ?? undefined),
    enabled: op !== null && meet !== undefined,
    staleTime: Number.POSITIVE_INFINITY,
    placeholderData: keepPreviousData,
  });
}

export function useMaxBorrow(owner: AccountId | undefined, change: BorrowChange | null) {
  const engine = useEngine();
  const meet = useMeetQuote();
  return useQuery({
    queryKey: [...queryKeys.engine.maxBorrow(owner ?? "", change), keyOf(meet)],
    queryFn: () => engine.maxBorrow(owner!, change!, meet ?? undefined),
    enabled: Boolean(owner) && change !== null && meet !== undefined,
    staleTime: Number.POSITIVE_INFINITY,
    placeholderData: keepPreviousData,
  });
}
