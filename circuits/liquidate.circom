pragma circom 2.1.6;

// liquidate: the vault of ownerHash is in the old state root and is liquidatable at the attested price
// (Liquity v1 batchLiquidateTroves for one vault, pending rewards applied):
//   normal mode:   ICR < MCR
//   recovery mode: ICR < MCR, or MCR <= ICR < TCR with the whole debt covered by the stability pool
// and, in recovery mode, the system keeps at least one other active vault (as the engine).
// Public: oldRoot, operationHash = Poseidon(5, ownerHash, liquidatorHash, 0, time), attestationHash.
// It proves eligibility only: the liquidation's effects (offset, redistribution, compensation) are
// deterministic in the old state and the price and are applied by the engine (docs/zk.md).

include "./lib/gadgets.circom";

template Liquidate() {
    var DEPTH = 10;     // 4-ary accounts tree
    var AMT = 112;
    var PRICE = 96;
    var ICR_BITS = 124;

    signal input oldRoot;
    signal input operationHash;
    signal input attestationHash;

    signal input ownerHash;
    signal input liquidatorHash;
    signal input time;
    signal input price;
    signal input attTimestamp;
    signal input attRound;
    signal input g[32];
    signal input params[17];
    signal input allowancesRoot;
    signal input sumsRoot;
    signal input governanceHash;
    // Poseidon of the parameters liquidation eligibility does not read (docs/state-root.md)
    signal input otherParamsHash;
    signal input coll;
    signal input debt;
    signal input stake;
    signal input snapColl;
    signal input snapDebt;
    signal input account[7];
    signal input siblings[3 * DEPTH];
    signal input positions[DEPTH];

    signal opHash <== Poseidon(5)([5, ownerHash, liquidatorHash, 0, time]);
    operationHash === opHash; // rule: operationHashMismatch
    signal attHash <== Poseidon(3)([price, attTimestamp, attRound]);
    attestationHash === attHash; // rule: attestationHashMismatch
    price === g[0]; // rule: priceMismatch
    Range(PRICE)(price); // rule: priceOutOfRange
    Range(64)(time - g[1]); // rule: timeWentBackwards

    // pending redistribution rewards, rounded down as the engine does
    signal dLc <== g[10] - snapColl;
    signal dLd <== g[11] - snapDebt;
    Range(140)(dLc);
    Range(140)(dLd);
    signal pendingColl <== FloorDivConst(AMT, 1000000000000000000, 60)(stake * dLc);
    signal pendingDebt <== FloorDivConst(AMT, 1000000000000000000, 60)(stake * dLd);
    signal coll1 <== coll + pendingColl;
    signal debt1 <== debt + pendingDebt;


    signal totalColl <== g[3] + g[5];
    signal totalDebt <== g[4] + g[6];
    signal recovery <== Lt(AMT + PRICE + 1)(totalColl * price, params[1] * totalDebt);
    signal collValue <== coll1 * price;
    signal icrBelowMcr <== Lt(AMT + PRICE + 1)(collValue, params[0] * debt1);
    // floor(ICR) < floor(TCR), both as the engine computes them
    signal icr <== FloorDiv(ICR_BITS, AMT)(collValue, debt1);
    signal tcr <== FloorDiv(ICR_BITS, AMT + 1)(totalColl * price, totalDebt);
    signal icrBelowTcr <== Lt(ICR_BITS)(icr, tcr);
    signal poolShort <== Lt(AMT + 1)(g[14], debt1);
    signal cappedCase <== icrBelowTcr * (1 - poolShort);
    // recovery mode never liquidates the last active vault
    signal onlyVault <== Lt(32)(g[29], 2);
    signal recoveryOk <== recovery * (1 - onlyVault);
    signal mcrCase <== icrBelowMcr * (1 - recovery + recoveryOk);
    signal recoveryCase <== recoveryOk * (1 - icrBelowMcr);
    signal eligible <== mcrCase + recoveryCase * cappedCase;
    eligible === 1; // rule: nothingToLiquidate

    signal leaf <== AccountLeaf()(ownerHash, 1, [coll, debt, stake, snapColl, snapDebt], account);
    component tree = MerkleRoot4(DEPTH);
    tree.leaf <== leaf;
    tree.siblings <== siblings;
    tree.positions <== positions;
    signal vaultInputsHash <== VaultInputs()(g, params);
    signal otherGlobalsHash <== OtherGlobals()(g);
    signal restHash <== RestHash()(allowancesRoot, sumsRoot, vaultInputsHash, otherGlobalsHash, otherParamsHash, governanceHash);
    signal vaultGlobalsHash <== VaultGlobals()(g);
    signal root <== StateRoot()(tree.root, vaultGlobalsHash, restHash);
    oldRoot === root; // rule: oldRootMismatch
}

component main {public [oldRoot, operationHash, attestationHash]} = Liquidate();
