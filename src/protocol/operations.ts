/**
 * The protocol's operations as a discriminated union. Amounts are 18-decimal bigints; fee limits
 * (maxFee) are 18-decimal fractions (0.05 = 5%). Account ids are opaque strings: on chain the
 * indexer fills the actor from the transaction's first input (docs/decisions.md §2); in scenarios they are names.
 */
import { MAX_AMOUNT } from "./decimal.ts";
import { ProtocolError } from "./errors.ts";
import type { GovAction, Support } from "./governance/types.ts";

export type AccountId = string;

export type Operation =
  | { type: "setPrice"; price: bigint }
  | {
      type: "openVault";
      owner: AccountId;
      collateral: bigint;
      borrow: bigint;
      maxFee?: bigint;
      /** The borrowing fee the owner agreed to (docs/zk.md "Declared fee"); the engine's own when absent. */
      fee?: bigint;
    }
  | {
      type: "adjustVault";
      owner: AccountId;
      depositCollateral?: bigint;
      withdrawCollateral?: bigint;
      borrow?: bigint;
      repay?: bigint;
      maxFee?: bigint;
      /** The borrowing fee the owner agreed to (docs/zk.md "Declared fee"); the engine's own when absent. */
      fee?: bigint;
    }
  | { type: "closeVault"; owner: AccountId }
  | { type: "claimSurplus"; owner: AccountId }
  | { type: "transfer"; from: AccountId; to: AccountId; amount: bigint }
  | { type: "approve"; owner: AccountId; spender: AccountId; amount: bigint }
  | { type: "transferFrom"; spender: AccountId; from: AccountId; to: AccountId; amount: bigint }
  | { type: "poolDeposit"; owner: AccountId; amount: bigint }
  | { type: "poolWithdraw"; owner: AccountId; amount: bigint }
  | { type: "claimGains"; owner: AccountId }
  | { type: "claimGainsToVault"; owner: AccountId }
  | { type: "liquidate"; owner: AccountId; liquidator: AccountId }
  | { type: "liquidateBatch"; count: number; liquidator: AccountId }
  | { type: "liquidateList"; owners: AccountId[]; liquidator: AccountId }
  | { type: "redeem"; redeemer: AccountId; amount: bigint; maxFee?: bigint }
  /** Scenario files only (tests): sets the base rate and the last fee operation time to now. */
  | { type: "setBaseRate"; value: bigint }
  // governance (docs/governance.md); proposal ids count from 1
  | { type: "propose"; proposer: AccountId; actions: GovAction[] }
  | { type: "vote"; voter: AccountId; proposalId: bigint; support: Support }
  | { type: "delegate"; delegator: AccountId; delegatee: AccountId }
  | { type: "undelegate"; delegator: AccountId }
  | { type: "queue"; caller: AccountId; proposalId: bigint }
  | { type: "execute"; caller: AccountId; proposalId: bigint }
  | { type: "cancel"; proposer: AccountId; proposalId: bigint }
  /** One guardian's veto signature; the actor is the guardian's compressed key (hex). */
  | { type: "veto"; guardian: AccountId; proposalId: bigint }
  /** One outgoing guardian's approval of a custody key rotation; the actor is as for a veto. */
  | { type: "approveRotation"; guardian: AccountId; proposalId: bigint };

export type OperationType = Operation["type"];

export const OPERATION_TYPES: readonly OperationType[] = [
  "setPrice",
  "openVault",
  "adjustVault",
  "closeVault",
  "claimSurplus",
  "transfer",
  "approve",
  "transferFrom",
  "poolDeposit",
  "poolWithdraw",
  "claimGains",
  "claimGainsToVault",
  "liquidate",
  "liquidateBatch",
  "liquidateList",
  "redeem",
  "setBaseRate",
  "propose",
  "vote",
  "delegate",
  "undelegate",
  "queue",
  "execute",
  "cancel",
  "veto",
  "approveRotation",
];

/** Default liquidator account when a scenario names none. */
export const DEFAULT_LIQUIDATOR = "liquidator";

const ACCOUNT_RE = /^[\x21-\x7e]{1,128}$/;

/** Checks an account id: 1–128 printable ASCII characters, no spaces. */
export function assertAccount(value: unknown, field: string): AccountId {
  if (typeof value !== "string" || !ACCOUNT_RE.test(value)) {
    throw new ProtocolError(
      "invalidAccount",
      `${field}: expected an account id of 1 to 128 printable characters, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

export function isOperationType(type: unknown): type is OperationType {
  return typeof type === "string" && (OPERATION_TYPES as readonly string[]).includes(type);
}

/**
 * Every integer an operation carries (amounts, collateral, prices, fee limits, proposal ids) lies in
 * [0, MAX_AMOUNT]: the one bound of docs/engine.md "Bounded amounts", checked by `apply` before any rule.
 */
export function assertAmountsInBounds(op: Operation): void {
  for (const [field, value] of Object.entries(op)) {
    if (typeof value !== "bigint") continue;
    if (value < 0n) throw new ProtocolError("negativeAmount", `${field}: ${value} is negative`);
    if (value > MAX_AMOUNT) {
      throw new ProtocolError("amountTooLarge", `${field}: ${value} exceeds the largest amount, 2^112 − 1`);
    }
  }
}
