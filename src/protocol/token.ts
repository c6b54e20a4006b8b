/**
 * zkUSD token ledger: transfer, approve, transferFrom (ERC-20 semantics as Liquity's LUSDToken).
 * Zero-amount transfers are refused: on chain a spell that moves nothing is only noise.
 * An approval of MAX_AMOUNT is unlimited: transferFrom never lowers it (OpenZeppelin's ERC-20 rule for
 * type(uint256).max; Liquity's LUSDToken has no such case). docs/engine.md "Bounded amounts".
 */
import { MAX_AMOUNT } from "./decimal.ts";
import type { AccountId } from "./operations.ts";
import { findAccount, getAllowance, getOrCreateAccount, setAllowance } from "./state.ts";
import { require, setA, type Tx } from "./tx.ts";

function move(tx: Tx, from: AccountId, to: AccountId, amount: bigint): void {
  require(amount > 0n, "zeroAmount");
  const source = findAccount(tx.state, from);
  require(source !== undefined &&
    source.balance >= amount, "insufficientBalance", `${from} holds less zkUSD than ${amount} units`);
  const target = getOrCreateAccount(tx.state, to, tx.j);
  setA(tx, source!, "balance", source!.balance - amount);
  setA(tx, target, "balance", target.balance + amount);
  tx.events.push({ type: "Transfer", from, to, amount });
}

export function transfer(tx: Tx, from: AccountId, to: AccountId, amount: bigint): void {
  move(tx, from, to, amount);
}

/** The allowance that transferFrom never spends down. */
export const UNLIMITED_ALLOWANCE = MAX_AMOUNT;

export function approve(tx: Tx, owner: AccountId, spender: AccountId, amount: bigint): void {
  getOrCreateAccount(tx.state, owner, tx.j);
  setAllowance(tx.state, tx.j, owner, spender, amount);
  tx.events.push({ type: "Approval", owner, spender, amount });
}

export function transferFrom(
  tx: Tx,
  spender: AccountId,
  from: AccountId,
  to: AccountId,
  amount: bigint,
): void {
  const allowance = getAllowance(tx.state, from, spender);
  require(allowance >=
    amount, "insufficientAllowance", `${spender} may spend only ${allowance} units of ${from}'s zkUSD`);
  move(tx, from, to, amount);
  if (allowance === UNLIMITED_ALLOWANCE) return;
  setAllowance(tx.state, tx.j, from, spender, allowance - amount);
  tx.events.push({ type: "Approval", owner: from, spender, amount: allowance - amount });
}
