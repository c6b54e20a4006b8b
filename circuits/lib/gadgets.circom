pragma circom 2.1.6;

// Shared gadgets for zkUSD circuits. Bounds (docs/zk.md): amounts < 2^112, prices < 2^96,
// ratios and fee rates < 2^64, reward-per-stake differences < 2^140; every product stays below 2^253.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// in < 2^n.
template Range(n) {
    signal input in;
    component bits = Num2Bits(n);
    bits.in <== in;
}

// out = 1 if a < b else 0; the caller guarantees a, b < 2^n (n <= 252).
template Lt(n) {
    signal input a;
    signal input b;
    signal output out;
    out <== LessThan(n)([a, b]);
}

// q = floor(num / D) for a constant D < 2^dBits, q < 2^qBits; requires qBits + dBits < 252.
// Written as num == q*D + r with 0 <= r < D, exactly as the engine's floor division.
template FloorDivConst(qBits, D, dBits) {
    signal input num;
    signal output q;
    signal r;
    q <-- num \ D;
    r <-- num % D;
    num === q * D + r;
    component qRange = Range(qBits);
    qRange.in <== q;
    component rRange = Range(dBits);
    rRange.in <== r;
    component rLtD = Lt(dBits);
    rLtD.a <== r;
    rLtD.b <== D;
    rLtD.out === 1;
}

// q = floor(num / d) for 0 < d < 2^dBits, q < 2^qBits; requires qBits + dBits < 252.
template FloorDiv(qBits, dBits) {
    signal input num;
    signal input d;
    signal output q;
    signal r;
    q <-- num \ d;
    r <-- num % d;
    num === q * d + r;
    component qRange = Range(qBits);
    qRange.in <== q;
    component rRange = Range(dBits);
    rRange.in <== r;
    component rLtD = Lt(dBits);
    rLtD.a <== r;
    rLtD.b <== d;
    rLtD.out === 1;
}

// Root of a depth-`depth` Poseidon(2) Merkle tree before and after replacing one leaf on one shared
// path (bits[i] = 1: the current node is the right child at level i).
template MerkleUpdate(depth) {
    signal input oldLeaf;
    signal input newLeaf;
    signal input siblings[depth];
    signal input bits[depth];
    signal output oldRoot;
    signal output newRoot;
    signal o[depth + 1];
    signal n[depth + 1];
    signal oL[depth];
    signal oR[depth];
    signal nL[depth];
    signal nR[depth];
    component ho[depth];
    component hn[depth];
    o[0] <== oldLeaf;
    n[0] <== newLeaf;
    for (var i = 0; i < depth; i++) {
        bits[i] * (bits[i] - 1) === 0;
        oL[i] <== o[i] + bits[i] * (siblings[i] - o[i]);
        oR[i] <== siblings[i] + o[i] - oL[i];
        nL[i] <== n[i] + bits[i] * (siblings[i] - n[i]);
        nR[i] <== siblings[i] + n[i] - nL[i];
        ho[i] = Poseidon(2);
        ho[i].inputs[0] <== oL[i];
        ho[i].inputs[1] <== oR[i];
        o[i + 1] <== ho[i].out;
        hn[i] = Poseidon(2);
        hn[i].inputs[0] <== nL[i];
        hn[i].inputs[1] <== nR[i];
        n[i + 1] <== hn[i].out;
    }
    oldRoot <== o[depth];
    newRoot <== n[depth];
}

// Root of a depth-`depth` Poseidon(2) Merkle tree over one leaf (membership only).
template MerkleRoot(depth) {
    signal input leaf;
    signal input siblings[depth];
    signal input bits[depth];
    signal output root;
    signal c[depth + 1];
    signal L[depth];
    signal R[depth];
    component h[depth];
    c[0] <== leaf;
    for (var i = 0; i < depth; i++) {
        bits[i] * (bits[i] - 1) === 0;
        L[i] <== c[i] + bits[i] * (siblings[i] - c[i]);
        R[i] <== siblings[i] + c[i] - L[i];
        h[i] = Poseidon(2);
        h[i].inputs[0] <== L[i];
        h[i].inputs[1] <== R[i];
        c[i + 1] <== h[i].out;
    }
    root <== c[depth];
}

// The 32 global fields in the engine's order (src/protocol/state.ts GLOBAL_FIELDS), hashed in four
// groups (docs/state-root.md): globalHash = Poseidon(G1, G2, G3, G4).
// G1 = g[0..6], g[28]; G2 = g[7..13]; G3 = g[14..20]; G4 = g[21..27], g[29..31].
template GlobalGroup1() { signal input g[32]; signal output out; out <== Poseidon(8)([g[0], g[1], g[2], g[3], g[4], g[5], g[6], g[28]]); }
template GlobalGroup2() { signal input g[32]; signal output out; out <== Poseidon(7)([g[7], g[8], g[9], g[10], g[11], g[12], g[13]]); }
template GlobalGroup3() { signal input g[32]; signal output out; out <== Poseidon(7)([g[14], g[15], g[16], g[17], g[18], g[19], g[20]]); }
template GlobalGroup4() { signal input g[32]; signal output out; out <== Poseidon(10)([g[21], g[22], g[23], g[24], g[25], g[26], g[27], g[29], g[30], g[31]]); }

template GlobalHash() {
    signal input g[32];
    signal output out;
    signal h1 <== GlobalGroup1()(g);
    signal h2 <== GlobalGroup2()(g);
    signal h3 <== GlobalGroup3()(g);
    signal h4 <== GlobalGroup4()(g);
    out <== Poseidon(4)([h1, h2, h3, h4]);
}

// paramsHash over the 17 parameters of PARAM_NAMES: Poseidon(Poseidon(p0..p15), Poseidon(p16)).
template ParamsHash() {
    signal input p[17];
    signal output out;
    component lo = Poseidon(16);
    for (var i = 0; i < 16; i++) lo.inputs[i] <== p[i];
    component hi = Poseidon(1);
    hi.inputs[0] <== p[16];
    out <== Poseidon(2)([lo.out, hi.out]);
}

// accountHash = Poseidon(balance, depositInitial, depositP, depositS, depositEpoch, depositScale,
// collateralSurplus), or 0 when all seven are zero.
template AccountHash() {
    signal input a[7];
    signal output out;
    component h = Poseidon(7);
    signal zeroCount[8];
    zeroCount[0] <== 0;
    component isZero[7];
    for (var i = 0; i < 7; i++) {
        h.inputs[i] <== a[i];
        isZero[i] = IsZero();
        isZero[i].in <== a[i];
        zeroCount[i + 1] <== zeroCount[i] + isZero[i].out;
    }
    component allZero = IsEqual();
    allZero.in[0] <== zeroCount[7];
    allZero.in[1] <== 7;
    out <== h.out * (1 - allZero.out);
}

// stateRoot = Poseidon(accountsRoot, allowancesRoot, sumsRoot, globalHash, paramsHash, governanceHash).
template StateRoot() {
    signal input accountsRoot;
    signal input allowancesRoot;
    signal input sumsRoot;
    signal input globalHash;
    signal input paramsHash;
    signal input governanceHash;
    signal output out;
    out <== Poseidon(6)([accountsRoot, allowancesRoot, sumsRoot, globalHash, paramsHash, governanceHash]);
}
