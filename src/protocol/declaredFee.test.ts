/**
 * The declared borrowing fee (issue 16, docs/zk.md "Declared fee"): valid when at least the engine's
 * fee at confirmation and within maxFee; then it is the fee charged. Hostile cases first.
 */
import { describe, expect, it } from "vitest";
import { decodeSpell, encodeSpell, fromOperation, toOperation } from "../btc/spell.ts";
import { parseDecimal } from "./decimal.ts";
import { apply } from "./engine.ts";
import type { Operation } from "./operations.ts";
import { DEFAULT_PARAMS } from "./params.ts";
import { cloneState, createGenesisState, findAccount, type State } from "./state.ts";

const u = parseDecimal;
const T0 = 1_700_000_000n;

function system(): State {
  const s = createGenesisState({ ...DEFAULT_PARAMS }, { time: T0, price: u("60000") });
  for (const op of [
    { type: "openVault", owner: "alice", collateral: u("2"), borrow: u("20000") },
    { type: "openVault", owner: "bob", collateral: u("3"), borrow: u("20000") },
    { type: "setBaseRate", value: u("0.02") },
  ] as const) {
    const r = apply(s, op, { height: 1n, time: T0 });
    if (!r.ok) throw r.error;
  }
  return s;
}

const at = (s: State, op: Operation, minutes = 0n) => apply(s, op, { height: 2n, time: T0 + minutes * 60n });
const engineFee = (s: State, op: Operation, minutes = 0n) => {
  const r = at(cloneState(s), op, minutes);
  if (!r.ok) throw r.error;
  return r.result.fee as bigint;
};

describe("declared fee", () => {
  const borrow = { type: "adjustVault", owner: "alice", borrow: u("1000") } as const;

  it("a declared fee one unit below the engine's current fee is refused (feeBelowCurrent), the state unchanged", () => {
    const s = system();
    const fee = engineFee(s, borrow);
    expect(fee).toBe(u("25")); // (0.5% floor + 2% base rate) of 1,000
    const debt = findAccount(s, "alice")!.debt;
    const r = at(s, { ...borrow, fee: fee - 1n });
    expect(r.ok ? "applied" : r.error.code).toBe("feeBelowCurrent");
    expect(findAccount(s, "alice")!.debt).toBe(debt);
  });

  it("a fee declared without borrowing is refused (feeWithoutBorrowing)", () => {
    const s = system();
    const r = at(s, { type: "adjustVault", owner: "alice", depositCollateral: u("1"), fee: 1n });
    expect(r.ok ? "applied" : r.error.code).toBe("feeWithoutBorrowing");
    expect(at(s, { type: "adjustVault", owner: "alice", depositCollateral: u("1"), fee: 0n }).ok).toBe(true);
  });

  it("a declared fee above the accepted maximum is refused (feeExceedsMaximum)", () => {
    const s = system();
    const r = at(s, { ...borrow, fee: u("60"), maxFee: u("0.05") });
    expect(r.ok ? "applied" : r.error.code).toBe("feeExceedsMaximum");
  });

  it("the declared fee is the fee charged: quoted now, confirmed an hour later (the base rate decayed) or after another user's borrow", () => {
    const s = system();
    const quoted = engineFee(s, borrow);
    const later = engineFee(s, borrow, 60n);
    expect(later).toBeLessThan(quoted);
    // bob borrows first (it only decays the base rate further)
    expect(at(s, { type: "adjustVault", owner: "bob", borrow: u("500") }, 30n).ok).toBe(true);
    const before = findAccount(s, "alice")!.debt;
    const feePool = s.g.feePool;
    const r = at(s, { ...borrow, fee: quoted }, 60n);
    expect(r.ok && r.result.fee).toBe(quoted);
    expect(findAccount(s, "alice")!.debt - before).toBe(u("1000") + quoted);
    expect(s.g.feePool - feePool).toBe(quoted);
  });

  it("an open with a declared fee charges it; in recovery mode a declared fee is charged too", () => {
    const s = system();
    const open = { type: "openVault", owner: "carol", collateral: u("1"), borrow: u("2000") } as const;
    const fee = engineFee(s, open);
    const r = at(s, { ...open, fee: fee + 7n });
    expect(r.ok && r.result.fee).toBe(fee + 7n);
    const rec = system();
    rec.params = { ...rec.params, CCR: u("10") };
    const borrowMore = {
      type: "adjustVault",
      owner: "bob",
      depositCollateral: u("20"),
      borrow: u("100"),
    } as const;
    expect(engineFee(rec, borrowMore)).toBe(0n);
    const r2 = at(rec, { ...borrowMore, fee: u("1") });
    expect(r2.ok && r2.result.fee).toBe(u("1"));
  });

  it("travels in the spell as the last optional field; a spell without it encodes as before", () => {
    const op: Operation = {
      type: "adjustVault",
      owner: "alice",
      borrow: u("1000"),
      maxFee: u("0.05"),
      fee: u("25"),
    };
    const { op: spellOp } = fromOperation(op);
    const bytes = encodeSpell({
      version: 1,
      op: spellOp,
      attestation: new Uint8Array(0),
      proof: new Uint8Array(128),
    });
    expect(toOperation(decodeSpell(bytes).op, "alice")).toEqual(op);
    const { fee: _fee, ...undeclared } = spellOp as Extract<typeof spellOp, { type: "adjustVault" }>;
    const old = encodeSpell({
      version: 1,
      op: undeclared,
      attestation: new Uint8Array(0),
      proof: new Uint8Array(128),
    });
    // the flags byte differs only in the fee's bit; the fee's LEB128 bytes follow at the end
    expect(old.length).toBeLessThan(bytes.length);
    expect(toOperation(decodeSpell(old).op, "alice")).toEqual({
      type: "adjustVault",
      owner: "alice",
      borrow: u("1000"),
      maxFee: u("0.05"),
    });
  });
});
