/**
 * The app's one UTXO tracker (coins a pending transaction holds are not spent twice, whichever screen
 * builds the next one) and its one prover (a worker, started on the first proof and kept warm).
 */
import { UtxoTracker } from "../../btc/utxo.ts";
import { ProverClient } from "../../zk/client.ts";

export const appTracker = new UtxoTracker();

let prover: ProverClient | undefined;

export function appProver(): ProverClient {
  prover ??= new ProverClient();
  return prover;
}
