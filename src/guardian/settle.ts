/**
 * The guardian settlement loop (docs/decisions.md §2a rule 2, docs/custody.md): guardians pay confirmed obligations
 * in batched settlement transactions and sign nothing else that spends protocol coins.
 *
 *  - Every block, the leader (`leaderAt(tip, n)`) takes the open obligations buried at least
 *    `finality` blocks (first in, first out; one that cannot be paid yet is deferred and never blocks
 *    the ones behind it), plans their settlement with `planSettlement` from its own replayed state,
 *    signs it and asks the others for their signatures with the ids, the fee rate and its txid.
 *  - A guardian asked to sign plans the same ids at the same fee rate from ITS OWN state and signs
 *    only when its transaction is the leader's, byte for byte (same txid): a leader cannot make it
 *    sign anything its own replay does not produce.
 *  - Before a signature leaves the daemon, the settlement is recorded durably per spent coin
 *    (`SettlementLedger`): a coin is signed into one settlement, or into a replacement with the same
 *    obligations and basis at a strictly higher fee rate; after a restart the promise still holds,
 *    and the same transaction asked again is a retry (idempotent).
 *  - A settlement that does not reach the mempool is re-proposed unchanged (same ids, same rate: a
 *    retry). One still unconfirmed BUMP_AFTER_BLOCKS after it was signed while the market rate is
 *    higher is bumped: an RBF replacement with the same obligations, rolls and basis at the higher
 *    rate, never re-planned over other coins (the signing promise allows exactly that).
 *  - Rolling and consolidation ride along: the leader adds the vaults due for a roll (`rollsDue`:
 *    two coins or more that are not dust, or a coin near its timelock), oldest first, at most 16,
 *    while the plan stays feasible (the fee account pays for them); a follower checks each is due
 *    from its own state.
 *  - Dust sweeps (`sweepWaits`: below what their own input costs at the rate) are not batched for
 *    themselves; they ride along when the settlement spends their vault's coins anyway (`sweepsAlong`).
 */
import { SigHash, Transaction } from "@scure/btc-signer";
import { RBF_SEQUENCE } from "../btc/networkFees.ts";
import { TX_OPTS } from "../btc/psbt.ts";
import { combineVerified, custodyInputsFor, finalizePsbt } from "../btc/psbt-sign.ts";
import { fromHex, toHex } from "../btc/scripts.ts";
import type { AccountId, Obligation, State } from "../protocol/index.ts";
import type { CustodyConfig } from "../settlement/inflow.ts";
import {
  hopelessPayout,
  MAX_ROLLS_PER_SETTLEMENT,
  planOutputs,
  planSettlement,
  rollsDue,
  type SettlementPlan,
  sweepWaits,
} from "../settlement/settle.ts";
import { MAX_SETTLE_WINDOW, openAtBasis } from "../settlement/settleSpell.ts";
import type { GuardianKeys } from "./keys.ts";
import { leaderAt } from "./leader.ts";
import type { SettlementLedger } from "./ledger.ts";
import { signPeerRequest } from "./peer-auth.ts";

/** What a leader asks the other guardians to sign. */
export interface SettleProposal {
  ids: string[];
  /** Vaults rolled (consolidated) without an obligation; each must be due (docs/custody.md "Rolling"). */
  rolls?: string[];
  /** sat/kvB. */
  feeRate: number;
  /** The leader's transaction id: a guardian signs only when its own plan has the same. */
  txid: string;
}

export type SettleRefusal =
  | "notSynced"
  | "feeTooHigh"
  | "planFails"
  | "basisTooRecent"
  | "differentPlan"
  | "alreadySigned"
  | "invalidRequest";

export type SignOutcome =
  | { ok: true; psbt: Uint8Array; txid: string; plan: SettlementPlan; replacement: boolean }
  | { ok: false; code: SettleRefusal; reason: string };

/** The unsigned settlement transaction of a plan, as a PSBT every guardian builds identically. */
export function settlementPsbt(plan: SettlementPlan): { psbt: Uint8Array; txid: string } {
  const tx = new Transaction({ ...TX_OPTS, version: 2, lockTime: 0 });
  for (const i of plan.inputs) {
    tx.addInput({
      txid: i.txid,
      index: i.vout,
      sequence: RBF_SEQUENCE,
      witnessUtxo: { script: fromHex(i.script), amount: i.sats },
      witnessScript: fromHex(i.witnessScript),
      sighashType: SigHash.ALL,
    });
  }
  for (const o of planOutputs(plan)) tx.addOutput(o);
  return { psbt: tx.toPSBT(), txid: tx.id };
}

