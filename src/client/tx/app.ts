/**
 * The app's one UTXO tracker (coins a pending transaction holds are not spent twice, whichever screen
 * builds the next one) and its one prover (a worker, started on the first proof and kept warm).
 */
import { UtxoTracker } from "../../btc/utxo.ts";
import { circuitOf } from "../../indexer/verify.ts";
import type { Operation } from "../../protocol/index.ts";
import { ProverClient } from "../../zk/proverClient.ts";

export const appTracker = new UtxoTracker();

let prover: ProverClient | undefined;

export function appProver(): ProverClient {
  prover ??= new ProverClient();
  return prover;
}

const prefetched = new Set<string>();

/** What a vault form can send, as operations of amount 1 (only the kind decides the circuit). */
export type VaultFormKind = "open" | "deposit" | "withdraw" | "borrow" | "repay";
const probe = (owner: string, kind: VaultFormKind): Operation =>
  kind === "open"
    ? { type: "openVault", owner, collateral: 1n, borrow: 1n }
    : {
        type: "adjustVault",
        owner,
        [{ deposit: "depositCollateral", withdraw: "withdrawCollateral", borrow: "borrow", repay: "repay" }[
          kind
        ]]: 1n,
      };

/**
 * Fetches, in the background, the proving artifacts of the circuits a form's operations need, into
 * the prover worker's hash-checked cache (src/zk/artifacts.ts), once per circuit: a form calls it as
 * it opens, so the first proof does not wait for the download. Failures only cost the prefetch.
 */
export function prefetchProving(owner: string, kinds: readonly VaultFormKind[]): void {
  for (const kind of kinds) {
    const circuit = circuitOf(probe(owner, kind))?.circuit;
    if (!circuit || prefetched.has(circuit)) continue;
    prefetched.add(circuit);
    appProver()
      .preload(circuit)
      .catch(() => prefetched.delete(circuit));
  }
}
