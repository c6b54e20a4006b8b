import { appendFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SpendLedger } from "./ledger.ts";

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
