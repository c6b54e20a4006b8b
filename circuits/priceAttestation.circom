pragma circom 2.1.6;

// priceAttestation: a quorum of the registered oracle keys signed (price, timestamp, round).
// Message M = Poseidon(price, timestamp, round), signed with EdDSA-Poseidon on BabyJubjub
// (circomlib EdDSAPoseidonVerifier; @zk-kit/eddsa-poseidon signMessage(key, M) produces it).
// The registered set is committed as oracleSetHash = Poseidon(quorum, Ax0, Ay0, ..., Ax{N-1}, Ay{N-1});
// slot i can only carry a signature by key i, so a quorum counts distinct keys.
// Public: oracleSetHash, attestationHash (= M, the value vault circuits bind to).

include "./lib/gadgets.circom";
include "circomlib/circuits/eddsaposeidon.circom";

template PriceAttestation(N) {
    signal input oracleSetHash;
    signal input attestationHash;

    signal input price;
    signal input timestamp;
    signal input round;
    signal input quorum;
    signal input Ax[N];
    signal input Ay[N];
    signal input signed[N];
    signal input R8x[N];
    signal input R8y[N];
    signal input S[N];

    Range(96)(price); // rule: amountOutOfRange
    Range(64)(timestamp);
    Range(64)(round);
    signal message <== Poseidon(3)([price, timestamp, round]);
    attestationHash === message; // rule: attestationHashMismatch

    component set = Poseidon(1 + 2 * N);
    set.inputs[0] <== quorum;
    for (var i = 0; i < N; i++) {
        set.inputs[1 + 2 * i] <== Ax[i];
        set.inputs[2 + 2 * i] <== Ay[i];
    }
    oracleSetHash === set.out; // rule: oracleSetMismatch

    component verify[N];
    var count = 0;
    for (var i = 0; i < N; i++) {
        signed[i] * (signed[i] - 1) === 0;
        verify[i] = EdDSAPoseidonVerifier();
        verify[i].enabled <== signed[i];
        verify[i].Ax <== Ax[i];
        verify[i].Ay <== Ay[i];
        verify[i].R8x <== R8x[i];
        verify[i].R8y <== R8y[i];
        verify[i].S <== S[i];
        verify[i].M <== message;
        count += signed[i];
    }
    // 1 <= quorum <= count
    Range(8)(quorum);
    signal noQuorum <== IsZero()(quorum);
    noQuorum === 0; // rule: quorumNotReached
    signal short <== Lt(8)(count, quorum);
    short === 0; // rule: quorumNotReached
}

component main {public [oracleSetHash, attestationHash]} = PriceAttestation(3);
