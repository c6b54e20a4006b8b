/**
 * Engine invariants over thousands of random operation sequences (fast-check): conservation of
 * collateral and debt, no negative balance, pool solvency, sorted order, deterministic roots, and
 * atomicity of failing operations.
 */
import { secp256k1 } from "@noble/curves/secp256k1.js";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import {
  apply,
  cloneStateWithRoot,
  computeNominalCR,
  createGenesisState,
  DEFAULT_PARAMS,
  depositView,
  deserializeState,
  entireColl,
  entireDebt,
  type GovAction,
  initPoseidon,
  ONE,
  type Operation,
  SATOSHI,
  type State,
  serializeState,
  stateRoot,
} from "../src/protocol/index.ts";

/**
 * Runs are seeded so CI is deterministic: the check that every operation kind succeeded at least once
 * must not depend on luck. Set ZKUSD_PROPERTY_SEED to explore other histories locally; with another
 * seed a rare kind (a governance execution, a gain claimed to a vault) may be missed, which that check
 * reports as "never succeeded" — the invariants are what to read then.
 */
const PROPERTY_SEED = Number(process.env.ZKUSD_PROPERTY_SEED ?? 20261124);

const OWNERS = ["a0", "a1", "a2", "a3", "a4", "a5"];
const u = (whole: number, frac = 0) => BigInt(whole) * ONE + BigInt(frac);

const owner = fc.constantFrom(...OWNERS);
/** A fraction in [0, 1] with 4 decimals, applied to the live state when the step runs. */
const fraction = fc.integer({ min: 1, max: 10_000 }).map((x) => BigInt(x));
const ofFraction = (x: bigint, f: bigint) => (x * f) / 10_000n;

/**
 * Steps are intents resolved against the live state (amounts as fractions of balances, ICR targets,
 * relative price moves), so random sequences reach liquidations, redemptions and pool offsets.
 */
type Step =
  | { kind: "open"; owner: string; collateral: bigint; icrBps: bigint }
  | {
      kind: "adjust";
      owner: string;
      field: "depositCollateral" | "withdrawCollateral" | "borrow" | "repay";
      f: bigint;
    }
  | { kind: "close"; owner: string }
  | { kind: "poolDeposit" | "poolWithdraw" | "redeem"; owner: string; f: bigint }
  | { kind: "transfer"; from: string; to: string; f: bigint }
  | { kind: "price"; moveBps: bigint }
  | { kind: "advance"; seconds: bigint }
  | { kind: "plain"; op: Operation }
  | { kind: "propose"; owner: string; action: number }
  | { kind: "vote"; owner: string; back: number; support: 0 | 1 | 2 }
  | { kind: "lifecycle"; type: "queue" | "execute" | "cancel"; owner: string; back: number; wait: bigint }
  | { kind: "veto"; guardian: number; back: number };

/** Guardian keys of the property runs (2 of 3). */
const GUARDIANS = [1, 2, 3].map((i) =>
  Buffer.from(secp256k1.getPublicKey(new Uint8Array(32).fill(i))).toString("hex"),
);

