import "fake-indexeddb/auto";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { base64 } from "@scure/base";
import { describe, expect, it } from "vitest";
import { DEV_WALLET_LABEL, DevWallet } from "./devwallet.ts";
import { BtcInputError } from "./errors.ts";
import { messageHash, WalletError, walletErrorFromRpc } from "./wallet.ts";

describe("dev wallet", () => {
  it("refuses every network but regtest", async () => {
    for (const network of ["mainnet", "testnet4", "signet"] as const) {
      await expect(DevWallet.open({ network, dbName: "dw-refuse" })).rejects.toBeInstanceOf(BtcInputError);
    }
  });

  it("keeps its keys in IndexedDB across openings and is clearly labelled", async () => {
    const a = await DevWallet.open({ network: "regtest", dbName: "dw-persist" });
    const b = await DevWallet.open({ network: "regtest", dbName: "dw-persist" });
    const [aa, ba] = [await a.getAddresses(), await b.getAddresses()];
    expect(aa.payment.address).toBe(ba.payment.address);
    expect(aa.payment.address).toMatch(/^bcrt1q/);
    expect(aa.ordinals?.address).toMatch(/^bcrt1p/);
    expect(a.label).toBe(DEV_WALLET_LABEL);
    expect(a.label).toMatch(/regtest only/);
    await DevWallet.reset("dw-persist");
    const c = await DevWallet.open({ network: "regtest", dbName: "dw-persist" });
    expect((await c.getAddresses()).payment.address).not.toBe(aa.payment.address);
  });

  it("signs BIP137 messages that recover to its payment key", async () => {
    const w = await DevWallet.open({ network: "regtest", dbName: "dw-msg" });
    const { payment } = await w.getAddresses();
    const { signature } = await w.signMessage(payment.address, "hello");
    const sig = base64.decode(signature);
    expect(sig[0]).toBeGreaterThanOrEqual(39);
    const pub = secp256k1.Signature.fromBytes(sig.subarray(1), "compact")
      .addRecoveryBit(sig[0]! - 39)
      .recoverPublicKey(messageHash("hello"))
      .toBytes(true);
    expect(pub).toEqual(payment.publicKey);
    await expect(w.signPsbt(new Uint8Array(5), {})).rejects.toThrow();
    await expect(w.signMessage("bcrt1qnotmine", "x")).rejects.toBeInstanceOf(WalletError);
  });
});

describe("wallet errors", () => {
  it("maps sats-connect RPC codes to typed errors", () => {
    expect(walletErrorFromRpc(-32000, "User rejected").code).toBe("userRejected");
    expect(walletErrorFromRpc(-32002, "").code).toBe("accessDenied");
    expect(walletErrorFromRpc(-32001, "").code).toBe("unsupported");
    expect(walletErrorFromRpc(-32601, "").code).toBe("unsupported");
    expect(walletErrorFromRpc(-32602, "").code).toBe("invalidParams");
    expect(walletErrorFromRpc(-32603, "").code).toBe("internal");
    expect(walletErrorFromRpc(-32000, "").userMessage).toMatch(/declined/);
  });
});
