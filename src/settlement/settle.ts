/**
 * Settlements (docs/decisions.md §2a rule 2, docs/custody.md): one transaction pays many obligations. Its shape is
 * a pure function of the state, the named obligations, the coins it spends and the fee rate
 * (`settlementOutputs`), shared by the guardians' plan (`planSettlement`), the indexer's predicate
 * (`checkSettlement`) and its effect on the state (`applySettlement`):
 *
 *   inputs:  every coin of every vault the obligations involve (sources, internal destinations), the
 *            oldest coins of every vault it rolls (at most MAX_ROLL_COINS: a chunk), and the pool's
 *            largest MAX_POOL_COINS coins (the main coin first), sorted by outpoint; nothing else;
 *   outputs: one payout per named payout obligation, in the spell's order: its sats less its fee share;
 *            then each involved vault's remainder at its current script (none when 0), by account;
 *            then the main coin (the pool's remainder less the fee account's part of the fee);
 *            then the settle spell (OP_RETURN).
 *
 * Fees: fee = ceil(vsize × rate) with vsize estimated at the largest signatures (src/btc/networkFees.ts).
 * A payee pays its output's own vbytes plus an equal share of the rest (the remainder's sats one each
 * to the first payees), never more than its obligation's maximum fee; the fee account
 * (feeAccount.ts: `custody.stray` plus the whole satoshis of the BTC fees) pays what the maximum fees leave, and an internal-only settlement's whole fee.
 *
 * Rolling and consolidation (docs/custody.md "Rolling"): a settlement may also spend the coins of
 * vaults that no named obligation involves when the vault is due (`rollDue`: it carries debt or open
 * obligations and holds two coins or more of at least STRAY_REFUND_MIN sats, or a coin near its
 * timelock or of an earlier key epoch);
 * such a vault gets exactly the sats of its spent coins back at its current script, and the fee
 * account pays the fee. A roll never changes the vault's record. The spell does not name rolled
 * vaults: the inputs do, and the predicate checks each is due.
 */
import { OutScript, Script } from "@scure/btc-signer";
import { dustThreshold, estimateVsize, type InputKind, varIntSize } from "../btc/networkFees.ts";
import { fromHex, lenientHexBytes, poolDescriptor, toHex, vaultDescriptor } from "../btc/scripts.ts";
import {
  type AccountId,
  addCoin,
  currentEpoch,
  markSettled,
  type Obligation,
  type ProtocolCoin,
  removeCoin,
  type State,
} from "../protocol/index.ts";
import { drawFeeAccount, feeAccountSats } from "./feeAccount.ts";
import { type CustodyConfig, custodyKeySet, epochKeySet, epochKeys } from "./inflow.ts";
import {
  decodeSettleSpell,
  encodeSettleSpell,
  namedObligations,
  type SettleSpell,
  settleSpellFor,
} from "./settleSpell.ts";
import { outpointKey, type TxShape } from "./tx.ts";

/**
 * Stray outputs below this are kept, not refunded (docs/decisions.md §2a, a (G) parameter), sats; a
 * vault coin below it is dust to consolidation (`dueVaults`) and its sweep waits until economic
 * (`sweepWaits`). Re-exported by strays.ts.
 */
export const STRAY_REFUND_MIN = 10_000n;

/** Largest settlement transaction, vbytes (standard relay limit is 100 kvB; SPEC asks ≤ 10 kvB). */
export const MAX_SETTLEMENT_VSIZE = 10_000;
/** Blocks an obligation must be buried before a settlement may name it (SPEC: D = 6; dev may set 1). */
export const DEFAULT_FINALITY_DEPTH = 6;

export const SETTLEMENT_REASONS = {
  settleMalformed: "The settle spell does not decode.",
  basisTooRecent: "A settlement names only obligations buried at least D blocks deep.",
  notNamed: "The settle spell does not name open obligations of this state.",
  foreignInput: "A settlement spends only tracked protocol coins.",
  coinsNotConsolidated:
    "A settlement spends every coin of every owner it involves, the pool's largest coins, and a rolled vault's oldest coins.",
  wrongOutputs: "The outputs are not the settlement of the named obligations at the spell's fee rate.",
  infeasible: "These obligations cannot be settled together at this fee rate.",
  tooLarge:
    "A settlement stays within 10,000 vB (SPEC: small enough to relay); the rest wait for the next one.",
  rollNotDue:
    "A settlement spends a vault's coins only for its obligations or when the vault is due for a roll.",
  nothingSettled: "A settlement names an obligation or rolls a vault.",
} as const;
export type SettlementReasonCode = keyof typeof SETTLEMENT_REASONS;
export interface SettlementReason {
  code: SettlementReasonCode;
  message: string;
}
const reason = (code: SettlementReasonCode, detail: string): SettlementReason => ({
  code,
  message: `${detail}. ${SETTLEMENT_REASONS[code]}`,
});

