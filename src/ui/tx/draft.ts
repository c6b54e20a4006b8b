/**
 * Turns an engine operation into the Bitcoin transaction the wallet signs (src/btc builders) and its
 * preview (`summarizePsbt`): inputs, outputs, fee and the decoded spell. Custody amounts come from the
 * engine's own events for the operation (what the guardians check the PSBT against, src/guardian/
 * cosign.ts), custody coins from the chain (`vault-coins.ts`). Nothing is locked or signed here;
 * `signWithLocks` does that later, in the signing step.
 */
import { BtcInputError, InsufficientFundsError, PsbtError } from "../../btc/errors.ts";
import type { BtcNetworkName } from "../../btc/network.ts";
import { addressToScript } from "../../btc/network.ts";
import {
  type BuiltPsbt,
  buildClaimGains,
  buildClose,
  buildLedgerOp,
  buildLiquidation,
  buildSpellPsbt,
  buildVaultFunding,
  buildWithdraw,
  type PlannedOutput,
  type ProtocolInput,
  type PsbtSummary,
  summarizePsbt,
  type WalletAccount,
  walletUtxo,
} from "../../btc/psbt.ts";
import {
  fromHex,
  type GuardianSet,
  type PoolDescriptor,
  poolDescriptor,
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
import { formatBtc, speakBtc } from "../format.ts";
import type { WalletCoin } from "../queries/chain.ts";
import type { GuardianSettings } from "../state/settings-store.ts";

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

/** A vault whose coins the transaction spends. */
export interface CustodyVault {
  owner: string;
  descriptor: VaultDescriptor;
  utxos: ProtocolInput["utxo"][];
}

/** The custody coins a transaction spends (found by `vault-coins.ts`). */
export interface Custody {
  vaults: CustodyVault[];
  pool: { descriptor: PoolDescriptor; utxos: ProtocolInput["utxo"][] } | null;
}

export const NO_CUSTODY: Custody = { vaults: [], pool: null };

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
      return {
        ok: false,
        reason: "A veto is signed by a guardian's key, not sent from a wallet: guardians use the zkusd CLI.",
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

const eventsOf = <T extends ProtocolEvent["type"]>(events: ProtocolEvent[], type: T) =>
  events.filter((e): e is Extract<ProtocolEvent, { type: T }> => e.type === type);

/** BTC the guardian pool pays the actor for `op` (stability-pool gains, surplus), in sats. */
function poolPayout(events: ProtocolEvent[]): bigint {
  return [...eventsOf(events, "GainsClaimed"), ...eventsOf(events, "SurplusClaimed")].reduce(
    (a, e) => a + e.paidSats,
    0n,
  );
}

/**
 * Which custody coins `op` spends, from the engine's events for it: vault owners whose coins move,
 * and whether the pool pays out.
 */
export function custodyNeeds(op: Operation, events: ProtocolEvent[]): { owners: string[]; pool: boolean } {
  switch (op.type) {
    case "adjustVault":
      return { owners: op.withdrawCollateral ? [op.owner] : [], pool: false };
    case "closeVault":
      return { owners: [op.owner], pool: false };
    case "liquidate":
    case "liquidateBatch":
    case "liquidateList":
      return { owners: eventsOf(events, "VaultLiquidated").map((e) => e.owner), pool: false };
    case "redeem":
      return { owners: eventsOf(events, "VaultRedeemed").map((e) => e.owner), pool: false };
    case "poolDeposit":
    case "poolWithdraw":
    case "claimGains":
    case "claimSurplus":
    case "claimGainsToVault":
      return { owners: [], pool: poolPayout(events) > 0n };
    default:
      return { owners: [], pool: false };
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
   * vault coin's script from (SPEC §2a rule 1). Without it, the set in Settings.
   */
  custodySet?: GuardianSet;
  /** The engine's events for `op` on the current state (amounts the guardians check). */
  events: ProtocolEvent[];
  custody: Custody;
  /** The final spell's attestation and proof; empty in the review (their sizes are fixed). */
  attestation?: Uint8Array;
  proof?: Uint8Array;
}

function vaultOf(custody: Custody, owner: string): CustodyVault {
  const v = custody.vaults.find((x) => x.owner === owner);
  if (!v) throw new DraftError(`The coins of the vault of ${owner} were not found on chain.`);
  return v;
}

/** The PSBT for `input.op`, per operation as in test/guardian/regtest.test.ts. */
function build(input: DraftInput, spell: Spell, opts: Parameters<typeof buildLedgerOp>[0]) {
  const { op, events, custody } = input;
  let vault: VaultDescriptor | null = null;
  const guardians = () => guardianSetFrom(input.guardians);
  switch (op.type) {
    case "openVault":
    case "adjustVault": {
      const deposit = op.type === "openVault" ? op.collateral : (op.depositCollateral ?? 0n);
      if (deposit > 0n) {
        vault = vaultDescriptor({
          owner: input.wallet.publicKey,
          guardians: input.custodySet ?? guardians(),
          ...(input.csvBlocks !== undefined ? { csvBlocks: input.csvBlocks } : {}),
        });
        return { vault, built: buildVaultFunding(opts, { spell, vault, collateralSats: satsOf(deposit) }) };
      }
      if (op.type === "adjustVault" && op.withdrawCollateral) {
        const w = eventsOf(events, "CollateralWithdrawn")[0];
        if (!w) throw new DraftError("The engine withdraws no collateral for this adjustment.");
        const own = vaultOf(custody, op.owner);
        return {
          vault,
          built: buildWithdraw(opts, {
            spell,
            vault: own.descriptor,
            vaultUtxos: own.utxos,
            amountSats: w.paidSats,
          }),
        };
      }
      return { vault, built: buildLedgerOp(opts, { spell }) };
    }
    case "closeVault": {
      const own = vaultOf(custody, op.owner);
      return { vault, built: buildClose(opts, { spell, vault: own.descriptor, vaultUtxos: own.utxos }) };
    }
    case "liquidate":
    case "liquidateBatch":
    case "liquidateList": {
      const liq = eventsOf(events, "Liquidation")[0];
      if (!liq) throw new DraftError("The engine liquidates no vault with this operation.");
      const owners = eventsOf(events, "VaultLiquidated").map((e) => e.owner);
      return {
        vault,
        built: buildLiquidation(opts, {
          spell,
          vaults: owners.map((o) => {
            const v = vaultOf(custody, o);
            return { vault: v.descriptor, utxos: v.utxos };
          }),
          compensationSats: liq.paidSats,
          pool: poolDescriptor(guardians()),
        }),
      };
    }
    case "redeem":
      return { vault, built: buildRedemption(input, spell, opts) };
    case "poolDeposit":
    case "poolWithdraw":
    case "claimGains":
    case "claimSurplus":
    case "claimGainsToVault": {
      const paid = poolPayout(events);
      if (paid === 0n) return { vault, built: buildLedgerOp(opts, { spell }) };
      if (op.type === "claimGainsToVault") {
        throw new DraftError(
          "The guardians pay pool gains only to your wallet: claim them to your wallet instead of the vault.",
        );
      }
      if (!custody.pool) throw new DraftError("The guardian pool's coins were not found on chain.");
      return {
        vault,
        built: buildClaimGains(opts, {
          spell,
          pool: custody.pool.descriptor,
          poolUtxos: custody.pool.utxos,
          amountSats: paid,
        }),
      };
    }
    default:
      return { vault, built: buildLedgerOp(opts, { spell }) };
  }
}

/**
 * Redemption (guardians alone): the redeemer gets the engine's paidSats, the fee goes to the pool; the rest of a vault
 * that stays open rolls back to it, and a vault the redemption closes leaves its surplus in the pool
 * (what the guardians expect, src/guardian/cosign.ts).
 */
function buildRedemption(input: DraftInput, spell: Spell, opts: Parameters<typeof buildLedgerOp>[0]) {
  const redeemed = eventsOf(input.events, "VaultRedeemed");
  if (redeemed.length === 0) throw new DraftError("The engine redeems from no vault with this amount.");
  const inputs: ProtocolInput[] = [];
  const outputs: PlannedOutput[] = [];
  let paid = 0n;
  let toPool = 0n;
  for (const r of redeemed) {
    const v = vaultOf(input.custody, r.owner);
    const held = v.utxos.reduce((a, u) => a + u.value, 0n);
    const sats = r.collateral / SATOSHI; // rounds down: the protocol never pays more than it holds
    if (sats > held) {
      throw new DraftError(
        `The vault of ${r.owner} holds ${formatBtc(held * SATOSHI)} on chain but the redemption takes ${formatBtc(sats * SATOSHI)}: wait for the chain to catch up, then try again.`,
      );
    }
    inputs.push(...v.utxos.map((utxo) => ({ utxo, custody: v.descriptor, path: "guardians" as const })));
    paid += sats;
    if (held > sats) {
      if (r.closed) toPool += held - sats;
      else outputs.push({ script: v.descriptor.script, amount: held - sats, label: "vault" });
    }
  }
  // The redeemer gets the engine's paidSats (drawn minus the fee, rounded down); the fee and the
  // rounding go to the guardian pool with any closed vault's surplus (src/guardian/cosign.ts).
  const owed = eventsOf(input.events, "Redeemed").reduce((a, e) => a + e.paidSats, 0n);
  if (owed > paid) {
    throw new DraftError(
      `The engine owes ${formatBtc(owed * SATOSHI)} but the redeemed vaults release ${formatBtc(paid * SATOSHI)} on chain: wait for the chain to catch up, then try again.`,
    );
  }
  toPool += paid - owed;
  outputs.unshift({
    script: addressToScript(input.wallet.address, input.network),
    amount: owed,
    label: "payout",
  });
  if (toPool > 0n) {
    outputs.push({
      script: poolDescriptor(guardianSetFrom(input.guardians)).script,
      amount: toPool,
      label: "pool",
    });
  }
  return buildSpellPsbt(opts, { spell, protocolInputs: inputs, outputs });
}

/** Output index of the vault coin in a funding transaction (`buildVaultFunding` puts it first). */
const FUNDING_VAULT_OUTPUT = 0;

/**
 * The spell operation with where its BTC travels (SPEC §2a rules 1 and 4): an open names its vault
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
  return spellOp;
}

export function makeDraft(input: DraftInput): TxDraft {
  const support = draftSupport(input.op);
  if (!support.ok) throw new DraftError(support.reason);
  const spell: Spell = {
    version: SPELL_VERSION,
    op: withCustodyFields(input),
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
  // Label pool outputs (liquidation, redemption surplus) even when no pool coin is spent.
  let pools: PoolDescriptor[] = input.custody.pool ? [input.custody.pool.descriptor] : [];
  if (pools.length === 0 && input.guardians.keys.length > 0) {
    try {
      pools = [poolDescriptor(guardianSetFrom(input.guardians))];
    } catch {
      pools = []; // bad guardian settings only matter to ops that need them, which refused above
    }
  }
  const summary = summarizePsbt(built.psbt, input.network, {
    vaults: [...(vault ? [vault] : []), ...input.custody.vaults.map((v) => v.descriptor)],
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
