/**
 * The steps after the review, from the browser: price attestation → price update (a setPrice spell
 * when the attested price is not the state's) → proof → final PSBT → wallet signature → broadcast →
 * confirmation by the app's own engine → for a payout, its settlement (stage 2: the guardians pay the
 * obligation the confirmed spell recorded; docs/custody.md). Each step reports as it runs; the first failure stops the flow with a plain sentence, and
 * whatever was locked for a transaction that was not sent is unlocked (`signWithLocks` and
 * `broadcastWithLocks` release their locks on failure).
 */

import { parseTx } from "../../btc/block.ts";
import type { EsploraClient } from "../../btc/esplora.ts";
import { broadcastWithLocks, cancelPending, signWithLocks } from "../../btc/flow.ts";
import type { BtcNetworkName } from "../../btc/network.ts";
import { type BuiltPsbt, buildLedgerOp, parsePsbt, type WalletAccount, walletUtxo } from "../../btc/psbt.ts";
import { finalizePsbt } from "../../btc/psbt-sign.ts";
import { fromHex } from "../../btc/scripts.ts";
import { emptyProof, SPELL_VERSION } from "../../btc/spell.ts";
import { outpoint, type UtxoTracker } from "../../btc/utxo.ts";
import type { BitcoinWallet } from "../../btc/wallet.ts";
import { circuitOf, PRICED } from "../../indexer/verify.ts";
import { decodeAttestation } from "../../oracle/attestation-codec.ts";
import {
  apply,
  cloneState,
  deserializeState,
  ERROR_MESSAGES,
  ONE,
  type Operation,
  type ProtocolEvent,
  SATOSHI,
  type SerializedState,
  type State,
} from "../../protocol/index.ts";
import { readActor } from "../../settlement/actor.ts";
import { custodyKeySet } from "../../settlement/inflow.ts";
import type { ProveContext, ProveProgress, ProveResult, ZkOperation } from "../../zk/index.ts";
import { compressProof, proofFromJson } from "../../zk/proof.ts";
import { isVaultOperation } from "../../zk/vault.ts";
import { withDeclaredFee } from "../../zk/witness.ts";
import { fetchWalletCoins, type WalletCoin, walletCoinUtxo } from "../chain-reads.ts";
import type { DataNotice } from "../engine/engineClient.ts";
import { formatBtc, formatCount, formatPercent, formatUsd, formatZkusd } from "../format.ts";
import type { GuardianSettings } from "../settings.ts";
import { DraftError, makeDraft, payoutSats, type TxDraft } from "./draft.ts";
import { fetchAttestation, type PriceAttestationAnswer } from "./guardians.ts";
import { MAX_REPROVES, type Refusal, refusalAdvice, whatMoved } from "./reprove.ts";

export type StepId =
  | "attestation"
  | "price"
  | "proof"
  | "build"
  | "sign"
  | "settle"
  | "broadcast"
  | "confirm";
export type StepState = "waiting" | "running" | "done" | "failed" | "skipped";
export interface Step {
  id: StepId;
  label: string;
  state: StepState;
  detail?: string;
  /** Proving: the phase reached, 0..3 (load, witness, prove, done), for a progress bar. */
  progress?: { value: number; max: number };
}

const LABELS: Record<StepId, string> = {
  attestation: "Price attestation from the guardians",
  price: "On-chain price update",
  proof: "Proof (witness, then Groth16 proving in your browser)",
  build: "Final transaction",
  sign: "Your wallet's signature",
  broadcast: "Broadcast",
  confirm: "Confirmation (stage 1: the ledger owes you the BTC)",
  settle: "Settlement (stage 2: the guardians pay it on Bitcoin)",
};

/**
 * Operations that carry a price attestation: the ones the chain values at a price, and a close (its
 * vault proof is made at the attested time; the chain does not value it, so no price update).
 */
const ATTESTED = new Set<Operation["type"]>([...PRICED, "closeVault"]);

/** Whether `op`'s spell carries a price attestation (the review says so before the flow runs). */
export const needsAttestation = (op: Operation): boolean => ATTESTED.has(op.type);

