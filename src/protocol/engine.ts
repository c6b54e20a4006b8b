/**
 * The state machine: apply(state, operation, context) runs one operation atomically. On success the
 * state has moved and the events and result are returned; on failure the state is exactly as before
 * and the typed error says which rule was violated. Pure: no I/O, no clock, no randomness.
 */

import { adjustVault, claimSurplus, closeVault, openVault } from "./borrower.ts";
import { ONE } from "./decimal.ts";
import { ProtocolError } from "./errors.ts";
import type { ProtocolEvent } from "./events.ts";
import {
  approveRotation,
  cancel,
  commitCheckpoints,
  delegate,
  execute,
  propose,
  queue,
  requireOperationAllowed,
  undelegate,
  veto,
  vote,
} from "./governance/rules.ts";
import { Journal } from "./journal.ts";
import { liquidate, liquidateBatch, liquidateList } from "./liquidation.ts";
import { assertAmountsInBounds, type Operation } from "./operations.ts";
import { redeem } from "./redemption.ts";
import { claimGains, claimGainsToVault, poolDeposit, poolWithdraw } from "./stabilityPool.ts";
import type { State } from "./state.ts";
import { forgetRootCache } from "./stateRoot.ts";
import { approve, transfer, transferFrom } from "./token.ts";
import { getTCR, isRecoveryMode, require, set, type Tx } from "./tx.ts";

export interface Context {
  /** Block height the operation is confirmed in. */
  height: bigint;
  /** Block time in seconds (median time past on chain, scenario clock in replay). */
  time: bigint;
  txid?: string;
  /** Position of the spell within its block. */
  index?: number;
}

/** An event with where it happened. */
export interface EventEnvelope {
  height: bigint;
  txid?: string;
  index?: number;
  event: ProtocolEvent;
}

export type OperationResult = Record<string, bigint | string[] | bigint[]>;

export type ApplyResult =
  | { ok: true; state: State; events: ProtocolEvent[]; result: OperationResult }
  | { ok: false; state: State; error: ProtocolError };

function run(tx: Tx, op: Operation): OperationResult {
  const gov = tx.state.gov;
  if (gov.paused || gov.shutdown) requireOperationAllowed(gov, op);
  switch (op.type) {
    case "setPrice":
      require(op.price > 0n, "zeroAmount", "the price must be positive");
      set(tx, "price", op.price);
      tx.events.push({ type: "PriceUpdated", price: op.price });
      return {};
    case "openVault": {
      const { fee, debt } = openVault(tx, op.owner, op.collateral, op.borrow, op.maxFee ?? ONE, op.fee);
      return { fee, debt };
    }
    case "adjustVault": {
      const { fee, debt } = adjustVault(tx, op.owner, op);
      return { fee, debt };
    }
    case "closeVault": {
      const { collateralReturned, zkusdRepaid } = closeVault(tx, op.owner);
      return { collateralReturned, zkusdRepaid };
    }
    case "claimSurplus": {
      const { amount } = claimSurplus(tx, op.owner);
      return { collateral: amount };
    }
    case "transfer":
      transfer(tx, op.from, op.to, op.amount);
      return {};
    case "approve":
      approve(tx, op.owner, op.spender, op.amount);
      return {};
    case "transferFrom":
      transferFrom(tx, op.spender, op.from, op.to, op.amount);
      return {};
    case "poolDeposit": {
      const { btcGain } = poolDeposit(tx, op.owner, op.amount);
      return { btcGain };
    }
    case "poolWithdraw": {
      const { zkusd, btcGain } = poolWithdraw(tx, op.owner, op.amount);
      return { zkusd, btcGain };
    }
    case "claimGains": {
      const { btcGain } = claimGains(tx, op.owner);
      return { btcGain };
    }
    case "claimGainsToVault": {
      const { btcGain } = claimGainsToVault(tx, op.owner);
      return { btcGain };
    }
    case "liquidate":
    case "liquidateBatch":
    case "liquidateList": {
      const r =
        op.type === "liquidate"
          ? liquidate(tx, op.owner, op.liquidator)
          : op.type === "liquidateBatch"
            ? liquidateBatch(tx, op.count, op.liquidator)
            : liquidateList(tx, op.owners, op.liquidator);
      return {
        liquidatedDebt: r.liquidatedDebt,
        liquidatedCollateral: r.liquidatedCollateral,
        offsetDebt: r.offsetDebt,
        redistributedDebt: r.redistributedDebt,
        collateralCompensation: r.collateralCompensation,
        gasReserve: r.gasReserve,
        liquidated: r.liquidated,
      };
    }
    case "redeem": {
      const r = redeem(tx, op.redeemer, op.amount, op.maxFee ?? ONE);
      return { zkusd: r.zkusd, btc: r.btc, fee: r.fee, vaults: r.vaults };
    }
    case "setBaseRate":
      require(op.value <= ONE, "invalidParameter", "the base rate must not exceed 100%");
      set(tx, "baseRate", op.value);
      set(tx, "lastFeeOperationTime", tx.now);
      tx.events.push({ type: "BaseRateUpdated", baseRate: op.value });
      return {};
    case "propose":
      commitCheckpoints(tx);
      return propose(tx, op.proposer, op.actions);
    case "vote":
      commitCheckpoints(tx);
      return vote(tx, op.voter, op.proposalId, op.support);
    case "delegate":
      commitCheckpoints(tx);
      delegate(tx, op.delegator, op.delegatee);
      return {};
    case "undelegate":
      commitCheckpoints(tx);
      undelegate(tx, op.delegator);
      return {};
    case "queue":
      commitCheckpoints(tx);
      return queue(tx, op.proposalId);
    case "execute":
      commitCheckpoints(tx);
      execute(tx, op.proposalId);
      return {};
    case "cancel":
      commitCheckpoints(tx);
      cancel(tx, op.proposer, op.proposalId);
      return {};
    case "veto":
      commitCheckpoints(tx);
      veto(tx, op.guardian, op.proposalId);
      return {};
    case "approveRotation":
      commitCheckpoints(tx);
      approveRotation(tx, op.guardian, op.proposalId);
      return {};
    default: {
      const unknown = op as { type?: unknown };
      throw new ProtocolError("unknownOperation", `unknown operation ${JSON.stringify(unknown.type)}`);
    }
  }
}

