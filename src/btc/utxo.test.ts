import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { InsufficientFundsError } from "./errors.ts";
import { dustThreshold, estimateVsize, feeForVsize } from "./networkFees.ts";
import { outpoint, selectCoins, type Utxo, UtxoTracker } from "./utxo.ts";

const script = Uint8Array.of(0x00, 0x14, ...new Uint8Array(20).fill(7));
const utxo = (value: bigint, n = Number(value % 1000n)): Utxo => ({
  txid: n.toString(16).padStart(64, "0"),
  vout: 0,
  value,
  script,
  input: { type: "p2wpkh" },
});
const base = { outputScriptLengths: [34, 200], changeScript: script, feeRate: 2 };

describe("UtxoTracker", () => {
  it("locks what a pending PSBT spends, unlocks on reject, expires stale locks", () => {
    let now = 0;
    const t = new UtxoTracker(() => now);
    const a = utxo(10_000n, 1);
    const b = utxo(20_000n, 2);
    t.setUtxos("w", [a, b]);
    t.lock("psbt1", [outpoint(a)], 1000);
    expect(t.spendable("w")).toEqual([b]);
    expect(() => t.lock("psbt2", [outpoint(a)])).toThrow(/locked by pending PSBT psbt1/);
    t.unlock("psbt1");
    expect(t.spendable("w")).toEqual([a, b]);
    t.lock("psbt3", [outpoint(b)], 1000);
    now = 999;
    expect(t.isLocked(outpoint(b))).toBe(true);
    now = 1000;
    expect(t.isLocked(outpoint(b))).toBe(false);
  });

  it("keeps broadcast coins reserved until the chain stops listing them", () => {
    let now = 0;
    const t = new UtxoTracker(() => now);
    const a = utxo(10_000n, 1);
    t.setUtxos("w", [a]);
    t.lock("tx", [outpoint(a)], 10);
    t.markBroadcast("tx");
    now = 1_000_000;
    expect(t.spendable("w")).toEqual([]);
    t.setUtxos("w", [a]); // still listed (mempool lag): still reserved
    expect(t.lockedOutpoints()).toEqual([outpoint(a)]);
    t.setUtxos("w", []);
    expect(t.lockedOutpoints()).toEqual([]);
  });
});

describe("coin selection", () => {
  const coins = [utxo(5_000n, 1), utxo(12_000n, 2), utxo(40_000n, 3), utxo(100_000n, 4), utxo(7_300n, 5)];

  it("largest-first uses the fewest coins", () => {
    const s = selectCoins({ ...base, utxos: coins, target: 30_000n, strategy: "largestFirst" });
    expect(s.inputs.map((u) => u.value)).toEqual([100_000n]);
    expect(s.change).toBe(100_000n - 30_000n - s.fee);
  });

  it("smallest-first consolidates small coins", () => {
    const s = selectCoins({ ...base, utxos: coins, target: 20_000n, strategy: "smallestFirst" });
    expect(s.inputs.map((u) => u.value)).toEqual([5_000n, 7_300n, 12_000n]);
  });

  it("best-match picks the single coin closest to the target", () => {
    const s = selectCoins({ ...base, utxos: coins, target: 30_000n, strategy: "bestMatch" });
    expect(s.inputs.map((u) => u.value)).toEqual([40_000n]);
  });

  it("branch-and-bound finds a changeless combination", () => {
    // 12,000 + 7,300 minus two input fees at 2 sat/vB, minus the tx's base fee.
    const fee = feeForVsize(
      estimateVsize([{ type: "p2wpkh" }, { type: "p2wpkh" }], base.outputScriptLengths),
      2,
    );
    const target = 19_300n - fee - 50n;
    const s = selectCoins({ ...base, utxos: coins, target, strategy: "branchAndBound" });
    expect(s.change).toBe(0n);
    expect(s.inputs.map((u) => u.value).sort()).toEqual([12_000n, 7_300n].sort());
    expect(s.fee).toBe(fee + 50n);
  });

  it("throws InsufficientFundsError with what is needed and available", () => {
    expect(() => selectCoins({ ...base, utxos: coins, target: 1_000_000n })).toThrow(InsufficientFundsError);
    try {
      selectCoins({ ...base, utxos: coins, target: 1_000_000n });
    } catch (e) {
      expect((e as InsufficientFundsError).available).toBe(164_300n);
    }
  });

  it("always pays outputs + fee at the rate, and makes change only above dust", () => {
    const strategies = ["largestFirst", "smallestFirst", "bestMatch", "branchAndBound"] as const;
    fc.assert(
      fc.property(
        fc.array(fc.bigInt({ min: 300n, max: 2_000_000n }), { minLength: 1, maxLength: 12 }),
        fc.bigInt({ min: 0n, max: 3_000_000n }),
        fc.constantFrom(...strategies),
        fc.integer({ min: 1, max: 50 }),
        (values, target, strategy, rate) => {
          const utxos = values.map((v, i) => utxo(v, i));
          let s: ReturnType<typeof selectCoins>;
          try {
            s = selectCoins({ ...base, feeRate: rate, utxos, target, strategy });
          } catch (e) {
            expect(e).toBeInstanceOf(InsufficientFundsError);
            return;
          }
          const total = s.inputs.reduce((a, u) => a + u.value, 0n);
          expect(total).toBe(target + s.fee + s.change);
          expect(s.fee).toBeGreaterThanOrEqual(feeForVsize(s.vsize, rate));
          if (s.change > 0n) expect(s.change).toBeGreaterThanOrEqual(dustThreshold(script));
          expect(new Set(s.inputs.map(outpoint)).size).toBe(s.inputs.length);
        },
      ),
      { numRuns: 400 },
    );
  });
});