/**
 * Hex of the idsHash a settle spell carries, and the vaults it rolls (the ledger's key for "the same
 * obligations": a replacement pays and rolls the same).
 */
const idsKey = (plan: SettlementPlan): string =>
  toHex(plan.spell.idsHash) + (plan.rolls.length > 0 ? `+${plan.rolls.join(",")}` : "");

export interface SettleDeps {
  state(): State;
  /** Height the state is at, and the chain tip. */
  height(): number;
  tip(): number;
  custody: CustodyConfig;
  /** Blocks an obligation must be buried (D). */
  finality: number;
  keys: GuardianKeys;
  ledger: SettlementLedger;
}

/** The path peers POST a settlement proposal to (signed peer requests only, routes.ts). */
export const SETTLE_PATH = "/v1/settle";

/**
 * A peer's proposal may pay at most FEE_RATE_TOLERANCE times this guardian's own market rate, or that
 * rate plus FEE_RATE_HEADROOM sat/kvB (10 sat/vB) when more: room for two fee sources that disagree and
 * for RBF bumps (each + 1 sat/vB over a rate the market already exceeded), but no leader (a minority,
 * or one misled by a lying fee source) can spend the fee account on fees at a rate of its choosing.
 */
export const FEE_RATE_TOLERANCE = 4;
export const FEE_RATE_HEADROOM = 10_000;

/** The rate the guardians settle at, sat/kvB: their fee source's, never below 1 sat/vB. */
export async function marketRate(deps: Pick<LeaderDeps, "feeRate">): Promise<number> {
  return Math.max(1_000, Math.ceil(await deps.feeRate()));
}

/**
 * Plans `p` from this guardian's own state and signs it if it is the same transaction (see top). A
 * peer's proposal passes `marketRate`, this guardian's own (the leader signs its own at its rate).
 */
export function signSettlement(
  deps: SettleDeps,
  p: SettleProposal,
  opts: { marketRate?: number } = {},
): SignOutcome {
  const rolls = p.rolls ?? [];
  if (
    !Array.isArray(p.ids) ||
    !Array.isArray(rolls) ||
    p.ids.length + rolls.length === 0 ||
    p.ids.length > 256 ||
    rolls.length > MAX_ROLLS_PER_SETTLEMENT ||
    !rolls.every((x) => typeof x === "string" && x.length <= 200) ||
    !p.ids.every((x) => typeof x === "string" && /^[0-9a-f]{64}$/.test(x)) ||
    !Number.isSafeInteger(p.feeRate) ||
    p.feeRate < 1 ||
    typeof p.txid !== "string"
  )
    return {
      ok: false,
      code: "invalidRequest",
      reason: "expected { ids: hex[0..256], rolls?: vault[0..16] (not both empty), feeRate: sat/kvB, txid }",
    };
  if (opts.marketRate !== undefined) {
    const most = Math.max(opts.marketRate * FEE_RATE_TOLERANCE, opts.marketRate + FEE_RATE_HEADROOM);
    if (p.feeRate > most)
      return {
        ok: false,
        code: "feeTooHigh",
        reason: `${p.feeRate} sat/kvB exceeds ${most}, ${FEE_RATE_TOLERANCE}× or +${FEE_RATE_HEADROOM} over my market rate of ${opts.marketRate}`,
      };
  }
  if (deps.tip() > deps.height())
    return { ok: false, code: "notSynced", reason: `at ${deps.height()}, chain at ${deps.tip()}` };
  const planned = planSettlement(deps.state(), p.ids, p.feeRate, deps.custody, {
    rolls,
    height: deps.height(),
  });
  if (!planned.ok)
    return { ok: false, code: "planFails", reason: `${planned.reason.code}: ${planned.reason.message}` };
  const plan = planned.plan;
  if (plan.spell.basis > deps.height() - deps.finality)
    return {
      ok: false,
      code: "basisTooRecent",
      reason: `basis ${plan.spell.basis} is not ${deps.finality} blocks below ${deps.height()}`,
    };
  const { psbt, txid } = settlementPsbt(plan);
  if (p.txid !== txid)
    return {
      ok: false,
      code: "differentPlan",
      reason: `my plan of these obligations at ${p.feeRate} sat/kvB is ${txid}, not ${p.txid}`,
    };
  const entry = {
    txid,
    ids: idsKey(plan),
    basis: plan.spell.basis,
    feeRate: p.feeRate,
    obligations: plan.ids,
    ...(plan.rolls.length > 0 ? { rolls: plan.rolls } : {}),
    height: deps.height(),
  };
  const coins = deps.state().custody.coins;
  const verdict = deps.ledger.reserveCoins(
    plan.inputs.map((i) => i.outpoint),
    entry,
    (outpoint) => coins.has(outpoint),
  );
  if (!verdict.ok) return { ok: false, code: "alreadySigned", reason: `${verdict.code}: ${verdict.reason}` };
  // Only the inputs whose custody script holds this guardian's key: after a rotation a coin keeps its
  // own key epoch's script, which need not include it (docs/custody.md "Key epochs").
  const signed = deps.keys.signInputs(psbt, custodyInputsFor(psbt, deps.keys.custodyPublicKey));
  return { ok: true, psbt: signed, txid, plan, replacement: verdict.replacement };
}

