/**
 * The preview: what the user is about to sign, read from any PSBT (labelled against known vaults, pools
 * and wallet addresses), and the spell of a PSBT output or raw transaction.
 */
import { OutScript, Script, Transaction } from "@scure/btc-signer";
import { equalBytes } from "@scure/btc-signer/utils.js";
import { type BtcNetworkName, scriptToAddress } from "./network.ts";
import { estimateVsize, FINAL_SEQUENCE, type InputKind } from "./networkFees.ts";
import { type OutputLabel, parsePsbt, TX_OPTS } from "./psbt.ts";
import {
  fromHex,
  type PoolDescriptor,
  parseCustodyScript,
  toHex,
  type VaultDescriptor,
  type VaultPath,
} from "./scripts.ts";
import { hasSpellMagic, type Spell, tryDecodeSpell } from "./spell.ts";

export interface PsbtSummary {
  inputs: {
    txid: string;
    vout: number;
    amount: bigint;
    address?: string;
    kind: "wallet" | "vault" | "pool" | "unknown";
    path?: VaultPath;
    signatures: number;
  }[];
  outputs: { amount: bigint; address?: string; kind: OutputLabel | "payment" | "unknown" }[];
  fee: bigint;
  /** Estimated vsize with the largest signatures. */
  vsize: number;
  /** fee / vsize, sat/vB. */
  feeRate: number;
  rbf: boolean;
  locktime: number;
  spell?: Spell;
  /** Why an OP_RETURN with the spell magic didn't decode, if one didn't. */
  spellError?: string;
}

/** What a preview is labelled against. */
export interface KnownScripts {
  vaults?: VaultDescriptor[];
  pools?: PoolDescriptor[];
  /** Addresses of the user's wallet (their outputs are labelled change). */
  wallet?: string[];
  /** The builder's `vaultPaths`; without it the path is inferred from sequence and signatures. */
  paths?: Record<number, VaultPath>;
}

/**
 * What the user is about to sign: inputs, outputs (labelled against the given vaults and pools),
 * fee, estimated fee rate and the decoded spell. Works on any PSBT the wallet might return too.
 */
export function summarizePsbt(
  psbt: Uint8Array | string,
  network: BtcNetworkName,
  known: KnownScripts = {},
): PsbtSummary {
  const tx = parsePsbt(psbt);
  const ins = summarizeInputs(tx, network, known);
  const outs = summarizeOutputs(tx, network, known);
  const vsize = estimateVsize(ins.kinds, outs.lengths);
  const fee = ins.total - outs.total;
  return {
    inputs: ins.inputs,
    outputs: outs.outputs,
    fee,
    vsize,
    feeRate: Math.round((Number(fee) / vsize) * 100) / 100,
    rbf: ins.rbf,
    locktime: tx.lockTime,
    ...(outs.spell ? { spell: outs.spell } : {}),
    ...(outs.spellError ? { spellError: outs.spellError } : {}),
  };
}

/** The inputs as a preview shows them, the size kind of each, their total and whether any signals RBF. */
function summarizeInputs(tx: Transaction, network: BtcNetworkName, known: KnownScripts) {
  const inputs: PsbtSummary["inputs"] = [];
  const kinds: InputKind[] = [];
  let total = 0n;
  let rbf = false;
  for (let i = 0; i < tx.inputsLength; i++) {
    const inp = tx.getInput(i);
    const amount = inp.witnessUtxo?.amount ?? 0n;
    total += amount;
    if ((inp.sequence ?? FINAL_SEQUENCE) < 0xffff_fffe) rbf = true;
    const script = inp.witnessUtxo?.script;
    const custody = inp.witnessScript ? parseCustodyScript(inp.witnessScript) : undefined;
    const sigs = (inp.partialSig ?? []).length + (inp.tapKeySig ? 1 : 0);
    const base = {
      txid: toHex(inp.txid!),
      vout: inp.index!,
      amount,
      ...(script ? { address: scriptToAddress(script, network) } : {}),
      signatures: sigs,
    };
    if (custody?.kind === "vault") {
      const path: VaultPath =
        known.paths?.[i] ??
        ((inp.sequence ?? FINAL_SEQUENCE) === custody.csvBlocks
          ? "ownerAfterTimelock"
          : sigs > 0 &&
              !(inp.partialSig ?? []).some(([k]) => equalBytes(k, custody.owner)) &&
              sigs >= custody.guardians.threshold
            ? "guardians"
            : "ownerAndGuardians");
      inputs.push({ ...base, kind: "vault", path });
      kinds.push({
        type: "vault",
        path,
        threshold: custody.guardians.threshold,
        witnessScriptLength: custody.witnessScript.length,
      });
    } else if (custody?.kind === "pool") {
      inputs.push({ ...base, kind: "pool" });
      kinds.push({
        type: "multisig",
        threshold: custody.guardians.threshold,
        witnessScriptLength: custody.witnessScript.length,
      });
    } else {
      const kind = walletKindOf(script);
      inputs.push({ ...base, kind: kind ? "wallet" : "unknown" });
      kinds.push(kind ?? { type: "p2wpkh" });
    }
  }
  return { inputs, kinds, total, rbf };
}