/** Whether the flow puts the attested price on chain before `op` when the state holds another one. */
export const needsPriceUpdate = (op: Operation): boolean => PRICED.has(op.type);

/**
 * The steps `op` goes through: a priced operation needs an attestation (and may need a price update
 * first), an operation with a circuit needs a proof, one that pays BTC out ends with its settlement.
 */
export function planSteps(op: Operation, paysOut: boolean): Step[] {
  const ids: StepId[] = [
    ...(ATTESTED.has(op.type) ? (["attestation"] as const) : []),
    // Only what the chain values needs its on-chain price to be the attested one.
    ...(PRICED.has(op.type) ? (["price"] as const) : []),
    ...(circuitOf(op) ? (["proof"] as const) : []),
    "build",
    "sign",
    "broadcast",
    "confirm",
    ...(paysOut ? (["settle"] as const) : []),
  ];
  return ids.map((id) => ({ id, label: LABELS[id], state: "waiting" }));
}

/** The operation the vault circuit proves: the engine operation itself (`circuitOf` decides which). */
export function zkOperationOf(op: Operation): ZkOperation | null {
  return circuitOf(op) && isVaultOperation(op) ? op : null;
}

/** The engine's events for `op` on a copy of `state` at `time` (the next block), or its refusal in words. */
export function engineEvents(
  state: State,
  op: Operation,
  time: bigint,
): { ok: true; events: ProtocolEvent[] } | { ok: false; message: string } {
  const copy = cloneState(state);
  const r = apply(copy, op, { height: state.height + 1n, time: time > state.g.time ? time : state.g.time });
  if (r.ok) return { ok: true, events: r.events };
  const sentence = ERROR_MESSAGES[r.error.code as keyof typeof ERROR_MESSAGES] ?? r.error.message;
  return { ok: false, message: `The engine refuses this operation: ${sentence}` };
}

/** What the flow needs from the engine worker (EngineClient has it). */
export interface FlowEngine {
  snapshot(): Promise<{ height: number; root: string; state: SerializedState }>;
  spells(range?: { fromHeight?: number }): Promise<{ txid: string; height: number }[]>;
  rejected(range?: { fromHeight?: number }): Promise<{ txid: string; height: number; reason: Refusal }[]>;
  trackPending(txid: string): Promise<void>;
  /** What became of this user's broadcast transactions (replaced and dropped ones end the wait). */
  pending?(): Promise<{ txid: string; status: { state: string }; note: string }[]>;
  subscribe(fn: (notice: DataNotice) => void): Promise<() => void>;
  refresh(): void;
}

type SpellOutcome =
  | { ok: true; height: number }
  | { ok: false; height: number; reason: string; refusal?: Refusal }
  | { ok: false; gone: true; reason: string };

export interface FlowProver {
  prove(
    op: ZkOperation,
    state: State,
    ctx: ProveContext,
    options: { onProgress?: (p: ProveProgress) => void },
  ): Promise<ProveResult>;
}

export interface FlowDeps {
  op: Operation;
  network: BtcNetworkName;
  wallet: BitcoinWallet;
  account: WalletAccount;
  guardians: GuardianSettings;
  /** The federation's escape timelock (vault scripts), when the guardians publish one. */
  csvBlocks?: number;
  feeRate: number;
  esplora: EsploraClient;
  engine: FlowEngine;
  prover: FlowProver;
  tracker: UtxoTracker;
  /** Whether the operation pays BTC out (decides the settlement stage up front). */
  paysOut: boolean;
  /** "Send BTC to": where the payouts go (docs/custody.md "Payout destinations"); absent, the wallet. */
  payTo?: string;
  /**
   * The most the whole flow may pay the network, in sats (the review's bound, tx/cost.ts): a
   * transaction whose fee would take the total above it is not signed.
   */
  maxNetworkFee?: bigint;
  /** How often to look for the spell besides block notices (default 3 s). */
  pollMs?: number;
  /** How guardians are asked for attestations (tests pass a loopback stand-in; default fetch). */
  fetch?: typeof fetch;
  /** Told of each transaction once broadcast (the flow journal keeps it across a reload). */
  onBroadcast?: (which: "price" | "operation", txid: string) => void;
}

