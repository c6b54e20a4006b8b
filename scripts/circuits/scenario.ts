/**
 * The engine scenario behind the circuit examples, tests and benchmarks: three vaults, one
 * liquidated by redistribution (so the survivors carry pending rewards) and a base rate that decays.
 */
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  initPoseidon,
  type Operation,
  parseDecimal,
  type State,
} from "../../src/protocol/index.ts";
import type { Attestation, ProveContext } from "../../src/zk/witness.ts";

export const u = (text: string) => parseDecimal(text);
export const GENESIS_TIME = 1_767_225_600n; // 2026-01-01T00:00:00Z

/** State after the scenario, at time `now`; the price is 60,000 USD/BTC. */
export async function scenarioState(): Promise<{ state: State; now: bigint }> {
  await initPoseidon();
  const state = createGenesisState({ ...DEFAULT_PARAMS }, { time: GENESIS_TIME, price: u("60000") });
  let t = GENESIS_TIME;
  const step = (op: Operation, dt = 600n) => {
    t += dt;
    const r = apply(state, op, { height: t / 600n, time: t });
    if (!r.ok) throw new Error(`scenario step ${op.type} failed: ${r.error.code}`);
  };
  step({ type: "openVault", owner: "alice", collateral: u("2"), borrow: u("50000") });
  step({ type: "openVault", owner: "bob", collateral: u("1"), borrow: u("30000") });
  step({ type: "openVault", owner: "carol", collateral: u("10"), borrow: u("100000") });
  step({ type: "setPrice", price: u("33000") });
  step({ type: "liquidate", owner: "bob", liquidator: "carol" });
  step({ type: "setPrice", price: u("60000") });
  step({ type: "setBaseRate", value: u("0.02") });
  t += 90n * 60n; // 90 minutes of base-rate decay before the next operation
  return { state, now: t };
}

export function attestationFor(state: State, now: bigint, round = 42n): Attestation {
  return { price: state.g.price, timestamp: now - 30n, round };
}

export function contextFor(state: State, now: bigint): ProveContext {
  return { time: now, attestation: attestationFor(state, now) };
}
