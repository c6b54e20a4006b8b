import { describe, expect, it } from "vitest";
import { custodyViewFromJson, custodyViewToJson } from "../guardian/custody-view.ts";
import { createCustodyState } from "../protocol/custody.ts";
import { btcOfSats, custodyReport } from "./custody.ts";
import { render } from "./output.ts";

const plain = {
  bold: (s: string) => s,
  dim: (s: string) => s,
  red: (s: string) => s,
  yellow: (s: string) => s,
  green: (s: string) => s,
};

function view() {
  const custody = createCustodyState();
  custody.coins.set("aa:0", {
    outpoint: "aa:0",
    sats: 50_000_000n,
    vault: "bcrt1qalice",
    script: "0020ab",
    height: 3n,
  });
  custody.coins.set("bb:1", {
    outpoint: "bb:1",
    sats: 1_234n,
    vault: null,
    script: "0020cd",
    height: 4n,
    epoch: 1,
  });
  custody.epochs.push(
    { keys: ["02aa", "02bb"], threshold: 1n, from: 0n },
    { keys: ["02cc", "02dd"], threshold: 2n, from: 40n },
  );
  custody.obligations.set("ff", {
    id: "ff".repeat(32),
    source: "bcrt1qalice",
    script: "0014ee",
    sats: 1_000_000n,
    maxFee: 2_000n,
    height: 5n,
    status: "open",
    settledBy: null,
  });
  custody.obligations.set("ee", {
    id: "ee".repeat(32),
    source: null,
    script: "0014ee",
    sats: 7n,
    maxFee: 0n,
    height: 2n,
    status: "settled",
    settledBy: "cc",
  });
  return {
    height: 6,
    custody,
    feeAccount: { stray: 5_000n, fees: 4_831n },
    invariants: { status: "breach" as const, detail: "vault bcrt1qalice: coins 1 sat short" },
    breaches: [{ height: 6, txid: "dd", message: "pool coin bb:0 spent by no settlement" }],
  };
}

describe("zkusd custody output", () => {
  it("every format carries the coins, the open obligations, the invariant status and the breaches", () => {
    const r = custodyReport("guardian http://g", view());
    const json = JSON.parse(render(r, "json", plain));
    expect(json.coins).toEqual([
      { outpoint: "aa:0", sats: "50000000", owner: "bcrt1qalice", script: "0020ab", height: "3", epoch: 0 },
      { outpoint: "bb:1", sats: "1234", owner: "pool", script: "0020cd", height: "4", epoch: 1 },
    ]);
    expect(json.keyEpochs).toEqual([
      { epoch: 0, keys: ["02aa", "02bb"], threshold: "1", from: "0" },
      { epoch: 1, keys: ["02cc", "02dd"], threshold: "2", from: "40" },
    ]);
    expect(json.totals).toEqual({
      coins: 2,
      heldSats: "50001234",
      openObligations: 1,
      owedSats: "1000000",
      settledObligations: 1,
    });
    expect(json.openObligations).toEqual([
      {
        id: "ff".repeat(32),
        from: "bcrt1qalice",
        script: "0014ee",
        sats: "1000000",
        maxFee: "2000",
        height: "5",
      },
    ]);
    expect(json.feeAccount).toEqual({ sats: "9831", stray: "5000", fees: "4831" });
    expect(json.invariants.status).toBe("breach");
    expect(json.breaches).toHaveLength(1);
    const table = render(r, "table", plain);
    expect(table).toMatch(/coin\s+aa:0\s+bcrt1qalice\s+0\.50000000\s+3/);
    expect(table).toMatch(/owed\s+ffffffffffffffff\s+bcrt1qalice\s+0\.01000000\s+5/);
    expect(table).toMatch(/BREACH\s+dd\s+pool coin bb:0 spent by no settlement/);
    const text = render(r, "text", plain);
    expect(text).toMatch(/invariants\s+CUSTODY BREACH \(vault bcrt1qalice: coins 1 sat short\)/);
    expect(text).toMatch(/open obligations 1, 0\.01000000 BTC owed/);
    expect(text).toMatch(/fee account\s+0\.00009831 BTC \(funded 0\.00005000, from BTC fees 0\.00004831\)/);
    expect(text).toMatch(/bb:1\s+0\.00001234 BTC\s+pool\s+epoch 1/);
    expect(text).toMatch(/key epoch 1\s+2-of-2 from height 40: 02cc 02dd/);
    expect(render(r, "minimal", plain)).toBe("breach 2 1 1");
  });

  it("the guardian's JSON reads back to the same view; amounts in BTC are exact", () => {
    const v = view();
    const back = custodyViewFromJson(JSON.parse(JSON.stringify(custodyViewToJson(v))));
    expect(back.custody.coins.get("aa:0")?.sats).toBe(50_000_000n);
    expect(back.custody.obligations.size).toBe(2);
    // GET /v1/custody carries the key epochs and each coin's epoch.
    expect(back.custody.epochs).toEqual(v.custody.epochs);
    expect(back.custody.coins.get("bb:1")?.epoch).toBe(1);
    expect(back.invariants).toEqual(v.invariants);
    expect(back.feeAccount).toEqual({ stray: 5_000n, fees: 4_831n });
    // A guardian that says nothing (or garbage) about its fee account reads back as "not carried".
    expect(custodyViewFromJson({ feeAccount: { stray: "1e9", fees: "2" } }).feeAccount).toBeNull();
    expect(custodyViewFromJson({}).invariants.status).toBe("unchecked");
    expect(btcOfSats(2_100_000_000_000_001n)).toBe("21000000.00000001");
    expect(btcOfSats(-5n)).toBe("-0.00000005");
  });
});
