pragma circom 2.1.6;

// deposit: one vault adjustment proven against the state root (see lib/vault.circom, docs/zk.md).
include "./lib/vault.circom";

component main {public [oldRoot, newRoot, operationHash, attestationHash]} = VaultAdjust(1);