export type FlowResult =
  | { ok: true; txid: string; height: number }
  | { ok: false; step: StepId; message: string };

class StepFailure extends Error {
  constructor(
    readonly step: StepId,
    message: string,
    /** The engine's refusal of a mined spell (the confirmation step), when that is what failed. */
    readonly refusal?: Refusal,
  ) {
    super(message);
  }
}

/** A signed transaction the flow did not send, because its spell could no longer apply (why). */
class Unsent extends Error {}

/** The wallet's coins from the chain, without those a pending transaction of this app holds. */
async function spendableCoins(deps: FlowDeps): Promise<WalletCoin[]> {
  const coins = await fetchWalletCoins(deps.esplora, deps.account.address);
  return coins.filter((c) => !deps.tracker.isLocked(outpoint(c)));
}

const loadState = async (engine: FlowEngine) => {
  const snap = await engine.snapshot();
  return { height: snap.height, state: deserializeState(snap.state) };
};

/**
 * Waits until the app's engine applied (or refused) the spell of `txid`, looking at blocks from
 * `fromHeight`: on every block notice, and every `pollMs` in case a notice was missed.
 */
export function waitForSpell(
  engine: FlowEngine,
  txid: string,
  fromHeight: number,
  pollMs = 3_000,
): Promise<SpellOutcome> {
  return new Promise((resolve, reject) => {
    let done = false;
    let unsubscribe: (() => void) | undefined;
    let timer: ReturnType<typeof setInterval> | undefined;
    // Whether it was replaced or dropped costs Esplora requests: asked every 30 s at most.
    let askedAt = 0;
    const finish = (r: SpellOutcome) => {
      if (done) return;
      done = true;
      if (timer) clearInterval(timer);
      unsubscribe?.();
      resolve(r);
    };
    let checking = false;
    const check = async () => {
      if (done || checking) return;
      checking = true;
      try {
        const applied = (await engine.spells({ fromHeight })).find((s) => s.txid === txid);
        if (applied) return finish({ ok: true, height: applied.height });
        const refused = (await engine.rejected({ fromHeight })).find((s) => s.txid === txid);
        if (refused)
          return finish({
            ok: false,
            height: refused.height,
            reason: refused.reason.message,
            refusal: refused.reason,
          });
        if (engine.pending && Date.now() - askedAt >= 30_000) {
          askedAt = Date.now();
          const gone = (await engine.pending()).find(
            (p) => p.txid === txid && (p.status.state === "replaced" || p.status.state === "dropped"),
          );
          if (gone) return finish({ ok: false, gone: true, reason: gone.note });
        }
      } catch (error) {
        done = true;
        if (timer) clearInterval(timer);
        unsubscribe?.();
        reject(error);
      } finally {
        checking = false;
      }
    };
    engine
      .subscribe((n) => {
        if (n.type === "block") void check();
      })
      .then((u) => {
        if (done) u();
        else unsubscribe = u;
      }, reject);
    timer = setInterval(() => void check(), pollMs);
    void check();
  });
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

const secondsAgo = (timestamp: number) => Math.max(0, Math.round(Date.now() / 1000 - timestamp));

/**
 * Why the indexer would refuse the signed transaction's actor (`readActor`, the rule it applies to the
 * confirmed transaction: SIGHASH_ALL, key path, the witness key), or null. What cannot be finalized
 * is left for the broadcast to report.
 */
function actorRefusal(signed: Uint8Array, network: BtcNetworkName): string | null {
  let final: ReturnType<typeof finalizePsbt>;
  try {
    final = finalizePsbt(signed);
  } catch {
    return null;
  }
  const utxo = parsePsbt(signed).getInput(0).witnessUtxo;
  if (!utxo) return null;
  const who = readActor(
    parseTx(fromHex(final.hex), final.txid),
    { script: utxo.script, sats: utxo.amount },
    network,
  );
  return who.ok ? null : who.reason.message;
}

/**
 * Signs, broadcasts and waits for the engine: the common tail of the operation and the price update.
 * Locks taken for the transaction are released on any failure before broadcast.
 */
async function send(
  deps: FlowDeps,
  built: BuiltPsbt,
  set: (id: StepId, state: StepState, detail?: string) => void,
  ids: { sign: StepId; broadcast: StepId; confirm: StepId },
  budget: { spent: bigint },
  /** Asked once the wallet signed: why the signed transaction must not be sent after all, or null. */
  stale?: () => Promise<string | null>,
): Promise<{ txid: string; height: number }> {
  if (deps.maxNetworkFee !== undefined && budget.spent + built.fee > deps.maxNetworkFee) {
    throw new StepFailure(
      ids.sign,
      `This transaction's network fee of ${formatBtc(built.fee * SATOSHI)} would take the flow's total to ${formatBtc((budget.spent + built.fee) * SATOSHI)}, above the ${formatBtc(deps.maxNetworkFee * SATOSHI)} you agreed to in the review (the price or your coins changed since). Nothing more was sent; go back to the form and review again.`,
    );
  }
  set(ids.sign, "running", "Waiting for your wallet: check its window and approve the signature.");
  let signed: { id: string; signed: Uint8Array };
  try {
    signed = await signWithLocks({ tracker: deps.tracker, wallet: deps.wallet, built });
  } catch (error) {
    throw new StepFailure(ids.sign, walletSentence(error));
  }
  set(ids.sign, "done", "Signed by your wallet.");
  const why = await stale?.();
  if (why) {
    // Never broadcast a spell that can no longer apply: its coins go back, a new one is signed.
    cancelPending(deps.tracker, signed.id);
    throw new Unsent(why);
  }
  const refusal = actorRefusal(signed.signed, deps.network);
  if (refusal) {
    cancelPending(deps.tracker, signed.id);
    throw new StepFailure(
      ids.sign,
      `Your wallet signed in a way the protocol refuses: ${refusal}. A spell's sender must sign with SIGHASH_ALL (the default), or the transaction is refused after its fee is spent and anyone relaying it could change it. Nothing was sent and your coins are unlocked; check your wallet's signing settings and try again.`,
    );
  }
  const psbts = [signed.signed];
  set(ids.broadcast, "running");
  const { height: before } = await deps.engine.snapshot();
  let txid: string;
  try {
    txid = await broadcastWithLocks({ tracker: deps.tracker, chain: deps.esplora, id: signed.id, psbts });
  } catch (error) {
    throw new StepFailure(
      ids.broadcast,
      `The node refused the transaction (${(error as Error).message}). Nothing was sent and your coins are unlocked; try again.`,
    );
  }
  budget.spent += built.fee;
  set(ids.broadcast, "done", `Sent: ${txid}`);
  deps.onBroadcast?.(ids.broadcast === "price" ? "price" : "operation", txid);
  try {
    await deps.engine.trackPending(txid);
  } catch (error) {
    // The engine follows no chain (offline in Settings): it would never see the spell confirm.
    throw new StepFailure(
      ids.confirm,
      `The transaction ${txid} was sent, but this app's engine is not following the chain (${(error as Error).message}), so it cannot see it confirm. Check Settings → Guardians and reload; the transaction itself is on its way.`,
    );
  }
  set(ids.confirm, "running", "Waiting for a block and for this app's engine to apply it…");
  const outcome = await waitForSpell(deps.engine, txid, before + 1, deps.pollMs);
  if (!outcome.ok && "gone" in outcome)
    throw new StepFailure(ids.confirm, `The transaction ${txid} will not confirm. ${outcome.reason}`);
  if (!outcome.ok) {
    throw new StepFailure(
      ids.confirm,
      `The transaction ${txid} was mined in block ${outcome.height} but the protocol refused its spell: ${outcome.reason}. Its network fee is spent; nothing else changed.`,
      outcome.refusal,
    );
  }
  deps.engine.refresh();
  set(ids.confirm, "done", `Confirmed in block ${formatCount(BigInt(outcome.height))}.`);
  return { txid, height: outcome.height };
}

function walletSentence(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string };
  if (e?.name === "WalletError" && e.code === "userRejected")
    return "You declined the signature in your wallet. Nothing was signed or sent; try again when ready.";
  return `Your wallet could not sign (${e?.message ?? String(error)}). Nothing was sent; try again.`;
}