/** Most places of the queue the leader looks at for the first obligation it can pay. */
const MAX_PAYABLE_SCAN = 65_536;

/**
 * The place in `queue` of the first obligation that may be paid at `rate`, or -1: skipped are payouts
 * that are dust less their own output's fee (no batch pays them), internal moves that do not plan
 * alone, and obligations of a vault whose coins do not fit a settlement (`tooLarge` alone). A failure
 * is remembered per pair of owners (every sweep of a stranger's dust from one vault fails alike), so
 * a queue of such junk costs one plan per vault; a payout that fails alone for another reason (the
 * fee account) may still plan in a batch, and starts the span.
 */
function firstPayable(
  queue: readonly Obligation[],
  rate: number,
  plans: (ids: string[]) => ReturnType<typeof planSettlement>,
  waits: (o: Obligation) => boolean,
): number {
  const failed = new Set<string>();
  for (const [i, o] of queue.entries()) {
    if (i >= MAX_PAYABLE_SCAN) break;
    if (hopelessPayout(o, BigInt(rate)) || waits(o)) continue;
    const pair = `${o.source}>${o.to === undefined ? "payout" : o.to}`;
    if (failed.has(pair)) continue;
    const p = plans([o.id]);
    if (p.ok) return i;
    if (o.to === undefined && p.reason.code !== "tooLarge") return i;
    failed.add(pair);
  }
  return -1;
}

/**
 * The obligations the leader proposes at `tip`: from the queue at basis tip − finality (first in
 * first out), a span of 256 places starting at the first one it can pay (a settle spell names
 * obligations within 256 places), keeping each one only while the batch still plans (one that cannot
 * be paid yet — dust, not enough in its vault — is deferred, and the ones behind it go ahead: also
 * past 256 of them).
 */
export function proposalIds(
  state: State,
  tip: number,
  finality: number,
  feeRate: number,
  custody: CustodyConfig,
): string[] {
  const basis = tip - finality;
  if (basis < 0) return [];
  const queue = openAtBasis(state, basis);
  if (queue.length === 0) return [];
  const plans = (ids: string[]) => planSettlement(state, ids, feeRate, custody);
  // A dust sweep that costs more to spend than it holds is not batched for itself (`sweepWaits`);
  // `freshProposal` adds it back when its vault's coins are spent anyway.
  const waits = (o: Obligation) => sweepWaits(state, o, feeRate, custody);
  const start = queue.length <= MAX_SETTLE_WINDOW ? 0 : firstPayable(queue, feeRate, plans, waits);
  if (start < 0) return [];
  const all = queue
    .slice(start, start + MAX_SETTLE_WINDOW)
    .filter((o) => !waits(o))
    .map((o) => o.id);
  if (all.length === 0 || plans(all).ok) return all;
  // The longest run that still plans is found by bisection (a full window of 256 would otherwise
  // take 256 plans of growing size: 5 s a block for 1,000 Taproot payouts); the obligation that
  // breaks it is deferred and the search goes on behind it. Once the settlement is full (`tooLarge`)
  // each remaining one is tried alone, so a small one still fits.
  const kept: string[] = [];
  let rest = all;
  while (rest.length > 0) {
    let lo = 0;
    let hi = rest.length;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (plans([...kept, ...rest.slice(0, mid)]).ok) lo = mid;
      else hi = mid - 1;
    }
    kept.push(...rest.slice(0, lo));
    if (lo === rest.length) break;
    const failed = plans([...kept, rest[lo]!]);
    rest = rest.slice(lo + 1);
    if (!failed.ok && failed.reason.code === "tooLarge" && kept.length > 0) {
      for (const id of rest) if (plans([...kept, id]).ok) kept.push(id);
      break;
    }
  }
  return kept;
}