/** Proposal contents the generator picks from (shutdown is left to test/governance.test.ts: it freezes the run). */
const PROPOSALS: GovAction[][] = [
  [{ type: "setParameter", name: "borrowingFeeFloor", value: ONE / 100n }],
  [{ type: "setParameter", name: "MCR", value: (115n * ONE) / 100n }],
  [{ type: "setParameter", name: "votingPeriod", value: 2n * 86_400n }],
  [{ type: "pause" }],
  [{ type: "unpause" }],
  [{ type: "rotateGuardians", keys: GUARDIANS.slice(0, 2), threshold: 1 }],
  [{ type: "setParameter", name: "MCR", value: 6n * ONE }],
];

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc
      .record({ owner, w: fc.integer({ min: 1, max: 100 }), icr: fc.integer({ min: 10_800, max: 40_000 }) })
      .map(
        ({ owner, w, icr }) => ({ kind: "open", owner, collateral: u(w) / 7n, icrBps: BigInt(icr) }) as Step,
      ),
  },
  {
    weight: 4,
    arbitrary: fc
      .record({
        owner,
        field: fc.constantFrom("depositCollateral", "withdrawCollateral", "borrow", "repay"),
        f: fraction,
      })
      .map((r) => ({ kind: "adjust", ...r }) as Step),
  },
  { weight: 2, arbitrary: owner.map((o) => ({ kind: "close", owner: o }) as Step) },
  {
    weight: 3,
    arbitrary: fc.record({ owner, f: fraction }).map((r) => ({ kind: "poolDeposit", ...r }) as Step),
  },
  {
    weight: 2,
    arbitrary: fc.record({ owner, f: fraction }).map((r) => ({ kind: "poolWithdraw", ...r }) as Step),
  },
  { weight: 2, arbitrary: fc.record({ owner, f: fraction }).map((r) => ({ kind: "redeem", ...r }) as Step) },
  {
    weight: 2,
    arbitrary: fc
      .record({ from: owner, to: owner, f: fraction })
      .map((r) => ({ kind: "transfer", ...r }) as Step),
  },
  {
    weight: 4,
    arbitrary: fc
      .integer({ min: -3_500, max: 3_000 })
      .map((m) => ({ kind: "price", moveBps: BigInt(m) }) as Step),
  },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 1, max: 3 * 86_400 })
      .map((x) => ({ kind: "advance", seconds: BigInt(x) }) as Step),
  },
  // Claims succeed only after an offset left gains, so they are drawn often enough to be reached.
  {
    weight: 5,
    arbitrary: owner.map((o) => ({ kind: "plain", op: { type: "claimGainsToVault", owner: o } }) as Step),
  },
  {
    weight: 4,
    arbitrary: owner.map((o) => ({ kind: "plain", op: { type: "claimGains", owner: o } }) as Step),
  },
  {
    weight: 1,
    arbitrary: owner.map((o) => ({ kind: "plain", op: { type: "claimSurplus", owner: o } }) as Step),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ owner, liquidator: owner })
      .map((r) => ({ kind: "plain", op: { type: "liquidate", ...r } }) as Step),
  },
  {
    weight: 2,
    arbitrary: fc
      .record({ count: fc.integer({ min: 1, max: 6 }), liquidator: owner })
      .map((r) => ({ kind: "plain", op: { type: "liquidateBatch", ...r } }) as Step),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ owners: fc.array(owner, { maxLength: 4 }), liquidator: owner })
      .map((r) => ({ kind: "plain", op: { type: "liquidateList", ...r } }) as Step),
  },
  // governance
  {
    weight: 2,
    arbitrary: fc
      .record({ owner, action: fc.integer({ min: 0, max: PROPOSALS.length - 1 }) })
      .map((r) => ({ kind: "propose", ...r }) as Step),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({ owner, back: fc.integer({ min: 0, max: 3 }), support: fc.constantFrom(0, 1, 1, 1, 2) })
      .map((r) => ({ kind: "vote", ...r }) as Step),
  },
  {
    weight: 3,
    arbitrary: fc
      .record({
        type: fc.constantFrom("queue", "execute", "execute", "cancel"),
        owner,
        back: fc.integer({ min: 0, max: 3 }),
        // Time passes before the step, so queued proposals reach their timelock.
        wait: fc.constantFrom(0n, 0n, 86_400n, 2n * 86_400n),
      })
      .map((r) => ({ kind: "lifecycle", ...r }) as Step),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ guardian: fc.integer({ min: 0, max: 3 }), back: fc.integer({ min: 0, max: 3 }) })
      .map((r) => ({ kind: "veto", ...r }) as Step),
  },
  {
    weight: 1,
    arbitrary: fc.record({ from: owner, to: owner }).map(
      (r) =>
        ({
          kind: "plain",
          op:
            r.from === r.to
              ? { type: "undelegate", delegator: r.from }
              : { type: "delegate", delegator: r.from, delegatee: r.to },
        }) as Step,
    ),
  },
);

/** Seconds a step lets pass before it runs. */
const waitOf = (st: Step): bigint =>
  st.kind === "advance" ? st.seconds : st.kind === "lifecycle" ? st.wait : 0n;

/** A proposal id counted back from the newest (0 = newest); ids that don't exist test refusals. */
const proposalBack = (s: State, back: number) => BigInt(Math.max(s.gov.proposals.length - back, 1));