/** Reports a step's new state (and detail, progress) to `report` with the whole list. */
type SetStep = (id: StepId, state: StepState, detail?: string, progress?: Step["progress"]) => void;

/** One run of the flow: its dependencies, its step reporter and the network fees it paid so far. */
interface FlowRun {
  deps: FlowDeps;
  set: SetStep;
  /** What the current attempt paid the network (each attempt keeps within the review's bound). */
  budget: { spent: bigint };
  /** The borrowing fee the last proof declared (proving again quotes it anew). */
  quoted?: bigint;
}

/** A sent and confirmed operation, and what it pays out (sats) for the settlement stage. */
interface Sent {
  txid: string;
  height: number;
  paid: bigint;
}

/** Runs every step of `deps.op`, reporting each; resolves with the txid or the failed step. */
export async function runFlow(deps: FlowDeps, report: (steps: Step[]) => void): Promise<FlowResult> {
  const steps = planSteps(deps.op, deps.paysOut);
  const set: SetStep = (id, state, detail, progress) => {
    const i = steps.findIndex((s) => s.id === id);
    if (i < 0) return;
    const { detail: _d, progress: _p, ...rest } = steps[i]!;
    steps[i] = { ...rest, state, ...(detail ? { detail } : {}), ...(progress ? { progress } : {}) };
    report([...steps]);
  };
  report([...steps]);
  try {
    const { paid, ...sent } = await attestProveAndSend({ deps, set, budget: { spent: 0n } });
    reportSettlement(set, paid);
    return { ok: true, ...sent };
  } catch (error) {
    const failure =
      error instanceof StepFailure
        ? error
        : new StepFailure(
            steps.find((s) => s.state === "running")?.id ?? "build",
            `${(error as Error).message ?? String(error)}. Try again.`,
          );
    set(failure.step, "failed", failure.message);
    for (const s of steps) if (s.state === "waiting" || s.state === "running") set(s.id, "skipped");
    return { ok: false, step: failure.step, message: failure.message };
  }
}

