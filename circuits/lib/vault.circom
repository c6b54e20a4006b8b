pragma circom 2.1.6;

// One vault adjustment (Liquity v1 adjustTrove with a single kind of change) proven against the
// state root of docs/state-root.md. KIND: 1 deposit, 2 withdraw, 3 mint, 4 repay.
//
// Public: oldRoot, newRoot, operationHash = Poseidon(KIND, ownerHash, amount, maxFee, time),
// attestationHash = Poseidon(price, timestamp, round). Everything else is private.
//
// Old-state values are bounded by induction (the old root was produced by proven transitions, each of
// which range-checks every value it writes), so only values written here and the operation's own
// arguments are range-checked.

include "./gadgets.circom";

template VaultAdjust(KIND) {
    var DEPTH = 10;     // 4-ary accounts tree
    var AMT = 112;      // amounts (18 decimals) < 2^112
    var PRICE = 96;     // USD per BTC x 1e18 < 2^96
    var RATIO = 64;     // ratios and fee rates x 1e18 < 2^64
    var LDIFF = 140;    // L - snapshot < 2^140
    var ONE = 1000000000000000000;
    var HALF = 500000000000000000;
    var DECAY_BITS = 16;

    // public
    signal input oldRoot;
    signal input newRoot;
    signal input operationHash;
    signal input attestationHash;

    // operation
    signal input ownerHash;
    signal input amount;
    signal input maxFee;
    signal input time;
    // attestation
    signal input price;
    signal input attTimestamp;
    signal input attRound;
    // state
    signal input g[32];
    signal input params[17];
    signal input allowancesRoot;
    signal input sumsRoot;
    signal input governanceHash;
    // Poseidon of the global fields and parameters a vault adjustment neither reads nor writes
    // (docs/state-root.md); the matching entries of g and params are not used.
    signal input otherGlobalsHash;
    signal input otherParamsHash;
    signal input coll;
    signal input debt;
    signal input stake;
    signal input snapColl;
    signal input snapDebt;
    // balance, depositInitial, depositP, depositS, depositEpoch, depositScale, collateralSurplus
    signal input account[7];
    signal input siblings[3 * DEPTH];
    signal input positions[DEPTH];

    // ---- operation and attestation hashes
    signal opHash <== Poseidon(5)([KIND, ownerHash, amount, maxFee, time]);
    operationHash === opHash; // rule: operationHashMismatch
    signal attHash <== Poseidon(3)([price, attTimestamp, attRound]);
    attestationHash === attHash; // rule: attestationHashMismatch
    Range(AMT)(amount); // rule: amountOutOfRange
    // the engine values the operation at the state's price (set from the cited attestation)
    price === g[0]; // rule: priceMismatch
    Range(PRICE)(price); // rule: priceOutOfRange
    // time never goes backwards (engine timeWentBackwards)
    Range(64)(time - g[1]); // rule: timeWentBackwards
    component amountIsZero = IsZero();
    amountIsZero.in <== amount;
    amountIsZero.out === 0; // rule: zeroAmount
    if (KIND != 3) { maxFee === 0; } // rule: malformedInput

    signal MCR <== params[0];
    signal CCR <== params[1];
    signal gasReserve <== params[2];
    signal minNetDebt <== params[3];

    // ---- pending redistribution rewards (Liquity getPendingETHReward / getPendingLUSDDebtReward):
    // floor(stake * (L - snapshot) / 1e18), rounding down so no more is moved than the default pool holds.
    signal dLc <== g[10] - snapColl;
    signal dLd <== g[11] - snapDebt;
    Range(LDIFF)(dLc);
    Range(LDIFF)(dLd);
    // applied only when snapshot < L_collateral (Liquity hasPendingRewards / engine applyPendingRewards);
    // dLc is range-checked, so snapshot < L_collateral exactly when dLc != 0
    signal noPending <== IsZero()(dLc);
    signal hasPending <== 1 - noPending;
    signal pcFull <== FloorDivConst(AMT, ONE, 60)(stake * dLc);
    signal pdFull <== FloorDivConst(AMT, ONE, 60)(stake * dLd);
    signal pendingColl <== hasPending * pcFull;
    signal pendingDebt <== hasPending * pdFull;
    signal snapColl2 <== snapColl + hasPending * (g[10] - snapColl);
    signal snapDebt2 <== snapDebt + hasPending * (g[11] - snapDebt);
    signal coll1 <== coll + pendingColl;
    signal debt1 <== debt + pendingDebt;

    // ---- mode: recovery iff TCR < CCR, i.e. totalColl * price < CCR * totalDebt (exact for floor(TCR))
    signal totalColl <== g[3] + g[5];
    signal totalDebt <== g[4] + g[6];
    signal recovery <== Lt(AMT + PRICE + 1)(totalColl * price, CCR * totalDebt);

    // ---- the change
    signal coll2;
    signal debt2;
    signal fee;
    signal balance2;
    signal supply2;
    signal baseRate2;
    signal lastFeeTime2;
    signal dustAdded;
    if (KIND != 2) { dustAdded <== 0; }
    if (KIND == 1) {
        coll2 <== coll1 + amount;
        debt2 <== debt1;
    } else if (KIND == 2) {
        coll2 <== coll1 - amount;
        // the payout rounds down to whole satoshis; the remainder goes to dust (engine payOutCollateral)
        signal sats <== FloorDivConst(AMT, 10000000000, 34)(amount);
        dustAdded <== amount - sats * 10000000000;
        debt2 <== debt1;
        recovery === 0; // rule: recoveryModeCollateralWithdrawal // no collateral withdrawal in recovery mode
    } else if (KIND == 3) {
        coll2 <== coll1; // debt2 is set once the fee is known
    } else {
        coll2 <== coll1;
        debt2 <== debt1 - amount;
    }
    if (KIND == 3) {
        // base rate decay (Liquity _calcDecayedBaseRate with _decPow): minutes = floor(dt / 60);
        // factor^minutes by squaring with decMul = floor((a*b + 1e18/2) / 1e18). The squares of the
        // default factor are circuit constants; the 16th square rounds to 0, so minutes >= 2^16 gives 0.
        params[9] === 999037758833783000;
        params[13] === 0; // utilization premium off (Liquity behaviour)
        signal dt <== time - g[22];
        Range(64)(dt); // rule: timeWentBackwards
        signal minutes <== FloorDivConst(64, 60, 6)(dt);
        component mbits = Num2Bits(64);
        mbits.in <== minutes;
        var highSum = 0;
        for (var i = DECAY_BITS; i < 64; i++) highSum += mbits.out[i];
        signal highIsZero <== IsZero()(highSum);
        var C[DECAY_BITS] = decayPowers();
        signal y[DECAY_BITS + 1];
        signal t[DECAY_BITS];
        y[0] <== ONE;
        for (var i = 0; i < DECAY_BITS; i++) {
            t[i] <== FloorDivConst(61, ONE, 60)(C[i] * y[i] + HALF);
            y[i + 1] <== y[i] + mbits.out[i] * (t[i] - y[i]);
        }
        signal factor <== y[DECAY_BITS] * highIsZero;
        signal decayed <== FloorDivConst(64, ONE, 60)(g[21] * factor);
        // borrowing rate = min(floor + decayed base rate, cap); fee = floor(rate * amount / 1e18)
        signal rateSum <== params[5] + decayed;
        signal belowCap <== Lt(RATIO)(rateSum, params[6]);
        signal rate <== params[6] + belowCap * (rateSum - params[6]);
        signal feeNormal <== FloorDivConst(AMT, ONE, 60)(rate * amount);
        fee <== (1 - recovery) * feeNormal;
        debt2 <== debt1 + amount + fee;
        // max fee: floor <= maxFee <= 1e18 in normal mode, maxFee <= 1e18 in recovery mode, and the
        // fee as a fraction of the amount (floor(fee * 1e18 / amount)) <= maxFee.
        Range(RATIO)(maxFee);
        signal maxFeeAboveOne <== Lt(RATIO)(ONE, maxFee);
        maxFeeAboveOne === 0; // rule: invalidMaxFee
        signal maxFeeBelowFloor <== Lt(RATIO)(maxFee, params[5]);
        (1 - recovery) * maxFeeBelowFloor === 0; // rule: invalidMaxFee
        signal feeWithinMax <== Lt(AMT + RATIO + 1)(fee * ONE, (maxFee + 1) * amount);
        feeWithinMax === 1; // rule: feeExceedsMaximum
        // base rate and last fee time change only when a fee is charged (normal mode)
        baseRate2 <== g[21] + (1 - recovery) * (decayed - g[21]);
        signal minutesIsZero <== IsZero()(minutes);
        signal updateTime <== (1 - recovery) * (1 - minutesIsZero);
        lastFeeTime2 <== g[22] + updateTime * (time - g[22]);
        balance2 <== account[0] + amount;
        supply2 <== g[28] + amount + fee;
    } else if (KIND == 4) {
        fee <== 0;
        baseRate2 <== g[21];
        lastFeeTime2 <== g[22];
        balance2 <== account[0] - amount;
        Range(AMT)(balance2); // rule: insufficientBalance
        supply2 <== g[28] - amount;
        // Liquity _requireValidLUSDRepayment + _requireAtLeastMinNetDebt: debt - gas - repay >= minNetDebt
        Range(AMT)(debt1 - gasReserve - amount - minNetDebt); // rule: belowMinimumNetDebt
    } else {
        fee <== 0;
        baseRate2 <== g[21];
        lastFeeTime2 <== g[22];
        balance2 <== account[0];
        supply2 <== g[28];
    }

    Range(AMT)(coll2); // rule: withdrawExceedsCollateral
    Range(AMT)(debt2);

    // ---- rules (Liquity _requireValidAdjustmentInCurrentMode)
    signal collValue2 <== coll2 * price;
    signal icrBelowMcr <== Lt(AMT + PRICE + 1)(collValue2, MCR * debt2);
    (1 - recovery) * icrBelowMcr === 0; // rule: belowMinimumCollateralRatio // normal mode: new ICR >= MCR
    // new TCR: must stay >= CCR in normal mode (implied for deposit and repay, which only raise it),
    // and is the recovery-mode flag the engine stores after the operation
    signal totalColl2 <== totalColl + coll2 - coll1;
    signal totalDebt2 <== totalDebt + debt2 - debt1;
    signal recoveryAfter <== Lt(AMT + PRICE + 2)(totalColl2 * price, CCR * totalDebt2);
    if (KIND == 2 || KIND == 3) {
        (1 - recovery) * recoveryAfter === 0; // rule: totalCollateralRatioBelowCritical
    }
    if (KIND == 3) {
        // recovery mode debt increase: new ICR >= CCR and new ICR >= old ICR
        signal icrBelowCcr <== Lt(AMT + PRICE + 1)(collValue2, CCR * debt2);
        recovery * icrBelowCcr === 0; // rule: belowCriticalCollateralRatio
        signal oldIcr <== FloorDiv(124, AMT)(coll1 * price, debt1);
        signal icrDecreased <== Lt(AMT + 124 + 1)(collValue2, oldIcr * debt2);
        recovery * icrDecreased === 0; // rule: recoveryModeCollateralRatioDecrease
    }

    // ---- stake (Liquity _computeNewStake): coll if totalCollateralSnapshot == 0,
    // else floor(coll * totalStakesSnapshot / totalCollateralSnapshot)
    signal tcsIsZero <== IsZero()(g[9]);
    signal scaled <== FloorDiv(AMT, AMT)(coll2 * g[8], g[9] + tcsIsZero);
    signal stake2 <== scaled + tcsIsZero * (coll2 - scaled);

    // ---- new globals
    signal g2[32];
    for (var i = 0; i < 32; i++) {
        if (i == 0) { g2[i] <== price; }
        else if (i == 1) { g2[i] <== time; }
        else if (i == 3) { g2[i] <== g[3] + coll2 - coll; }         // active += pending + change
        else if (i == 4) { g2[i] <== g[4] + debt2 - debt; }
        else if (i == 5) { g2[i] <== g[5] - pendingColl; }
        else if (i == 6) { g2[i] <== g[6] - pendingDebt; }
        else if (i == 7) { g2[i] <== g[7] + stake2 - stake; }
        else if (i == 21) { g2[i] <== baseRate2; }
        else if (i == 22) { g2[i] <== lastFeeTime2; }
        else if (i == 24) { g2[i] <== g[24] + fee; }
        else if (i == 27) { g2[i] <== g[27] + dustAdded; }
        else if (i == 28) { g2[i] <== supply2; }
        else if (i == 31) { g2[i] <== recoveryAfter; }
        else { g2[i] <== g[i]; }
    }
    Range(AMT)(g2[3]);
    Range(AMT)(g2[4]);
    Range(AMT)(g2[5]);
    Range(AMT)(g2[6]);
    Range(AMT)(g2[7]);
    if (KIND == 2) { Range(AMT)(g2[27]); }
    if (KIND == 3) {
        Range(AMT)(balance2);
        Range(AMT)(g2[24]);
        Range(AMT)(g2[28]);
        Range(RATIO)(g2[21]);
    }

    // ---- leaves, accounts tree, state roots
    // leaf = Poseidon(ownerHash, status, coll, debt, stake, snapshots, the seven account fields);
    // status 1: the vault is active before and after
    signal leafOld <== AccountLeaf()(ownerHash, 1, [coll, debt, stake, snapColl, snapDebt], account);
    signal account2[7];
    account2[0] <== balance2;
    for (var i = 1; i < 7; i++) account2[i] <== account[i];
    signal leafNew <== AccountLeaf()(ownerHash, 1, [coll2, debt2, stake2, snapColl2, snapDebt2], account2);
    component tree = MerkleUpdate4(DEPTH);
    tree.oldLeaf <== leafOld;
    tree.newLeaf <== leafNew;
    tree.siblings <== siblings;
    tree.positions <== positions;
    // everything but the accounts tree and the vault globals is unchanged: hashed once
    signal vaultInputsHash <== VaultInputs()(g, params);
    signal restHash <== RestHash()(allowancesRoot, sumsRoot, vaultInputsHash, otherGlobalsHash, otherParamsHash, governanceHash);
    signal vaultGlobalsOld <== VaultGlobals()(g);
    signal vaultGlobalsNew <== VaultGlobals()(g2);
    signal rootBefore <== StateRoot()(tree.oldRoot, vaultGlobalsOld, restHash);
    signal rootAfter <== StateRoot()(tree.newRoot, vaultGlobalsNew, restHash);
    oldRoot === rootBefore; // rule: oldRootMismatch
    newRoot === rootAfter; // rule: newRootMismatch
}

// x_0 = 0.999037758833783 (x 1e18), x_{i+1} = decMul(x_i, x_i): the squarings of Liquity's _decPow.
function decayPowers() {
    var C[16];
    var x = 999037758833783000;
    for (var i = 0; i < 16; i++) {
        C[i] = x;
        x = (x * x + 500000000000000000) \ 1000000000000000000;
    }
    return C;
}
