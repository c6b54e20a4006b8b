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

// One level of the 4-ary accounts tree: the position p = b0 + 2*b1 of the current node among its
// parent's four children and the three other children s[0..2] in order. The selector terms that do
// not depend on the node are shared by the old and new paths (Children4).
template Level4() {
    signal input position;
    signal input s[3];
    signal output e[4];     // e[j] = 1 iff p == j
    signal output t1;       // e0 * (s0 - s1)
    signal output t2;       // e3 * (s2 - s1)
    component bits = Num2Bits(2);
    bits.in <== position;
    e[3] <== bits.out[0] * bits.out[1];
    e[2] <== bits.out[1] - e[3];
    e[1] <== bits.out[0] - e[3];
    e[0] <== 1 - bits.out[0] - bits.out[1] + e[3];
    t1 <== e[0] * (s[0] - s[1]);
    t2 <== e[3] * (s[2] - s[1]);
}

// Parent of node x at one level: Poseidon(c0, c1, c2, c3) with x in slot p and the siblings in the
// other slots in order.
template Parent4() {
    signal input x;
    signal input s[3];
    signal input e[4];
    signal input t1;
    signal input t2;
    signal output out;
    signal c[4];
    c[0] <== s[0] + e[0] * (x - s[0]);
    c[1] <== s[1] + e[1] * (x - s[1]) + t1;
    c[2] <== s[1] + e[2] * (x - s[1]) + t2;
    c[3] <== s[2] + e[3] * (x - s[2]);
    out <== Poseidon(4)(c);
}

// Root of a depth-`depth` 4-ary Poseidon(4) Merkle tree before and after replacing one leaf on one
// shared path (positions[i] in 0..3, siblings[3*i .. 3*i+2] the other children at level i).
template MerkleUpdate4(depth) {
    signal input oldLeaf;
    signal input newLeaf;
    signal input siblings[3 * depth];
    signal input positions[depth];
    signal output oldRoot;
    signal output newRoot;
    signal o[depth + 1];
    signal n[depth + 1];
    component lv[depth];
    component po[depth];
    component pn[depth];
    o[0] <== oldLeaf;
    n[0] <== newLeaf;
    for (var i = 0; i < depth; i++) {
        lv[i] = Level4();
        lv[i].position <== positions[i];
        for (var j = 0; j < 3; j++) lv[i].s[j] <== siblings[3 * i + j];
        po[i] = Parent4();
        pn[i] = Parent4();
        po[i].x <== o[i];
        pn[i].x <== n[i];
        for (var j = 0; j < 3; j++) {
            po[i].s[j] <== siblings[3 * i + j];
            pn[i].s[j] <== siblings[3 * i + j];
        }
        po[i].e <== lv[i].e;
        pn[i].e <== lv[i].e;
        po[i].t1 <== lv[i].t1;
        pn[i].t1 <== lv[i].t1;
        po[i].t2 <== lv[i].t2;
        pn[i].t2 <== lv[i].t2;
        o[i + 1] <== po[i].out;
        n[i + 1] <== pn[i].out;
    }
    oldRoot <== o[depth];
    newRoot <== n[depth];
}

// Root of a depth-`depth` 4-ary Poseidon(4) Merkle tree over one leaf (membership only).
template MerkleRoot4(depth) {
    signal input leaf;
    signal input siblings[3 * depth];
    signal input positions[depth];
    signal output root;
    signal c[depth + 1];
    component lv[depth];
    component p[depth];
    c[0] <== leaf;
    for (var i = 0; i < depth; i++) {
        lv[i] = Level4();
        lv[i].position <== positions[i];
        for (var j = 0; j < 3; j++) lv[i].s[j] <== siblings[3 * i + j];
        p[i] = Parent4();
        p[i].x <== c[i];
        for (var j = 0; j < 3; j++) p[i].s[j] <== siblings[3 * i + j];
        p[i].e <== lv[i].e;
        p[i].t1 <== lv[i].t1;
        p[i].t2 <== lv[i].t2;
        c[i + 1] <== p[i].out;
    }
    root <== c[depth];
}

// The 32 global fields in the engine's order (src/protocol/state.ts GLOBAL_FIELDS) and the 17
// parameters in PARAM_NAMES order are hashed in four groups (src/protocol/stateRoot.ts, docs/state-root.md):
//   vaultGlobals (written by vault adjustments): g[0], g[1], g[3..7], g[21], g[22], g[24], g[27], g[28], g[31]
//   vaultInputs (only read by them):             g[8..13], p[0..3], p[5], p[6], p[9], p[13]
//   otherGlobals:                                g[2], g[14..20], g[23], g[25], g[26], g[29], g[30]
//   otherParams:                                 p[4], p[7], p[8], p[10..12], p[14..16]
template VaultGlobals() {
    signal input g[32];
    signal output out;
    out <== Poseidon(13)([g[0], g[1], g[3], g[4], g[5], g[6], g[7], g[21], g[22], g[24], g[27], g[28], g[31]]);
}
template VaultInputs() {
    signal input g[32];
    signal input p[17];
    signal output out;
    out <== Poseidon(14)([g[8], g[9], g[10], g[11], g[12], g[13], p[0], p[1], p[2], p[3], p[5], p[6], p[9], p[13]]);
}
template OtherGlobals() {
    signal input g[32];
    signal output out;
    out <== Poseidon(13)([g[2], g[14], g[15], g[16], g[17], g[18], g[19], g[20], g[23], g[25], g[26], g[29], g[30]]);
}

// Account leaf = Poseidon(ownerHash, status, coll, debt, stake, snapshotL_coll, snapshotL_debt,
// balance, depositInitial, depositP, depositS, depositEpoch, depositScale, collateralSurplus).
template AccountLeaf() {
    signal input ownerHash;
    signal input status;
    signal input vault[5];
    signal input account[7];
    signal output out;
    component h = Poseidon(14);
    h.inputs[0] <== ownerHash;
    h.inputs[1] <== status;
    for (var i = 0; i < 5; i++) h.inputs[2 + i] <== vault[i];
    for (var i = 0; i < 7; i++) h.inputs[7 + i] <== account[i];
    out <== h.out;
}

// restHash = Poseidon(allowancesRoot, sumsRoot, vaultInputsHash, otherGlobalsHash, otherParamsHash,
// governanceHash): everything a vault adjustment leaves unchanged, hashed once per proof.
template RestHash() {
    signal input allowancesRoot;
    signal input sumsRoot;
    signal input vaultInputsHash;
    signal input otherGlobalsHash;
    signal input otherParamsHash;
    signal input governanceHash;
    signal output out;
    out <== Poseidon(6)([allowancesRoot, sumsRoot, vaultInputsHash, otherGlobalsHash, otherParamsHash, governanceHash]);
}

// stateRoot = Poseidon(accountsRoot, vaultGlobalsHash, restHash).
template StateRoot() {
    signal input accountsRoot;
    signal input vaultGlobalsHash;
    signal input restHash;
    signal output out;
    out <== Poseidon(3)([accountsRoot, vaultGlobalsHash, restHash]);
}
