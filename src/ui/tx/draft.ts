/**
 * Turns an engine operation into the Bitcoin transaction the wallet would sign (src/btc builders)
 * and its preview (`summarizePsbt`): inputs, outputs, fee and the decoded spell. Nothing is locked
 * or signed here; `signWithLocks` does that later, in the signing step.
 */
import { BtcInputError, InsufficientFundsError, PsbtError } from "../../btc/errors.ts";
import type { BtcNetworkName } from "../../btc/network.ts";
import {
  type BuiltPsbt,
  buildLedgerOp,
  buildVaultFunding,
  type PsbtSummary,
  summarizePsbt,
  type WalletAccount,
  walletUtxo,
} from "../../btc/psbt.ts";
import { fromHex, type GuardianSet, type VaultDescriptor, vaultDescriptor } from "../../btc/scripts.ts";
import { emptyProof, fromOperation, SPELL_VERSION, type Spell } from "../../btc/spell.ts";
import { SATOSHI } from "../../protocol/decimal.ts";
import type { Operation } from "../../protocol/index.ts";
import type { WalletCoin } from "../queries/chain.ts";
import type { GuardianSettings } from "../state/settings-store.ts";

export interface TxDraft {
  built: BuiltPsbt;
  summary: PsbtSummary;
  vault: VaultDescriptor | null;
  spell: Spell;
}

/** Why a draft cannot be made, in plain words with what to do next. */
export class DraftError extends Error {
  override readonly name = "DraftError";
}

/** The federation from Settings, checked: k of n compressed keys. */
export function guardianSetFrom(settings: GuardianSettings): GuardianSet {
  const keys = settings.keys.map((k) => k.trim()).filter(Boolean);
  if (keys.length === 0) {
    throw new DraftError(
      "No guardian keys are configured, so the vault's custody script cannot be built. Add the federation's public keys in Settings → Guardians.",
    );
  }
  if (settings.threshold < 1 || settings.threshold > keys.length) {
    throw new DraftError(
      `The guardian threshold ${settings.threshold} does not fit ${keys.length} keys. Fix it in Settings → Guardians.`,
    );
  }
  try {
    return { threshold: settings.threshold, keys: keys.map(fromHex) };
  } catch {
    throw new DraftError(
      "A guardian key in Settings is not valid hex. Each key is 66 hexadecimal characters.",
    );
  }
}

/** Operations whose transaction today's parts can build (the rest need the indexer's vault coins). */
export function draftSupport(op: Operation): { ok: true } | { ok: false; reason: string } {
  switch (op.type) {
    case "openVault":
    case "poolDeposit":
    case "poolWithdraw":
      return { ok: true };
    case "adjustVault":
      return op.withdrawCollateral
        ? {
            ok: false,
            reason:
              "Withdrawing collateral spends your vault's coin, which the chain indexer locates; the indexer is not connected yet.",
          }
        : { ok: true };
    case "closeVault":
      return {
        ok: false,
        reason:
          "Closing spends your vault's coin, which the chain indexer locates; the indexer is not connected yet.",
      };
    default:
      return {
        ok: false,
        reason:
          "This operation moves vault or pool coins, which the chain indexer and the guardians provide; they are not connected yet.",
      };
  }
}

/** A whole number of satoshis, or a DraftError (BTC amounts on chain have 8 decimals). */
function satsOf(amount: bigint): bigint {
  if (amount % SATOSHI !== 0n) {
    throw new DraftError(
      "Bitcoin amounts have at most 8 decimals (whole satoshis). Round the amount and try again.",
    );
  }
  return amount / SATOSHI;
}

export function makeDraft(input: {
  op: Operation;
  network: BtcNetworkName;
  wallet: WalletAccount;
  coins: WalletCoin[];
  feeRate: number;
  guardians: GuardianSettings;
}): TxDraft {
  const support = draftSupport(input.op);
  if (!support.ok) throw new DraftError(support.reason);
  const spell: Spell = {
    version: SPELL_VERSION,
    op: fromOperation(input.op).op,
    // The attestation and the proof are attached in the next steps (guardians, prover); their sizes
    // are fixed, so the fee shown here only grows by the attestation's bytes.
    attestation: new Uint8Array(0),
    proof: emptyProof(),
  };
  const opts = {
    network: input.network,
    wallet: input.wallet,
    walletUtxos: input.coins.map((c) =>
      walletUtxo(input.wallet, input.network, {
        txid: c.txid,
        vout: c.vout,
        value: c.value,
        ...(c.height !== undefined ? { height: c.height } : {}),
        ...(c.rawTx ? { rawTx: c.rawTx } : {}),
      }),
    ),
    feeRate: input.feeRate,
  };
  let vault: VaultDescriptor | null = null;
  let built: BuiltPsbt;
  try {
    const deposit =
      input.op.type === "openVault"
        ? input.op.collateral
        : input.op.type === "adjustVault"
          ? (input.op.depositCollateral ?? 0n)
          : 0n;
    if (deposit > 0n) {
      vault = vaultDescriptor({ owner: input.wallet.publicKey, guardians: guardianSetFrom(input.guardians) });
      built = buildVaultFunding(opts, { spell, vault, collateralSats: satsOf(deposit) });
    } else {
      built = buildLedgerOp(opts, { spell });
    }
  } catch (error) {
    if (error instanceof InsufficientFundsError) {
      throw new DraftError(
        `Your wallet has ${error.available.toLocaleString("en-US")} sats spendable but this transaction needs ${error.needed.toLocaleString("en-US")} sats (amount plus network fee). Add funds or lower the amount.`,
      );
    }
    if (error instanceof PsbtError && error.code === "dustOutput") {
      throw new DraftError(`The amount is too small for a Bitcoin output (${error.message}).`);
    }
    if (error instanceof BtcInputError)
      throw new DraftError(`The transaction could not be built: ${error.message}.`);
    throw error;
  }
  const summary = summarizePsbt(built.psbt, input.network, {
    vaults: vault ? [vault] : [],
    wallet: [input.wallet.address],
    paths: built.vaultPaths,
  });
  return { built, summary, vault, spell };
}
