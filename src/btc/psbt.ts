/**
 * PSBT builders for every operation, and the project's PSBT parsing options. Signing and finalizing:
 * psbt-sign.ts; what the user is about to sign: psbt-preview.ts.
 *
 * Shape of every spell transaction (docs/bitcoin.md):
 *   inputs:  wallet inputs first (input 0's owner is the spell's actor; they pay the fee),
 *            then vault / pool inputs (protocol funds) when the operation moves them;
 *   outputs: vault, pool and payout outputs, then the spell (OP_RETURN, 0 sats), then wallet change.
 * Protocol funds balance on their own (vault and pool inputs = protocol outputs); the fee is always
 * paid by the wallet, so collateral amounts on chain are exactly the engine's (rounded down) amounts.
 */
import { base64 } from "@scure/base";
import { p2sh, p2tr, p2wpkh, Script, SigHash, Transaction } from "@scure/btc-signer";
import { equalBytes } from "@scure/btc-signer/utils.js";
import { BtcInputError, PsbtError } from "./errors.ts";
import { addressToScript, type BtcNetworkName, networkParams, scriptToAddress } from "./network.ts";
import { assertFeeRate, dustThreshold, FINAL_SEQUENCE, type InputKind, RBF_SEQUENCE } from "./networkFees.ts";
import {
  assertPublicKey,
  fromHex,
  type PoolDescriptor,
  type VaultDescriptor,
  type VaultPath,
} from "./scripts.ts";
import { decodeSpell, encodeSpell, type Spell } from "./spell.ts";
import { outpoint, type SelectionStrategy, selectCoins, type Utxo } from "./utxo.ts";

/** Options every btc-signer Transaction in this project is built or parsed with. */
export const TX_OPTS = { allowUnknownOutputs: true, allowUnknownInputs: true } as const;

/** Parses PSBT bytes (or base64) with the project's options. */
export function parsePsbt(psbt: Uint8Array | string): Transaction {
  try {
    return Transaction.fromPSBT(typeof psbt === "string" ? base64.decode(psbt) : psbt, TX_OPTS);
  } catch (e) {
    throw new PsbtError("invalidPsbt", `not a valid PSBT: ${(e as Error).message}`);
  }
}

export type WalletAddressType = "p2wpkh" | "p2sh-p2wpkh" | "p2tr";

/** A wallet address able to pay: its type and public key (33-byte; 32-byte x-only for p2tr). */
export interface WalletAccount {
  address: string;
  publicKey: Uint8Array;
  type: WalletAddressType;
}

const xOnly = (k: Uint8Array) => (k.length === 33 ? k.subarray(1) : k);

function walletPayment(type: WalletAddressType, publicKey: Uint8Array, network: BtcNetworkName) {
  const net = networkParams(network);
  if (type === "p2wpkh") return p2wpkh(assertPublicKey(publicKey, "wallet key"), net);
  if (type === "p2sh-p2wpkh") return p2sh(p2wpkh(assertPublicKey(publicKey, "wallet key"), net), net);
  return p2tr(xOnly(publicKey), undefined, net);
}

/** The wallet account of a key and address type on a network. */
export function walletAccount(
  publicKey: Uint8Array,
  type: WalletAddressType,
  network: BtcNetworkName,
): WalletAccount {
  return { address: walletPayment(type, publicKey, network).address!, publicKey, type };
}

export const walletInputKind = (type: WalletAddressType): InputKind => ({ type });

/** A UTXO of a wallet account, with the script and input kind filled in. */
export function walletUtxo(
  account: WalletAccount,
  network: BtcNetworkName,
  u: { txid: string; vout: number; value: bigint; height?: number; rawTx?: string },
): Utxo {
  return { ...u, script: addressToScript(account.address, network), input: walletInputKind(account.type) };
}