/** Turns an intent into engine operations against the current state. */
function resolve(s: State, st: Step): Operation[] {
  const bal = (id: string) => s.accounts.get(id)?.balance ?? 0n;
  switch (st.kind) {
    case "open": {
      const debt = (st.collateral * s.g.price) / ((st.icrBps * ONE) / 10_000n);
      const borrow = ((debt - s.params.gasReserve) * 1000n) / 1006n;
      return borrow > 0n ? [{ type: "openVault", owner: st.owner, collateral: st.collateral, borrow }] : [];
    }
    case "adjust": {
      const a = s.accounts.get(st.owner);
      const base =
        st.field === "depositCollateral"
          ? u(10)
          : st.field === "withdrawCollateral"
            ? (a?.coll ?? 0n)
            : st.field === "borrow"
              ? u(20_000)
              : bal(st.owner);
      const amount = ofFraction(base, st.f);
      return amount > 0n ? [{ type: "adjustVault", owner: st.owner, [st.field]: amount }] : [];
    }
    case "close": {
      const a = s.accounts.get(st.owner);
      if (a?.status !== "active") return [{ type: "closeVault", owner: st.owner }];
      const need = entireDebt(s, a) - s.params.gasReserve - a.balance;
      const ops: Operation[] = [];
      if (need > 0n) {
        const donor = OWNERS.filter((o) => o !== st.owner).sort((x, y) => (bal(y) > bal(x) ? 1 : -1))[0]!;
        const amount = bal(donor) < need ? bal(donor) : need;
        if (amount > 0n) ops.push({ type: "transfer", from: donor, to: st.owner, amount });
      }
      return [...ops, { type: "closeVault", owner: st.owner }];
    }
    case "poolDeposit":
    case "redeem": {
      const amount = ofFraction(bal(st.owner), st.f);
      if (amount === 0n) return [];
      return st.kind === "redeem"
        ? [{ type: "redeem", redeemer: st.owner, amount }]
        : [{ type: "poolDeposit", owner: st.owner, amount }];
    }
    case "poolWithdraw":
      return [{ type: "poolWithdraw", owner: st.owner, amount: ofFraction(u(100_000), st.f) }];
    case "transfer": {
      const amount = ofFraction(bal(st.from), st.f);
      return amount > 0n ? [{ type: "transfer", from: st.from, to: st.to, amount }] : [];
    }
    case "price": {
      const price = (s.g.price * (10_000n + st.moveBps)) / 10_000n;
      return [{ type: "setPrice", price: price < u(100) ? u(100) : price }];
    }
    case "advance":
      return [];
    case "plain":
      return [st.op];
    case "propose":
      return [{ type: "propose", proposer: st.owner, actions: PROPOSALS[st.action]! }];
    case "vote":
      return [
        {
          type: "vote",
          voter: st.owner,
          proposalId: proposalBack(s, st.back),
          support: (["against", "for", "abstain"] as const)[st.support],
        },
      ];
    case "lifecycle": {
      const proposalId = proposalBack(s, st.back);
      return st.type === "cancel"
        ? [{ type: "cancel", proposer: st.owner, proposalId }]
        : [{ type: st.type, caller: st.owner, proposalId }];
    }
    case "veto":
      return [
        { type: "veto", guardian: GUARDIANS[st.guardian] ?? "a0", proposalId: proposalBack(s, st.back) },
      ];
  }
}

const params = { ...DEFAULT_PARAMS, initialPrice: u(30_000), redemptionBootstrapDays: 0n };

interface Ledger {
  collateralIn: bigint;
  paidOut: bigint;
}

/** Successful operations by type across a property run: proves the generator reaches every path. */
const succeeded = new Map<string, number>();
const failedCodes = new Map<string, number>();

/** Short governance periods so random runs go through whole lifecycles. */
const genesis = {
  time: 0n,
  governance: {
    config: { votingPeriod: 86_400n, gracePeriod: 5n * 86_400n, votingPowerWindow: 144n },
    guardians: { keys: GUARDIANS, threshold: 2n },
  },
};

