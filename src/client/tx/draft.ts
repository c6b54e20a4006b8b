/**
 * Turns an engine operation into the Bitcoin transaction the wallet signs alone (src/btc builders)
 * and its preview (`summarizePsbt`): inputs, outputs, fee and the decoded spell. Only BTC in moves in
 * it (open, deposit: docs/custody.md); payouts are obligations the guardians settle later. Nothing is
 * locked or signed here; `signWithLocks` does that later, in the signing step.
 */
import { BtcInputError, InsufficientFundsError, PsbtError } from "../../btc/errors.ts";
import { addressToScript, type BtcNetworkName } from "../../btc/network.ts";
import {
  type BuiltPsbt,
  buildLedgerOp,
  buildVaultFunding,
  type WalletAccount,
  walletUtxo,
} from "../../btc/psbt.ts";
import { type PsbtSummary, summarizePsbt } from "../../btc/psbt-preview.ts";
import {
  fromHex,
  type GuardianSet,
  type PoolDescriptor,
  poolDescriptor,
  toHex,
  type VaultDescriptor,
  vaultDescriptor,
} from "../../btc/scripts.ts";
import {
  emptyProof,
  fromOperation,
  SPELL_VERSION,
  type Spell,
  type SpellOperation,
} from "../../btc/spell.ts";
import { SATOSHI } from "../../protocol/decimal.ts";
import type { Operation, ProtocolEvent } from "../../protocol/index.ts";
import { DEFAULT_PAYOUT_MAX_FEE } from "../../settlement/obligations.ts";
import { belowMinPayout } from "../../settlement/payout.ts";
import type { WalletCoin } from "../chain-reads.ts";
import { formatBtc, speakBtc } from "../format.ts";
import type { GuardianSettings } from "../settings.ts";
import { canNamePayout, payoutAddress } from "./payout.ts";