/** A wallet input's size kind from its previous output's script, or undefined when it is none we know. */
function walletKindOf(script: Uint8Array | undefined): InputKind | undefined {
  const t = script ? OutScript.decode(script).type : "unknown";
  return t === "wpkh"
    ? { type: "p2wpkh" }
    : t === "sh"
      ? { type: "p2sh-p2wpkh" }
      : t === "tr"
        ? { type: "p2tr" }
        : t === "pkh"
          ? { type: "p2pkh" }
          : undefined;
}

/** The outputs labelled, their script lengths and total, and the spell (or why it did not decode). */
function summarizeOutputs(tx: Transaction, network: BtcNetworkName, known: KnownScripts) {
  const outputs: PsbtSummary["outputs"] = [];
  const lengths: number[] = [];
  let total = 0n;
  const scripts: Uint8Array[] = [];
  for (let i = 0; i < tx.outputsLength; i++) {
    const o = tx.getOutput(i);
    const script = o.script!;
    const amount = o.amount ?? 0n;
    total += amount;
    lengths.push(script.length);
    const address = scriptToAddress(script, network);
    scripts.push(script);
    const payload = opReturnPayload(script);
    let kind: PsbtSummary["outputs"][number]["kind"] = address ? "payment" : "unknown";
    if (payload && hasSpellMagic(payload)) kind = "spell";
    else if (known.vaults?.some((v) => equalBytes(v.script, script))) kind = "vault";
    else if (known.pools?.some((p) => equalBytes(p.script, script))) kind = "pool";
    else if (address && known.wallet?.includes(address)) kind = "change";
    outputs.push({ amount, kind, ...(address ? { address } : {}) });
  }
  // The spell as the indexer reads it: its first magic output, even when that one does not decode.
  const found = spellPayloadOf(scripts);
  const r = found && tryDecodeSpell(found.payload);
  const spell = r?.ok ? r.spell : undefined;
  const spellError = r && !r.ok ? r.error.message : undefined;
  return { outputs, lengths, total, spell, spellError };
}

/** The single data push of an OP_RETURN script, or undefined. Never throws. */
export function opReturnPayload(script: Uint8Array): Uint8Array | undefined {
  if (script[0] !== 0x6a) return undefined;
  try {
    const ops = Script.decode(script);
    if (ops.length === 2 && ops[1] instanceof Uint8Array) return ops[1];
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * A transaction's spell payload as the indexer reads it (docs/spell-format.md): the first OP_RETURN
 * output whose single push starts with the spell magic, even when it does not decode (the spell is
 * then refused; a later magic output is never read), with its output index. One rule for the
 * indexer, the review's preview and the flow. Never throws.
 */
export function spellPayloadOf(scripts: Iterable<Uint8Array>): { payload: Uint8Array; vout: number } | null {
  let vout = 0;
  for (const script of scripts) {
    const payload = opReturnPayload(script);
    if (payload && hasSpellMagic(payload)) return { payload, vout };
    vout++;
  }
  return null;
}

/** Finds and decodes the spell of a raw transaction (hex or bytes): the first OP_RETURN with the magic. */
export function spellOfTransaction(
  raw: string | Uint8Array,
): { ok: true; spell: Spell; vout: number } | { ok: false; reason: string } {
  let tx: Transaction;
  try {
    tx = Transaction.fromRaw(typeof raw === "string" ? fromHex(raw) : raw, {
      ...TX_OPTS,
      disableScriptCheck: true,
    });
  } catch (e) {
    return { ok: false, reason: `not a transaction: ${(e as Error).message}` };
  }
  const scripts = Array.from({ length: tx.outputsLength }, (_, i) => tx.getOutput(i).script!);
  const found = spellPayloadOf(scripts);
  if (!found) return { ok: false, reason: "no spell output" };
  const r = tryDecodeSpell(found.payload);
  return r.ok ? { ok: true, spell: r.spell, vout: found.vout } : { ok: false, reason: r.error.message };
}
