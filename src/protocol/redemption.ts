/**
 * Redemption (Liquity TroveManager.redeemCollateral §9): zkUSD for BTC at face value from the
 * lowest-ICR vaults at or above MCR; a partial redemption that would leave less than the minimum
 * net debt is cancelled and ends the walk (the engine computes exact NICRs, so no hint is needed).
 */

import { closeVaultRecord } from "./borrower.ts";
import { min, ONE } from "./decimal.ts";
import { redemptionRateFor, requireUserAcceptsFee, updateBaseRateFromRedemption } from "./fees.ts";
import type { AccountId } from "./operations.ts";
import { type Account, findAccount, sortedInsert, sortedRemove } from "./state.ts";
import {
  add,
  applyPendingRewards,
  burnFrom,
  currentICR,
  getTCR,
  payOutCollateral,
  removeStake,
  require,
  setA,
  systemDebt,
  type Tx,
  updateStakeAndTotalStakes,
} from "./tx.ts";

const SECONDS_PER_DAY = 86_400n;

export interface RedemptionResult {
  zkusd: bigint;
  btc: bigint;
  fee: bigint;
  paidSats: bigint;
  vaults: AccountId[];
}

export function redeem(tx: Tx, redeemer: AccountId, amount: bigint, maxFee: bigint): RedemptionResult {
  const s = tx.state;
  const p = s.params;
  const price = s.g.price;
  require(maxFee >= p.redemptionFeeFloor && maxFee <= ONE, "invalidMaxFee");
  require(tx.now >= s.g.genesisTime + p.redemptionBootstrapDays * SECONDS_PER_DAY, "redemptionsInBootstrap");
  // After a shutdown redemptions are the holders' exit: they take only vaults at or above MCR, at face
  // value, so a low TCR (vaults nobody liquidated yet) no longer closes it (docs/governance.md).
  require(s.gov.shutdown || getTCR(s) >= p.MCR, "totalCollateralRatioBelowMinimum");
  require(amount > 0n, "zeroAmount");
  const r = findAccount(s, redeemer);
  require(r !== undefined &&
    r.balance >= amount, "insufficientBalance", `${redeemer} holds less zkUSD than ${amount} units`);

  const totalDebtBefore = systemDebt(s);
  let remaining = amount;
  let totalRedeemed = 0n;
  let totalCollDrawn = 0n;
  const vaults: AccountId[] = [];

  // Start at the riskiest vault with ICR >= MCR (Liquity walks up from the tail; the list is ordered by
  // NICR and ICR = NICR × price at one price, so a skip-list search finds the same vault in O(log n)).
  let current: Account | null = s.sorted.lowestWhere((a) => currentICR(s, a, price) >= p.MCR);

  while (current && remaining > 0n) {
    const next: Account | null = s.sorted.prevOf(current.node!);
    applyPendingRewards(tx, current);
    const lot = min(remaining, current.debt - p.gasReserve);
    // Floor: the redeemer receives no more collateral than the zkUSD is worth.
    const collLot = (lot * ONE) / price;
    const newDebt = current.debt - lot;
    const newColl = current.coll - collLot;
    if (newDebt === p.gasReserve) {
      // Fully redeemed: close, burn the gas reserve, leave the remaining collateral as a claimable surplus.
      removeStake(tx, current);
      closeVaultRecord(tx, current, "closedByRedemption");
      add(tx, "gasPool", -p.gasReserve);
      add(tx, "zkusdSupply", -p.gasReserve);
      add(tx, "activeDebt", -p.gasReserve);
      setA(tx, current, "surplus", current.surplus + newColl);
      add(tx, "activeColl", -newColl);
      add(tx, "surplusCollateral", newColl);
      tx.events.push({
        type: "VaultRedeemed",
        owner: current.id,
        zkusd: lot,
        collateral: collLot,
        closed: true,
      });
    } else {
      if (newDebt - p.gasReserve < p.minNetDebt) break; // cancelled partial: stop here, as Liquity
      setA(tx, current, "debt", newDebt);
      setA(tx, current, "coll", newColl);
      updateStakeAndTotalStakes(tx, current);
      sortedRemove(s, tx.j, current);
      sortedInsert(s, tx.j, current);
      tx.events.push({
        type: "VaultRedeemed",
        owner: current.id,
        zkusd: lot,
        collateral: collLot,
        closed: false,
      });
    }
    vaults.push(current.id);
    totalRedeemed += lot;
    totalCollDrawn += collLot;
    remaining -= lot;
    current = next;
  }
  require(totalCollDrawn > 0n, "unableToRedeem");

  const baseRate = updateBaseRateFromRedemption(tx, totalCollDrawn, price, totalDebtBefore);
  // Floor, as Liquity's _calcRedemptionFee.
  const fee = (redemptionRateFor(s, baseRate) * totalCollDrawn) / ONE;
  require(fee < totalCollDrawn, "redemptionFeeExceedsCollateral");
  requireUserAcceptsFee(fee, totalCollDrawn, maxFee);

  burnFrom(tx, r!, totalRedeemed);
  add(tx, "activeDebt", -totalRedeemed);
  add(tx, "activeColl", -totalCollDrawn);
  add(tx, "feeCollateral", fee);
  const paidSats = payOutCollateral(tx, totalCollDrawn - fee);
  tx.events.push({ type: "FeePaid", account: redeemer, kind: "redemption", amount: fee, asset: "BTC" });
  tx.events.push({
    type: "Redeemed",
    redeemer,
    attempted: amount,
    zkusd: totalRedeemed,
    btc: totalCollDrawn,
    fee,
    paidSats,
    vaults,
  });
  return { zkusd: totalRedeemed, btc: totalCollDrawn, fee, paidSats, vaults };
}