export interface ApplyOptions {
  /**
   * Runs after the operation, before it commits (the indexer computes the new state root and checks
   * the proof here). Whatever it throws rolls the operation back, exactly as a broken rule does.
   */
  beforeCommit?: (state: State, events: readonly ProtocolEvent[]) => void;
}

/**
 * Applies one operation atomically (see the module comment). A ProtocolError comes back as
 * `ok: false`; any other exception (a bug, or one from `beforeCommit`) is rethrown after the rollback.
 */
export function apply(state: State, op: Operation, ctx: Context, options: ApplyOptions = {}): ApplyResult {
  const journal = new Journal();
  const tx: Tx = { state, j: journal, events: [], now: ctx.time };
  let checking = false;
  try {
    assertAmountsInBounds(op);
    if (ctx.time < state.g.time) throw new ProtocolError("timeWentBackwards");
    const wasRecovery = state.g.recoveryMode === 1n;
    set(tx, "time", ctx.time);
    journal.set(state, "height", ctx.height);
    const result = run(tx, op);
    const recovery = isRecoveryMode(state);
    if (recovery !== wasRecovery) {
      set(tx, "recoveryMode", recovery ? 1n : 0n);
      tx.events.push({ type: recovery ? "RecoveryModeEntered" : "RecoveryModeExited", tcr: getTCR(state) });
    }
    if (options.beforeCommit) {
      checking = true;
      options.beforeCommit(state, tx.events);
    }
    journal.commit();
    return { ok: true, state, events: tx.events, result };
  } catch (error) {
    journal.rollback();
    // Rare (an invalid proof, a bug): the next root is rebuilt from the records, as a restored snapshot's is.
    if (checking) forgetRootCache(state);
    if (error instanceof ProtocolError) return { ok: false, state, error };
    throw error;
  }
}

/** Moves the clock forward without an operation (scenario `advanceTime`; block time on chain). */
export function advanceTime(state: State, time: bigint): void {
  if (time < state.g.time) throw new ProtocolError("timeWentBackwards");
  state.g.time = time;
}
