/**
 * UTXO tracking, locking and coin selection.
 *
 * A UtxoTracker holds the known UTXOs of each owner (a wallet address, a vault, a pool) and the locks
 * taken by pending PSBTs: a PSBT locks the outpoints it spends until it is broadcast (then they stay
 * reserved until the chain no longer lists them), rejected (unlocked) or expires (unlocked on the next
 * `expire`). Coin selection only ever sees unlocked UTXOs.
 */
import { InsufficientFundsError } from "./errors.ts";
import {
  dustThreshold,
  estimateVsize,
  feeForVsize,
  type InputKind,
  inputFee,
  outputFee,
} from "./networkFees.ts";

export interface Utxo {
  txid: string;
  vout: number;
  /** Satoshis. */
  value: bigint;
  /** The output script. */
  script: Uint8Array;
  /** How it is spent (for sizing). */
  input: InputKind;
  /** Confirmation height, undefined while in the mempool. */
  height?: number;
  /** Raw funding transaction (hex), added to PSBTs as nonWitnessUtxo when known. */
  rawTx?: string;
}

export const outpoint = (u: { txid: string; vout: number }): string => `${u.txid}:${u.vout}`;

interface Lock {
  id: string;
  outpoints: string[];
  /** ms since epoch; Infinity once broadcast. */
  expiresAt: number;
  state: "pending" | "broadcast";
}

/** Default life of a pending-PSBT lock: long enough to sign, short enough not to strand coins. */
export const DEFAULT_LOCK_MS = 15 * 60_000;

export class UtxoTracker {
  private readonly byOwner = new Map<string, Utxo[]>();
  private readonly locks = new Map<string, Lock>();
  private readonly lockedBy = new Map<string, string>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Replaces what is known about an owner's UTXOs (from a chain refresh); drops locks of spent coins. */
  setUtxos(owner: string, utxos: Utxo[]): void {
    this.byOwner.set(owner, [...utxos]);
    const live = new Set([...this.byOwner.values()].flat().map(outpoint));
    for (const lock of [...this.locks.values()]) {
      if (lock.state === "broadcast" && lock.outpoints.every((o) => !live.has(o))) this.release(lock.id);
    }
  }

  /** All known UTXOs of an owner, locked or not. */
  all(owner: string): Utxo[] {
    return [...(this.byOwner.get(owner) ?? [])];
  }

  /** Unlocked UTXOs of an owner (after expiring stale locks). */
  spendable(owner: string): Utxo[] {
    this.expire();
    return this.all(owner).filter((u) => !this.lockedBy.has(outpoint(u)));
  }

  isLocked(op: string): boolean {
    this.expire();
    return this.lockedBy.has(op);
  }

  /** Outpoints currently locked, by lock id. */
  lockedOutpoints(): string[] {
    this.expire();
    return [...this.lockedBy.keys()];
  }

  /**
   * Locks outpoints for a pending PSBT. Throws if one is already locked by another PSBT, so two
   * pending PSBTs never spend the same coin.
   */
  lock(id: string, outpoints: string[], ttlMs = DEFAULT_LOCK_MS): void {
    this.expire();
    for (const o of outpoints) {
      const holder = this.lockedBy.get(o);
      if (holder !== undefined && holder !== id)
        throw new Error(`outpoint ${o} is locked by pending PSBT ${holder}`);
    }
    this.release(id);
    this.locks.set(id, { id, outpoints: [...outpoints], expiresAt: this.now() + ttlMs, state: "pending" });
    for (const o of outpoints) this.lockedBy.set(o, id);
  }

  /** Releases a lock (the user rejected the PSBT, or it failed to broadcast). */
  unlock(id: string): void {
    this.release(id);
  }

  /** Keeps a lock until the chain stops listing its coins (the PSBT's transaction was broadcast). */
  markBroadcast(id: string): void {
    const lock = this.locks.get(id);
    if (lock) {
      lock.state = "broadcast";
      lock.expiresAt = Number.POSITIVE_INFINITY;
    }
  }

  /** Releases pending locks whose time is up. */
  expire(): void {
    const t = this.now();
    for (const lock of [...this.locks.values()]) if (lock.expiresAt <= t) this.release(lock.id);
  }

  private release(id: string): void {
    const lock = this.locks.get(id);
    if (!lock) return;
    for (const o of lock.outpoints) if (this.lockedBy.get(o) === id) this.lockedBy.delete(o);
    this.locks.delete(id);
  }
}

// ---------------------------------------------------------------- coin selection

export type SelectionStrategy = "largestFirst" | "smallestFirst" | "bestMatch" | "branchAndBound";

export interface SelectionRequest {
  /** Candidate wallet UTXOs (already unlocked). */
  utxos: Utxo[];
  /** Satoshis the wallet inputs must provide on top of the fee. */
  target: bigint;
  /** Inputs always present (vault/pool inputs, a required first input): sized, not counted as value. */
  fixedInputs?: InputKind[];
  /** Value the fixed inputs bring that the wallet may use (usually 0: protocol funds balance apart). */
  fixedValue?: bigint;
  /** Script lengths of all outputs except change. */
  outputScriptLengths: number[];
  /** Change output script. */
  changeScript: Uint8Array;
  /** sat/vB. */
  feeRate: number;
  strategy?: SelectionStrategy;
}

export interface Selection {
  inputs: Utxo[];
  /** Change in sats; 0 when no change output is made (the excess went to the fee). */
  change: bigint;
  fee: bigint;
  /** Estimated vsize of the final transaction (largest signatures). */
  vsize: number;
}

