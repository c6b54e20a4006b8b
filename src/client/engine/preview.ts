/**
 * What-if answers for the screens, computed by the engine itself: an operation is applied to a copy
 * of the state (`cloneState` + `apply`) and the outcome read back, so every number a form shows
 * (fee, ICR, TCR after, affected vaults, errors) is the engine's own. Pure; runs in a worker.
 *
 * These functions take a `State`; the worker that holds the state exposes them over comlink.
 */

import { PRICED } from "../../indexer/verify.ts";
import {
  type AccountId,
  apply,
  type Context,
  cloneState,
  type DepositView,
  depositView,
  ERROR_MESSAGES,
  findAccount,
  getVault,
  isLiquidatable,
  MAX_UINT256,
  mulDiv,
  ONE,
  type Operation,
  type OperationResult,
  type ProtocolErrorCode,
  type ProtocolEventType,
  priceAtRatio,
  riskiestVaults,
  type State,
  type SystemSummary,
  systemSummary,
  type VaultRisk,
  type VaultView,
  vaultRisk,
} from "../../protocol/index.ts";

/** An account's position: vault, zkUSD balance and stability-pool deposit (all engine values). */
export interface AccountPosition {
  owner: AccountId;
  vault: VaultView | null;
  balance: bigint;
  deposit: DepositView | null;
  surplus: bigint;
  /** The engine's risk view of the active vault (src/protocol/views.ts vaultRisk), null without one. */
  risk: VaultRisk | null;
}

export type OperationPreview =
  | {
      ok: true;
      result: OperationResult;
      events: ProtocolEventType[];
      /** The actor's vault before and after (null when it has none). */
      vaultBefore: VaultView | null;
      vaultAfter: VaultView | null;
      /** Liquidation price of the vault after: the BTC price at which its ICR would equal MCR. */
      liquidationPriceAfter: bigint | null;
      /** The BTC price the operation was valued at (the attested price it will meet, see `stateMet`). */
      price: bigint;
      summaryBefore: SystemSummary;
      summaryAfter: SystemSummary;
      positionAfter: AccountPosition | null;
    }
  | {
      ok: false;
      code: ProtocolErrorCode;
      /** The engine's sentence for users (ERROR_MESSAGES). */
      message: string;
      /** The engine's precise detail, when it gave one. */
      detail: string;
    };

/** The account that acts in an operation (the spell's actor), if any. */
export function actorOf(op: Operation): AccountId | null {
  switch (op.type) {
    case "setPrice":
    case "setBaseRate":
    case "liquidateBatch":
      return op.type === "liquidateBatch" ? op.liquidator : null;
    case "transfer":
      return op.from;
    case "transferFrom":
      return op.spender;
    case "liquidate":
    case "liquidateList":
      return op.liquidator;
    case "redeem":
      return op.redeemer;
    case "propose":
    case "cancel":
      return op.proposer;
    case "vote":
      return op.voter;
    case "delegate":
    case "undelegate":
      return op.delegator;
    case "queue":
    case "execute":
      return op.caller;
    case "veto":
    case "approveRotation":
      return op.guardian;
    default: {
      // Vault, pool and governance operations name their actor `owner` (or `voter`, `proposer`…).
      const named = op as { owner?: unknown; voter?: unknown; proposer?: unknown; delegator?: unknown };
      const actor = named.owner ?? named.voter ?? named.proposer ?? named.delegator;
      return typeof actor === "string" ? actor : null;
    }
  }
}

/** BTC price at which a vault's ICR equals `mcr` (the engine's priceAtRatio: rounded up, the safe side). */
export const liquidationPrice = priceAtRatio;

export function accountPosition(state: State, owner: AccountId): AccountPosition {
  const a = findAccount(state, owner);
  return {
    owner,
    vault: getVault(state, owner) ?? null,
    balance: a?.balance ?? 0n,
    deposit: a && a.depositInitial > 0n ? depositView(state, a) : null,
    surplus: a?.surplus ?? 0n,
    risk: vaultRisk(state, owner) ?? null,
  };
}

/**
 * The context a preview runs in: the block after the synced head `tip` (default: the last spell's
 * height, which is lower after empty blocks) at the state's own time (no wall clock).
 */
export function nextContext(state: State, time?: bigint, tip = state.height): Context {
  const t = time !== undefined && time > state.g.time ? time : state.g.time;
  return { height: (tip > state.height ? tip : state.height) + 1n, time: t };
}

/**
 * What the transaction will really meet: the price the flow (src/client/tx/flow.ts) puts on chain first
 * when the guardians attest another price than the state's, and the attestation's time as the block
 * time. A preview made on the state as it is would value a vault at a price the transaction never sees.
 */
export interface Meet {
  price?: bigint;
  time?: bigint;
}

/**
 * What of `meet` applies to `op`: an operation that carries an attestation (priced ones, and a close,
 * src/client/tx/flow.ts ATTESTED) is sent at the attestation's time and valued at its price; any other at
 * the state's own time and price.
 */