/** A vault or pool UTXO to spend, and how. */
export interface ProtocolInput {
  utxo: { txid: string; vout: number; value: bigint; rawTx?: string };
  custody: VaultDescriptor | PoolDescriptor;
  /** Vault spending path; pools always use their multisig. */
  path?: VaultPath;
}

export type OutputLabel = "vault" | "pool" | "payout" | "spell" | "change";

export interface PlannedOutput {
  script: Uint8Array;
  amount: bigint;
  label: OutputLabel;
}

export interface BuildOptions {
  network: BtcNetworkName;
  /** The paying wallet account (input 0 is one of its UTXOs). */
  wallet: WalletAccount;
  /** Its spendable (unlocked) UTXOs. */
  walletUtxos: Utxo[];
  /** sat/vB chosen by the user or from the chain client's estimates. */
  feeRate: number;
  strategy?: SelectionStrategy;
  /** Where change goes (default: the wallet address). */
  changeAddress?: string;
  /** Signal replace-by-fee (BIP125) on wallet inputs; default true. */
  rbf?: boolean;
}

export interface BuiltPsbt {
  /** PSBT v0 bytes. */
  psbt: Uint8Array;
  base64: string;
  /** Fee in sats. */
  fee: bigint;
  /** Requested rate, sat/vB. */
  feeRate: number;
  /** vsize estimated with the largest signatures; the real vsize is at most this. */
  estimatedVsize: number;
  /** Inputs the wallet signs, by address (sats-connect `signInputs`). */
  signInputs: Record<string, number[]>;
  /** Inputs the guardians co-sign (vault paths a and b, pool inputs). */
  guardianInputs: number[];
  /** Spending path of each vault input, by input index (for previews: `summarizePsbt`'s `paths`). */
  vaultPaths: Record<number, VaultPath>;
  /** Outpoints this PSBT spends (lock them while it is pending). */
  outpoints: string[];
  outputs: { label: OutputLabel; amount: bigint; address?: string }[];
  spell: Uint8Array;
}

/**
 * Spell bytes for the OP_RETURN; pre-encoded bytes are decoded once to prove they are a valid spell,
 * unless the caller checked them itself (a custody payload this codec does not know: `fund`).
 */
function spellBytes(spell: Spell | Uint8Array, checked = false): Uint8Array {
  if (!(spell instanceof Uint8Array)) return encodeSpell(spell);
  if (!checked) decodeSpell(spell);
  return spell;
}

/** The OP_RETURN output script carrying a spell. */
export const spellScript = (spell: Uint8Array): Uint8Array => Script.encode(["RETURN", spell]);

function protocolKind(p: ProtocolInput): InputKind {
  if (p.custody.kind === "pool") {
    return {
      type: "multisig",
      threshold: p.custody.guardians.threshold,
      witnessScriptLength: p.custody.witnessScript.length,
    };
  }
  if (!p.path) throw new BtcInputError("invalidParameter", "a vault input needs a spending path");
  return {
    type: "vault",
    path: p.path,
    threshold: p.custody.guardians.threshold,
    witnessScriptLength: p.custody.witnessScript.length,
  };
}

/**
 * Builds a spell transaction: selects wallet inputs, adds protocol inputs, the planned outputs, the
 * spell and change, and returns the PSBT with everything the wallet and the guardians need to sign.
 */
