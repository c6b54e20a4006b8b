/**
 * Borrower operations (Liquity BorrowerOperations §4): open, adjust (any combination), close, and
 * claiming a collateral surplus. Checks run in Liquity's order so the first violated rule is the
 * one reported.
 */
import { computeCR, min, ONE } from "./decimal.ts";
import { requireUserAcceptsFee, requireValidMaxFee, triggerBorrowingFee } from "./fees.ts";
import type { AccountId } from "./operations.ts";
import { type Account, findAccount, getOrCreateAccount, sortedInsert, sortedRemove } from "./state.ts";
import {
  add,
  applyPendingRewards,
  burnFrom,
  isRecoveryMode,
  mintTo,
  newTCR,
  payOutCollateral,
  removeStake,
  require,
  setA,
  type Tx,
  updateRewardSnapshots,
  updateStakeAndTotalStakes,
} from "./tx.ts";

export function requireActiveVault(tx: Tx, owner: AccountId): Account {
  const a = findAccount(tx.state, owner);
  require(a?.status === "active", "vaultNotActive", `${owner} has no active vault`);
  return a!;
}

function requireICRAtLeast(
  icr: bigint,
  ratio: bigint,
  code: "belowMinimumCollateralRatio" | "belowCriticalCollateralRatio",
) {
  require(icr >= ratio, code);
}

function requireNewTCRAboveCCR(tx: Tx, tcr: bigint) {
  require(tcr >= tx.state.params.CCR, "totalCollateralRatioBelowCritical");
}

function requireAtLeastMinNetDebt(tx: Tx, netDebt: bigint) {
  require(netDebt >= tx.state.params.minNetDebt, "belowMinimumNetDebt");
}

export interface VaultChangeResult {
  fee: bigint;
  debt: bigint;
}

/**
 * The borrowing fee charged (docs/zk.md "Declared fee"). The engine's own fee is Liquity's: floor rate
 * plus the decayed base rate in normal mode (the base rate decays here), none in recovery mode. A spell
 * may declare the fee its owner agreed to: it must be at least the engine's fee now and within the
 * accepted maximum, and it is then the fee charged, so the proven record of the vault after the
 * operation does not depend on what other users did between proving and confirmation.
 */
function borrowingFee(
  tx: Tx,
  borrow: bigint,
  maxFee: bigint,
  declared: bigint | undefined,
  recovery: boolean,
): bigint {
  if (borrow === 0n) {
    require(declared === undefined || declared === 0n, "feeWithoutBorrowing");
    return 0n;
  }
  const fee = recovery ? 0n : triggerBorrowingFee(tx, borrow, maxFee);
  if (declared === undefined) return fee;
  require(declared >= fee, "feeBelowCurrent", `the declared fee ${declared} is below the current fee ${fee}`);
  requireUserAcceptsFee(declared, borrow, maxFee);
  return declared;
}

/** Liquity openTrove. `borrow` is what the owner receives; debt = borrow + fee + gas reserve. */
export function openVault(
  tx: Tx,
  owner: AccountId,
  collateral: bigint,
  borrow: bigint,
  maxFee: bigint,
  declaredFee?: bigint,
): VaultChangeResult {
  const s = tx.state;
  const p = s.params;
  const price = s.g.price;
  const recovery = isRecoveryMode(s);
  requireValidMaxFee(maxFee, recovery, p.borrowingFeeFloor);
  const existing = findAccount(s, owner);
  require(existing?.status !== "active", "vaultExists", `${owner} already has an active vault`);

  if (!recovery) require(borrow > 0n, "belowMinimumNetDebt");
  const fee = borrowingFee(tx, borrow, maxFee, declaredFee, recovery);
  const netDebt = borrow + fee;
  requireAtLeastMinNetDebt(tx, netDebt);
  const compositeDebt = netDebt + p.gasReserve;
  const icr = computeCR(collateral, compositeDebt, price);
  if (recovery) {
    requireICRAtLeast(icr, p.CCR, "belowCriticalCollateralRatio");
  } else {
    requireICRAtLeast(icr, p.MCR, "belowMinimumCollateralRatio");
    requireNewTCRAboveCCR(tx, newTCR(s, collateral, compositeDebt));
  }

  const a = getOrCreateAccount(s, owner, tx.j);
  setA(tx, a, "status", "active");
  setA(tx, a, "coll", collateral);
  setA(tx, a, "debt", compositeDebt);
  updateRewardSnapshots(tx, a);
  updateStakeAndTotalStakes(tx, a);
  sortedInsert(s, tx.j, a);
  add(tx, "activeVaults", 1n);

  add(tx, "activeColl", collateral);
  add(tx, "activeDebt", compositeDebt);
  mintTo(tx, a, borrow);
  add(tx, "feePool", fee);
  add(tx, "zkusdSupply", fee);
  add(tx, "gasPool", p.gasReserve);
  add(tx, "zkusdSupply", p.gasReserve);

  tx.events.push({ type: "VaultOpened", owner, collateral, debt: compositeDebt, stake: a.stake });
  if (fee > 0n)
    tx.events.push({ type: "FeePaid", account: owner, kind: "borrowing", amount: fee, asset: "zkUSD" });
  return { fee, debt: compositeDebt };
}

