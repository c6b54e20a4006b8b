/**
 * The state root's layout (docs/state-root.md) recomputed from scratch with an independent Poseidon
 * (circomlibjs's reference implementation: generic field arithmetic, not the WebAssembly the engine
 * runs; both reproduce poseidon-lite's outputs, test/fixtures/poseidon-vectors.ts): the 4-ary accounts tree, the flat account leaf, the four global/parameter groups,
 * restHash and the root. Circuits hash exactly this, so a change here needs new circuits.
 */
import { buildPoseidonReference } from "circomlibjs";
import { beforeAll, describe, expect, it } from "vitest";
import { scenarioState } from "../../scripts/circuits/scenario.ts";
import { PARAM_NAMES } from "./params.ts";
import { GLOBAL_FIELDS, type State, VAULT_STATUS } from "./state.ts";
import {
  ACCOUNTS_ARITY,
  ACCOUNTS_DEPTH,
  accountLeafValues,
  accountProof,
  GLOBAL_GROUPS,
  OTHER_PARAMS,
  stateRootParts,
  VAULT_PARAMS,
} from "./stateRoot.ts";

interface ReferencePoseidon {
  (inputs: bigint[]): unknown;
  F: { toObject(x: unknown): bigint };
}
let reference: ReferencePoseidon;
const H = (xs: bigint[]): bigint => reference.F.toObject(reference(xs));

let state: State;
beforeAll(async () => {
  reference = (await buildPoseidonReference()) as ReferencePoseidon;
  ({ state } = await scenarioState());
});

/** Root of the 4-ary accounts tree over the given leaves, empty subtrees hashed from 0. */
function accountsRoot(leaves: bigint[]): bigint {
  let level = leaves;
  let zero = 0n;
  for (let d = 0; d < ACCOUNTS_DEPTH; d++) {
    const next: bigint[] = [];
    for (let i = 0; i < Math.max(1, Math.ceil(level.length / 4)); i++) {
      next.push(H([0, 1, 2, 3].map((c) => level[4 * i + c] ?? zero)));
    }
    level = next;
    zero = H([zero, zero, zero, zero]);
  }
  return level[0]!;
}

const param = (v: bigint | boolean) => (typeof v === "boolean" ? (v ? 1n : 0n) : v);

describe("state root layout", () => {
  it("groups cover every global field and parameter exactly once", () => {
    expect(new Set(GLOBAL_GROUPS.flat()).size).toBe(GLOBAL_FIELDS.length);
    expect(GLOBAL_GROUPS.flat().length).toBe(GLOBAL_FIELDS.length);
    expect([...VAULT_PARAMS, ...OTHER_PARAMS].sort()).toEqual([...PARAM_NAMES].sort());
  });

  it("matches a from-scratch computation with an independent Poseidon", () => {
    const leaves = state.accountList.map((a) =>
      H([
        a.ownerHash,
        BigInt(VAULT_STATUS.indexOf(a.status)),
        a.coll,
        a.debt,
        a.stake,
        a.snapshotLColl,
        a.snapshotLDebt,
        a.balance,
        a.depositInitial,
        a.depositP,
        a.depositS,
        a.depositEpoch,
        a.depositScale,
        a.surplus,
      ]),
    );
    expect(accountLeafValues(state, 0)).toHaveLength(14);
    const parts = stateRootParts(state);
    expect(parts.accountsRoot).toBe(accountsRoot(leaves));
    const g = (group: readonly (keyof State["g"])[]) => group.map((k) => state.g[k]);
    const p = (names: readonly (keyof State["params"])[]) => names.map((n) => param(state.params[n]));
    expect(parts.vaultGlobalsHash).toBe(H(g(GLOBAL_GROUPS[0]!)));
    expect(parts.vaultInputsHash).toBe(H([...g(GLOBAL_GROUPS[1]!), ...p(VAULT_PARAMS)]));
    expect(parts.otherGlobalsHash).toBe(H(g(GLOBAL_GROUPS[2]!)));
    expect(parts.otherParamsHash).toBe(H(p(OTHER_PARAMS)));
    const rest = H([
      parts.allowancesRoot,
      parts.sumsRoot,
      parts.vaultInputsHash,
      parts.otherGlobalsHash,
      parts.otherParamsHash,
      parts.governanceHash,
    ]);
    expect(parts.restHash).toBe(rest);
    expect(parts.stateRoot).toBe(H([parts.accountsRoot, parts.vaultGlobalsHash, rest]));
  });

  it("an account path (position and three siblings per level) leads to the accounts root", () => {
    const parts = stateRootParts(state);
    for (const a of state.accountList) {
      const { siblings, pathIndices } = accountProof(state, a.index);
      expect(pathIndices).toHaveLength(ACCOUNTS_DEPTH);
      expect(siblings).toHaveLength(ACCOUNTS_DEPTH * (ACCOUNTS_ARITY - 1));
      let node = H(accountLeafValues(state, a.index)!);
      pathIndices.forEach((position, level) => {
        const children = siblings.slice(3 * level, 3 * level + 3);
        children.splice(position, 0, node);
        node = H(children);
      });
      expect(node).toBe(parts.accountsRoot);
    }
  });
});