export function buildSpellPsbt(
  opts: BuildOptions,
  plan: {
    spell: Spell | Uint8Array;
    protocolInputs?: ProtocolInput[];
    outputs?: PlannedOutput[];
    /** The payload was checked by the caller (a custody payload such as `fund`, src/settlement). */
    payloadChecked?: boolean;
  },
): BuiltPsbt {
  assertFeeRate(opts.feeRate);
  const spell = spellBytes(plan.spell, plan.payloadChecked);
  const pins = plan.protocolInputs ?? [];
  const outs = plan.outputs ?? [];
  const walletPaid = checkProtocolFunds(pins, outs);
  const opReturn = spellScript(spell);
  const changeScript = addressToScript(opts.changeAddress ?? opts.wallet.address, opts.network);
  checkWalletUtxos(opts);
  const selection = selectCoins({
    utxos: opts.walletUtxos,
    target: walletPaid,
    fixedInputs: pins.map(protocolKind),
    outputScriptLengths: [...outs.map((o) => o.script.length), opReturn.length],
    changeScript,
    feeRate: opts.feeRate,
    strategy: opts.strategy ?? "branchAndBound",
  });

  const tx = new Transaction({ ...TX_OPTS, version: 2 });
  const seq = opts.rbf === false ? FINAL_SEQUENCE : RBF_SEQUENCE;
  const walletIdx = addWalletInputs(tx, opts, selection.inputs, seq);
  const { walletIdx: ownerIdx, guardianIdx, vaultPaths } = addProtocolInputs(tx, opts, pins, seq);
  walletIdx.push(...ownerIdx);
  const outputs: BuiltPsbt["outputs"] = [];
  const add = (script: Uint8Array, amount: bigint, label: OutputLabel) => {
    tx.addOutput({ script, amount });
    outputs.push({
      label,
      amount,
      ...(label === "spell" ? {} : { address: scriptToAddress(script, opts.network) }),
    });
  };
  for (const o of outs) add(o.script, o.amount, o.label);
  add(opReturn, 0n, "spell");
  if (selection.change > 0n) add(changeScript, selection.change, "change");
  const psbt = tx.toPSBT();
  return {
    psbt,
    base64: base64.encode(psbt),
    fee: selection.fee,
    feeRate: opts.feeRate,
    estimatedVsize: selection.vsize,
    signInputs: { [opts.wallet.address]: walletIdx },
    guardianInputs: guardianIdx,
    vaultPaths,
    outpoints: [...selection.inputs.map(outpoint), ...pins.map((p) => outpoint(p.utxo))],
    outputs,
    spell,
  };
}

/**
 * Protocol funds balance on their own (vault and pool inputs = protocol outputs) and no output is dust;
 * answers what the wallet pays in (an open or deposit: no protocol inputs, the wallet funds the vault).
 */
function checkProtocolFunds(pins: ProtocolInput[], outs: PlannedOutput[]): bigint {
  const protocolIn = pins.reduce((a, p) => a + p.utxo.value, 0n);
  const protocolOut = outs.reduce((a, o) => a + o.amount, 0n);
  if (pins.length > 0 && protocolIn !== protocolOut) {
    throw new PsbtError(
      "unbalancedProtocolFunds",
      `vault/pool inputs hold ${protocolIn} sats but the protocol outputs pay ${protocolOut} sats`,
    );
  }
  for (const o of outs) {
    if (o.amount < dustThreshold(o.script)) {
      throw new PsbtError(
        "dustOutput",
        `${o.label} output of ${o.amount} sats is below the dust limit ${dustThreshold(o.script)}`,
      );
    }
  }
  return pins.length === 0 ? protocolOut : 0n;
}

function checkWalletUtxos(opts: BuildOptions): void {
  const walletScript = addressToScript(opts.wallet.address, opts.network);
  for (const u of opts.walletUtxos) {
    if (!equalBytes(u.script, walletScript)) {
      throw new BtcInputError(
        "invalidParameter",
        `UTXO ${outpoint(u)} does not belong to ${opts.wallet.address}`,
      );
    }
  }
}

/** The selected wallet coins as inputs (first: input 0 is the actor's); their indexes. */
function addWalletInputs(tx: Transaction, opts: BuildOptions, coins: Utxo[], seq: number): number[] {
  const walletIdx: number[] = [];
  for (const u of coins) {
    walletIdx.push(tx.inputsLength);
    tx.addInput({
      txid: u.txid,
      index: u.vout,
      sequence: seq,
      witnessUtxo: { script: u.script, amount: u.value },
      ...(u.rawTx ? { nonWitnessUtxo: fromHex(u.rawTx) } : {}),
      ...(opts.wallet.type === "p2sh-p2wpkh"
        ? { redeemScript: p2wpkh(opts.wallet.publicKey, networkParams(opts.network)).script }
        : {}),
      ...(opts.wallet.type === "p2tr" ? { tapInternalKey: xOnly(opts.wallet.publicKey) } : {}),
    });
  }
  return walletIdx;
}