export interface SettlementInput {
  outpoint: string;
  txid: string;
  vout: number;
  sats: bigint;
  /** A vault, or null for the pool. */
  owner: AccountId | null;
  /** Output script and witness script, lowercase hex. */
  script: string;
  witnessScript: string;
}

export type SettlementOutputKind = "payout" | "vault" | "main" | "spell";
export interface SettlementOutput {
  kind: SettlementOutputKind;
  /** Lowercase hex. */
  script: string;
  sats: bigint;
  /** Payouts: the obligation paid. */
  obligation?: string;
  /** Vault remainders: the vault. */
  owner?: AccountId;
}

export interface SettlementPlan {
  ids: string[];
  /** Vaults rolled (and consolidated) without an obligation, sorted. */
  rolls: AccountId[];
  spell: SettleSpell;
  spellBytes: Uint8Array;
  inputs: SettlementInput[];
  outputs: SettlementOutput[];
  fee: bigint;
  /** Part of the fee paid by the fee account (stray first, then BTC fees: feeAccount.ts). */
  fromAccount: bigint;
  vsize: number;
}

type Shape =
  | { ok: true; outputs: SettlementOutput[]; fee: bigint; fromAccount: bigint; vsize: number }
  | { ok: false; reason: SettlementReason };

const SATS_PER_KVB = 1000n;
const ceilDiv = (a: bigint, b: bigint) => (a + b - 1n) / b;

/**
 * The witness and output scripts of an owner (a vault's key, or null for the pool) under a custody key
 * set, or undefined when none is valid. Memoized: building a descriptor checks every key is a point
 * (four square roots), and a roll of 16 vaults at 2,000 vaults otherwise spends most of its plan there.
 * The result is a pure function of the key set, the owner key and the timelock, so the cache changes
 * nothing but time; it is bounded.
 */
type Scripts = { script: Uint8Array; witnessScript: Uint8Array };
const descriptors = new Map<string, Scripts | undefined>();
const MAX_DESCRIPTORS = 8_192;
function descriptorOf(
  set: { keys: readonly string[]; threshold: bigint } | undefined,
  ownerKey: string | null,
  config: CustodyConfig,
): Scripts | undefined {
  if (!set) return undefined;
  const memo = `${set.threshold}:${set.keys.join(",")}|${ownerKey ?? "pool"}|${config.csvBlocks}`;
  if (descriptors.has(memo)) return descriptors.get(memo);
  let d: Scripts | undefined;
  try {
    const guardians = { threshold: Number(set.threshold), keys: set.keys.map((k) => lenientHexBytes(k)) };
    d =
      ownerKey === null
        ? poolDescriptor(guardians)
        : vaultDescriptor({ owner: fromHex(ownerKey), guardians, csvBlocks: config.csvBlocks });
  } catch {
    d = undefined;
  }
  if (descriptors.size >= MAX_DESCRIPTORS) descriptors.clear();
  descriptors.set(memo, d);
  return d;
}

/** The owner's key: null for the pool, undefined for a vault without one. */
const ownerKeyOf = (state: State, owner: AccountId | null) =>
  owner === null ? null : state.custody.vaultKeys.get(owner);

/** The witness script that spends `coin`: its owner's under the coin's own key epoch. */
function witnessScriptOf(
  state: State,
  coin: Pick<ProtocolCoin, "vault" | "epoch">,
  config: CustodyConfig,
): Uint8Array | undefined {
  const key = ownerKeyOf(state, coin.vault);
  if (key === undefined) return undefined;
  return descriptorOf(epochKeys(state, coin.epoch ?? 0), key, config)?.witnessScript;
}

/** The owner's output script under the current custody key set. */
function scriptOf(state: State, owner: AccountId | null, config: CustodyConfig): Uint8Array | undefined {
  const key = ownerKeyOf(state, owner);
  if (key === undefined) return undefined;
  return descriptorOf(state.gov.guardians, key, config)?.script;
}

/** The pool's script under the current custody key set (the main coin's), hex; undefined without a set. */
export function poolScriptHex(state: State): string | undefined {
  try {
    return toHex(poolDescriptor(custodyKeySet(state)).script);
  } catch {
    return undefined;
  }
}

