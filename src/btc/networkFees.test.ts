import { secp256k1 } from "@noble/curves/secp256k1.js";
import { p2sh, p2tr, p2wpkh, Script, Transaction } from "@scure/btc-signer";
import { describe, expect, it } from "vitest";
import { addressToScript, networkParams } from "./network.ts";
import { dustThreshold, estimateVsize, feeForVsize, feePresets, type InputKind } from "./networkFees.ts";

const NET = networkParams("regtest");
const key = () => secp256k1.utils.randomSecretKey();

/** Builds and signs a real transaction with btc-signer and returns its vsize. */
function realVsize(kinds: ("p2wpkh" | "p2sh-p2wpkh" | "p2tr")[], outputs: Uint8Array[]): number {
  const tx = new Transaction({ allowUnknownOutputs: true });
  const keys = kinds.map(() => key());
  kinds.forEach((k, i) => {
    const pub = secp256k1.getPublicKey(keys[i]!, true);
    const pay =
      k === "p2wpkh"
        ? p2wpkh(pub, NET)
        : k === "p2sh-p2wpkh"
          ? p2sh(p2wpkh(pub, NET), NET)
          : p2tr(pub.subarray(1), undefined, NET);
    tx.addInput({
      ...pay,
      txid: new Uint8Array(32).fill(i + 1),
      index: 0,
      witnessUtxo: { script: pay.script, amount: 100_000n },
    });
  });
  for (const s of outputs) tx.addOutput({ script: s, amount: s[0] === 0x6a ? 0n : 1000n });
  for (const [i, k] of keys.entries()) tx.signIdx(k, i);
  tx.finalize();
  return tx.vsize;
}

describe("fee model", () => {
  const wpkhOut = addressToScript(p2wpkh(secp256k1.getPublicKey(key(), true), NET).address!, "regtest");
  const opReturn = (n: number) => Script.encode(["RETURN", new Uint8Array(n)]);

  it("matches the measured sizes of the reference (1-in/1-out P2WPKH = 110 vB)", () => {
    expect(estimateVsize([{ type: "p2wpkh" }], [22])).toBe(110);
  });

  it("never underestimates a signed transaction, and is within 1 vB per signature", () => {
    const cases: [("p2wpkh" | "p2sh-p2wpkh" | "p2tr")[], Uint8Array[]][] = [
      [["p2wpkh"], [wpkhOut]],
      [
        ["p2wpkh", "p2wpkh", "p2wpkh"],
        [wpkhOut, opReturn(300)],
      ],
      [
        ["p2sh-p2wpkh", "p2sh-p2wpkh"],
        [wpkhOut, opReturn(200), wpkhOut],
      ],
      [
        ["p2tr", "p2wpkh"],
        [opReturn(150), wpkhOut],
      ],
    ];
    for (const [kinds, outs] of cases) {
      const est = estimateVsize(
        kinds.map((type) => ({ type }) as InputKind),
        outs.map((s) => s.length),
      );
      const real = realVsize(kinds, outs);
      expect(est).toBeGreaterThanOrEqual(real);
      expect(est - real).toBeLessThanOrEqual(kinds.length);
    }
  });

  it("rounds fees up so the rate is always met", () => {
    expect(feeForVsize(141, 1)).toBe(141n);
    expect(feeForVsize(141, 1.5)).toBe(212n);
    expect(feeForVsize(100, 0.333)).toBe(34n);
    expect(() => feeForVsize(100, 0)).toThrow(/fee rate/);
    expect(() => feeForVsize(100, Number.NaN)).toThrow(/fee rate/);
  });

  it("computes Bitcoin Core's dust thresholds", () => {
    const pub = secp256k1.getPublicKey(key(), true);
    expect(dustThreshold(Uint8Array.of(0x76, 0xa9, 0x14, ...new Uint8Array(20), 0x88, 0xac))).toBe(546n);
    expect(dustThreshold(p2sh(p2wpkh(pub)).script)).toBe(540n);
    expect(dustThreshold(p2wpkh(pub).script)).toBe(294n);
    expect(dustThreshold(Uint8Array.of(0x00, 0x20, ...new Uint8Array(32)))).toBe(330n);
    expect(dustThreshold(p2tr(pub.subarray(1)).script)).toBe(330n);
    expect(dustThreshold(opReturn(10))).toBe(0n);
  });

  it("turns Esplora fee estimates into presets", () => {
    expect(feePresets({ "1": 20, "3": 12, "6": 8, "144": 2, "1008": 1 })).toEqual({
      fastest: 20,
      halfHour: 12,
      hour: 8,
      economy: 2,
    });
    // Flat estimates (an empty mempool, regtest): the presets still differ, by 1 sat/vB each.
    expect(feePresets({})).toEqual({ fastest: 4, halfHour: 3, hour: 2, economy: 1 });
    expect(feePresets({ "1": 1, "3": 1, "6": 1, "144": 1 })).toEqual({
      fastest: 4,
      halfHour: 3,
      hour: 2,
      economy: 1,
    });
    expect(feePresets({ "1": 9, "3": 9, "6": 3, "144": 3 })).toEqual({
      fastest: 10,
      halfHour: 9,
      hour: 4,
      economy: 3,
    });
  });
});
