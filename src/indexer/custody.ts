/**
 * The indexer's custody step (docs/decisions.md §2a rules 2 and 3, docs/custody.md), for EVERY transaction of a
 * block, not only spell transactions: a transaction carrying a settle spell is applied when it
 * satisfies the settlement predicate; any other spend of a protocol coin is an owner's escape (the
 * timelock path) or a custody breach, recorded as an event, never absorbed. After a spell is applied
 * its obligations are recorded; after the block, overdue obligations and the invariants are checked.
 */
import { addressToScript } from "../btc/network.ts";
import { toHex } from "../btc/scripts.ts";
import type { ProtocolEvent, State } from "../protocol/index.ts";
import { removeCoin } from "../protocol/index.ts";
import {
  applyEscape,
  applyFunding,
  applySettlement,
  type CustodyConfig,
  type CustodyReason,
  carriesDebtOrObligations,
  checkFunding,
  checkInvariants,
  checkSettlement,
  custodySigners,
  EPOCH_GRACE_BLOCKS,
  epochKeys,
  isFundPayload,
  isSettlePayload,
  obligationRecorded,
  type Payout,
  recordObligations,
  type SettlementReason,
  type SighashTx,
  type TxShape,
} from "../settlement/index.ts";

/** An obligation open longer than this raises `ObligationOverdue` (SPEC: 144 blocks). */
export const OVERDUE_BLOCKS = 144n;

export interface CustodyStepConfig extends CustodyConfig {
  /** Blocks a settlement's basis must be buried (SPEC D = 6; the dev network may set 1). */
  finality: number;
}

export type SettleOutcome =
  | { kind: "none" }
  | { kind: "applied"; events: ProtocolEvent[] }
  | { kind: "rejected"; reason: SettlementReason; events: ProtocolEvent[] };

/** How a protocol coin was spent, from its witness: [sig, "", "", script] is the owner's escape. */
function spendPath(
  witness: readonly Uint8Array[],
): "ownerAfterTimelock" | "guardians" | "ownerAndGuardians" | "unknown" {
  const n = witness.length;
  if (n === 4 && witness[1]!.length === 0 && witness[2]!.length === 0) return "ownerAfterTimelock";
  if (n >= 3 && witness[n - 2]!.length === 0 && witness[n - 3]!.length === 1) return "guardians";
  if (n >= 3 && witness[n - 2]!.length === 1) return "ownerAndGuardians";
  return "unknown";
}

/**
 * Spends of protocol coins by a transaction that is not an applied settlement: each coin leaves the
 * state (it is gone on chain) with an escape event (the vault owner's timelock path) or a breach. An
 * escape is then booked per vault (src/settlement/escape.ts): the owner's payouts, the vault closed
 * and its debt redistributed, any loss on the fee account.
 */
export function foreignSpends(
  state: State,
  tx: TxShape & SighashTx,
  height: number,
  config: CustodyStepConfig,
  /** The depth of the reorg that undid this transaction's settlement, when this client saw it. */
  undoneBy?: number,
): ProtocolEvent[] {
  const events: ProtocolEvent[] = [];
  const escaped = new Map<string, bigint>();
  for (const [index, input] of tx.inputs.entries()) {
    const coin = removeCoin(state.custody, `${input.prevTxid}:${input.vout}`);
    if (!coin) continue;
    const path = spendPath(input.witness);
    if (path === "ownerAfterTimelock" && coin.vault !== null) {
      events.push({ type: "VaultEscaped", owner: coin.vault, outpoint: coin.outpoint, sats: coin.sats });
      // Read before any escape of this transaction is booked: what the coin carried when it left.
      if (carriesDebtOrObligations(state, coin.vault))
        events.push({
          type: "MissedRoll",
          owner: coin.vault,
          outpoint: coin.outpoint,
          sats: coin.sats,
          coinHeight: coin.height,
          // The signing set of the coin's own key epoch: who should have rolled it.
          guardians: [...(epochKeys(state, coin.epoch ?? 0)?.keys ?? [])],
          threshold: epochKeys(state, coin.epoch ?? 0)?.threshold ?? 0n,
          epoch: BigInt(coin.epoch ?? 0),
        });
      escaped.set(coin.vault, (escaped.get(coin.vault) ?? 0n) + coin.sats);
    } else if (undoneBy !== undefined)
      events.push({
        type: "ReorgLoss",
        outpoint: coin.outpoint,
        sats: coin.sats,
        vault: coin.vault,
        settlement: tx.txid,
        depth: BigInt(undoneBy),
      });
    else
      events.push({
        type: "CustodyBreach",
        outpoint: coin.outpoint,
        sats: coin.sats,
        vault: coin.vault,
        path,
        // Who signed off-plan: the coin's custody keys whose signatures verify on this spend.
        signers: custodySigners(tx, index, coin),
      });
  }
  let slot = 0;
  for (const [vault, sats] of [...escaped].sort(([a], [b]) => (a < b ? -1 : 1)))
    events.push(
      ...applyEscape(state, vault, sats, ownScriptHex(vault, config), {
        txid: tx.txid,
        height,
        slot: slot++,
      }),
    );
  return events;
}