/** Owners the obligations involve, vaults sorted, the pool always. */
function involvedOwners(named: readonly Obligation[]): { vaults: AccountId[] } {
  const vaults = new Set<AccountId>();
  for (const o of named) {
    if (o.source !== null) vaults.add(o.source);
    if (typeof o.to === "string") vaults.add(o.to);
  }
  return { vaults: [...vaults].sort() };
}

const byOutpoint = (a: ProtocolCoin, b: ProtocolCoin) =>
  a.outpoint < b.outpoint ? -1 : a.outpoint > b.outpoint ? 1 : 0;
/** Oldest first (height, then outpoint): the order a vault's coins are rolled in. */
const oldestFirst = (a: ProtocolCoin, b: ProtocolCoin) =>
  a.height !== b.height ? (a.height < b.height ? -1 : 1) : byOutpoint(a, b);
/** Largest first (sats, then outpoint): the pool coins a settlement spends (the main coin first). */
const largestFirst = (a: ProtocolCoin, b: ProtocolCoin) =>
  a.sats !== b.sats ? (a.sats > b.sats ? -1 : 1) : byOutpoint(a, b);

/**
 * Every coin a settlement of `named` rolling `rolls` spends (the plan), sorted by outpoint: every coin
 * of the vaults the obligations involve; a rolled vault's oldest `MAX_ROLL_COINS` coins (a chunk:
 * a vault with more is consolidated over several settlements); the pool's largest `MAX_POOL_COINS`
 * coins (the main coin and the largest strays; the rest are swept by later settlements).
 */
export function coinsToSpend(
  state: State,
  named: readonly Obligation[],
  rolls: readonly AccountId[] = [],
): ProtocolCoin[] {
  const involved = new Set<AccountId | null>(involvedOwners(named).vaults);
  const rolled = new Set<AccountId | null>(rolls);
  const pool: ProtocolCoin[] = [];
  const byRoll = new Map<AccountId, ProtocolCoin[]>();
  const out: ProtocolCoin[] = [];
  for (const c of state.custody.coins.values()) {
    if (c.vault === null) pool.push(c);
    else if (involved.has(c.vault)) out.push(c);
    else if (rolled.has(c.vault)) {
      const coins = byRoll.get(c.vault);
      if (coins) coins.push(c);
      else byRoll.set(c.vault, [c]);
    }
  }
  for (const coins of byRoll.values()) out.push(...coins.sort(oldestFirst).slice(0, MAX_ROLL_COINS));
  out.push(...pool.sort(largestFirst).slice(0, MAX_POOL_COINS));
  return out.sort(byOutpoint);
}

/** Blocks before a vault coin's timelock matures by which the guardians roll it (SPEC: 4,320, (G)). */
export const ROLL_MARGIN_BLOCKS = 4_320;
/** Most vaults a settlement rolls without an obligation (the rest wait for the next block). */
export const MAX_ROLLS_PER_SETTLEMENT = 16;

/**
 * Most coins of one vault a roll spends: its oldest ones, into one coin (≈ 152 vB an input at a 2-of-3
 * vault script, so a chunk is ≈ 5.1 kvB and fits a 10 kvB settlement beside other work). A vault with
 * more is consolidated over several settlements, a chunk each (docs/custody.md "Rolling").
 */
export const MAX_ROLL_COINS = 32;
/** Most pool coins a settlement spends: the main coin and the largest strays (the rest wait). */
export const MAX_POOL_COINS = 8;

/** Blocks before the margin line at which rolls start, so they confirm before it (a day). */
export const ROLL_LEAD_BLOCKS = 144;

/**
 * Age in blocks at which a vault coin is due for a roll: its timelock less the roll margin, less a
 * day's lead so that the roll confirms before the margin line (SPEC: rolled at least 4,320 blocks
 * before the timelock matures). A short test timelock keeps it in proportion: the margin at most half
 * the timelock, the lead at most half the margin.
 */
export function rollAge(csvBlocks: number): number {
  const margin = Math.min(ROLL_MARGIN_BLOCKS, Math.floor(csvBlocks / 2));
  const lead = Math.min(ROLL_LEAD_BLOCKS, Math.floor(margin / 2));
  return csvBlocks - margin - lead;
}