export function meetFor(op: Operation, meet: Meet | undefined): Meet {
  return meet && (PRICED.has(op.type) || op.type === "closeVault") ? meet : {};
}

/**
 * The state `op` will meet: for an operation valued at a price (PRICED), a copy with the flow's own
 * price update applied when `price` differs from the state's; otherwise `state` itself.
 */
export function stateMet(state: State, op: Operation, price: bigint | undefined, ctx: Context): State {
  if (price === undefined || price <= 0n || price === state.g.price || !PRICED.has(op.type)) return state;
  const copy = cloneState(state);
  return apply(copy, { type: "setPrice", price }, ctx).ok ? copy : state;
}

/**
 * Applies `op` to a copy of `state` (after the price update it will meet, `meet.price`) and reports
 * the outcome; `state` itself never changes.
 */
export function previewOperation(
  original: State,
  op: Operation,
  ctx: Context = nextContext(original),
  meet: Meet = {},
): OperationPreview {
  const state = stateMet(original, op, meet.price, ctx);
  const actor = actorOf(op);
  const summaryBefore = systemSummary(state, ctx.time);
  const vaultBefore = actor ? (getVault(state, actor) ?? null) : null;
  const copy = cloneState(state);
  const r = apply(copy, op, ctx);
  if (!r.ok) {
    return {
      ok: false,
      code: r.error.code,
      message: ERROR_MESSAGES[r.error.code],
      detail: r.error.message,
    };
  }
  const vaultAfter = actor ? (getVault(copy, actor) ?? null) : null;
  const active = vaultAfter?.status === "active" ? vaultAfter : null;
  return {
    ok: true,
    result: r.result,
    events: r.events.map((e) => e.type),
    vaultBefore,
    vaultAfter,
    liquidationPriceAfter: active ? liquidationPrice(active.collateral, active.debt, copy.params.MCR) : null,
    price: state.g.price,
    summaryBefore,
    summaryAfter: systemSummary(copy, ctx.time),
    positionAfter: actor ? accountPosition(copy, actor) : null,
  };
}

/**
 * The largest `borrow` the engine accepts for an open (no vault yet) or an adjustment (existing
 * vault) with the given collateral change, found by asking the engine (binary search over
 * previews, to the smallest unit), so every rule applies: MCR, TCR ≥ CCR, recovery mode, minimum
 * net debt, fee limit. Null when no amount is accepted.
 */
export function maxBorrow(
  original: State,
  owner: AccountId,
  change: { depositCollateral?: bigint; withdrawCollateral?: bigint; collateral?: bigint; maxFee?: bigint },
  ctx: Context = nextContext(original),
  meet: Meet = {},
): bigint | null {
  const state = stateMet(original, { type: "openVault", owner, collateral: 1n, borrow: 0n }, meet.price, ctx);
  const existing = getVault(state, owner);
  const isOpen = !existing || existing.status !== "active";
  const build = (borrow: bigint): Operation =>
    isOpen
      ? {
          type: "openVault",
          owner,
          collateral: change.collateral ?? 0n,
          borrow,
          maxFee: change.maxFee ?? ONE,
        }
      : {
          type: "adjustVault",
          owner,
          ...(change.depositCollateral ? { depositCollateral: change.depositCollateral } : {}),
          ...(change.withdrawCollateral ? { withdrawCollateral: change.withdrawCollateral } : {}),
          borrow,
          maxFee: change.maxFee ?? ONE,
        };
  const accepts = (borrow: bigint) => {
    const r = apply(cloneState(state), build(borrow), ctx);
    return r.ok;
  };
  const coll = isOpen
    ? (change.collateral ?? 0n)
    : existing.collateral + (change.depositCollateral ?? 0n) - (change.withdrawCollateral ?? 0n);
  if (coll <= 0n) return null;
  // Upper bound: the whole debt at MCR, which no fee or reserve can raise.
  let hi = mulDiv(coll, state.g.price, state.params.MCR);
  if (hi >= MAX_UINT256) return null;
  let lo = isOpen ? state.params.minNetDebt : 1n;
  if (lo > hi || !accepts(lo)) return null;
  // Invariant: accepts(lo); the answer is in [lo, hi].
  while (lo < hi) {
    const mid = (lo + hi + 1n) / 2n;
    if (accepts(mid)) lo = mid;
    else hi = mid - 1n;
  }
  return lo;
}

/**
 * Active vaults from the riskiest, each with its liquidation price and whether the engine would
 * liquidate it now (src/protocol/views.ts), at most `limit`.
 */
export function atRiskVaults(
  state: State,
  limit: number,
): (VaultView & { liquidationPrice: bigint | null; liquidatable: boolean })[] {
  return riskiestVaults(state, limit).map((v) => {
    const a = findAccount(state, v.owner);
    return {
      ...v,
      liquidationPrice: priceAtRatio(v.collateral, v.debt, state.params.MCR),
      liquidatable: a ? isLiquidatable(state, a, v.icr) : false,
    };
  });
}
