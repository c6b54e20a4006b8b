pragma circom 2.1.6;

// One owner's change to their own vault (open, adjust with any combination of deposit, withdraw,
// borrow and repay, close), proven about the vault's own stored record: no state root, no Merkle path,
// so no other user's spell can invalidate it (docs/zk.md "Vault proofs").
//
// Public (in this order):
//   recordBefore  = H(ownerHash, status, coll, debt, stake, snapshotLColl, snapshotLDebt), the engine's
//                   stored record of the vault before the operation (status 0 none, 1 active, 2 closed
//                   by owner, 3 by liquidation, 4 by redemption; amounts without pending rewards)
//   recordAfter   = the same hash of the stored record after it
//   operationHash = H(kind, deposit, withdraw, borrow, repay, fee, maxFee), kind 1 open, 2 adjust, 3 close;
//                   an open's collateral is its deposit; fee is the declared borrowing fee (docs/zk.md)
//   contextHash   = H(price, MCR + CCR * 2^64 + borrowingFeeFloor * 2^128 + recoveryMode * 2^188
//                     + flags * 2^189, gasReserve + minNetDebt * 2^112, L_collateral, L_debt,
//                     totalStakesSnapshot, totalCollateralSnapshot): what the engine reads from the
//                   global state, as of before the operation, with recoveryMode = (TCR < CCR) and
//                   flags = paused + 2 * shutdown (the small values packed into two words: one hash)
// H is circomlib's Poseidon(7), the only width used (one width keeps the wasm small).
//
// It proves the vault-local rules of src/protocol/borrower.ts: pending redistribution applied, the
// collateral ratio at the price against MCR (normal mode) or CCR and the old ratio (recovery mode), no
// withdrawal in recovery mode, minimum net debt, the declared fee's arithmetic (0 without borrowing, at
// least the floor rate in normal mode, within the accepted maximum), pause and shutdown, the new stake,
// snapshots and status. The engine stays the rule for everything global (totals, the new TCR, the base
// rate and the fee it requires, balances, the sorted list) and checks recordBefore and recordAfter
// against its own records. Every value the circuit computes with is range-checked (issue 14).

include "./gadgets.circom";