export interface TxDraft {
  built: BuiltPsbt;
  summary: PsbtSummary;
  /** The user's vault when the transaction funds it (open, deposit). */
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

/** Operations the app can send; the rest are refused before anything is built. */
export function draftSupport(op: Operation): { ok: true } | { ok: false; reason: string } {
  switch (op.type) {
    case "setBaseRate":
      return { ok: false, reason: "setBaseRate exists only in test scenarios; it has no spell." };
    case "veto":
    case "approveRotation":
      return {
        ok: false,
        reason:
          "A veto or rotation approval is signed by a guardian's key, not sent from a wallet: guardians use the zkusd CLI.",
      };
    case "adjustVault":
      return op.depositCollateral && op.withdrawCollateral
        ? {
            ok: false,
            reason:
              "A single transaction cannot both deposit and withdraw collateral: do one, then the other.",
          }
        : { ok: true };
    default:
      return { ok: true };
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

export interface DraftInput {
  op: Operation;
  network: BtcNetworkName;
  wallet: WalletAccount;
  /** The wallet's spendable (unlocked) coins. */
  coins: WalletCoin[];
  feeRate: number;
  guardians: GuardianSettings;
  /** The federation's escape timelock for vault scripts (published by the guardians; default 26,280). */
  csvBlocks?: number;
  /**
   * The custody key set of the engine state (`state.gov.guardians`): what the indexer derives a new
   * vault coin's script from (docs/decisions.md §2a rule 1). Without it, the set in Settings.
   */
  custodySet?: GuardianSet;
  /** The engine's events for `op` on the current state. */
  events: ProtocolEvent[];
  /**
   * "Send BTC to": the address the operation's payouts go to (docs/custody.md "Payout destinations");
   * absent or empty, the wallet's own address (the spell then names none).
   */
  payTo?: string;
  /** The final spell's attestation and proof; empty in the review (their sizes are fixed). */
  attestation?: Uint8Array;
  proof?: Uint8Array;
}

/**
 * The PSBT for `input.op`. Only BTC in moves in a user's transaction (docs/decisions.md §2a rule 1): an open or a
 * deposit pays the vault script from the wallet. Every other operation, the payouts included
 * (withdraw, close, pool gains, surplus, redemption, liquidation), is a wallet-only spell: the ledger
 * records an obligation when it confirms and the guardians' settlement pays it (rule 2); guardians
 * never sign a user's transaction.
 */
function build(input: DraftInput, spell: Spell, opts: Parameters<typeof buildLedgerOp>[0]) {
  const { op } = input;
  const deposit =
    op.type === "openVault" ? op.collateral : op.type === "adjustVault" ? (op.depositCollateral ?? 0n) : 0n;
  if (deposit > 0n) {
    const vault = vaultDescriptor({
      owner: input.wallet.publicKey,
      guardians: input.custodySet ?? guardianSetFrom(input.guardians),
      ...(input.csvBlocks !== undefined ? { csvBlocks: input.csvBlocks } : {}),
    });
    return { vault, built: buildVaultFunding(opts, { spell, vault, collateralSats: satsOf(deposit) }) };
  }
  return { vault: null, built: buildLedgerOp(opts, { spell }) };
}

/** BTC the ledger will owe the actor once `op` confirms (its payout obligations), in sats. */
export function payoutSats(events: ProtocolEvent[]): bigint {
  let sats = 0n;
  for (const e of events) {
    if (e.type === "CollateralWithdrawn" || e.type === "VaultClosed" || e.type === "GainsClaimed")
      sats += e.paidSats;
    else if (e.type === "SurplusClaimed" || e.type === "Redeemed" || e.type === "Liquidation")
      sats += e.paidSats;
  }
  return sats;
}

/** Output index of the vault coin in a funding transaction (`buildVaultFunding` puts it first). */
const FUNDING_VAULT_OUTPUT = 0;

/**
 * The spell operation with where its BTC travels (docs/decisions.md §2a rules 1 and 4): an open names its vault
 * output and carries the owner's 33-byte key (the wallet key that signs input 0); a deposit names its
 * vault output. A Taproot wallet cannot own a vault yet (the indexer says `unsupportedOwner`).
 */
function withCustodyFields(input: DraftInput): SpellOperation {
  const { op } = input;
  const spellOp = fromOperation(op).op;
  if (op.type === "openVault") {
    if (input.wallet.type === "p2tr" || input.wallet.publicKey.length !== 33) {
      throw new DraftError(
        "A Taproot address cannot own a vault yet: its key cannot sign the vault's escape path. Connect a native SegWit (bc1q…) or nested SegWit (3…) address to open a vault.",
      );
    }
    return {
      ...spellOp,
      ownerKey: input.wallet.publicKey,
      vaultOutput: FUNDING_VAULT_OUTPUT,
    } as SpellOperation;
  }
  if (op.type === "adjustVault" && (op.depositCollateral ?? 0n) > 0n)
    return { ...spellOp, vaultOutput: FUNDING_VAULT_OUTPUT } as SpellOperation;
  return withPayout(input, spellOp);
}

/**
 * A withdrawal or redemption the indexer would refuse as `belowMinPayout` (its destination's dust
 * limit plus the default maximum fee, src/settlement/payout.ts), said before anything is signed.
 */
function refuseBelowMinPayout(input: DraftInput, spellOp: SpellOperation): void {
  const named = "payout" in spellOp ? spellOp.payout?.script : undefined;
  let script: Uint8Array;
  try {
    script = named ?? addressToScript(input.wallet.address, input.network);
  } catch {
    return; // the wallet's address is the app's own; nothing to say if it does not parse
  }
  const below = belowMinPayout(input.events, { script: toHex(script), maxFee: DEFAULT_PAYOUT_MAX_FEE });
  if (below) throw new DraftError(`${below.message.charAt(0).toUpperCase()}${below.message.slice(1)}`);
}

/** The spell names the "Send BTC to" address's script when it is not the wallet's own. */
function withPayout(input: DraftInput, spellOp: SpellOperation): SpellOperation {
  if (!input.payTo || !canNamePayout(input.op)) return spellOp;
  const to = payoutAddress(input.payTo, input.network, input.wallet.address);
  if (!to.ok) throw new DraftError(to.message);
  return to.script ? ({ ...spellOp, payout: { script: to.script } } as SpellOperation) : spellOp;
}

export function makeDraft(input: DraftInput): TxDraft {
  const support = draftSupport(input.op);
  if (!support.ok) throw new DraftError(support.reason);
  const spellOp = withCustodyFields(input);
  refuseBelowMinPayout(input, spellOp);
  const spell: Spell = {
    version: SPELL_VERSION,
    op: spellOp,
    // The review has neither attestation nor proof yet; the flow rebuilds with both (fixed sizes, so
    // the final fee grows only by their bytes).
    attestation: input.attestation ?? new Uint8Array(0),
    proof: input.proof ?? emptyProof(),
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
  let result: { vault: VaultDescriptor | null; built: BuiltPsbt };
  try {
    result = build(input, spell, opts);
  } catch (error) {
    if (error instanceof InsufficientFundsError) {
      throw new DraftError(
        `Your wallet has ${formatBtc(error.available * SATOSHI)} spendable but this transaction needs ${formatBtc(error.needed * SATOSHI)} (amount plus network fee). Add funds or lower the amount.`,
      );
    }
    if (error instanceof PsbtError && error.code === "dustOutput") {
      throw new DraftError(`The amount is too small for a Bitcoin output (${speakBtc(error.message)}).`);
    }
    if (error instanceof PsbtError || error instanceof BtcInputError)
      throw new DraftError(`The transaction could not be built: ${speakBtc(error.message)}.`);
    throw error;
  }
  const { vault, built } = result;
  // Label pool outputs, if any, with the federation's pool script.
  let pools: PoolDescriptor[] = [];
  if (input.guardians.keys.length > 0) {
    try {
      pools = [poolDescriptor(guardianSetFrom(input.guardians))];
    } catch {
      pools = []; // bad guardian settings only matter to ops that need them, which refused above
    }
  }
  const summary = summarizePsbt(built.psbt, input.network, {
    vaults: vault ? [vault] : [],
    pools,
    wallet: [input.wallet.address],
    paths: built.vaultPaths,
  });
  // The builder knows which output pays whom (a payout to the wallet is not change).
  if (built.outputs.length === summary.outputs.length) {
    summary.outputs = summary.outputs.map((o, i) => ({ ...o, kind: built.outputs[i]!.label }));
  }
  return { built, summary, vault, spell };
}
