/**
 * Bounded amounts (issue 14): every engine operation refuses an integer above MAX_AMOUNT with
 * amountTooLarge (and a negative one with negativeAmount) before any rule runs, accepts MAX_AMOUNT
 * itself, and the state root always computes afterwards; an approval of MAX_AMOUNT is unlimited.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { MAX_AMOUNT, ONE } from "./decimal.ts";
import { apply } from "./engine.ts";
import type { Operation } from "./operations.ts";
import { DEFAULT_PARAMS } from "./params.ts";
import { FIELD_MODULUS, initPoseidon } from "./poseidon.ts";
import { runScenario } from "./scenario.ts";
import { createGenesisState, deserializeState, getAllowance, type State, serializeState } from "./state.ts";
import { stateRoot } from "./stateRoot.ts";
import { UNLIMITED_ALLOWANCE } from "./token.ts";

const u = (x: number | bigint) => BigInt(x) * ONE;
const ctx = { height: 2n, time: 100n };

/** A state with a price, two vaults, a pool deposit and balances to move. */
function funded(): State {
  const s = createGenesisState({ ...DEFAULT_PARAMS, redemptionBootstrapDays: 0n }, { time: 0n });
  const ops: Operation[] = [
    { type: "setPrice", price: u(60_000) },
    { type: "openVault", owner: "alice", collateral: u(10), borrow: u(100_000) },
    { type: "openVault", owner: "bob", collateral: u(10), borrow: u(50_000) },
    { type: "poolDeposit", owner: "alice", amount: u(10_000) },
  ];
  for (const op of ops) {
    const r = apply(s, op, { height: 1n, time: 0n });
    if (!r.ok) throw r.error;
  }
  return s;
}

/** Every operation with an integer field, that field set to `x`. */
const withAmount = (x: bigint): [string, Operation][] => [
  ["setPrice", { type: "setPrice", price: x }],
  ["openVault collateral", { type: "openVault", owner: "carol", collateral: x, borrow: u(2_000) }],
  ["openVault borrow", { type: "openVault", owner: "carol", collateral: u(1), borrow: x }],
  ["openVault maxFee", { type: "openVault", owner: "carol", collateral: u(1), borrow: u(2_000), maxFee: x }],
  ["adjustVault deposit", { type: "adjustVault", owner: "alice", depositCollateral: x }],
  ["adjustVault withdraw", { type: "adjustVault", owner: "alice", withdrawCollateral: x }],
  ["adjustVault borrow", { type: "adjustVault", owner: "alice", borrow: x }],
  ["adjustVault repay", { type: "adjustVault", owner: "alice", repay: x }],
  ["adjustVault maxFee", { type: "adjustVault", owner: "alice", borrow: u(1), maxFee: x }],
  ["transfer", { type: "transfer", from: "alice", to: "bob", amount: x }],
  ["approve", { type: "approve", owner: "alice", spender: "bob", amount: x }],
  ["transferFrom", { type: "transferFrom", spender: "bob", from: "alice", to: "bob", amount: x }],
  ["poolDeposit", { type: "poolDeposit", owner: "alice", amount: x }],
  ["poolWithdraw", { type: "poolWithdraw", owner: "alice", amount: x }],
  ["redeem", { type: "redeem", redeemer: "alice", amount: x }],
  ["redeem maxFee", { type: "redeem", redeemer: "alice", amount: u(1), maxFee: x }],
  ["setBaseRate", { type: "setBaseRate", value: x }],
  ["vote", { type: "vote", voter: "alice", proposalId: x, support: "for" }],
  ["queue", { type: "queue", caller: "alice", proposalId: x }],
  ["execute", { type: "execute", caller: "alice", proposalId: x }],
  ["cancel", { type: "cancel", proposer: "alice", proposalId: x }],
  ["veto", { type: "veto", guardian: "alice", proposalId: x }],
  ["approveRotation", { type: "approveRotation", guardian: "alice", proposalId: x }],
];

beforeAll(() => initPoseidon());