export interface Adjustment {
  depositCollateral?: bigint;
  withdrawCollateral?: bigint;
  borrow?: bigint;
  repay?: bigint;
  maxFee?: bigint;
  /** The declared borrowing fee (borrowingFee). */
  fee?: bigint;
}

/** Liquity _adjustTrove, with borrow/repay and deposit/withdraw as separate optional fields. */
export function adjustVault(
  tx: Tx,
  owner: AccountId,
  adj: Adjustment,
): VaultChangeResult & { paidSats: bigint } {
  const s = tx.state;
  const p = s.params;
  const price = s.g.price;
  const deposit = adj.depositCollateral ?? 0n;
  const withdrawal = adj.withdrawCollateral ?? 0n;
  const borrow = adj.borrow ?? 0n;
  const repay = adj.repay ?? 0n;
  const maxFee = adj.maxFee ?? ONE;
  require(!(borrow > 0n && repay > 0n), "borrowAndRepay");
  const isDebtIncrease = borrow > 0n;
  const debtChange = isDebtIncrease ? borrow : repay;
  const recovery = isRecoveryMode(s);
  if (isDebtIncrease) requireValidMaxFee(maxFee, recovery, p.borrowingFeeFloor);
  require(!(deposit > 0n && withdrawal > 0n), "depositAndWithdrawCollateral");
  require(deposit !== 0n || withdrawal !== 0n || debtChange !== 0n, "zeroAdjustment");
  const a = requireActiveVault(tx, owner);

  applyPendingRewards(tx, a);
  const isCollIncrease = deposit > 0n;
  const collChange = isCollIncrease ? deposit : withdrawal;

  const fee = borrowingFee(tx, borrow, maxFee, adj.fee, recovery);
  const netDebtChange = debtChange + fee;
  const coll = a.coll;
  const debt = a.debt;
  require(withdrawal <=
    coll, "withdrawExceedsCollateral", `${owner}'s vault holds less collateral than requested`);
  if (!isDebtIncrease && repay > 0n) {
    require(repay <= debt - p.gasReserve, "repayExceedsDebt");
  }
  const newColl = isCollIncrease ? coll + collChange : coll - collChange;
  const newDebt = isDebtIncrease ? debt + netDebtChange : debt - netDebtChange;
  const oldICR = computeCR(coll, debt, price);
  const newICR = computeCR(newColl, newDebt, price);

  // Liquity _requireValidAdjustmentInCurrentMode.
  if (recovery) {
    require(withdrawal === 0n, "recoveryModeCollateralWithdrawal");
    if (isDebtIncrease) {
      requireICRAtLeast(newICR, p.CCR, "belowCriticalCollateralRatio");
      require(newICR >= oldICR, "recoveryModeCollateralRatioDecrease");
    }
  } else {
    requireICRAtLeast(newICR, p.MCR, "belowMinimumCollateralRatio");
    const collDelta = isCollIncrease ? collChange : -collChange;
    const debtDelta = isDebtIncrease ? netDebtChange : -netDebtChange;
    requireNewTCRAboveCCR(tx, newTCR(s, collDelta, debtDelta));
  }
  if (!isDebtIncrease && repay > 0n) {
    requireAtLeastMinNetDebt(tx, debt - p.gasReserve - repay);
    require(findAccount(s, owner)!.balance >= repay, "insufficientBalance");
  }

  setA(tx, a, "coll", newColl);
  setA(tx, a, "debt", newDebt);
  updateStakeAndTotalStakes(tx, a);
  sortedRemove(s, tx.j, a);
  sortedInsert(s, tx.j, a);

  let paidSats = 0n;
  if (isDebtIncrease) {
    add(tx, "activeDebt", netDebtChange);
    mintTo(tx, a, borrow);
    add(tx, "feePool", fee);
    add(tx, "zkusdSupply", fee);
    tx.events.push({ type: "DebtMinted", owner, amount: borrow, fee, debt: newDebt });
    if (fee > 0n)
      tx.events.push({ type: "FeePaid", account: owner, kind: "borrowing", amount: fee, asset: "zkUSD" });
  } else if (repay > 0n) {
    add(tx, "activeDebt", -repay);
    burnFrom(tx, a, repay);
    tx.events.push({ type: "DebtRepaid", owner, amount: repay, debt: newDebt });
  }
  if (isCollIncrease) {
    add(tx, "activeColl", deposit);
    tx.events.push({ type: "CollateralDeposited", owner, amount: deposit, collateral: newColl });
  } else if (withdrawal > 0n) {
    add(tx, "activeColl", -withdrawal);
    paidSats = payOutCollateral(tx, withdrawal);
    tx.events.push({ type: "CollateralWithdrawn", owner, amount: withdrawal, collateral: newColl, paidSats });
  }
  return { fee, debt: newDebt, paidSats };
}