/** Vault and pool inputs after the wallet's; which of them the owner and the guardians sign. */
function addProtocolInputs(tx: Transaction, opts: BuildOptions, pins: ProtocolInput[], seq: number) {
  const walletIdx: number[] = [];
  const guardianIdx: number[] = [];
  const vaultPaths: Record<number, VaultPath> = {};
  for (const p of pins) {
    const idx = tx.inputsLength;
    let sequence = seq;
    if (p.custody.kind === "vault") {
      if (p.path !== "guardians" && !equalBytes(p.custody.owner, opts.wallet.publicKey)) {
        throw new BtcInputError("invalidKey", "the vault's owner key is not the paying wallet's key");
      }
      vaultPaths[idx] = p.path!;
      if (p.path !== "guardians") walletIdx.push(idx);
      if (p.path !== "ownerAfterTimelock") guardianIdx.push(idx);
      // BIP68: the escape path needs nSequence ≥ the CSV value (block-based, no disable flag).
      if (p.path === "ownerAfterTimelock") sequence = p.custody.csvBlocks;
    } else {
      guardianIdx.push(idx);
    }
    tx.addInput({
      txid: p.utxo.txid,
      index: p.utxo.vout,
      sequence,
      witnessUtxo: { script: p.custody.script, amount: p.utxo.value },
      witnessScript: p.custody.witnessScript,
      sighashType: SigHash.ALL,
      ...(p.utxo.rawTx ? { nonWitnessUtxo: fromHex(p.utxo.rawTx) } : {}),
    });
  }
  return { walletIdx, guardianIdx, vaultPaths };
}

// ---------------------------------------------------------------- per-operation builders

/** Open a vault or deposit into one: wallet inputs → vault output (output 0) + spell + change. */
export function buildVaultFunding(
  opts: BuildOptions,
  p: { spell: Spell | Uint8Array; vault: VaultDescriptor; collateralSats: bigint },
): BuiltPsbt {
  return buildSpellPsbt(opts, {
    spell: p.spell,
    outputs: [{ script: p.vault.script, amount: p.collateralSats, label: "vault" }],
  });
}
export const buildOpenVault = buildVaultFunding;
export const buildDeposit = buildVaultFunding;

/**
 * Ledger-only operations (mint, repay, transfer, approve, pool deposit/withdraw, votes, liquidation
 * requests without custody moves): a wallet input carries the spell; the only other output is change.
 */
export function buildLedgerOp(opts: BuildOptions, p: { spell: Spell | Uint8Array }): BuiltPsbt {
  return buildSpellPsbt(opts, { spell: p.spell });
}

const vaultInputs = (
  vault: VaultDescriptor,
  utxos: ProtocolInput["utxo"][],
  path: VaultPath,
): ProtocolInput[] => utxos.map((utxo) => ({ utxo, custody: vault, path }));

const sum = (xs: { value: bigint }[]) => xs.reduce((a, x) => a + x.value, 0n);

/**
 * Withdraw collateral (owner AND guardians): vault UTXOs → payout to the owner, the rest back to a
 * vault output (a fresh output of the same script, or of `nextVault` when guardians rotate it).
 */