/**
 * A dust sweep: a vault→pool move below STRAY_REFUND_MIN (a stranger's dust kept as stray, strays.ts,
 * or a gap as small). It rides along when the vault's coins are spent anyway; alone it never makes a
 * vault worth rolling (docs/custody.md "Dust and griefing").
 */
export const isDustSweep = (o: Obligation): boolean =>
  o.source !== null && o.to === null && o.sats < STRAY_REFUND_MIN;

/**
 * Whether the leader defers a dust sweep at `rate` sat/kvB unless its vault's coins are spent anyway:
 * its sats are below what spending one guardian-path input at the vault's current script costs
 * (SPEC §2a: stray BTC below 10,000 sats "is swept only when economic"). A leader's choice, not
 * consensus: the predicate accepts a sweep named at any rate.
 */
export function sweepWaits(state: State, o: Obligation, rate: number, config: CustodyConfig): boolean {
  if (!isDustSweep(o)) return false;
  const key = ownerKeyOf(state, o.source);
  const ws = key === undefined ? undefined : descriptorOf(state.gov.guardians, key, config)?.witnessScript;
  if (!ws) return true;
  const kind: InputKind = {
    type: "vault",
    path: "guardians",
    threshold: Number(state.gov.guardians.threshold),
    witnessScriptLength: ws.length,
  };
  // The input's vbytes: a transaction with it less one without (rounded up: the sweep pays its way).
  const vbytes = BigInt(estimateVsize([kind], []) - estimateVsize([], []));
  return o.sats < ceilDiv(vbytes * BigInt(rate), SATS_PER_KVB);
}

/** Owners that owe or are owed an open obligation other than a dust sweep (`isDustSweep`). */
function owingOwners(state: State): Set<AccountId | null> {
  const owing = new Set<AccountId | null>();
  for (const o of state.custody.obligations.values())
    if (o.status === "open" && !isDustSweep(o)) {
      owing.add(o.source);
      if (typeof o.to === "string") owing.add(o.to);
    }
  return owing;
}

/**
 * Whether a vault carries debt or open obligations other than dust sweeps (what makes its coins worth
 * rolling, docs/decisions.md §2a);
 * `owing` may be passed when many vaults are asked at once.
 */
export function carriesDebtOrObligations(
  state: State,
  vault: AccountId,
  owing: ReadonlySet<AccountId | null> = owingOwners(state),
): boolean {
  const a = state.accounts.get(vault);
  return (a !== undefined && a.status === "active" && a.debt > 0n) || owing.has(vault);
}

/**
 * The vaults a settlement confirmed at `height` may roll, with their oldest coin's height: each has an
 * owner key, carries debt or open obligations (`carriesDebtOrObligations`), and holds two coins or
 * more of at least STRAY_REFUND_MIN sats (consolidation; any two when it owes or is owed an
 * obligation, whose settlement spends them all), a coin at least `rollAge` blocks old, or a coin of
 * an earlier key epoch (migrated to the current key set). Dust at a vault's script (a stranger's)
 * thus never makes it due by count: the age and epoch rules still cover every coin (docs/custody.md
 * "Dust and griefing").
 * One pass over the coins and one over the obligations (2,000 vaults
 * are checked every block). Monotone in `height`: a roll due when planned is due when it confirms.
 */
function dueVaults(
  state: State,
  height: number,
  config: CustodyConfig,
  only?: AccountId,
): Map<AccountId, bigint> {
  const coins = new Map<AccountId, { count: number; large: number; oldest: bigint; stale: boolean }>();
  // A coin under an earlier key epoch is rolled to the current key set's script.
  const epoch = currentEpoch(state.custody);
  for (const c of state.custody.coins.values()) {
    if (c.vault === null || (only !== undefined && c.vault !== only)) continue;
    const stale = (c.epoch ?? 0) < epoch;
    const large = c.sats >= STRAY_REFUND_MIN ? 1 : 0;
    const s = coins.get(c.vault);
    if (!s) coins.set(c.vault, { count: 1, large, oldest: c.height, stale });
    else {
      s.count++;
      s.large += large;
      if (c.height < s.oldest) s.oldest = c.height;
      if (stale) s.stale = true;
    }
  }
  const owing = owingOwners(state);
  const age = BigInt(rollAge(config.csvBlocks));
  const due = new Map<AccountId, bigint>();
  for (const [v, { count, large, oldest, stale }] of coins) {
    const aged = BigInt(height) - oldest >= age;
    const consolidate = large >= 2 || (count >= 2 && owing.has(v));
    if (!state.custody.vaultKeys.has(v) || !(consolidate || aged || stale)) continue;
    if (carriesDebtOrObligations(state, v, owing)) due.set(v, oldest);
  }
  return due;
}