/** Collateral top-up used by claimGainsToVault (Liquity moveETHGainToTrove → _adjustTrove). */
export function topUpCollateral(tx: Tx, owner: AccountId, amount: bigint): void {
  adjustVault(tx, owner, { depositCollateral: amount });
}

export interface CloseResult {
  collateralReturned: bigint;
  zkusdRepaid: bigint;
  paidSats: bigint;
}

/** Liquity closeTrove. */
export function closeVault(tx: Tx, owner: AccountId): CloseResult {
  const s = tx.state;
  const p = s.params;
  const a = requireActiveVault(tx, owner);
  // After an emergency shutdown the system winds down: closing is allowed even in recovery mode.
  const windDown = s.gov.shutdown;
  require(windDown || !isRecoveryMode(s), "recoveryModeClose");
  applyPendingRewards(tx, a);
  const coll = a.coll;
  const debt = a.debt;
  const repaid = debt - p.gasReserve;
  // The last vault of a wind-down repays from the fee pool first: borrowing fees are zkUSD in the
  // supply that no wallet can ever hold, so without them the last debt could never be repaid in full.
  const fromFees = windDown && s.sorted.size === 1 ? min(s.g.feePool, repaid) : 0n;
  require(a.balance >=
    repaid - fromFees, "insufficientBalance", `closing needs ${repaid - fromFees} units of zkUSD`);
  if (!windDown) requireNewTCRAboveCCR(tx, newTCR(s, -coll, -debt));

  removeStake(tx, a);
  closeVaultRecord(tx, a, "closedByOwner");
  add(tx, "activeDebt", -debt);
  burnFrom(tx, a, repaid - fromFees);
  add(tx, "feePool", -fromFees);
  add(tx, "zkusdSupply", -fromFees);
  add(tx, "gasPool", -p.gasReserve);
  add(tx, "zkusdSupply", -p.gasReserve);
  add(tx, "activeColl", -coll);
  const paidSats = payOutCollateral(tx, coll);
  tx.events.push({ type: "VaultClosed", owner, collateralReturned: coll, zkusdRepaid: repaid, paidSats });
  return { collateralReturned: coll, zkusdRepaid: repaid, paidSats };
}

/**
 * Liquity _closeTrove: status, zeroed amounts and snapshots, out of the sorted list. Like Liquity's
 * `_requireMoreThanOneTroveInSystem`, it refuses to close the last vault by any path (owner, liquidation,
 * redemption), so the whole operation fails; after a shutdown only liquidation keeps that rule.
 */
export function closeVaultRecord(
  tx: Tx,
  a: Account,
  status: "closedByOwner" | "closedByLiquidation" | "closedByRedemption",
): void {
  // After a shutdown no vault can open again, so the last one may close (by its owner or a redemption).
  const windDown = tx.state.gov.shutdown && status !== "closedByLiquidation";
  require(windDown || tx.state.sorted.size > 1, "onlyOneVault");
  setA(tx, a, "status", status);
  setA(tx, a, "coll", 0n);
  setA(tx, a, "debt", 0n);
  setA(tx, a, "snapshotLColl", 0n);
  setA(tx, a, "snapshotLDebt", 0n);
  sortedRemove(tx.state, tx.j, a);
  add(tx, "activeVaults", -1n);
}

/** Liquity claimCollateral: pays the owner's collateral surplus from liquidation or redemption. */
export function claimSurplus(tx: Tx, owner: AccountId): { amount: bigint; paidSats: bigint } {
  const a = findAccount(tx.state, owner);
  require(a !== undefined && a.surplus > 0n, "noCollateralSurplus");
  const amount = a!.surplus;
  setA(tx, a!, "surplus", 0n);
  add(tx, "surplusCollateral", -amount);
  const paidSats = payOutCollateral(tx, amount);
  tx.events.push({ type: "SurplusClaimed", owner, amount, paidSats });
  return { amount, paidSats };
}
