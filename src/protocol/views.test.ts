/** The risk views (views.ts): lines, levels, the redemption queue and "would the engine liquidate it". */
import { describe, expect, it } from "vitest";
import { parseDecimal } from "./decimal.ts";
import { apply } from "./engine.ts";
import type { Operation } from "./operations.ts";
import { DEFAULT_PARAMS } from "./params.ts";
import { cloneState, createGenesisState, findAccount, type State } from "./state.ts";
import { getTCR, isRecoveryMode } from "./tx.ts";
import { isLiquidatable, priceAtRatio, RISK_MARGIN, systemRiskLevel, vaultRisk } from "./views.ts";

const d = parseDecimal;
let height = 0n;
function run(state: State, op: Operation): void {
  height++;
  const r = apply(state, op, { height, time: 0n });
  if (!r.ok) throw new Error(`${op.type}: ${r.error.code}`);
}

/** bob near MCR (119%), alice safe (247%) but below the TCR, carol safe; 31,000 zkUSD in the pool (enough for recovery mode's capped liquidations). */
function world(): State {
  height = 0n;
  const s = createGenesisState({ ...DEFAULT_PARAMS }, { time: 0n, height: 0n });
  run(s, { type: "openVault", owner: "alice", collateral: d("1"), borrow: d("24000") });
  run(s, { type: "openVault", owner: "bob", collateral: d("0.5"), borrow: d("24800") });
  run(s, { type: "openVault", owner: "carol", collateral: d("2"), borrow: d("30000") });
  run(s, { type: "poolDeposit", owner: "alice", amount: d("3000") });
  run(s, { type: "poolDeposit", owner: "carol", amount: d("28000") });
  return s;
}

const debtOf = (s: State, id: string) => vaultRisk(s, id) && findAccount(s, id)!.debt;

describe("vaultRisk", () => {
  it("gives the lines as prices, the level and the debt redeemed before each vault", () => {
    const s = world();
    const bob = vaultRisk(s, "bob")!;
    const alice = vaultRisk(s, "alice")!;
    const carol = vaultRisk(s, "carol")!;
    expect(bob.level).toBe("danger"); // below MCR + 10 points, not liquidatable
    expect(bob.liquidatable).toBe(false);
    expect(alice.level).toBe("safe");
    // Redemptions take bob first, then alice, then carol; the gas reserve is never redeemed.
    expect(bob.redemptionRank).toBe(1n);
    expect(bob.debtAhead).toBe(0n);
    expect(alice.redemptionRank).toBe(2n);
    expect(alice.debtAhead).toBe(debtOf(s, "bob")! - DEFAULT_PARAMS.gasReserve);
    expect(carol.redemptionRank).toBe(3n);
    expect(carol.debtAhead).toBe(debtOf(s, "bob")! + debtOf(s, "alice")! - 2n * DEFAULT_PARAMS.gasReserve);
    // Liquidation price: the price at which ICR = MCR, rounded up (the user is warned early).
    const a = findAccount(s, "alice")!;
    expect(alice.liquidationPrice).toBe((a.debt * DEFAULT_PARAMS.MCR + a.coll - 1n) / a.coll);
    expect(alice.recoveryLiquidationPrice).toBe(priceAtRatio(a.coll, a.debt, DEFAULT_PARAMS.CCR));
    // At the system's recovery price the TCR is CCR (up to the rounding up).
    const tcrThere = getTCR(s, carol.systemRecoveryPrice!);
    expect(tcrThere).toBeGreaterThanOrEqual(DEFAULT_PARAMS.CCR);
    expect(getTCR(s, carol.systemRecoveryPrice! - 1n)).toBeLessThan(DEFAULT_PARAMS.CCR);
    // Below the TCR, a vault would be liquidatable in recovery mode; above it, not.
    expect(bob.liquidatableInRecovery).toBe(true);
    expect(alice.liquidatableInRecovery).toBe(true);
    expect(carol.liquidatableInRecovery).toBe(false);
    expect(vaultRisk(s, "nobody")).toBeUndefined();
  });

  it("below MCR: liquidatable, and skipped by the redemption queue", () => {
    const s = world();
    run(s, { type: "setPrice", price: d("55000") });
    const bob = vaultRisk(s, "bob")!;
    expect(bob.level).toBe("liquidatable");
    expect(bob.liquidatable).toBe(true);
    expect(bob.redemptionRank).toBeNull();
    expect(vaultRisk(s, "alice")!.debtAhead).toBe(0n);
    expect(vaultRisk(s, "alice")!.redemptionRank).toBe(1n);
  });

  it("isLiquidatable agrees with the engine at every price, in normal and recovery mode", () => {
    let sawRecovery = false;
    let sawLiquidatable = 0;
    let sawCapped = 0; // liquidatable in recovery mode at or above MCR
    for (let price = 20_000n; price <= 80_000n; price += 1_250n) {
      const s = world();
      run(s, { type: "setPrice", price: price * 10n ** 18n });
      sawRecovery ||= isRecoveryMode(s);
      for (const id of ["alice", "bob", "carol"]) {
        const engine = apply(
          cloneState(s),
          { type: "liquidate", owner: id, liquidator: "dave" },
          { height: height + 1n, time: 0n },
        ).ok;
        const a = findAccount(s, id)!;
        expect(isLiquidatable(s, a), `${id} at ${price}`).toBe(engine);
        expect(vaultRisk(s, id)!.level === "liquidatable").toBe(engine);
        if (engine) sawLiquidatable++;
        if (engine && vaultRisk(s, id)!.icr >= DEFAULT_PARAMS.MCR) sawCapped++;
      }
    }
    expect(sawRecovery).toBe(true);
    expect(sawLiquidatable).toBeGreaterThan(0);
    expect(sawCapped).toBeGreaterThan(0);
  });

  it("the system's level: recovery below CCR, caution within the margin, safe above", () => {
    const p = { CCR: DEFAULT_PARAMS.CCR };
    expect(systemRiskLevel(DEFAULT_PARAMS.CCR - 1n, p)).toBe("recovery");
    expect(systemRiskLevel(DEFAULT_PARAMS.CCR, p)).toBe("caution"); // exactly on the line: never green
    expect(systemRiskLevel(DEFAULT_PARAMS.CCR + RISK_MARGIN - 1n, p)).toBe("caution");
    expect(systemRiskLevel(DEFAULT_PARAMS.CCR + RISK_MARGIN, p)).toBe("safe");
  });
});