/** Whether a settlement confirmed at `height` may roll `vault` (`dueVaults`). */
export function rollDue(state: State, vault: AccountId, height: number, config: CustodyConfig): boolean {
  return dueVaults(state, height, config, vault).has(vault);
}

/** Vaults due for a roll at `height`, oldest coin first (then by id): the guardians' roll order. */
export function rollsDue(state: State, height: number, config: CustodyConfig): AccountId[] {
  return [...dueVaults(state, height, config)]
    .sort(([a, ha], [b, hb]) => (ha !== hb ? (ha < hb ? -1 : 1) : a < b ? -1 : a > b ? 1 : 0))
    .map(([v]) => v);
}

/** The settlement's outputs and fee for these obligations, spent coins and fee rate (sat/kvB). */
export function settlementOutputs(
  state: State,
  named: readonly Obligation[],
  spent: readonly ProtocolCoin[],
  feeRate: number,
  spellBytes: Uint8Array,
  config: CustodyConfig,
  rolls: readonly AccountId[] = [],
): Shape {
  const fail = (why: string): Shape => ({ ok: false, reason: reason("infeasible", why) });
  const rate = BigInt(feeRate);
  const { after, vaults, payouts } = balancesAfter(named, spent, rolls);
  const inputKinds = settlementInputKinds(state, spent, config);
  if (typeof inputKinds === "string") return fail(inputKinds);
  const outputs: SettlementOutput[] = payouts.map((o) => ({
    kind: "payout",
    script: o.script,
    sats: o.sats,
    obligation: o.id,
  }));
  for (const v of vaults) {
    const sats = after.get(v)!;
    if (sats < 0n) return fail(`vault ${v} owes more than its coins hold`);
    if (sats === 0n) continue;
    const script = scriptOf(state, v, config);
    if (!script) return fail(`vault ${v} has no script`);
    if (sats < dustThreshold(script)) return fail(`vault ${v}'s remainder of ${sats} sats is dust`);
    outputs.push({ kind: "vault", script: toHex(script), sats, owner: v });
  }
  const pool = scriptOf(state, null, config);
  if (!pool) return fail("there is no custody key set");
  const mainIndex = outputs.length;
  outputs.push({ kind: "main", script: toHex(pool), sats: after.get(null)! });
  const spellScript = Script.encode(["RETURN", spellBytes]);
  outputs.push({ kind: "spell", script: toHex(spellScript), sats: 0n });

  const vsize = estimateVsize(
    inputKinds,
    outputs.map((o) => o.script.length / 2),
  );
  if (vsize > MAX_SETTLEMENT_VSIZE)
    return { ok: false, reason: reason("tooLarge", `${vsize} vB exceeds ${MAX_SETTLEMENT_VSIZE}`) };
  // Rounded up: the transaction never pays below the declared rate.
  const fee = ceilDiv(BigInt(vsize) * rate, SATS_PER_KVB);
  const shares = chargePayees(outputs, payouts, fee, rate);
  if (typeof shares === "string") return fail(shares);
  const fromAccount = fee - shares;
  const account = feeAccountSats(state);
  if (fromAccount > account)
    return fail(
      `the fee account holds ${account > 0n ? account : 0n} sats, the settlement needs ${fromAccount}`,
    );
  const main = after.get(null)! - fromAccount;
  if (main < 0n) return fail("the pool owes more than the main coin holds");
  if (main === 0n) outputs.splice(mainIndex, 1);
  else if (main < dustThreshold(pool)) return fail(`the main coin's remainder of ${main} sats is dust`);
  else outputs[mainIndex] = { ...outputs[mainIndex]!, sats: main };
  return { ok: true, outputs, fee, fromAccount, vsize };
}

/**
 * What each owner (a vault, or the pool as null) holds after the settlement: its spent coins, less
 * what it pays, plus what moves to it; the vaults involved (sorted) and the payouts (named order).
 */
function balancesAfter(
  named: readonly Obligation[],
  spent: readonly ProtocolCoin[],
  rolls: readonly AccountId[],
): { after: Map<AccountId | null, bigint>; vaults: AccountId[]; payouts: Obligation[] } {
  const after = new Map<AccountId | null, bigint>([[null, 0n]]);
  const vaults = [...new Set([...involvedOwners(named).vaults, ...rolls])].sort();
  for (const v of vaults) after.set(v, 0n);
  for (const c of spent) after.set(c.vault, (after.get(c.vault) ?? 0n) + c.sats);
  const payouts: Obligation[] = [];
  for (const o of named) {
    after.set(o.source, (after.get(o.source) ?? 0n) - o.sats);
    if (o.to === undefined) payouts.push(o);
    else after.set(o.to, (after.get(o.to) ?? 0n) + o.sats);
  }
  return { after, vaults, payouts };
}

