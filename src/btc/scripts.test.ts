import { secp256k1 } from "@noble/curves/secp256k1.js";
import { Script } from "@scure/btc-signer";
import { describe, expect, it } from "vitest";
import { BtcInputError } from "./errors.ts";
import {
  descriptorAddress,
  parseCustodyScript,
  poolDescriptor,
  toHex,
  vaultDescriptor,
  vaultWitness,
} from "./scripts.ts";

const pub = () => secp256k1.getPublicKey(secp256k1.utils.randomSecretKey(), true);
const g = [pub(), pub(), pub()];
const owner = pub();

describe("custody scripts", () => {
  it("has the three docs/decisions.md §2 paths in one P2WSH script", () => {
    const v = vaultDescriptor({ owner, guardians: { threshold: 2, keys: g }, csvBlocks: 144 });
    const ops = Script.decode(v.witnessScript);
    expect(ops[0]).toBe("IF");
    expect(ops[2]).toBe("CHECKSIGVERIFY");
    expect(ops.filter((o) => o === "CHECKMULTISIG").length).toBe(2);
    expect(ops).toContain("CHECKSEQUENCEVERIFY");
    expect(v.csvBlocks).toBe(144);
    expect(v.script.length).toBe(34);
    expect(vaultDescriptor({ owner, guardians: { threshold: 2, keys: g } }).csvBlocks).toBe(26_280);
  });

  it("is independent of guardian key order (sorted keys)", () => {
    const a = vaultDescriptor({ owner, guardians: { threshold: 2, keys: g } });
    const b = vaultDescriptor({ owner, guardians: { threshold: 2, keys: [g[2]!, g[0]!, g[1]!] } });
    expect(toHex(a.witnessScript)).toBe(toHex(b.witnessScript));
  });

  it("derives addresses per network", () => {
    const v = vaultDescriptor({ owner, guardians: { threshold: 2, keys: g } });
    expect(descriptorAddress(v, "mainnet")).toMatch(/^bc1q/);
    expect(descriptorAddress(v, "testnet4")).toMatch(/^tb1q/);
    expect(descriptorAddress(v, "signet")).toMatch(/^tb1q/);
    expect(descriptorAddress(v, "regtest")).toMatch(/^bcrt1q/);
  });

  it("parses its own vault and pool scripts back, and nothing else", () => {
    for (const csvBlocks of [1, 16, 17, 144, 26_280, 65_535]) {
      const v = vaultDescriptor({ owner, guardians: { threshold: 2, keys: g }, csvBlocks });
      expect(parseCustodyScript(v.witnessScript)).toEqual(v);
    }
    const p = poolDescriptor({ threshold: 3, keys: g });
    expect(parseCustodyScript(p.witnessScript)).toEqual(p);
    expect(parseCustodyScript(Uint8Array.of(0x51))).toBeUndefined();
    expect(parseCustodyScript(Uint8Array.of(0x4c))).toBeUndefined();
  });

  it("validates keys, thresholds and timelocks loudly", () => {
    expect(() =>
      vaultDescriptor({ owner: new Uint8Array(32), guardians: { threshold: 2, keys: g } }),
    ).toThrow(/33-byte/);
    expect(() =>
      vaultDescriptor({
        owner: Uint8Array.of(2, ...new Uint8Array(32).fill(0xff)),
        guardians: { threshold: 2, keys: g },
      }),
    ).toThrow(BtcInputError);
    expect(() => vaultDescriptor({ owner, guardians: { threshold: 4, keys: g } })).toThrow(/k ≤ n/);
    expect(() => vaultDescriptor({ owner, guardians: { threshold: 2, keys: [g[0]!, g[0]!] } })).toThrow(
      /distinct/,
    );
    expect(() => vaultDescriptor({ owner, guardians: { threshold: 2, keys: g }, csvBlocks: 65_536 })).toThrow(
      /csvBlocks/,
    );
    expect(() => vaultDescriptor({ owner: g[0]!, guardians: { threshold: 2, keys: g } })).toThrow(
      /owner key/,
    );
  });

  it("builds each path's witness, refusing when signatures are missing", () => {
    const v = vaultDescriptor({ owner, guardians: { threshold: 2, keys: g } });
    const sig = (n: number) => new Uint8Array(71).fill(n);
    const guardians = new Map(v.guardians.keys.map((k, i) => [toHex(k), sig(i + 1)]));
    const a = vaultWitness(v, "ownerAndGuardians", { owner: sig(9), guardians });
    expect(a.map((x) => x.length)).toEqual([0, 71, 71, 71, 1]);
    expect(a[1]![0]).toBe(1); // guardian signatures in sorted key order
    expect(a[3]![0]).toBe(9);
    expect(vaultWitness(v, "guardians", { guardians }).map((x) => x.length)).toEqual([0, 71, 71, 1, 0]);
    expect(vaultWitness(v, "ownerAfterTimelock", { owner: sig(9) }).map((x) => x.length)).toEqual([71, 0, 0]);
    expect(() => vaultWitness(v, "ownerAndGuardians", { guardians })).toThrow(/owner signature/);
    expect(() =>
      vaultWitness(v, "guardians", { guardians: new Map([[toHex(v.guardians.keys[0]!), sig(1)]]) }),
    ).toThrow(/2 guardian/);
  });
});