/** A vault's owner's own output script (its account is its address), hex; "" when not an address. */
function ownScriptHex(vault: string, config: CustodyStepConfig): string {
  try {
    return toHex(addressToScript(vault, config.network));
  } catch {
    return "";
  }
}

/**
 * A transaction carrying a settle spell: applied when it is the settlement of what it names, else
 * refused with its spent coins reported. Other transactions: `none` (their spends of protocol coins
 * are tracked by `foreignSpends` AFTER their spell, so a spell's proof sees the state it was made on).
 */
export function settleOrTrack(
  state: State,
  tx: TxShape & SighashTx,
  payload: Uint8Array | undefined,
  height: number,
  config: CustodyStepConfig,
  /**
   * Settlements this client saw applied and then undone by a reorg deeper than D (txid → depth): one
   * refused now is a `ReorgLoss`, not a breach (docs/decisions.md §2a "Finality").
   */
  undone?: ReadonlyMap<string, number>,
): SettleOutcome {
  if (payload && isSettlePayload(payload)) {
    const checked = checkSettlement(tx, payload, state, { height, finality: config.finality }, config);
    if (checked.ok) {
      applySettlement(state, tx.txid, checked, height);
      const fee =
        checked.spent.reduce((a, c) => a + c.sats, 0n) - tx.outputs.reduce((a, o) => a + o.sats, 0n);
      return {
        kind: "applied",
        events: [
          {
            type: "SettlementApplied",
            obligations: checked.obligations.map((o) => o.id),
            fee,
            feeFromAccount: checked.fromAccount,
            rolls: checked.rolls,
          },
        ],
      };
    }
    return {
      kind: "rejected",
      reason: checked.reason,
      events: foreignSpends(state, tx, height, config, undone?.get(tx.txid)),
    };
  }
  return { kind: "none" };
}

/**
 * A transaction carrying a `fund` spell (src/settlement/fundSpell.ts): the fee account grows by the
 * output it names when that output pays exactly its sats to the pool's script; else refused with the
 * reason, and the output is left to the stray rule (owed back from 10,000 sats, kept below).
 */
export function fundOrRefuse(
  state: State,
  tx: TxShape,
  payload: Uint8Array | undefined,
  height: number,
):
  | { kind: "none" }
  | { kind: "applied"; events: ProtocolEvent[] }
  | { kind: "refused"; reason: CustodyReason } {
  if (!payload || !isFundPayload(payload)) return { kind: "none" };
  const checked = checkFunding(state, tx, payload);
  if (!checked.ok) return { kind: "refused", reason: checked.reason };
  return { kind: "applied", events: applyFunding(state, checked, { txid: tx.txid, height }) };
}

export { noteKeyRotation } from "../settlement/index.ts";

/** The event of the key epoch that just began (the last one recorded). */
export function keyEpochEvent(state: State): ProtocolEvent {
  const epochs = state.custody.epochs;
  const e = epochs[epochs.length - 1]!;
  return {
    type: "KeyEpochBegan",
    epoch: BigInt(epochs.length - 1),
    guardians: [...e.keys],
    threshold: e.threshold,
    previousUntil: e.from + BigInt(EPOCH_GRACE_BLOCKS),
  };
}

/**
 * Obligations of an applied spell, paid where `payoutOf` said: the spell's payout script and maximum
 * fee, or the actor's own script (the account is its address) with the default maximum fee.
 */
export function obligationsOf(
  state: State,
  events: readonly ProtocolEvent[],
  place: { txid: string; height: number },
  payout: Payout,
): ProtocolEvent[] {
  return recordObligations(state, events, place, payout).map(obligationRecorded);
}

/** End of block: obligations reaching OVERDUE_BLOCKS, and the invariants (docs/decisions.md §2a rule 3). */
export function endOfBlock(state: State, height: number): ProtocolEvent[] {
  const events: ProtocolEvent[] = [];
  for (const o of state.custody.obligations.values()) {
    if (o.status === "open" && BigInt(height) - o.height === OVERDUE_BLOCKS)
      events.push({ type: "ObligationOverdue", id: o.id, blocks: OVERDUE_BLOCKS });
  }
  const report = checkInvariants(state);
  if (!report.ok) events.push({ type: "CustodyInvariantBroken", problems: report.problems });
  return events;
}
