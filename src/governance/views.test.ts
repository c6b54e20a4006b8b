/**
 * The governance screen's overview read from one state: governable parameters with bounds, the
 * threshold for the next block, voting power, delegation both ways, and per-proposal power and votes.
 */
import { beforeAll, describe, expect, it } from "vitest";
import {
  apply,
  createGenesisState,
  DEFAULT_PARAMS,
  fractionOfCeil,
  initPoseidon,
  ONE,
  type Operation,
} from "../protocol/index.ts";
import { governableParameters, governanceOverview, votingPowerView } from "./index.ts";

const u = (x: number) => BigInt(x) * ONE;

function chain() {
  const state = createGenesisState({ ...DEFAULT_PARAMS, redemptionBootstrapDays: 0n }, { time: 1_000n });
  let height = 0n;
  const ok = (op: Operation, time = state.g.time) => {
    height++;
    const r = apply(state, op, { height, time });
    if (!r.ok) throw new Error(`${op.type}: ${r.error.code} ${r.error.message}`);
    return r.result;
  };
  /** Empty blocks pass (default: the voting-power window, so what is held now votes). */
  const mine = (blocks = state.gov.config.votingPowerWindow) => {
    height += blocks;
  };
  return { state, ok, mine, tip: () => height };
}

describe("governance overview", () => {
  beforeAll(() => initPoseidon());

  it("lists every settable parameter except the frozen ones, with the engine's values and bounds", () => {
    const { state } = chain();
    const params = governableParameters(state);
    const names = params.map((p) => p.name);
    expect(names).not.toContain("gasReserve");
    expect(names).not.toContain("initialPrice");
    expect(names).not.toContain("scaleFactor");
    expect(names).not.toContain("redemptionBootstrapDays");
    expect(names).toContain("MCR");
    expect(names).toContain("timelockDelay");
    const mcr = params.find((p) => p.name === "MCR")!;
    expect(mcr).toMatchObject({
      kind: "decimal",
      value: u(1) + ONE / 10n,
      min: u(1) + ONE / 20n,
      max: u(5),
      group: "params",
    });
    const timelock = params.find((p) => p.name === "timelockDelay")!;
    expect(timelock).toMatchObject({
      kind: "seconds",
      value: 2n * 86_400n,
      min: 2n * 86_400n,
      group: "governance",
    });
    expect(params.find((p) => p.name === "minuteDecayFactor")?.maxExclusive).toBe(true);
    expect(params.find((p) => p.name === "votingPowerWindow")).toMatchObject({
      kind: "integer",
      value: 1008n,
      min: 144n,
      group: "governance",
    });
  });

  it("reads power, delegation both ways, and each proposal's snapshot power and vote", () => {
    const { state, ok, mine, tip } = chain();
    ok({ type: "openVault", owner: "alice", collateral: u(10), borrow: u(100_000) });
    ok({ type: "openVault", owner: "bob", collateral: u(5), borrow: u(50_000) });
    ok({ type: "delegate", delegator: "bob", delegatee: "alice" });
    // Held for less than the voting-power window: no power for a proposal yet.
    expect(governanceOverview(state, "alice").account!.powerAtNextSnapshot).toBe(0n);
    mine();
    // After a window of empty blocks it has (the synced head, not the last spell's height, counts).
    const held = state.accounts.get("alice")!.balance + state.accounts.get("bob")!.balance;
    expect(governanceOverview(state, "alice").account!.powerAtNextSnapshot).toBe(0n);
    expect(governanceOverview(state, "alice", tip()).account!.powerAtNextSnapshot).toBe(held);
    const { proposalId } = ok({
      type: "propose",
      proposer: "alice",
      actions: [{ type: "setParameter", name: "MCR", value: u(1) + ONE / 5n }, { type: "pause" }],
    }) as { proposalId: bigint };
    ok({ type: "vote", voter: "alice", proposalId, support: "for" });

    const o = governanceOverview(state, "alice");
    expect(o.height).toBe(state.height);
    expect(o.nextSnapshot).toBe(state.height);
    expect(o.proposalThreshold).toBe(
      fractionOfCeil(state.g.zkusdSupply, state.gov.config.proposalThresholdFraction),
    );
    expect(o.proposals).toHaveLength(1);
    expect(o.proposals[0]!.state).toBe("active");
    expect(o.proposals[0]!.actions.map((a) => a.description)).toEqual(["setParameter MCR = 1.2", "pause"]);
    const alice = state.accounts.get("alice")!.balance;
    const bob = state.accounts.get("bob")!.balance;
    expect(o.account).toMatchObject({ account: "alice", balance: alice, power: alice + bob, delegate: null });
    expect(o.account!.delegators).toEqual(["bob"]);
    expect(o.account!.powerAtNextSnapshot).toBe(alice + bob);
    expect(o.account!.perProposal).toEqual([
      { id: proposalId, power: alice + bob, vote: { support: "for", votes: alice + bob } },
    ]);
    expect(o.proposals[0]!.forVotes).toBe(alice + bob);

    const b = votingPowerView(state, "bob");
    expect(b).toEqual({ account: "bob", balance: bob, power: 0n, delegate: "alice", delegators: [] });
    expect(governanceOverview(state).account).toBeNull();
  });

  it("is the same answer twice and never changes the state", () => {
    const { state, ok } = chain();
    ok({ type: "openVault", owner: "alice", collateral: u(10), borrow: u(100_000) });
    const before = JSON.stringify(state.gov, (_k, v) => (typeof v === "bigint" ? v.toString() : v));
    expect(governanceOverview(state, "zed")).toEqual(governanceOverview(state, "zed"));
    expect(governanceOverview(state, "zed").account).toMatchObject({
      balance: 0n,
      power: 0n,
      delegators: [],
    });
    expect(JSON.stringify(state.gov, (_k, v) => (typeof v === "bigint" ? v.toString() : v))).toBe(before);
  });
});