function run(steps: Step[], check?: (s: State, ledger: Ledger) => void): { state: State; ledger: Ledger } {
  const state = createGenesisState(params, genesis);
  const ledger: Ledger = { collateralIn: 0n, paidOut: 0n };
  let time = 0n;
  let height = 0n;
  for (const st of steps) {
    time += waitOf(st);
    for (const op of resolve(state, st)) {
      // Every operation in its own block, 144 blocks apart (the shortest voting-power window): power
      // on a proposal is the least an account held since the operation before the proposal.
      height += 144n;
      const before = check ? JSON.stringify(serializeState(state)) : "";
      const r = apply(state, op, { height, time });
      if (r.ok) {
        succeeded.set(op.type, (succeeded.get(op.type) ?? 0) + 1);
        for (const e of r.events) {
          if (e.type === "VaultLiquidated")
            succeeded.set(`liquidated:${e.mode}`, (succeeded.get(`liquidated:${e.mode}`) ?? 0) + 1);
          if (e.type === "Redistributed" || e.type === "PoolOffset")
            succeeded.set(e.type, (succeeded.get(e.type) ?? 0) + 1);
          if ("paidSats" in e) ledger.paidOut += e.paidSats * SATOSHI;
        }
        if (op.type === "openVault") ledger.collateralIn += op.collateral;
        if (op.type === "adjustVault") ledger.collateralIn += op.depositCollateral ?? 0n;
      } else {
        failedCodes.set(r.error.code, (failedCodes.get(r.error.code) ?? 0) + 1);
        if (check) same(JSON.stringify(serializeState(state)), before, `${r.error.code} changed the state`);
      }
      check?.(state, ledger);
    }
  }
  return { state, ledger };
}

/**
 * Plain checks for the per-step invariants: the conservation property makes millions of them, and
 * vitest's `expect` bookkeeping took 15.6 s of its 24 s in a CPU profile (28 s → 5 s without it).
 * Same checks, same failure (a thrown error, which fast-check shrinks), the values in the message.
 */
function holds(ok: boolean, what: string): void {
  if (!ok) throw new Error(`invariant broken: ${what}`);
}
function same(actual: bigint | string, expected: bigint | string, what: string): void {
  if (actual === expected) return;
  const values = typeof actual === "bigint" ? `: ${actual} !== ${expected}` : "";
  throw new Error(`invariant broken: ${what}${values}`);
}

function checkInvariants(s: State, ledger: Ledger): void {
  const g = s.g;
  let activeColl = 0n;
  let activeDebt = 0n;
  let pendingC = 0n;
  let pendingD = 0n;
  let balances = 0n;
  let compounded = 0n;
  let gains = 0n;
  let surplus = 0n;
  let stakes = 0n;
  for (const a of s.accountList) {
    holds(a.balance >= 0n && a.coll >= 0n && a.debt >= 0n && a.surplus >= 0n, "no negative account amounts");
    balances += a.balance;
    surplus += a.surplus;
    if (a.status === "active") {
      activeColl += a.coll;
      activeDebt += a.debt;
      stakes += a.stake;
      pendingC += entireColl(s, a) - a.coll;
      pendingD += entireDebt(s, a) - a.debt;
    } else {
      same(a.coll + a.debt + a.stake, 0n, "an inactive vault holds nothing");
    }
    const d = depositView(s, a);
    compounded += d.compounded;
    gains += d.btcGain;
  }
  for (const [k, v] of Object.entries(g)) if (v < 0n) holds(false, `g.${k} >= 0`);
  // Collateral: every unit deposited is in a vault, a pool, a reserve, the dust account, or was paid out.
  same(
    g.activeColl +
      g.defaultColl +
      g.poolColl +
      g.surplusCollateral +
      g.feeCollateral +
      g.dust +
      ledger.paidOut,
    ledger.collateralIn,
    "collateral conserved",
  );
  same(g.activeColl, activeColl, "activeColl = sum of vaults");
  same(g.activeDebt, activeDebt, "activeDebt = sum of vaults");
  same(g.totalStakes, stakes, "totalStakes = sum of stakes");
  same(g.surplusCollateral, surplus, "surplusCollateral = sum of surpluses");
  // Pending rewards never exceed what the default pool holds.
  holds(pendingC <= g.defaultColl && pendingD <= g.defaultDebt, "pending rewards <= default pool");
  // Debt: all zkUSD in existence is backed by vault debt.
  same(g.zkusdSupply, g.activeDebt + g.defaultDebt, "supply = debt");
  same(g.zkusdSupply, balances + g.poolDeposits + g.gasPool + g.feePool, "supply = holdings");
  // Pool solvency.
  holds(compounded <= g.poolDeposits, "deposits <= pool");
  holds(gains <= g.poolColl, "gains <= pool collateral");
  // Sorted order: lowest first means non-decreasing NICR.
  let previous = -1n;
  let count = 0n;
  for (const a of s.sorted.fromLowest()) {
    const nicr = computeNominalCR(entireColl(s, a), entireDebt(s, a));
    // Redistribution keeps the order up to floor rounding of pending rewards (≤ 1e-15 relative).
    holds(nicr + nicr / 1_000_000_000_000_000n + 1n >= previous, "sorted by NICR");
    previous = nicr;
    count++;
  }
  same(count, g.activeVaults, "sorted list size = active vaults");
  // Voting power: every zkUSD held in a wallet is counted once, by its holder or its delegate.
  let power = 0n;
  for (const a of s.accountList) power += a.votes.length ? a.votes[a.votes.length - 1]!.v : 0n;
  same(power, balances, "voting power = balances");
  const supply = s.gov.supply;
  same(supply.length ? supply[supply.length - 1]!.v : 0n, g.zkusdSupply, "supply checkpoint = supply");
}