/** The input kinds (for the size estimate) of the spent coins, or why one cannot be spent. */
function settlementInputKinds(
  state: State,
  spent: readonly ProtocolCoin[],
  config: CustodyConfig,
): InputKind[] | string {
  const inputKinds: InputKind[] = [];
  for (const c of spent) {
    // Each coin is spent by its own epoch's key set (docs/custody.md "Key epochs").
    const ws = witnessScriptOf(state, c, config);
    const threshold = epochKeySet(state, c.epoch ?? 0)?.threshold;
    if (!ws || threshold === undefined) return `no witness script for coin ${c.outpoint}`;
    inputKinds.push(
      c.vault === null
        ? { type: "multisig", threshold, witnessScriptLength: ws.length }
        : { type: "vault", path: "guardians", threshold, witnessScriptLength: ws.length },
    );
  }
  return inputKinds;
}

/** The fee of a payout's own output (its vbytes at `rate` sat/kvB, rounded up): the least share it pays. */
export const ownOutputFee = (script: string, rate: bigint): bigint =>
  ceilDiv(BigInt(8 + varIntSize(script.length / 2) + script.length / 2) * rate, SATS_PER_KVB);

/**
 * Whether a payout obligation can never be paid at `rate`, in any batch: less its own output's fee it
 * is dust (a tiny pool gain, a liquidator's compensation below the dust limit).
 */
export const hopelessPayout = (o: Obligation, rate: bigint): boolean =>
  o.to === undefined && o.sats - ownOutputFee(o.script, rate) < dustThreshold(fromHex(o.script));

/**
 * Takes each payee's fee share off its payout output (`outputs[i]` is `payouts[i]`'s): its own
 * output's vsize plus an equal share of the overhead, up to its maximum fee. Returns what the payees
 * pay together, or why a payout would be dust.
 */
function chargePayees(
  outputs: SettlementOutput[],
  payouts: readonly Obligation[],
  fee: bigint,
  rate: bigint,
): bigint | string {
  const own = payouts.map((o) => ownOutputFee(o.script, rate));
  const ownTotal = own.reduce((a, x) => a + x, 0n);
  // Equal overhead shares; the remainder's sats go one each to the first payees, so the payees
  // together pay the fee exactly unless a maximum fee caps them (the fee account pays that part).
  const overhead = fee > ownTotal ? fee - ownTotal : 0n;
  const n = BigInt(payouts.length);
  const each = n > 0n ? overhead / n : 0n;
  const extra = n > 0n ? overhead % n : 0n;
  let shares = 0n;
  for (const [i, o] of payouts.entries()) {
    const wanted = own[i]! + each + (BigInt(i) < extra ? 1n : 0n);
    const share = wanted < o.maxFee ? wanted : o.maxFee;
    const paid = o.sats - share;
    if (paid < dustThreshold(fromHex(o.script)))
      return `obligation ${o.id} pays ${paid} sats after fees: dust`;
    outputs[i] = { ...outputs[i]!, sats: paid };
    shares += share;
  }
  return shares;
}

/**
 * A rolled vault's spent coins must be its oldest ones (a chunk, `coinsToSpend`): the first coin of a
 * rolled vault left unspent while a younger one of it is spent, or undefined.
 */
function skippedOlderCoin(
  state: State,
  rolls: readonly AccountId[],
  spent: ReadonlySet<string>,
): string | undefined {
  const rolled = new Set<AccountId | null>(rolls);
  const coins = [...state.custody.coins.values()].filter((c) => rolled.has(c.vault)).sort(oldestFirst);
  const gap = new Set<AccountId | null>();
  for (const c of coins) {
    if (!spent.has(c.outpoint)) gap.add(c.vault);
    else if (gap.has(c.vault))
      return coins.find((o) => o.vault === c.vault && !spent.has(o.outpoint))?.outpoint;
  }
  return undefined;
}

/** What a plan rolls besides its obligations: vaults due at `height` (the chain tip when planned). */
export interface RollRequest {
  rolls: readonly AccountId[];
  height: number;
}