describe("bounded amounts", () => {
  it("MAX_AMOUNT is 2^112 − 1, the circuits' amount range, far inside the BN254 field", () => {
    expect(MAX_AMOUNT).toBe(2n ** 112n - 1n);
    expect(MAX_AMOUNT * 2n ** 140n).toBeLessThan(FIELD_MODULUS);
  });

  for (const big of [MAX_AMOUNT + 1n, FIELD_MODULUS, 2n ** 256n - 1n]) {
    it(`refuses every operation carrying ${big === MAX_AMOUNT + 1n ? "2^112" : big === FIELD_MODULUS ? "the field modulus" : "2^256 − 1"} with amountTooLarge and changes nothing`, () => {
      for (const [name, op] of withAmount(big)) {
        const s = funded();
        const before = serializeState(s);
        const root = stateRoot(s);
        const r = apply(s, op, ctx);
        expect(r.ok ? "applied" : r.error.code, name).toBe("amountTooLarge");
        expect(serializeState(s), name).toEqual(before);
        expect(stateRoot(s), name).toBe(root);
      }
    });
  }

  it("refuses a negative integer in any field with negativeAmount", () => {
    for (const [name, op] of withAmount(-1n)) {
      const r = apply(funded(), op, ctx);
      expect(r.ok ? "applied" : r.error.code, name).toBe("negativeAmount");
    }
  });

  it("lets MAX_AMOUNT itself through to the operation's own rules, and the root always computes", () => {
    for (const [name, op] of withAmount(MAX_AMOUNT)) {
      const s = funded();
      const r = apply(s, op, ctx);
      if (!r.ok) expect(r.error.code, name).not.toBe("amountTooLarge");
      const fresh = deserializeState(serializeState(s));
      expect(stateRoot(s), name).toBe(stateRoot(fresh));
    }
  });

  it("refuses oversized numbers in scenario files with amountTooLarge, step by step", () => {
    const whole = (units: bigint) => `${units / ONE}.${(units % ONE).toString().padStart(18, "0")}`;
    const out = runScenario({
      params: {},
      steps: [
        { op: "openVault", owner: "a", collateral: "30", borrow: "2000" },
        { op: "approve", owner: "a", spender: "b", amount: whole(MAX_AMOUNT) },
        { op: "approve", owner: "a", spender: "b", amount: whole(MAX_AMOUNT + 1n) },
        { op: "transfer", from: "a", to: "b", amount: "1".padEnd(80, "0") },
        { op: "vote", voter: "a", proposal: (MAX_AMOUNT + 1n).toString(), support: "for" },
      ],
    });
    expect(out.steps.map((x) => (x.ok ? "ok" : x.error.code))).toEqual([
      "ok",
      "ok",
      "amountTooLarge",
      "amountTooLarge",
      "amountTooLarge",
    ]);
  });

  it("treats an approval of MAX_AMOUNT as unlimited: transferFrom never spends it down", () => {
    expect(UNLIMITED_ALLOWANCE).toBe(MAX_AMOUNT);
    const s = funded();
    const approve = apply(s, { type: "approve", owner: "alice", spender: "bob", amount: MAX_AMOUNT }, ctx);
    expect(approve.ok).toBe(true);
    for (let i = 0; i < 3; i++) {
      const r = apply(
        s,
        { type: "transferFrom", spender: "bob", from: "alice", to: "carol", amount: u(7) },
        ctx,
      );
      expect(r.ok).toBe(true);
      if (r.ok) expect(r.events.map((e) => e.type)).toEqual(["Transfer"]);
    }
    expect(getAllowance(s, "alice", "bob")).toBe(MAX_AMOUNT);
    expect(s.accounts.get("carol")?.balance).toBe(u(21));
    expect(stateRoot(s)).toBe(stateRoot(deserializeState(serializeState(s))));
    // A finite allowance still goes down.
    apply(s, { type: "approve", owner: "alice", spender: "bob", amount: MAX_AMOUNT - 1n }, ctx);
    apply(s, { type: "transferFrom", spender: "bob", from: "alice", to: "carol", amount: u(7) }, ctx);
    expect(getAllowance(s, "alice", "bob")).toBe(MAX_AMOUNT - 1n - u(7));
  });

  it("rolls back an operation whose beforeCommit throws after computing the root, root included", () => {
    const s = funded();
    const before = serializeState(s);
    const root = stateRoot(s);
    expect(() =>
      apply(s, { type: "transfer", from: "alice", to: "dave", amount: u(5) }, ctx, {
        beforeCommit: (state) => {
          stateRoot(state);
          throw new Error("proof does not verify");
        },
      }),
    ).toThrow("proof does not verify");
    expect(serializeState(s)).toEqual(before);
    expect(stateRoot(s)).toBe(root);
    const r = apply(s, { type: "transfer", from: "alice", to: "dave", amount: u(5) }, ctx);
    expect(r.ok).toBe(true);
    expect(stateRoot(s)).toBe(stateRoot(deserializeState(serializeState(s))));
  });
});