// At least one wallet input is always chosen: it pays the fee and its owner is the spell's actor.
function evaluate(req: SelectionRequest, chosen: Utxo[]): Selection | undefined {
  if (chosen.length === 0) return undefined;
  const fixed = req.fixedInputs ?? [];
  const kinds = [...fixed, ...chosen.map((u) => u.input)];
  const total = chosen.reduce((a, u) => a + u.value, req.fixedValue ?? 0n);
  const vNo = estimateVsize(kinds, req.outputScriptLengths);
  const feeNo = feeForVsize(vNo, req.feeRate);
  if (total < req.target + feeNo) return undefined;
  const vWith = estimateVsize(kinds, [...req.outputScriptLengths, req.changeScript.length]);
  const feeWith = feeForVsize(vWith, req.feeRate);
  const change = total - req.target - feeWith;
  if (change >= dustThreshold(req.changeScript))
    return { inputs: chosen, change, fee: feeWith, vsize: vWith };
  // No change output: the excess (below dust) is added to the fee.
  return { inputs: chosen, change: 0n, fee: total - req.target, vsize: vNo };
}

function accumulate(req: SelectionRequest, ordered: Utxo[]): Selection | undefined {
  const chosen: Utxo[] = [];
  for (const u of ordered) {
    chosen.push(u);
    const s = evaluate(req, chosen);
    if (s) return s;
  }
  return undefined;
}

const effectiveValue = (u: Utxo, rate: number) => u.value - inputFee(u.input, rate);

/**
 * Branch and bound (Bitcoin Core's BnB, Murch 2016): depth-first search for a set whose effective
 * value lands in [target, target + cost of change] so no change output is needed, minimizing the excess.
 */
function branchAndBound(req: SelectionRequest): Selection | undefined {
  const rate = req.feeRate;
  const pool = req.utxos
    .filter((u) => effectiveValue(u, rate) > 0n)
    .sort((a, b) => (effectiveValue(b, rate) > effectiveValue(a, rate) ? 1 : -1));
  const values = pool.map((u) => effectiveValue(u, rate));
  const baseFee = feeForVsize(estimateVsize(req.fixedInputs ?? [], req.outputScriptLengths), rate);
  const target = req.target + baseFee - (req.fixedValue ?? 0n);
  const costOfChange = outputFee(req.changeScript.length, rate) + dustThreshold(req.changeScript);
  // suffix[i] = total effective value of pool[i..]: prunes branches that can no longer reach the target.
  const suffix: bigint[] = new Array(values.length);
  let acc = 0n;
  for (let i = values.length - 1; i >= 0; i--) {
    acc += values[i]!;
    suffix[i] = acc;
  }
  let best: number[] | undefined;
  let bestExcess = 0n;
  let tries = 0;
  const picked: number[] = [];
  const walk = (i: number, sum: bigint): void => {
    if (++tries > 100_000) return;
    if (sum >= target) {
      const excess = sum - target;
      if (excess <= costOfChange && (best === undefined || excess < bestExcess)) {
        best = [...picked];
        bestExcess = excess;
      }
      return;
    }
    if (i >= values.length || sum + suffix[i]! < target) return;
    picked.push(i);
    walk(i + 1, sum + values[i]!);
    picked.pop();
    walk(i + 1, sum);
  };
  if (target <= 0n) return undefined;
  walk(0, 0n);
  if (!best) return undefined;
  const chosen = best.map((i) => pool[i]!);
  return evaluate(req, chosen);
}

/** The single UTXO that covers the target with the least excess, without change when possible. */
function bestMatch(req: SelectionRequest): Selection | undefined {
  let best: Selection | undefined;
  for (const u of req.utxos) {
    const s = evaluate(req, [u]);
    if (!s) continue;
    const better =
      !best ||
      (s.change === 0n && best.change !== 0n) ||
      ((s.change === 0n) === (best.change === 0n) && s.inputs[0]!.value < best.inputs[0]!.value);
    if (better) best = s;
  }
  return best;
}

/**
 * Chooses wallet inputs for a transaction. Strategies: `largestFirst` (fewest inputs),
 * `smallestFirst` (consolidates dust-ish coins), `bestMatch` (one coin, no change if possible),
 * `branchAndBound` (a changeless exact match; falls back to largest-first as Core does).
 * Throws InsufficientFundsError when the spendable coins can't pay outputs + fee.
 */
export function selectCoins(req: SelectionRequest): Selection {
  const strategy = req.strategy ?? "branchAndBound";
  const byValue = [...req.utxos].sort((a, b) => (a.value === b.value ? 0 : a.value > b.value ? -1 : 1));
  let s: Selection | undefined;
  switch (strategy) {
    case "largestFirst":
      s = accumulate(req, byValue);
      break;
    case "smallestFirst":
      s = accumulate(req, [...byValue].reverse());
      break;
    case "bestMatch":
      s = bestMatch(req) ?? accumulate(req, byValue);
      break;
    case "branchAndBound":
      s = branchAndBound(req) ?? accumulate(req, byValue);
      break;
  }
  if (!s) {
    const available = req.utxos.reduce((a, u) => a + u.value, 0n);
    const all = [...(req.fixedInputs ?? []), ...req.utxos.map((u) => u.input)];
    const fee = feeForVsize(estimateVsize(all, req.outputScriptLengths), req.feeRate);
    throw new InsufficientFundsError(req.target + fee, available);
  }
  return s;
}