describe("engine properties", () => {
  beforeAll(() => initPoseidon());

  it("conserves collateral and debt, keeps the pool solvent and the list sorted, and fails atomically", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 30, maxLength: 120 }), (steps) => {
        run(steps, checkInvariants);
      }),
      { numRuns: 1000, seed: PROPERTY_SEED },
    );
    // The generator must reach every kind of operation and both liquidation modes, or the test proves little.
    for (const kind of [
      "openVault",
      "adjustVault",
      "closeVault",
      "poolDeposit",
      "poolWithdraw",
      "claimGains",
      "claimGainsToVault",
      "claimSurplus",
      "transfer",
      "liquidate",
      "liquidateBatch",
      "liquidateList",
      "redeem",
      "liquidated:normal",
      "liquidated:recovery",
      "Redistributed",
      "PoolOffset",
      "propose",
      "vote",
      "delegate",
      "undelegate",
      "queue",
      "execute",
      "cancel",
      "veto",
    ]) {
      expect(succeeded.get(kind) ?? 0, `${kind} never succeeded`).toBeGreaterThan(0);
    }
    expect(failedCodes.size).toBeGreaterThan(8);
  }, 240_000); // 1,000 histories: 61 s seen on a loaded machine, past the default 60 s

  it("replaying the same history twice gives the same state root", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const a = run(steps).state;
        const b = run(steps).state;
        expect(stateRoot(a)).toBe(stateRoot(b));
        expect(serializeState(a)).toEqual(serializeState(b));
      }),
      { numRuns: 150, seed: PROPERTY_SEED },
    );
  });

  it("an incrementally maintained root equals a root computed from scratch", () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 40 }), (steps) => {
        const state = createGenesisState(params, genesis);
        let time = 0n;
        let h = 0n;
        for (const st of steps) {
          time += waitOf(st);
          for (const op of resolve(state, st)) apply(state, op, { height: ++h, time });
          stateRoot(state); // keep the cache warm at every step
        }
        const fresh = createGenesisState(params, genesis);
        time = 0n;
        h = 0n;
        for (const st of steps) {
          time += waitOf(st);
          for (const op of resolve(fresh, st)) apply(fresh, op, { height: ++h, time });
        }
        expect(stateRoot(state)).toBe(stateRoot(fresh));
      }),
      { numRuns: 60, seed: PROPERTY_SEED },
    );
  });

  it("a copy that keeps the root cache (cloneStateWithRoot) roots like the original and like a cold copy", () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 2, maxLength: 40 }),
        fc.nat(),
        fc.boolean(),
        (steps, at, warm) => {
          const split = 1 + (at % (steps.length - 1));
          const state = createGenesisState(params, genesis);
          let time = 0n;
          let h = 0n;
          const play = (s: State, part: Step[], t0: bigint, h0: bigint) => {
            let [t, hh] = [t0, h0];
            for (const st of part) {
              t += waitOf(st);
              for (const op of resolve(s, st)) apply(s, op, { height: ++hh, time: t });
              stateRoot(s);
            }
            return [t, hh] as const;
          };
          [time, h] = play(state, steps.slice(0, split - 1), time, h);
          // The last step before the copy leaves pending marks unless the root is warm.
          const last = steps[split - 1]!;
          time += waitOf(last);
          for (const op of resolve(state, last)) apply(state, op, { height: ++h, time });
          if (warm) stateRoot(state);
          const copy = cloneStateWithRoot(state);
          expect(stateRoot(copy)).toBe(stateRoot(deserializeState(serializeState(copy))));
          play(state, steps.slice(split), time, h);
          play(copy, steps.slice(split), time, h);
          expect(stateRoot(copy)).toBe(stateRoot(state));
          expect(stateRoot(copy)).toBe(stateRoot(deserializeState(serializeState(copy))));
        },
      ),
      { numRuns: 40, seed: PROPERTY_SEED },
    );
  });
});