/**
 * The vaults the leader rolls along with `ids` at `tip`: those due (oldest coin first), at most
 * MAX_ROLLS_PER_SETTLEMENT, each kept only while the plan stays feasible (the fee account pays for
 * rolls; one that does not fit waits, and never holds up the obligations).
 */
export function proposalRolls(
  state: State,
  tip: number,
  ids: readonly string[],
  feeRate: number,
  custody: CustodyConfig,
): string[] {
  const due = rollsDue(state, tip, custody);
  const kept: string[] = [];
  for (const v of due) {
    if (kept.length >= MAX_ROLLS_PER_SETTLEMENT) break;
    const p = planSettlement(state, ids, feeRate, custody, { rolls: [...kept, v], height: tip });
    // A vault the obligations already involve is consolidated anyway (the plan drops it).
    if (p.ok && p.plan.rolls.includes(v)) kept.push(v);
  }
  return kept;
}

/** What the leader proposes at `tip` when it has no settlement pending: obligations, then rolls. */
export function freshProposal(
  state: State,
  tip: number,
  finality: number,
  feeRate: number,
  custody: CustodyConfig,
): { ids: string[]; rolls: string[] } {
  const ids = proposalIds(state, tip, finality, feeRate, custody);
  const rolls = proposalRolls(state, tip, ids, feeRate, custody);
  return { ids: sweepsAlong(state, tip, tip - finality, ids, rolls, feeRate, custody), rolls };
}

/**
 * `ids` with the deferred dust sweeps (`sweepWaits`) of the vaults whose coins the settlement spends
 * anyway: those its obligations involve, and those it rolls (a sweep named makes a rolled vault
 * involved, every coin of it spent). Kept only while the plan stays feasible and the spell can name
 * them (256 places of the queue); else only the involved vaults' sweeps, else none. Queue order.
 */
function sweepsAlong(
  state: State,
  tip: number,
  basis: number,
  ids: readonly string[],
  rolls: readonly string[],
  feeRate: number,
  custody: CustodyConfig,
): string[] {
  if (basis < 0 || ids.length + rolls.length === 0) return [...ids];
  const queue = openAtBasis(state, basis);
  const named = new Set(ids);
  const involved = new Set<AccountId | null>();
  for (const o of queue)
    if (named.has(o.id)) {
      if (o.source !== null) involved.add(o.source);
      if (typeof o.to === "string") involved.add(o.to);
    }
  const tryWith = (vaults: ReadonlySet<AccountId | null>): string[] | undefined => {
    // Within one spell window: positions span fewer than 256 places, or all lie in the first 256.
    let lo = Number.POSITIVE_INFINITY;
    let hi = -1;
    for (const [i, o] of queue.entries())
      if (named.has(o.id)) {
        lo = Math.min(lo, i);
        hi = Math.max(hi, i);
      }
    const added = new Set<string>();
    for (const [i, o] of queue.entries()) {
      if (named.has(o.id) || !vaults.has(o.source) || !sweepWaits(state, o, feeRate, custody)) continue;
      const l = Math.min(lo, i);
      const h = Math.max(hi, i);
      if (h >= MAX_SETTLE_WINDOW && h - l >= MAX_SETTLE_WINDOW) continue;
      lo = l;
      hi = h;
      added.add(o.id);
    }
    if (added.size === 0) return undefined;
    const all = queue.filter((o) => named.has(o.id) || added.has(o.id)).map((o) => o.id);
    return planSettlement(state, all, feeRate, custody, { rolls, height: tip }).ok ? all : undefined;
  };
  return tryWith(new Set([...involved, ...rolls])) ?? tryWith(involved) ?? [...ids];
}

