import { beforeAll, describe, expect, it } from "vitest";
import { scenarioState, u } from "../../../scripts/circuits/scenario.ts";
import { apply, cloneState, type Operation, type State } from "../../protocol/index.ts";
import { proofBasisMoved, refusalAdvice, whatMoved } from "./reprove.ts";

let state: State;
let now: bigint;
beforeAll(async () => {
  ({ state, now } = await scenarioState());
});

/** `state` after `op` (a copy). */
function stateAfter(op: Operation, from: State = state): State {
  const s = cloneState(from);
  const r = apply(s, op, { height: from.height + 1n, time: now });
  if (!r.ok) throw new Error(r.error.code);
  return s;
}

describe("proofBasisMoved: whether a proof made on one state still holds on the engine's next", () => {
  it("another user's change to their own vault leaves alice's proof standing", () => {
    expect(
      proofBasisMoved(
        state,
        stateAfter({ type: "adjustVault", owner: "carol", depositCollateral: u("1") }),
        "alice",
      ),
    ).toBeNull();
    expect(
      proofBasisMoved(
        state,
        stateAfter({ type: "adjustVault", owner: "carol", borrow: u("100"), maxFee: u("0.05") }),
        "alice",
      ),
    ).toBeNull();
  });

  it("a change to alice's own vault moves it", () => {
    expect(
      proofBasisMoved(
        state,
        stateAfter({ type: "adjustVault", owner: "alice", depositCollateral: u("0.1") }),
        "alice",
      ),
    ).toBe("vault");
  });

  it("a new price moves the context every vault proof reads", () => {
    expect(proofBasisMoved(state, stateAfter({ type: "setPrice", price: u("61000") }), "alice")).toBe(
      "context",
    );
  });

  it("an open: no account on both sides holds; an account opened meanwhile moves it", () => {
    expect(
      proofBasisMoved(
        state,
        stateAfter({ type: "adjustVault", owner: "carol", depositCollateral: u("1") }),
        "dave",
      ),
    ).toBeNull();
    const opened = stateAfter({
      type: "openVault",
      owner: "dave",
      collateral: u("3"),
      borrow: u("2000"),
      maxFee: u("0.05"),
    });
    expect(proofBasisMoved(state, opened, "dave")).toBe("vault");
  });
});

describe("refusalAdvice: which refusals of a proven spell are worth proving again", () => {
  it("proofInvalid and a declared fee below the current one: prove again, saying why", () => {
    const invalid = refusalAdvice({ code: "proofInvalid", message: "the vault proof does not verify" });
    expect(invalid).toMatchObject({ reprove: true });
    expect(invalid.reprove && invalid.why).toMatch(/vault .*changed/);
    const fee = refusalAdvice({
      code: "ruleViolated",
      message: "the declared fee 1 is below",
      detail: "feeBelowCurrent",
    });
    expect(fee).toMatchObject({ reprove: true });
    expect(fee.reprove && fee.why).toMatch(/fee rose/);
  });

  it("any other refusal is final", () => {
    for (const r of [
      { code: "ruleViolated", message: "undercollateralized", detail: "icrBelowMcr" },
      { code: "custodyMismatch", message: "no vault output" },
      { code: "stalePrice", message: "old" },
      { message: "no code (an older engine)" },
    ])
      expect(refusalAdvice(r)).toEqual({ reprove: false });
  });
});

describe("whatMoved: what changed under a proof, in words for the progress", () => {
  it("names the vault's amounts that moved, the price, or nothing when the proof holds", () => {
    expect(
      whatMoved(
        state,
        stateAfter({ type: "adjustVault", owner: "carol", depositCollateral: u("1") }),
        "alice",
      ),
    ).toBeNull();
    expect(
      whatMoved(
        state,
        stateAfter({ type: "adjustVault", owner: "alice", depositCollateral: u("0.1") }),
        "alice",
      ),
    ).toMatch(
      /^your vault changed \(collateral [\d.]+ BTC → [\d.]+ BTC(, debt [\d,.]+ zkUSD → [\d,.]+ zkUSD)?\)$/,
    );
    expect(whatMoved(state, stateAfter({ type: "setPrice", price: u("61000") }), "alice")).toMatch(
      /^the price moved \(\$[\d,.]+ → \$61,000(\.00)?\)$/,
    );
  });
});
