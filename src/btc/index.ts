/**
 * The Bitcoin layer's public face: spells, custody scripts, fees, UTXOs, PSBT builders, wallets and
 * the Esplora chain client. Dev tooling (the regtest node) lives in src/devnet and is Node-only.
 */

export * from "./block.ts";
export { DEV_WALLET_LABEL, DevWallet, devnetFaucet, devnetMine } from "./devwallet.ts";
export * from "./errors.ts";
export * from "./esplora.ts";
export * from "./flow.ts";
export { readLeb128, writeLeb128 } from "./leb128.ts";
export * from "./network.ts";
export * from "./networkFees.ts";
export * from "./poll.ts";
export * from "./psbt.ts";
export * from "./psbt-preview.ts";
export * from "./psbt-sign.ts";
export { SatsConnectWallet } from "./satsconnect.ts";
export * from "./scripts.ts";
export { checkSignetSolution, DEFAULT_SIGNET_CHALLENGE } from "./signet.ts";
export * from "./spell.ts";
export * from "./utxo.ts";
export * from "./wallet.ts";
