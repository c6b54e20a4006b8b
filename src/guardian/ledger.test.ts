import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SettlementLedger, SpendLedger } from "./ledger.ts";

describe("spend ledger", () => {
  it("refuses an outpoint already signed into another transaction, also after a restart", () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-"));
    const a = new SpendLedger(dir);
    expect(a.conflict("t:0", "tx1")).toBeUndefined();
    a.record(["t:0", "t:1"], "tx1", "adjustVault");
    expect(a.conflict("t:0", "tx1")).toBeUndefined(); // the same spend again (a retry) is fine
    expect(a.conflict("t:1", "tx2")).toMatchObject({ txid: "tx1", op: "adjustVault" });
    const b = new SpendLedger(dir);
    expect(b.size).toBe(2);
    expect(b.conflict("t:0", "tx2")?.txid).toBe("tx1");
  });

  it("keeps the first spend of an outpoint and ignores a torn last line", () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-"));
    const a = new SpendLedger(dir);
    a.record(["t:0"], "tx1", "closeVault");
    a.record(["t:0"], "tx9", "closeVault");
    appendFileSync(join(dir, "signed-outpoints.jsonl"), '{"outpoint":"t:5","tx');
    const b = new SpendLedger(dir);
    expect(b.size).toBe(1);
    expect(b.conflict("t:0", "tx9")?.txid).toBe("tx1");
  });

  it("reserves all outpoints of a spend or none: the second of two rival spends is refused", () => {
    const dir = mkdtempSync(join(tmpdir(), "ledger-"));
    const a = new SpendLedger(dir);
    expect(a.reserve(["t:0", "t:1"], "tx1", "redeem")).toBeUndefined();
    expect(a.reserve(["t:2", "t:1"], "tx2", "redeem")).toMatchObject({ outpoint: "t:1", txid: "tx1" });
    // nothing of the refused spend was recorded: t:2 is still free for another spend
    expect(a.conflict("t:2", "tx3")).toBeUndefined();
    expect(a.reserve(["t:0", "t:1"], "tx1", "redeem")).toBeUndefined(); // a retry of the same spend
    expect(new SpendLedger(dir).conflict("t:0", "tx2")?.txid).toBe("tx1");
  });
});

describe("settlement ledger", () => {
  const base = { main: "m:0", txid: "s1", ids: "aa", basis: 100, feeRate: 2 };

  it("one settlement per main coin; a replacement only with the same obligations and basis at a higher fee", () => {
    const dir = mkdtempSync(join(tmpdir(), "settle-"));
    const l = new SettlementLedger(dir);
    expect(l.reserve(base)).toEqual({ ok: true, replacement: false });
    expect(l.reserve(base)).toEqual({ ok: true, replacement: false }); // a retry of the same tx
    expect(l.reserve({ ...base, txid: "s2", ids: "bb", feeRate: 9 })).toMatchObject({
      ok: false,
      code: "otherObligations",
    });
    expect(l.reserve({ ...base, txid: "s2", basis: 101, feeRate: 9 })).toMatchObject({
      ok: false,
      code: "otherBasis",
    });
    expect(l.reserve({ ...base, txid: "s2", feeRate: 2 })).toMatchObject({ ok: false, code: "notHigherFee" });
    expect(l.reserve({ ...base, txid: "s2", feeRate: 3 })).toEqual({ ok: true, replacement: true });
    // the replacement is now the one to beat, also after a restart
    const again = new SettlementLedger(dir);
    expect(again.signed("m:0")?.txid).toBe("s2");
    expect(again.reserve({ ...base, txid: "s3", feeRate: 3 })).toMatchObject({
      ok: false,
      code: "notHigherFee",
    });
    expect(again.reserve({ ...base, txid: "s1" })).toMatchObject({ ok: false, code: "notHigherFee" });
    // another main coin is free
    expect(again.reserve({ ...base, main: "n:1", txid: "t1", ids: "cc" })).toEqual({
      ok: true,
      replacement: false,
    });
  });

  it("nothing refused is recorded, and a torn last line is ignored", () => {
    const dir = mkdtempSync(join(tmpdir(), "settle-"));
    const l = new SettlementLedger(dir);
    l.reserve(base);
    l.reserve({ ...base, txid: "x", ids: "zz", feeRate: 50 });
    appendFileSync(join(dir, "signed-settlements.jsonl"), '{"main":"m:0","txid":"evil","ids":"zz","basis":1');
    const b = new SettlementLedger(dir);
    expect(b.signed("m:0")).toMatchObject({ txid: "s1", feeRate: 2 });
  });
});