/**
 * The price attestation (and the chain brought to it), then proving, building and sending until the
 * operation confirms. Issue 16: a vault proof holds while the vault's record (and what the circuit
 * reads from the global state) stays as proved; other users' spells cannot break it. If it moves
 * before the transaction is sent, or the chain refuses the spell for it (or for a fee that rose), the
 * flow goes back to the attestation: a fresh quorum-signed price, the engine's current state, the
 * fee quoted again, a new proof against the vault's current record and a new transaction the user
 * signs (./reprove.ts), at most MAX_REPROVES times. Each attempt keeps within the review's network-fee
 * bound (docs/zk.md "Proving again").
 */
async function attestProveAndSend(run: FlowRun): Promise<Sent> {
  /** Why the flow is proving again (kept on the attestation and proof steps so the user reads it), or "". */
  let again = "";
  for (let reproves = 0; ; reproves++) {
    const attestation = ATTESTED.has(run.deps.op.type) ? await attestAndUpdatePrice(run, again) : null;
    const attempt = await proveBuildAndSend(run, attestation, again, reproves);
    if ("txid" in attempt) return attempt;
    again = attempt.again;
    for (const id of ["attestation", "price", "proof", "build", "sign", "broadcast", "confirm"] as const)
      run.set(id, "waiting");
    run.budget = { spent: 0n };
  }
}

/**
 * The price the operation is valued at, from the guardians, and for a priced operation the chain
 * brought to it (the user's own price update) when the state holds another price.
 */
