pragma circom 2.1.6;

// vault: every change an owner makes to their own vault (open, adjust, close), proven about the vault's
// stored record (see lib/vault.circom, docs/zk.md).
include "./lib/vault.circom";

component main {public [recordBefore, recordAfter, operationHash, contextHash]} = VaultOp();
