/**
 * The signing flow with UTXO locks: lock what a PSBT spends while the wallet has it; a rejection or
 * a failure unlocks; a successful broadcast keeps the coins reserved until the chain drops them.
 */
import type { EsploraClient } from "./esplora.ts";
import { type BuiltPsbt, parsePsbt } from "./psbt.ts";
import { finalizePsbt } from "./psbt-sign.ts";
import type { UtxoTracker } from "./utxo.ts";
import { type BitcoinWallet, WalletError } from "./wallet.ts";

/** Id of a pending PSBT: its unsigned transaction id (stable under segwit signing). */
export const pendingId = (psbt: Uint8Array): string => parsePsbt(psbt).id;

/**
 * Locks the PSBT's outpoints and asks the wallet to sign. On any failure (user rejection included)
 * the locks are released before the error is rethrown. Returns the lock id and the signed PSBT.
 */
export async function signWithLocks(opts: {
  tracker: UtxoTracker;
  wallet: BitcoinWallet;
  built: BuiltPsbt;
  lockMs?: number;
}): Promise<{ id: string; signed: Uint8Array }> {
  const id = pendingId(opts.built.psbt);
  opts.tracker.lock(id, opts.built.outpoints, opts.lockMs);
  try {
    const signed = await opts.wallet.signPsbt(opts.built.psbt, opts.built.signInputs);
    if (pendingId(signed) !== id)
      throw new WalletError("internal", "the wallet returned a different transaction");
    return { id, signed };
  } catch (e) {
    opts.tracker.unlock(id);
    throw e;
  }
}

/**
 * Finalizes (merging guardian signatures if given) and broadcasts. Success keeps the lock as
 * "broadcast"; failure releases it. Returns the txid.
 */
export async function broadcastWithLocks(opts: {
  tracker: UtxoTracker;
  chain: EsploraClient;
  id: string;
  psbts: Uint8Array[];
}): Promise<string> {
  try {
    const final = finalizePsbt(opts.psbts);
    const txid = await opts.chain.broadcast(final.hex);
    opts.tracker.markBroadcast(opts.id);
    return txid;
  } catch (e) {
    opts.tracker.unlock(opts.id);
    throw e;
  }
}

/** Cancels a pending PSBT the user abandoned (closing the preview). */
export function cancelPending(tracker: UtxoTracker, id: string): void {
  tracker.unlock(id);
}
