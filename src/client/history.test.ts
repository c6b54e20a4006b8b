import { describe, expect, it } from "vitest";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  type Operation,
  parseDecimal,
  type State,
} from "../protocol/index.ts";
import { obligationId } from "../settlement/obligations.ts";
import type { StoredEvent } from "../storage/index.ts";
import { buildHistory, historyCsv } from "./history.ts";

const d = parseDecimal;

/** Runs `ops` through the real engine, one transaction each, and stores their events as the indexer does. */
function eventsOf(ops: Operation[]): StoredEvent[] {
  const state: State = createGenesisState({ ...DEFAULT_PARAMS }, { time: 0n, height: 0n });
  const out: StoredEvent[] = [];
  ops.forEach((op, i) => {
    const height = 10 + i;
    const r = apply(state, op, { height: BigInt(height), time: BigInt(1_700_000_000 + i * 600) });
    if (!r.ok) throw new Error(r.error.message);
    const txid = (i + 1).toString(16).padStart(64, "0");
    r.events.forEach((event, n) => {
      out.push({
        key: [height, 0, n],
        height,
        position: 0,
        n,
        txid,
        time: 1_700_000_000 + i * 600,
        day: "2023-11-14",
        type: event.type,
        accounts: [],
        event,
      } as unknown as StoredEvent);
    });
  });
  return out;
}

describe("the readable history", () => {
  const ops: Operation[] = [
    { type: "openVault", owner: "alice", collateral: d("0.5"), borrow: d("12000") },
    { type: "openVault", owner: "bob", collateral: d("2"), borrow: d("12000") },
    { type: "adjustVault", owner: "alice", borrow: d("1000"), maxFee: d("0.05") },
    { type: "adjustVault", owner: "alice", withdrawCollateral: d("0.1") },
  ];
  const events = eventsOf(ops);

  it("one entry per transaction of the account, newest first, in words with BTC and zkUSD amounts", () => {
    const h = buildHistory(events, "alice");
    expect(h.map((e) => e.title)).toEqual(["Withdrew collateral", "Borrowed zkUSD", "Opened a vault"]);
    const [withdraw, mint, open] = h;
    expect(open!.lines.join(" ")).toMatch(/Locked 0\.5\d* BTC as collateral; debt 12,260(\.00)? zkUSD/);
    expect(open!.btc).toBe(-d("0.5"));
    expect(open!.feeZkusd).toBe(d("60"));
    expect(open!.lines).toContain("Borrowing fee 60.00 zkUSD.");
    expect(mint!.zkusd).toBe(d("1000"));
    expect(mint!.lines[0]).toMatch(/Borrowed 1,000(\.00)? zkUSD \(borrowing fee/);
    expect(withdraw!.btc).toBe(d("0.1"));
    expect(h.every((e) => e.status === "confirmed")).toBe(true);
    // No engine jargon.
    expect(h.map((e) => [e.title, ...e.lines].join(" ")).join(" ")).not.toMatch(
      /LastFeeOpTimeUpdated|FeePaid|BaseRateUpdated/,
    );
    expect(buildHistory(events, "bob").map((e) => e.title)).toEqual(["Opened a vault"]);
  });

  it("status: pending ones first; a payout waits for settlement, then is settled", () => {
    const withdrawTx = events.at(-1)!.txid;
    const pending = [
      { txid: "f".repeat(64), addedAt: 1_800_000_000_000, opType: "redeem", status: { state: "waiting" } },
    ];
    const owed = buildHistory(events, "alice", pending, {
      owed: [{ id: obligationId(withdrawTx, 0) }],
      settled: [],
    });
    expect(owed[0]).toMatchObject({ status: "pending", title: "Redeem zkUSD", height: null });
    expect(owed[1]).toMatchObject({ status: "awaiting settlement", title: "Withdrew collateral" });
    const settled = buildHistory(events, "alice", [], {
      owed: [],
      settled: [{ id: obligationId(withdrawTx, 0), settledBy: "e".repeat(64) }],
    });
    expect(settled[0]).toMatchObject({ status: "settled", settledBy: "e".repeat(64) });
  });

  it("exports CSV with exact amounts, ISO times and explorer links", () => {
    const csv = historyCsv(buildHistory(events, "alice"), (txid) => `https://x/tx/${txid}`);
    const [header, first] = csv.split("\r\n");
    expect(header).toBe(
      "time_utc,block,status,what,details,btc_change,zkusd_change,fee_zkusd,fee_btc,txid,explorer",
    );
    expect(first).toMatch(/^2023-11-14T22:\d\d:\d\d\.000Z,13,confirmed,Withdrew collateral,"?Withdrew 0\.1/);
    expect(first).toContain(",0.1,0,0,0,");
    expect(first!.endsWith(`https://x/tx/${events.at(-1)!.txid}`)).toBe(true);
  });
});
