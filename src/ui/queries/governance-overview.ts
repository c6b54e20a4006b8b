/**
 * The governance screen's read: proposals, governable parameters and the account's voting power,
 * in one answer from the state worker (src/governance `governanceOverview`), so every figure comes
 * from the same state. Keyed under "engine": a new block invalidates it with every engine view.
 */
import { useQuery } from "@tanstack/react-query";
import type { AccountId } from "../../protocol/index.ts";
import { useEngine } from "../engine/EngineProvider.tsx";

export const governanceKey = (account: AccountId | undefined) =>
  ["engine", "governance", account ?? ""] as const;

export function useGovernance(account: AccountId | undefined) {
  const engine = useEngine();
  return useQuery({
    queryKey: governanceKey(account),
    queryFn: () => engine.governance(account),
    staleTime: Number.POSITIVE_INFINITY,
  });
}
