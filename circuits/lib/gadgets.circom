pragma circom 2.1.6;

// Shared gadgets for zkUSD circuits. Bounds (docs/zk.md): amounts < 2^112 (the engine's MAX_AMOUNT),
// prices < 2^96, ratios < 2^64, reward-per-stake terms < 2^140; every product stays below 2^253.

include "./poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// in < 2^n.
template Range(n) {
    signal input in;
    component bits = Num2Bits(n);
    bits.in <== in;
}

// 0 <= in <= C, for a constant C < 2^n: both in and C - in are n-bit (neither wraps around the field).
template AtMost(n, C) {
    signal input in;
    component low = Num2Bits(n);
    low.in <== in;
    component high = Num2Bits(n);
    high.in <== C - in;
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

// The governance flags = paused + 2 * shutdown (src/protocol/stateRoot.ts governanceFlags); flags < 4.
template GovernanceFlags() {
    signal input flags;
    signal output paused;
    signal output shutdown;
    component bits = Num2Bits(2);
    bits.in <== flags;
    paused <== bits.out[0];
    shutdown <== bits.out[1];
}