async function attestAndUpdatePrice(run: FlowRun, again: string): Promise<PriceAttestationAnswer> {
  const { deps, set } = run;
  for (let round = 0; ; round++) {
    set("attestation", "running", again || undefined);
    const answer = await fetchAttestation(deps.guardians.urls, deps.guardians.threshold, deps.fetch);
    if (!answer.ok) throw new StepFailure("attestation", answer.reason);
    const a = answer.answer;
    set(
      "attestation",
      "done",
      `${again}${formatUsd(a.price)} signed by ${a.signers} guardians ${secondsAgo(a.timestamp)} s ago (from ${a.guardian}).`,
    );
    const { state } = await loadState(deps.engine);
    // a close is not valued at it: no price update needed
    if (!PRICED.has(deps.op.type)) return a;
    if (a.price === state.g.price) {
      if (round === 0) set("price", "skipped", `The on-chain price is already ${formatUsd(a.price)}.`);
      return a;
    }
    if (round >= 2) {
      throw new StepFailure(
        "price",
        "The price keeps moving faster than blocks confirm, so the on-chain price never matched the attested one. Try again in a few minutes.",
      );
    }
    set(
      "price",
      "running",
      `The on-chain price is ${formatUsd(state.g.price)} but the guardians attest ${formatUsd(a.price)}. Operations are valued at the on-chain price, so it must be current first: your wallet sends a price update (a small transaction of its own).`,
    );
    await updatePrice(deps, a, (state, detail) => set("price", state, detail), run.budget);
    // The update confirmed: fetch the attestation again (it must be fresh for the guardians).
  }
}

/** The sentence that starts a retry, capitalized from `whatMoved`'s words. */
const upper = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * One attempt at the operation: its proof and final transaction from one state of the engine (the
 * proof binds the vault's record, so the amounts must come from the same state), then signature,
 * broadcast and confirmation. Resolves with the confirmed operation, or with why it must be proved
 * again: the proof's basis moved before signing or while the wallet signed (that transaction is not
 * sent), or the chain refused the spell for a reason a new proof cures.
 */
async function proveBuildAndSend(
  run: FlowRun,
  attestation: PriceAttestationAnswer | null,
  again: string,
  reproves: number,
): Promise<Sent | { again: string }> {
  const { deps, set } = run;
  const { state } = await loadState(deps.engine);
  const zkOp = zkOperationOf(deps.op);
  const proven = zkOp
    ? await proveStep(run, zkOp, state, attestation, again)
    : { op: deps.op, proof: emptyProof() };
  const { draft, paid } = await buildStep(run, proven.op, state, attestation, proven.proof);
  const moved = async () =>
    zkOp ? whatMoved(state, (await loadState(deps.engine)).state, zkOp.owner) : null;
  /** Proving again, unless it already did MAX_REPROVES times: then `final` ends the flow. */
  const retry = (why: string, final: StepFailure) => {
    if (reproves >= MAX_REPROVES) throw final;
    return { again: why };
  };
  const before = await moved();
  if (before)
    return retry(
      `${upper(before)} since the proof was made; proving again with a fresh price attestation against your vault's current record, before you sign. `,
      new StepFailure(
        "build",
        `${upper(before)} again since the proof was made. Nothing was signed or sent; try again.`,
      ),
    );
  try {
    const ids = { sign: "sign", broadcast: "broadcast", confirm: "confirm" } as const;
    return { ...(await send(deps, draft.built, set, ids, run.budget, moved)), paid };
  } catch (error) {
    if (error instanceof Unsent)
      return retry(
        `${upper(error.message)} while your wallet was signing, so that transaction was not sent (its spell could no longer apply); proving again with a fresh price attestation against your vault's current record: your wallet signs the new transaction. `,
        new StepFailure(
          "sign",
          `${upper(error.message)} again while your wallet was signing, so that transaction was not sent. Nothing was sent; try again.`,
        ),
      );
    const advice =
      zkOp && error instanceof StepFailure && error.refusal ? refusalAdvice(error.refusal) : null;
    if (!advice?.reprove) throw error;
    const now = await moved();
    return retry(
      `The protocol refused the spell because ${advice.why}${now ? ` (${now})` : ""}. Proving again with a fresh price attestation against your vault's current record: a new transaction, which your wallet signs again (the refused one's network fee is spent). `,
      error as StepFailure,
    );
  }
}