template VaultOp() {
    var AMT = 112;      // amounts (18 decimals) < 2^112 (the engine's MAX_AMOUNT)
    var PRICE = 96;     // USD per BTC x 1e18 < 2^96
    var RATIO = 64;     // MCR, CCR x 1e18 < 2^64
    var LBITS = 140;    // L terms and snapshots < 2^140
    var ICR = 124;      // collateral ratios x 1e18 < 2^124
    var ONE = 1000000000000000000;

    // public
    signal input recordBefore;
    signal input recordAfter;
    signal input operationHash;
    signal input contextHash;

    // the stored record before
    signal input ownerHash;
    signal input status;
    signal input coll;
    signal input debt;
    signal input stake;
    signal input snapColl;
    signal input snapDebt;
    // the operation
    signal input kind;
    signal input deposit;
    signal input withdraw;
    signal input borrow;
    signal input repay;
    signal input fee;
    signal input maxFee;
    // the context
    signal input price;
    signal input MCR;
    signal input CCR;
    signal input gasReserve;
    signal input minNetDebt;
    signal input feeFloor;
    signal input Lcoll;
    signal input Ldebt;
    signal input stakesSnapshot;
    signal input collSnapshot;
    signal input recovery;
    signal input flags;

    // ---- hashes
    signal before <== Poseidon(7)([ownerHash, status, coll, debt, stake, snapColl, snapDebt]);
    recordBefore === before; // rule: recordBeforeMismatch
    signal opHash <== Poseidon(7)([kind, deposit, withdraw, borrow, repay, fee, maxFee]);
    operationHash === opHash; // rule: operationHashMismatch
    // the packing is one-to-one because every part is range-checked below (MCR, CCR < 2^64, feeFloor
    // <= 1e18 < 2^60, recovery 0 or 1, flags < 4; gasReserve, minNetDebt < 2^112)
    signal ratios <== MCR + CCR * 2**64 + feeFloor * 2**128 + recovery * 2**188 + flags * 2**189;
    signal debts <== gasReserve + minNetDebt * 2**112;
    signal context <== Poseidon(7)([price, ratios, debts, Lcoll, Ldebt, stakesSnapshot, collSnapshot]);
    contextHash === context; // rule: contextHashMismatch

    // ---- every value computed with is in range
    Range(3)(status); // rule: stateOutOfRange
    Range(AMT)(coll); Range(AMT)(debt); Range(AMT)(stake); Range(LBITS)(snapColl); Range(LBITS)(snapDebt); // rule: stateOutOfRange
    Range(PRICE)(price); Range(RATIO)(MCR); Range(RATIO)(CCR); Range(AMT)(gasReserve); Range(AMT)(minNetDebt); // rule: stateOutOfRange
    AtMost(60, ONE)(feeFloor); Range(LBITS)(Lcoll); Range(LBITS)(Ldebt); Range(AMT)(stakesSnapshot); Range(AMT)(collSnapshot); // rule: stateOutOfRange
    recovery * (recovery - 1) === 0; // rule: stateOutOfRange
    component gov = GovernanceFlags();
    gov.flags <== flags;
    Range(AMT)(deposit); Range(AMT)(withdraw); Range(AMT)(borrow); Range(AMT)(repay); Range(AMT)(fee); Range(AMT)(maxFee); // rule: amountOutOfRange

    // ---- the kind
    signal isOpen <== IsEqual()([kind, 1]);
    signal isAdjust <== IsEqual()([kind, 2]);
    signal isClose <== IsEqual()([kind, 3]);
    isOpen + isAdjust + isClose === 1; // rule: unknownKind
    signal isActive <== IsEqual()([status, 1]);
    isOpen * isActive === 0; // rule: vaultExists
    (1 - isOpen) * (1 - isActive) === 0; // rule: vaultNotActive

    signal depositZ <== IsZero()(deposit);
    signal depositNZ <== 1 - depositZ;
    signal withdrawZ <== IsZero()(withdraw);
    signal withdrawNZ <== 1 - withdrawZ;
    signal borrowZ <== IsZero()(borrow);
    signal borrowNZ <== 1 - borrowZ;
    signal repayZ <== IsZero()(repay);
    signal repayNZ <== 1 - repayZ;
    borrowNZ * repayNZ === 0; // rule: borrowAndRepay
    depositNZ * withdrawNZ === 0; // rule: depositAndWithdrawCollateral
    signal noCollChange <== (1 - depositNZ) * (1 - withdrawNZ);
    signal noDebtChange <== (1 - borrowNZ) * (1 - repayNZ);
    signal noChange <== noCollChange * noDebtChange;
    isAdjust * noChange === 0; // rule: zeroAdjustment
    isOpen * (withdraw + repay) === 0; // rule: malformedOperation
    isClose * (deposit + withdraw + borrow + repay + fee + maxFee) === 0; // rule: malformedOperation

    // ---- governance: pause and shutdown refuse new debt (engine requireOperationAllowed)
    signal newDebt <== isOpen + isAdjust * borrowNZ;
    newDebt * gov.paused === 0; // rule: paused
    newDebt * gov.shutdown === 0; // rule: shutdown
    // no close in recovery mode, except in the wind-down after a shutdown
    signal closeInRecovery <== isClose * recovery;
    closeInRecovery * (1 - gov.shutdown) === 0; // rule: recoveryModeClose

    // ---- pending redistribution rewards (Liquity _applyPendingRewards), an active vault only, when its
    // collateral snapshot is below L_collateral: floor(stake * (L - snapshot) / 1e18), rounding down so no
    // more is moved than the default pool holds
    signal behind <== Lt(LBITS)(snapColl, Lcoll);
    signal hasPending <== isActive * behind;
    signal dLc <== hasPending * (Lcoll - snapColl);
    signal dLd <== hasPending * (Ldebt - snapDebt);
    Range(LBITS)(dLd); // rule: stateOutOfRange
    signal pendingColl <== FloorDivConst(AMT, ONE, 60)(stake * dLc);
    signal pendingDebt <== FloorDivConst(AMT, ONE, 60)(stake * dLd);
    // an open starts from nothing; adjust and close from the record with its pending rewards
    signal coll1 <== isActive * (coll + pendingColl);
    signal debt1 <== isActive * (debt + pendingDebt);

    // ---- the declared fee: none without borrowing; in normal mode at least the floor rate (the engine
    // requires at least its current rate, floor + decayed base rate); within the accepted maximum,
    // floor(fee * 1e18 / borrow) <= maxFee, with floor <= maxFee <= 1e18 (recovery: maxFee <= 1e18)
    (1 - borrowNZ) * fee === 0; // rule: feeWithoutBorrowing
    signal minFee <== FloorDivConst(AMT, ONE, 60)(feeFloor * borrow);
    signal feeBelowFloor <== Lt(AMT)(fee, minFee);
    (1 - recovery) * feeBelowFloor === 0; // rule: feeBelowCurrent
    signal maxFeeAboveOne <== Lt(AMT)(ONE, maxFee);
    newDebt * maxFeeAboveOne === 0; // rule: invalidMaxFee
    signal maxFeeBelowFloor <== Lt(AMT)(maxFee, feeFloor);
    signal newDebtNormal <== newDebt * (1 - recovery);
    newDebtNormal * maxFeeBelowFloor === 0; // rule: invalidMaxFee
    signal feeOverMax <== Lt(AMT + 61)((maxFee + 1) * borrow, fee * ONE + 1);
    borrowNZ * feeOverMax === 0; // rule: feeExceedsMaximum

    // ---- the new record (a close leaves zeros: its amounts are all 0 and coll1 = debt1 = 0 is not used)
    signal keeps <== 1 - isClose;
    signal collNew <== coll1 + deposit - withdraw;
    signal debtNew <== debt1 + isOpen * gasReserve + borrow + fee - repay;
    signal coll2 <== keeps * collNew;
    signal debt2 <== keeps * debtNew;
    Range(AMT)(coll2); // rule: withdrawExceedsCollateral
    Range(AMT)(debt2); // rule: amountOutOfRange
    // net debt: an open's borrow + fee, a repayment's remaining debt - gas reserve, at least minNetDebt
    signal netOpen <== isOpen * (borrow + fee - minNetDebt);
    Range(AMT)(netOpen); // rule: belowMinimumNetDebt
    signal netRepay <== repayNZ * (debt1 - gasReserve - repay - minNetDebt);
    Range(AMT)(netRepay); // rule: belowMinimumNetDebt
    // Liquity openTrove: a normal-mode open borrows something
    signal openNormal <== isOpen * (1 - recovery);
    openNormal * (1 - borrowNZ) === 0; // rule: belowMinimumNetDebt

    // ---- collateral ratio at the price (Liquity _requireValidAdjustmentInCurrentMode); floor(ICR) >= R
    // exactly when coll * price >= R * debt, R an integer
    signal collValue2 <== coll2 * price;
    signal belowMcr <== Lt(AMT + PRICE + 1)(collValue2, MCR * debt2);
    signal keepsNormal <== keeps * (1 - recovery);
    keepsNormal * belowMcr === 0; // rule: belowMinimumCollateralRatio
    recovery * withdrawNZ === 0; // rule: recoveryModeCollateralWithdrawal
    signal belowCcr <== Lt(AMT + PRICE + 1)(collValue2, CCR * debt2);
    signal newDebtRecovery <== newDebt * recovery;
    newDebtRecovery * belowCcr === 0; // rule: belowCriticalCollateralRatio
    // a recovery-mode borrow must not lower the ratio: coll2 * price >= floor(coll1 * price / debt1) * debt2
    signal debt1IsZero <== IsZero()(debt1);
    // (ICR x 1e18 < 2^124: a vault worth more than 2 x 10^19 times its debt cannot be proven)
    signal oldIcr <== FloorDiv(ICR, AMT + 1)(coll1 * price, debt1 + debt1IsZero);
    signal icrDecreased <== Lt(ICR + AMT + 1)(collValue2, oldIcr * debt2);
    signal borrowRecovery <== newDebtRecovery * isAdjust;
    borrowRecovery * icrDecreased === 0; // rule: recoveryModeCollateralRatioDecrease

    // ---- stake (Liquity _computeNewStake): coll if totalCollateralSnapshot == 0, else
    // floor(coll * totalStakesSnapshot / totalCollateralSnapshot) (0 after a close: coll2 = 0)
    signal snapshotIsZero <== IsZero()(collSnapshot);
    signal scaled <== FloorDiv(AMT, AMT)(coll2 * stakesSnapshot, collSnapshot + snapshotIsZero);
    signal stake2 <== scaled + snapshotIsZero * (coll2 - scaled);
    // ---- snapshots: an open takes L, an adjustment with pending rewards too, a close zeroes them
    signal takesL <== isOpen + hasPending * isAdjust;
    signal keepsSnap <== isAdjust * (1 - hasPending);
    signal newSnapColl <== takesL * Lcoll;
    signal newSnapDebt <== takesL * Ldebt;
    signal snapColl2 <== newSnapColl + keepsSnap * snapColl;
    signal snapDebt2 <== newSnapDebt + keepsSnap * snapDebt;
    signal status2 <== 1 + isClose;

    signal after <== Poseidon(7)([ownerHash, status2, coll2, debt2, stake2, snapColl2, snapDebt2]);
    recordAfter === after; // rule: recordAfterMismatch
}