/**
 * The settlement the guardians build and sign for `ids` at `feeRate` sat/kvB, rolling the vaults of
 * `roll` (each must be due at `roll.height`; one the obligations already involve is consolidated
 * anyway and dropped from the list): deterministic, so every guardian that replayed the same chain
 * builds the same transaction.
 */
export function planSettlement(
  state: State,
  ids: readonly string[],
  feeRate: number,
  config: CustodyConfig,
  roll?: RollRequest,
): { ok: true; plan: SettlementPlan } | { ok: false; reason: SettlementReason } {
  const named: Obligation[] = [];
  for (const id of ids) {
    const o = state.custody.obligations.get(id);
    if (!o || o.status !== "open")
      return { ok: false, reason: reason("notNamed", `obligation ${id} is not open`) };
    named.push(o);
  }
  const involved = new Set<AccountId | null>([null, ...involvedOwners(named).vaults]);
  const rolls = [...new Set(roll?.rolls ?? [])].filter((v) => !involved.has(v)).sort();
  for (const v of rolls)
    if (!rollDue(state, v, roll!.height, config))
      return { ok: false, reason: reason("rollNotDue", `vault ${v} is not due for a roll`) };
  if (named.length === 0 && rolls.length === 0)
    return { ok: false, reason: reason("nothingSettled", "no obligations named and no vault rolled") };
  // A roll-only settlement names nothing: basis 0 (always final).
  const basis = Number(named.reduce((m, o) => (o.height > m ? o.height : m), 0n));
  const s = settleSpellFor(state, ids, basis, feeRate);
  if (!s.ok) return { ok: false, reason: reason("notNamed", s.message) };
  const ordered = namedObligations(state, s.spell);
  if (!ordered.ok) return { ok: false, reason: reason("notNamed", ordered.message) };
  const spellBytes = encodeSettleSpell(s.spell);
  const spent = coinsToSpend(state, ordered.obligations, rolls);
  const shape = settlementOutputs(state, ordered.obligations, spent, feeRate, spellBytes, config, rolls);
  if (!shape.ok) return shape;
  const inputs: SettlementInput[] = spent.map((c) => {
    const [txid, vout] = c.outpoint.split(":") as [string, string];
    return {
      outpoint: c.outpoint,
      txid,
      vout: Number(vout),
      sats: c.sats,
      owner: c.vault,
      script: c.script,
      witnessScript: toHex(witnessScriptOf(state, c, config)!),
    };
  });
  return {
    ok: true,
    plan: {
      ids: ordered.obligations.map((o) => o.id),
      rolls,
      spell: s.spell,
      spellBytes,
      inputs,
      outputs: shape.outputs,
      fee: shape.fee,
      fromAccount: shape.fromAccount,
      vsize: shape.vsize,
    },
  };
}

export type SettlementCheck =
  | {
      ok: true;
      obligations: Obligation[];
      /** Vaults rolled without an obligation. */
      rolls: AccountId[];
      spent: ProtocolCoin[];
      outputs: SettlementOutput[];
      fromAccount: bigint;
    }
  | { ok: false; reason: SettlementReason };

/**
 * The indexer's predicate for a confirmed transaction carrying a settle spell (docs/decisions.md §2a): the spell
 * names open obligations buried `finality` blocks below `height`; every input is a tracked protocol
 * coin; every coin the owners involved (the obligations' vaults and the pool) held at or below the
 * basis is spent (later coins of theirs may be: a deposit confirmed after the plan never makes it
 * wrong); a coin of any other vault is spent only when that vault is due for a roll at `height`;
 * the outputs are exactly the settlement of those obligations and rolls at the spell's fee rate.
 * Never throws.
 */