/**
 * The vault proof against the engine worker's state of record. A borrowing spell declares the fee
 * quoted now (docs/zk.md "Declared fee"): the proof and the spell carry the same one, and it is the
 * fee charged; the operation returned is the declared one. Proving again, the fee is quoted again and
 * the step says when it changed; a fee above the user's maximum stops the flow (they review it again).
 */
async function proveStep(
  run: FlowRun,
  zkOp: ZkOperation,
  state: State,
  attestation: PriceAttestationAnswer | null,
  again: string,
): Promise<{ op: Operation; proof: Uint8Array }> {
  const { deps, set } = run;
  if (!attestation) throw new StepFailure("proof", "A proof needs a price attestation.");
  set("proof", "running", `${again}Loading the circuit…`, { value: 0, max: 3 });
  const started = Date.now();
  const att = decodeAttestation(attestation.bytes);
  const time = BigInt(att.timestamp);
  const declared = declareFee(zkOp, state, time);
  const quoted = declared.type === "closeVault" ? undefined : declared.fee;
  const requoted =
    run.quoted !== undefined && quoted !== undefined && quoted !== run.quoted
      ? `The borrowing fee is now ${formatZkusd(quoted)} (it was ${formatZkusd(run.quoted)}); the new transaction declares it. `
      : "";
  if (quoted !== undefined) run.quoted = quoted;
  const detail = `${again}${requoted}`;
  try {
    const result = await deps.prover.prove(
      declared,
      state,
      { time, attestation: { price: att.price, timestamp: time, round: att.round } },
      { onProgress: (p) => set("proof", "running", ...proofProgress(detail, p)) },
    );
    const proof = compressProof(proofFromJson(result.proof));
    const total = ((Date.now() - started) / 1000).toFixed(1);
    const { witnessMs, proveMs } = result.timings;
    set(
      "proof",
      "done",
      `${detail}${result.circuit} proof made in ${total} s (witness ${(witnessMs / 1000).toFixed(1)} s, proving ${(proveMs / 1000).toFixed(1)} s); 128 bytes.`,
      { value: 3, max: 3 },
    );
    return { op: declared, proof };
  } catch (error) {
    throw new StepFailure(
      "proof",
      `The proof could not be made: ${(error as Error).message}. Nothing was signed or sent.`,
    );
  }
}

/**
 * `zkOp` with the borrowing fee the engine charges now declared (withDeclaredFee). A fee above the
 * user's maximum (it rose since the review) stops the flow with the new fee in words: the user reviews
 * it again and raises their maximum if they agree.
 */
function declareFee(zkOp: ZkOperation, state: State, time: bigint): ZkOperation {
  try {
    return withDeclaredFee(zkOp, state, { time });
  } catch (error) {
    const failure = new StepFailure(
      "proof",
      `The proof could not be made: ${(error as Error).message}. Nothing was signed or sent.`,
    );
    if (zkOp.type === "closeVault" || zkOp.maxFee === undefined) throw failure;
    // The same operation accepting any fee: if the engine takes it, the maximum was the only obstacle.
    let now: ZkOperation;
    try {
      now = withDeclaredFee({ ...zkOp, maxFee: ONE }, state, { time });
    } catch {
      throw failure;
    }
    if (now.type === "closeVault" || now.fee === undefined) throw failure;
    throw new StepFailure(
      "proof",
      `The borrowing fee is now ${formatZkusd(now.fee)}, more than the maximum fee of ${formatPercent(zkOp.maxFee, 2)} you accepted. Nothing was signed or sent: go back to the form to review the new fee, and raise your maximum fee if you agree to it.`,
    );
  }
}

/** The proof step's detail and progress bar for a prover's progress report. */
function proofProgress(again: string, p: ProveProgress): [string, NonNullable<Step["progress"]>] {
  const phase = { loading: 0, witness: 1, proving: 2, done: 3 }[p.phase];
  const what = {
    loading: "Loading the circuit",
    witness: "Computing the witness",
    proving: "Proving",
    done: "Proof made",
  }[p.phase];
  return [`${again}${what}… ${Math.round(p.elapsedMs / 1000)} s`, { value: phase, max: 3 }];
}

