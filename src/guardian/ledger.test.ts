import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SettlementLedger } from "./ledger.ts";

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