export function buildWithdraw(
  opts: BuildOptions,
  p: {
    spell: Spell | Uint8Array;
    vault: VaultDescriptor;
    vaultUtxos: ProtocolInput["utxo"][];
    amountSats: bigint;
    to?: string;
    nextVault?: VaultDescriptor;
  },
): BuiltPsbt {
  const rest = sum(p.vaultUtxos) - p.amountSats;
  if (p.amountSats <= 0n || rest < 0n)
    throw new BtcInputError("invalidAmount", `cannot withdraw ${p.amountSats} sats`);
  const outputs: PlannedOutput[] = [
    {
      script: addressToScript(p.to ?? opts.wallet.address, opts.network),
      amount: p.amountSats,
      label: "payout",
    },
  ];
  if (rest > 0n) outputs.push({ script: (p.nextVault ?? p.vault).script, amount: rest, label: "vault" });
  return buildSpellPsbt(opts, {
    spell: p.spell,
    protocolInputs: vaultInputs(p.vault, p.vaultUtxos, "ownerAndGuardians"),
    outputs,
  });
}

/** Close a vault (owner AND guardians): every vault UTXO → the owner. */
export function buildClose(
  opts: BuildOptions,
  p: { spell: Spell | Uint8Array; vault: VaultDescriptor; vaultUtxos: ProtocolInput["utxo"][]; to?: string },
): BuiltPsbt {
  return buildSpellPsbt(opts, {
    spell: p.spell,
    protocolInputs: vaultInputs(p.vault, p.vaultUtxos, "ownerAndGuardians"),
    outputs: [
      {
        script: addressToScript(p.to ?? opts.wallet.address, opts.network),
        amount: sum(p.vaultUtxos),
        label: "payout",
      },
    ],
  });
}

/**
 * Pays BTC out of the guardian pool (stability-pool gains, surplus): pool UTXOs → payout to the
 * claimer (or to their vault for claimGainsToVault), the rest back to the pool.
 */
export function buildClaimGains(
  opts: BuildOptions,
  p: {
    spell: Spell | Uint8Array;
    pool: PoolDescriptor;
    poolUtxos: ProtocolInput["utxo"][];
    amountSats: bigint;
    /** Address, or a vault to credit (claim to vault). */
    to?: string | VaultDescriptor;
  },
): BuiltPsbt {
  const rest = sum(p.poolUtxos) - p.amountSats;
  if (p.amountSats <= 0n || rest < 0n)
    throw new BtcInputError("invalidAmount", `cannot pay ${p.amountSats} sats from the pool`);
  const to = p.to ?? opts.wallet.address;
  const outputs: PlannedOutput[] = [
    typeof to === "string"
      ? { script: addressToScript(to, opts.network), amount: p.amountSats, label: "payout" }
      : { script: to.script, amount: p.amountSats, label: "vault" },
  ];
  if (rest > 0n) outputs.push({ script: p.pool.script, amount: rest, label: "pool" });
  return buildSpellPsbt(opts, {
    spell: p.spell,
    protocolInputs: p.poolUtxos.map((utxo) => ({ utxo, custody: p.pool })),
    outputs,
  });
}

/**
 * Redemption payout (guardians alone): the redeemer's wallet input carries the spell; each redeemed
 * vault's UTXOs pay the redeemer's share and the rest rolls to a fresh output of the vault; with
 * `fee`, the redemption fee moves into the guardian pool.
 */