export interface Peer {
  name: string;
  url: string;
  /** Its compressed custody key, hex: the audience of the signed requests sent to it. */
  custodyKey: string;
}

export interface LeaderDeps extends SettleDeps {
  index: number;
  n: number;
  threshold: number;
  peers: Peer[];
  /** Current fee rate, sat/kvB. */
  feeRate(): Promise<number>;
  /** Broadcasts a raw transaction; resolves with its txid (an "already known" answer counts as sent). */
  broadcast(hex: string): Promise<string>;
  /** Whether a transaction is known to the chain or the mempool. */
  known(txid: string): Promise<boolean>;
  fetch?: typeof fetch;
  log: {
    info(msg: string, data?: Record<string, unknown>): void;
    warn(msg: string, data?: Record<string, unknown>): void;
  };
}

export type RoundOutcome =
  | { kind: "notLeader"; leader: number }
  | { kind: "idle" }
  | { kind: "pending"; txid: string }
  | { kind: "sent"; txid: string; ids: number; signers: string[]; replaces?: string }
  | { kind: "noQuorum"; txid: string; answers: string[] }
  | { kind: "failed"; reason: string };

/** Blocks a signed settlement stays unconfirmed before the leader bumps it (when fees rose). */
export const BUMP_AFTER_BLOCKS = 3;
/** Bitcoin Core's default incremental relay fee, sat/kvB (what a replacement must add per vbyte). */
const INCREMENTAL_RELAY_FEE = 1_000;

/** One leader round at the current tip (call once per new block). */
export async function leaderRound(deps: LeaderDeps): Promise<RoundOutcome> {
  const tip = deps.tip();
  if (tip > deps.height()) return { kind: "failed", reason: `not synced (${deps.height()} of ${tip})` };
  const leader = leaderAt(tip, deps.n);
  if (leader !== deps.index) return { kind: "notLeader", leader };
  const state = deps.state();
  const rate = await marketRate(deps);
  const proposal = await roundProposal(deps, state, tip, rate);
  if ("kind" in proposal) return proposal;
  const { ids, rolls, feeRate, replaces } = proposal;
  if (ids.length === 0 && rolls.length === 0) return { kind: "idle" };
  const planned = planSettlement(state, ids, feeRate, deps.custody, { rolls, height: tip });
  if (!planned.ok) return { kind: "failed", reason: `${planned.reason.code}: ${planned.reason.message}` };
  const { txid } = settlementPsbt(planned.plan);
  const mine = signSettlement(deps, { ids, rolls, feeRate, txid });
  if (!mine.ok) return { kind: "failed", reason: `${mine.code}: ${mine.reason}` };
  const asked = await askPeers(deps, JSON.stringify({ ids, rolls, feeRate, txid }));
  // Only signatures that verify on this very transaction are merged: a peer answering with a forged
  // signature or another transaction is left out instead of failing the settlement (red team).
  const combined = combineVerified(mine.psbt, asked.signed);
  const signers = ["self", ...asked.signers.filter((_, i) => combined.contributed[i])];
  const answers = [
    ...asked.answers,
    ...asked.signers.filter((_, i) => !combined.contributed[i]).map((n) => `${n}: no valid signature`),
  ];
  if (signers.length < deps.threshold) {
    deps.log.warn("settlement without quorum", { txid, answers });
    return { kind: "noQuorum", txid, answers };
  }
  let hex: string;
  try {
    hex = finalizePsbt(combined.psbt).hex;
  } catch (error) {
    // After a rotation the quorum is per input (each coin's own key epoch): k signers in all may
    // still leave an old-epoch coin short of its outgoing guardians' signatures.
    deps.log.warn("settlement without quorum", { txid, answers, finalize: (error as Error).message });
    return { kind: "noQuorum", txid, answers: [...answers, `finalize: ${(error as Error).message}`] };
  }
  try {
    await deps.broadcast(hex);
  } catch (error) {
    return { kind: "failed", reason: `broadcast: ${(error as Error).message}` };
  }
  deps.log.info("settlement sent", {
    txid,
    obligations: ids.length,
    rolls: rolls.length,
    feeRate,
    signers,
    ...(replaces ? { replaces } : {}),
  });
  return { kind: "sent", txid, ids: ids.length, signers, ...(replaces ? { replaces } : {}) };
}