export function checkSettlement(
  tx: TxShape,
  spellBytes: Uint8Array,
  state: State,
  place: { height: number; finality: number },
  config: CustodyConfig,
): SettlementCheck {
  const decoded = decodeSettleSpell(spellBytes);
  if (!decoded.ok) return { ok: false, reason: reason("settleMalformed", decoded.message) };
  const spell = decoded.spell;
  if (spell.basis > place.height - place.finality)
    return {
      ok: false,
      reason: reason(
        "basisTooRecent",
        `basis ${spell.basis} is not ${place.finality} blocks below ${place.height}`,
      ),
    };
  const named = namedObligations(state, spell);
  if (!named.ok) return { ok: false, reason: reason("notNamed", named.message) };
  const spent = spentProtocolCoins(tx, state);
  if (!Array.isArray(spent)) return { ok: false, reason: spent };
  const involved = new Set<AccountId | null>([null, ...involvedOwners(named.obligations).vaults]);
  const have = new Set(spent.map((c) => c.outpoint));
  const missing = coinsToSpend(state, named.obligations).filter(
    (c) => c.height <= BigInt(spell.basis) && !have.has(c.outpoint),
  );
  if (missing.length > 0)
    return {
      ok: false,
      reason: reason(
        "coinsNotConsolidated",
        `coin ${missing[0]!.outpoint} (and ${missing.length - 1} more) not spent`,
      ),
    };
  const rolls = [
    ...new Set(spent.map((c) => c.vault).filter((v): v is AccountId => !involved.has(v))),
  ].sort();
  for (const v of rolls)
    if (!rollDue(state, v, place.height, config))
      return {
        ok: false,
        reason: reason("rollNotDue", `vault ${v} is not due for a roll at ${place.height}`),
      };
  const skipped = skippedOlderCoin(state, rolls, have);
  if (skipped)
    return { ok: false, reason: reason("coinsNotConsolidated", `a roll skips the older coin ${skipped}`) };
  if (named.obligations.length === 0 && rolls.length === 0)
    return { ok: false, reason: reason("nothingSettled", "the settlement names nothing and rolls nothing") };
  const shape = settlementOutputs(state, named.obligations, spent, spell.feeRate, spellBytes, config, rolls);
  if (!shape.ok) return shape;
  const wrong = differentOutput(tx, shape.outputs);
  if (wrong) return { ok: false, reason: wrong };
  return {
    ok: true,
    obligations: named.obligations,
    rolls,
    spent,
    outputs: shape.outputs,
    fromAccount: shape.fromAccount,
  };
}

/** Applies a checked settlement: spent coins leave, remainders and the main coin arrive, obligations settle. */
export function applySettlement(
  state: State,
  txid: string,
  checked: Extract<SettlementCheck, { ok: true }>,
  height: number,
): void {
  const c = state.custody;
  for (const coin of checked.spent) removeCoin(c, coin.outpoint);
  checked.outputs.forEach((o, vout) => {
    if (o.kind !== "vault" && o.kind !== "main") return;
    addCoin(c, {
      outpoint: outpointKey(txid, vout),
      sats: o.sats,
      vault: o.kind === "vault" ? o.owner! : null,
      script: o.script,
      height: BigInt(height),
    });
  });
  for (const o of checked.obligations) markSettled(c, o.id, txid);
  drawFeeAccount(state, checked.fromAccount);
}

/** The outputs of a plan as bytes (what a transaction builder adds, in order). */
export const planOutputs = (plan: SettlementPlan): { script: Uint8Array; amount: bigint }[] =>
  plan.outputs.map((o) => ({ script: fromHex(o.script), amount: o.sats }));

/** True when a script is a standard payout destination (not a protocol script, not OP_RETURN). */
export function isStandardPayout(script: Uint8Array): boolean {
  try {
    const t = OutScript.decode(script).type;
    return ["pkh", "sh", "wpkh", "wsh", "tr"].includes(t);
  } catch {
    return false;
  }
}

/** The protocol coins a settlement's inputs spend, in input order, or why an input is not one. */
function spentProtocolCoins(tx: TxShape, state: State): ProtocolCoin[] | SettlementReason {
  const spent: ProtocolCoin[] = [];
  for (const input of tx.inputs) {
    const coin = state.custody.coins.get(outpointKey(input.prevTxid, input.vout));
    if (!coin) return reason("foreignInput", `input ${input.prevTxid}:${input.vout} is not a protocol coin`);
    if (spent.some((c) => c.outpoint === coin.outpoint))
      return reason("foreignInput", `input ${coin.outpoint} is spent twice`);
    spent.push(coin);
  }
  return spent;
}

/** The first output that differs from the settlement's (script or sats, exactly), or null. */
function differentOutput(tx: TxShape, want: readonly SettlementOutput[]): SettlementReason | null {
  if (want.length !== tx.outputs.length)
    return reason("wrongOutputs", `${tx.outputs.length} outputs, the settlement has ${want.length}`);
  for (const [i, w] of want.entries()) {
    const got = tx.outputs[i]!;
    if (toHex(got.script) !== w.script || got.sats !== w.sats)
      return reason(
        "wrongOutputs",
        `output ${i} pays ${got.sats} sats to ${toHex(got.script)}, the settlement pays ${w.sats} to ${w.script}`,
      );
  }
  return null;
}