export function buildRedemptionPayout(
  opts: BuildOptions,
  p: {
    spell: Spell | Uint8Array;
    vaults: { vault: VaultDescriptor; utxos: ProtocolInput["utxo"][]; payoutSats: bigint }[];
    to?: string;
    /**
     * What the redeemer is paid (the engine's `Redeemed.paidSats`); the rest of the vaults' payouts
     * (the redemption fee and rounding) goes to `pool`. Default: the whole payout to the redeemer.
     */
    fee?: { redeemerSats: bigint; pool: PoolDescriptor };
  },
): BuiltPsbt {
  const to = addressToScript(p.to ?? opts.wallet.address, opts.network);
  const inputs: ProtocolInput[] = [];
  const outputs: PlannedOutput[] = [];
  let payout = 0n;
  for (const v of p.vaults) {
    inputs.push(...vaultInputs(v.vault, v.utxos, "guardians"));
    const rest = sum(v.utxos) - v.payoutSats;
    if (v.payoutSats < 0n || rest < 0n)
      throw new BtcInputError("invalidAmount", "redemption exceeds a vault's UTXOs");
    payout += v.payoutSats;
    if (rest > 0n) outputs.push({ script: v.vault.script, amount: rest, label: "vault" });
  }
  const redeemer = p.fee?.redeemerSats ?? payout;
  if (redeemer < 0n || redeemer > payout)
    throw new BtcInputError("invalidAmount", "the redeemer's payout exceeds what the vaults release");
  outputs.unshift({ script: to, amount: redeemer, label: "payout" });
  if (p.fee && payout > redeemer)
    outputs.push({ script: p.fee.pool.script, amount: payout - redeemer, label: "pool" });
  return buildSpellPsbt(opts, { spell: p.spell, protocolInputs: inputs, outputs });
}

/**
 * Liquidation (guardians alone): the liquidator's wallet input carries the spell; the liquidated
 * vaults' UTXOs pay the liquidator's compensation and move the rest into the guardian pool.
 */
export function buildLiquidation(
  opts: BuildOptions,
  p: {
    spell: Spell | Uint8Array;
    vaults: { vault: VaultDescriptor; utxos: ProtocolInput["utxo"][] }[];
    compensationSats: bigint;
    pool: PoolDescriptor;
    to?: string;
  },
): BuiltPsbt {
  const inputs = p.vaults.flatMap((v) => vaultInputs(v.vault, v.utxos, "guardians"));
  const total = inputs.reduce((a, i) => a + i.utxo.value, 0n);
  const outputs: PlannedOutput[] = [];
  if (p.compensationSats > 0n) {
    outputs.push({
      script: addressToScript(p.to ?? opts.wallet.address, opts.network),
      amount: p.compensationSats,
      label: "payout",
    });
  }
  if (total - p.compensationSats > 0n)
    outputs.push({ script: p.pool.script, amount: total - p.compensationSats, label: "pool" });
  return buildSpellPsbt(opts, { spell: p.spell, protocolInputs: inputs, outputs });
}

/**
 * Roll a vault (guardians alone, docs/decisions.md §2): move its UTXOs to one fresh output, of the same script or
 * of a rotated `nextVault` (new guardian keys or timelock), restarting the escape timelock. The
 * paying wallet is the guardian operator's; the spell is the guardian op (reserved op-code range).
 */
export function buildRoll(
  opts: BuildOptions,
  p: {
    spell: Spell | Uint8Array;
    vault: VaultDescriptor;
    vaultUtxos: ProtocolInput["utxo"][];
    nextVault?: VaultDescriptor;
  },
): BuiltPsbt {
  return buildSpellPsbt(opts, {
    spell: p.spell,
    protocolInputs: vaultInputs(p.vault, p.vaultUtxos, "guardians"),
    outputs: [{ script: (p.nextVault ?? p.vault).script, amount: sum(p.vaultUtxos), label: "vault" }],
  });
}

/** Escape hatch: the owner alone moves a vault's UTXOs after its relative timelock. No spell needed, but one may ride along. */
export function buildEscape(
  opts: BuildOptions,
  p: { spell: Spell | Uint8Array; vault: VaultDescriptor; vaultUtxos: ProtocolInput["utxo"][]; to?: string },
): BuiltPsbt {
  return buildSpellPsbt(opts, {
    spell: p.spell,
    protocolInputs: vaultInputs(p.vault, p.vaultUtxos, "ownerAfterTimelock"),
    outputs: [
      {
        script: addressToScript(p.to ?? opts.wallet.address, opts.network),
        amount: sum(p.vaultUtxos),
        label: "payout",
      },
    ],
  });
}