/** The final transaction with the attestation and proof, at the chosen rate, on `state`. */
async function buildStep(
  run: FlowRun,
  op: Operation,
  state: State,
  attestation: PriceAttestationAnswer | null,
  proof: Uint8Array,
): Promise<{ draft: TxDraft; paid: bigint }> {
  const { deps, set } = run;
  set("build", "running");
  let draft: TxDraft;
  let paid: bigint;
  try {
    const time = attestation ? BigInt(attestation.timestamp) : state.g.time;
    const events = engineEvents(state, op, time);
    if (!events.ok) throw new DraftError(events.message);
    paid = payoutSats(events.events);
    draft = makeDraft({
      op,
      network: deps.network,
      wallet: deps.account,
      coins: await spendableCoins(deps),
      feeRate: deps.feeRate,
      guardians: deps.guardians,
      ...(deps.csvBlocks !== undefined ? { csvBlocks: deps.csvBlocks } : {}),
      ...(state.gov.guardians.keys.length > 0 ? { custodySet: custodyKeySet(state) } : {}),
      ...(deps.payTo ? { payTo: deps.payTo } : {}),
      events: events.events,
      ...(attestation ? { attestation: attestation.bytes } : {}),
      proof,
    });
  } catch (error) {
    throw new StepFailure("build", `${(error as Error).message} Nothing was signed or sent.`);
  }
  set(
    "build",
    "done",
    `${plural(draft.summary.inputs.length, "input")}, ${plural(draft.summary.outputs.length, "output")}; network fee ${formatCount(draft.built.fee)} sats at ${draft.built.feeRate} sat/vB (${formatBtc(draft.built.fee * SATOSHI)}).`,
  );
  return { draft, paid };
}

/**
 * Stage 2 is the guardians' (docs/custody.md): a payout shows under "Payouts on their way" until its
 * settlement confirms; it is never shown as received before.
 */
function reportSettlement(set: SetStep, paid: bigint): void {
  if (paid > 0n)
    set(
      "settle",
      "running",
      `The ledger now owes you ${formatBtc(paid * SATOSHI)} (network fee share aside). The guardians pay it in a settlement transaction once it is buried 6 blocks; follow it under Payouts.`,
    );
  else set("settle", "skipped");
}

/** The setPrice spell at the attested price, from the user's wallet, until the engine applied it. */
async function updatePrice(
  deps: FlowDeps,
  a: PriceAttestationAnswer,
  set: (state: StepState, detail?: string) => void,
  budget: { spent: bigint },
): Promise<void> {
  const spell = {
    version: SPELL_VERSION,
    op: { type: "setPrice" as const, price: a.price },
    attestation: a.bytes,
    proof: emptyProof(),
  };
  let built: BuiltPsbt;
  try {
    const coins = await spendableCoins(deps);
    built = buildLedgerOp(
      {
        network: deps.network,
        wallet: deps.account,
        walletUtxos: coins.map((c) => walletUtxo(deps.account, deps.network, walletCoinUtxo(c))),
        feeRate: deps.feeRate,
      },
      { spell },
    );
  } catch (error) {
    throw new StepFailure(
      "price",
      `The price update could not be built: ${(error as Error).message}. Nothing was sent.`,
    );
  }
  const detail = (s: string) => set("running", `Price update to ${formatUsd(a.price)}: ${s}`);
  let failed: StepFailure | null = null;
  await send(
    deps,
    built,
    (_id, state, d) => {
      if (state === "failed") return;
      if (d) detail(d);
    },
    { sign: "price", broadcast: "price", confirm: "price" },
    budget,
  ).catch((error: unknown) => {
    failed = error instanceof StepFailure ? new StepFailure("price", `Price update: ${error.message}`) : null;
    if (!failed) throw error;
  });
  if (failed) throw failed;
  set("done", `The on-chain price is now ${formatUsd(a.price)} (price update confirmed).`);
}