/**
 * What the leader proposes this round: the settlement it already signed over a coin still unspent,
 * unchanged (or bumped by RBF when stuck), else a fresh plan at the market rate; or that it waits.
 */
async function roundProposal(
  deps: LeaderDeps,
  state: State,
  tip: number,
  rate: number,
): Promise<{ ids: string[]; rolls: string[]; feeRate: number; replaces?: string } | RoundOutcome> {
  const open = deps.ledger.pendingFor([...state.custody.coins.keys()]);
  if (!open) {
    return { ...freshProposal(state, tip, deps.finality, rate, deps.custody), feeRate: rate };
  }
  const retry = { ids: open.obligations ?? [], rolls: open.rolls ?? [], feeRate: open.feeRate };
  if (!(await deps.known(open.txid))) {
    // In no mempool or block (never sent, refused, evicted): re-sent unchanged while its plan is still
    // that transaction and the market pays no more. Otherwise replaced, the only other transaction the
    // guardians' promise allows: a plan changed by a later coin of an involved owner (a deposit) was
    // refused by the leader's own promise every round, and one below the market was re-sent forever.
    const again = planSettlement(state, retry.ids, retry.feeRate, deps.custody, {
      rolls: retry.rolls,
      height: tip,
    });
    const same = !again.ok || settlementPsbt(again.plan).txid === open.txid;
    if (same && rate <= open.feeRate) return retry;
    // At least 1 sat/kvB more (the promise's "strictly higher"), not BIP125's 1 sat/vB: nothing in a
    // mempool is replaced, and a plan changed round after round must not climb past what the
    // followers sign (feeTooHigh) and stall for good.
    return { ...retry, feeRate: Math.max(rate, open.feeRate + 1), replaces: open.txid };
  }
  // Stuck: unconfirmed for BUMP_AFTER_BLOCKS while the market pays more. Bumped (RBF): the same
  // obligations and basis at a higher rate, never re-planned over other coins.
  const since = open.height ?? tip;
  if (tip - since < BUMP_AFTER_BLOCKS || rate <= open.feeRate) return { kind: "pending", txid: open.txid };
  // BIP125: the replacement pays at least the incremental relay fee (1 sat/vB) more per vbyte.
  return { ...retry, feeRate: Math.max(rate, open.feeRate + INCREMENTAL_RELAY_FEE), replaces: open.txid };
}

/**
 * Asks every peer to sign the same settlement (POST /v1/settle, a signed peer request); their PSBTs
 * and what each answered.
 */
async function askPeers(
  deps: LeaderDeps,
  body: string,
): Promise<{ signed: Uint8Array[]; signers: string[]; answers: string[] }> {
  const signed: Uint8Array[] = [];
  const signers: string[] = [];
  const answers: string[] = [];
  const f = deps.fetch ?? fetch;
  await Promise.all(
    deps.peers.map(async (peer) => {
      try {
        const auth = signPeerRequest(deps.keys, {
          method: "POST",
          path: SETTLE_PATH,
          body,
          audience: peer.custodyKey.toLowerCase(),
        });
        const res = await f(`${peer.url}${SETTLE_PATH}`, {
          method: "POST",
          headers: { "content-type": "application/json", ...auth },
          body,
          signal: AbortSignal.timeout(30_000),
        });
        const json = (await res.json()) as { psbt?: string; error?: { reason?: string } };
        if (res.ok && json.psbt) {
          signed.push(Uint8Array.from(Buffer.from(json.psbt, "base64")));
          signers.push(peer.name);
          answers.push(`${peer.name}: signed`);
        } else answers.push(`${peer.name}: ${json.error?.reason ?? `HTTP ${res.status}`}`);
      } catch (error) {
        answers.push(`${peer.name}: unreachable (${(error as Error).message})`);
      }
    }),
  );
  return { signed, signers, answers };
}
