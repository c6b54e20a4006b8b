/**
 * The state root (docs/state-root.md): Poseidon Merkle trees of account leaves, allowances and pool
 * sums, plus grouped hashes of the global fields and the parameters. Maintained incrementally: the
 * engine marks touched leaves dirty; `stateRoot` rehashes only those paths (shared parents once).
 */

import { custodyHash } from "./custody.ts";
import { countBelow, type Proposal, STORED_STATUS } from "./governance/state.ts";
import type { GovAction } from "./governance/types.ts";
import { type Checkpoint, GOV_CONFIG_NAMES, SUPPORT } from "./governance/types.ts";
import { PARAM_NAMES, type Params } from "./params.ts";
import { bigintOf, fieldOf, poseidonElements } from "./poseidon.ts";
import { cloneState, GLOBAL_FIELDS, type Globals, ownerHashOf, type State, VAULT_STATUS } from "./state.ts";

/** The accounts tree is 4-ary (node = Poseidon of 4 children): 4^10 leaves, 10 hashes per path. */
export const ACCOUNTS_ARITY = 4;
export const ACCOUNTS_DEPTH = 10;
export const ALLOWANCES_DEPTH = 20;
export const SUMS_DEPTH = 16;
export const VOTES_DEPTH = 20;
export const PROPOSALS_DEPTH = 16;

/**
 * Global fields in three groups (docs/state-root.md). The first holds exactly the fields a vault
 * adjustment writes, so a vault circuit rehashes one group; the second the redistribution state it
 * only reads (hashed together with VAULT_PARAMS); the third everything a vault adjustment neither
 * reads nor writes.
 */
export const GLOBAL_GROUPS: readonly (readonly (keyof Globals)[])[] = [
  [
    "price",
    "time",
    "activeColl",
    "activeDebt",
    "defaultColl",
    "defaultDebt",
    "totalStakes",
    "baseRate",
    "lastFeeOperationTime",
    "feePool",
    "dust",
    "zkusdSupply",
    "recoveryMode",
  ],
  [
    "totalStakesSnapshot",
    "totalCollateralSnapshot",
    "L_coll",
    "L_debt",
    "lastCollError_Redistribution",
    "lastDebtError_Redistribution",
  ],
  [
    "genesisTime",
    "poolDeposits",
    "poolColl",
    "P",
    "currentScale",
    "currentEpoch",
    "lastCollError_Offset",
    "lastLossError_Offset",
    "gasPool",
    "feeCollateral",
    "surplusCollateral",
    "activeVaults",
    "accountCount",
  ],
];

if (
  GLOBAL_GROUPS.flat().length !== GLOBAL_FIELDS.length ||
  new Set(GLOBAL_GROUPS.flat()).size !== GLOBAL_FIELDS.length
)
  throw new Error("every global field needs exactly one group");

class MerkleTree {
  private readonly levels: Map<number, Uint8Array>[] = [];
  private readonly zeros: Uint8Array[] = [];
  private readonly dirty = new Set<number>();

  constructor(
    readonly depth: number,
    readonly arity = 2,
  ) {
    let z = fieldOf(0n);
    for (let i = 0; i <= depth; i++) {
      this.levels.push(new Map());
      this.zeros.push(z);
      z = poseidonElements(new Array<Uint8Array>(arity).fill(z));
    }
  }

  /** An independent copy (nodes are immutable, so each level's map is copied, not its hashes). */
  copy(): MerkleTree {
    const out = Object.create(MerkleTree.prototype) as MerkleTree;
    Object.assign(out, {
      depth: this.depth,
      arity: this.arity,
      levels: this.levels.map((level) => new Map(level)),
      zeros: this.zeros,
      dirty: new Set(this.dirty),
    });
    return out;
  }

  leaf(index: number): Uint8Array | undefined {
    return this.levels[0]!.get(index);
  }

  setLeaf(index: number, leaf: Uint8Array): void {
    this.levels[0]!.set(index, leaf);
    this.dirty.add(index);
  }

  root(): Uint8Array {
    if (this.dirty.size > 0) {
      let indices = [...this.dirty];
      this.dirty.clear();
      for (let level = 0; level < this.depth; level++) {
        const nodes = this.levels[level]!;
        const parents = this.levels[level + 1]!;
        const zero = this.zeros[level]!;
        const next = new Set<number>();
        const k = this.arity;
        for (const i of indices) next.add(Math.floor(i / k));
        for (const parent of next) {
          const children: Uint8Array[] = [];
          for (let c = 0; c < k; c++) children.push(nodes.get(parent * k + c) ?? zero);
          parents.set(parent, poseidonElements(children));
        }
        indices = [...next];
      }
    }
    return this.levels[this.depth]!.get(0) ?? this.zeros[this.depth]!;
  }

  /**
   * Path of a leaf (bottom-up), for circuits and light clients: per level the node's position among
   * its parent's children and the other `arity − 1` children in order (flattened).
   */
  proof(index: number): { siblings: bigint[]; pathIndices: number[] } {
    this.root();
    const siblings: bigint[] = [];
    const pathIndices: number[] = [];
    const k = this.arity;
    let i = index;
    for (let level = 0; level < this.depth; level++) {
      const position = i % k;
      const first = i - position;
      for (let c = 0; c < k; c++) {
        if (c !== position) siblings.push(bigintOf(this.levels[level]!.get(first + c) ?? this.zeros[level]!));
      }
      pathIndices.push(position);
      i = Math.floor(i / k);
    }
    return { siblings, pathIndices };
  }
}

/** Hash-chain cache of an append-mostly list: chain_i = Poseidon(chain_{i-1}, ...item_i). */
interface Chain<T> {
  items: T[];
  stamps: bigint[];
  links: Uint8Array[];
}

interface Trees {
  accounts: MerkleTree;
  allowances: MerkleTree;
  sums: MerkleTree;
  votes: MerkleTree;
  proposals: MerkleTree;
  voteChains: Map<number, Chain<Checkpoint>>;
  /** What each votes leaf was last computed from, to skip unchanged ones without hashing. */
  voteKeys: Map<number, { delegate: string | null; n: number; last: Checkpoint | undefined; v: bigint }>;
  /** Accounts with checkpoints at or above the committed height (refreshed when it moves). */
  pendingVotes: Set<number>;
  committedHeight: bigint;
  supplyChain: Chain<Checkpoint>;
  receiptChains: Map<number, Chain<unknown>>;
  actionHashes: WeakMap<readonly GovAction[], Uint8Array>;
  govKey: string;
  govSettingsHashes: Uint8Array[];
  groupKeys: string[];
  groupHashes: Uint8Array[];
}

const ZERO = 0n;

function trees(state: State): Trees {
  let t = state.root.trees as Trees | undefined;
  if (!t) {
    t = {
      accounts: new MerkleTree(ACCOUNTS_DEPTH, ACCOUNTS_ARITY),
      allowances: new MerkleTree(ALLOWANCES_DEPTH),
      sums: new MerkleTree(SUMS_DEPTH),
      votes: new MerkleTree(VOTES_DEPTH),
      proposals: new MerkleTree(PROPOSALS_DEPTH),
      voteChains: new Map(),
      voteKeys: new Map(),
      pendingVotes: new Set(),
      committedHeight: 0n,
      supplyChain: { items: [], stamps: [], links: [] },
      receiptChains: new Map(),
      actionHashes: new WeakMap(),
      govKey: "",
      govSettingsHashes: [],
      groupKeys: [],
      groupHashes: [],
    };
    state.root.trees = t;
    // A fresh cache must hash every existing record once.
    for (const a of state.accountList) state.root.dirtyAccounts.add(a.index);
    for (const x of state.allowanceList) state.root.dirtyAllowances.add(x.index);
    for (const x of state.sumList) state.root.dirtySums.add(x.index);
    for (const a of state.accountList) state.root.dirtyVotes.add(a.index);
    for (let i = 0; i < state.gov.proposals.length; i++) state.root.dirtyProposals.add(i);
  }
  return t;
}

const hashOf = (values: bigint[]) => poseidonElements(values.map(fieldOf));

/**
 * The 14 values of an account leaf (docs/state-root.md): ownerHash, the vault (status, collateral,
 * debt, stake, snapshots) and the account (balance, stability deposit, surplus), flat so that a
 * circuit hashes one Poseidon(14) per leaf.
 */
export function accountLeafValues(state: State, index: number): bigint[] | undefined {
  const a = state.accountList[index];
  if (!a) return undefined;
  return [
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
  ];
}

function accountLeaf(state: State, index: number): Uint8Array {
  const values = accountLeafValues(state, index);
  return values ? hashOf(values) : fieldOf(ZERO);
}

/** Brings the trees up to date with every dirty record. */
function refresh(state: State): Trees {
  const t = trees(state);
  const r = state.root;
  for (const index of r.dirtyAccounts) t.accounts.setLeaf(index, accountLeaf(state, index));
  r.dirtyAccounts.clear();
  for (const index of r.dirtyAllowances) {
    const x = state.allowanceList[index];
    const leaf = x ? hashOf([ownerHashCached(x.owner), ownerHashCached(x.spender), x.amount]) : fieldOf(ZERO);
    t.allowances.setLeaf(index, leaf);
  }
  r.dirtyAllowances.clear();
  for (const index of r.dirtySums) {
    const x = state.sumList[index];
    t.sums.setLeaf(index, x ? hashOf([x.epoch, x.scale, x.S]) : fieldOf(ZERO));
  }
  r.dirtySums.clear();
  if (t.committedHeight !== state.gov.committedHeight) {
    t.committedHeight = state.gov.committedHeight;
    for (const index of t.pendingVotes) r.dirtyVotes.add(index);
  }
  for (const index of r.dirtyVotes) {
    const leaf = votesLeaf(state, t, index);
    if (leaf) t.votes.setLeaf(index, leaf);
  }
  r.dirtyVotes.clear();
  for (const index of r.dirtyProposals) t.proposals.setLeaf(index, proposalLeaf(state, t, index));
  r.dirtyProposals.clear();
  return t;
}

/**
 * Brings a chain cache up to date with its list and returns the last link (0 when empty). Lists only
 * change at their tail (push, pop on rollback, overwrite of the last checkpoint), so the cache is
 * valid up to the last position whose item is the same object with the same stamp.
 */
function chainOf<T>(
  cache: Chain<T>,
  list: readonly T[],
  n: number,
  stamp: (item: T) => bigint,
  elements: (item: T) => bigint[],
): Uint8Array {
  let i = Math.min(cache.items.length, n);
  while (i > 0 && !(cache.items[i - 1] === list[i - 1] && cache.stamps[i - 1] === stamp(list[i - 1]!))) i--;
  cache.items.length = i;
  cache.stamps.length = i;
  cache.links.length = i;
  for (; i < n; i++) {
    const item = list[i]!;
    const prev = i === 0 ? fieldOf(ZERO) : cache.links[i - 1]!;
    cache.items.push(item);
    cache.stamps.push(stamp(item));
    cache.links.push(poseidonElements([prev, ...elements(item).map(fieldOf)]));
  }
  return n === 0 ? fieldOf(ZERO) : cache.links[n - 1]!;
}

/** Chain over the checkpoints below the committed height (docs/state-root.md). */
const checkpointChain = (cache: Chain<Checkpoint>, list: readonly Checkpoint[], n: number) =>
  chainOf(
    cache,
    list,
    n,
    (c) => c.v,
    (c) => [c.h, c.v],
  );

/**
 * votes leaf = Poseidon(delegateHash, committed checkpoint chain), 0 for an account with neither;
 * undefined when nothing the leaf depends on changed (no hashing at all: the common case for
 * vault and token operations, whose new checkpoints are not committed yet).
 */
function votesLeaf(state: State, t: Trees, index: number): Uint8Array | undefined {
  const a = state.accountList[index];
  const n = a ? countBelow(a.votes, state.gov.committedHeight) : 0;
  if (a && n < a.votes.length) t.pendingVotes.add(index);
  else t.pendingVotes.delete(index);
  const key = { delegate: a?.delegate ?? null, n, last: a?.votes[n - 1], v: a?.votes[n - 1]?.v ?? 0n };
  const old = t.voteKeys.get(index);
  if (
    old &&
    a &&
    old.delegate === key.delegate &&
    old.n === key.n &&
    old.last === key.last &&
    old.v === key.v &&
    t.votes.leaf(index) !== undefined
  )
    return undefined;
  t.voteKeys.set(index, key);
  if (!a || (a.delegate === null && n === 0)) {
    t.voteChains.delete(index);
    return fieldOf(ZERO);
  }
  let cache = t.voteChains.get(index);
  if (!cache) {
    cache = { items: [], stamps: [], links: [] };
    t.voteChains.set(index, cache);
  }
  const delegateHash = a.delegate === null ? fieldOf(ZERO) : fieldOf(ownerHashCached(a.delegate));
  return poseidonElements([delegateHash, checkpointChain(cache, a.votes, n)]);
}

/** A 33-byte compressed secp256k1 key as three field elements: prefix, high and low 16 bytes of x. */
function guardianKeyElements(hex: string): bigint[] {
  return [BigInt(`0x${hex.slice(0, 2)}`), BigInt(`0x${hex.slice(2, 34)}`), BigInt(`0x${hex.slice(34, 66)}`)];
}

const PARAMETER_CODES = [...PARAM_NAMES, ...GOV_CONFIG_NAMES] as readonly string[];

/** actionHash per docs/state-root.md; the actions hash is their chain. */
function actionElements(a: GovAction): bigint[] {
  switch (a.type) {
    case "setParameter": {
      const v = typeof a.value === "boolean" ? (a.value ? 1n : 0n) : a.value;
      return [1n, BigInt(PARAMETER_CODES.indexOf(a.name)), v];
    }
    case "rotateGuardians":
      return [2n, BigInt(a.threshold), bigintOf(guardianSetHash(a.keys, BigInt(a.threshold)))];
    case "rotateOracleKeys":
      return [3n, BigInt(a.threshold), oracleSetHashOf(a.keys, BigInt(a.threshold))];
    case "pause":
      return [4n];
    case "unpause":
      return [5n];
    case "shutdown":
      return [6n];
  }
}

function guardianSetHash(keys: readonly string[], threshold: bigint): Uint8Array {
  let chain = fieldOf(ZERO);
  for (const key of keys) chain = poseidonElements([chain, ...guardianKeyElements(key).map(fieldOf)]);
  return poseidonElements([fieldOf(threshold), chain]);
}

/** Poseidon(threshold, x0, y0, x1, y1, x2, y2): src/zk/attestation.ts `oracleSetHash`. */
export function oracleSetHashOf(keys: readonly (readonly [bigint, bigint])[], threshold: bigint): bigint {
  return bigintOf(hashOf([threshold, ...keys.flat()]));
}

function proposalLeaf(state: State, t: Trees, index: number): Uint8Array {
  const p: Proposal | undefined = state.gov.proposals[index];
  if (!p) {
    t.receiptChains.delete(index);
    return fieldOf(ZERO);
  }
  let actions = t.actionHashes.get(p.actions);
  if (!actions) {
    actions = fieldOf(ZERO);
    for (const a of p.actions) actions = poseidonElements([actions, ...actionElements(a).map(fieldOf)]);
    t.actionHashes.set(p.actions, actions);
  }
  let cache = t.receiptChains.get(index) as Chain<Proposal["receipts"][number]> | undefined;
  if (!cache || cache.items[0] !== p.receipts[0]) {
    cache = { items: [], stamps: [], links: [] };
    t.receiptChains.set(index, cache as Chain<unknown>);
  }
  const receipts = chainOf(
    cache,
    p.receipts,
    p.receipts.length,
    () => 0n,
    (r) => [ownerHashCached(r.voter), BigInt(SUPPORT.indexOf(r.support)), r.votes],
  );
  let vetoes = fieldOf(ZERO);
  for (const key of p.vetoes) vetoes = poseidonElements([vetoes, ...guardianKeyElements(key).map(fieldOf)]);
  let approvals = fieldOf(ZERO);
  for (const key of p.rotationApprovals)
    approvals = poseidonElements([approvals, ...guardianKeyElements(key).map(fieldOf)]);
  return poseidonElements([
    fieldOf(p.id),
    fieldOf(ownerHashCached(p.proposer)),
    actions,
    fieldOf(p.snapshot),
    // The proposal's own windows (power window, timelock, grace), fixed at creation.
    hashOf([p.powerWindow, p.timelockDelay, p.gracePeriod]),
    fieldOf(p.startTime),
    fieldOf(p.endTime),
    fieldOf(p.quorum),
    fieldOf(p.forVotes),
    fieldOf(p.againstVotes),
    fieldOf(p.abstainVotes),
    fieldOf(p.eta),
    fieldOf(BigInt(STORED_STATUS.indexOf(p.status))),
    receipts,
    vetoes,
    approvals,
  ]);
}

/**
 * governanceHash = Poseidon(configHash, guardiansHash, oracleSetHash, flags, proposalCount,
 * committedHeight, proposalsRoot, votesRoot, supplyChain) (docs/state-root.md).
 */
function governanceHash(state: State, t: Trees): Uint8Array {
  const gov = state.gov;
  const key = [
    ...GOV_CONFIG_NAMES.map((n) => gov.config[n]),
    gov.guardians.threshold,
    gov.guardians.keys.join(":"),
    gov.oracles ? `${gov.oracles.threshold}:${gov.oracles.keys.join(":")}` : "-",
    gov.paused,
    gov.shutdown,
  ].join(",");
  if (t.govKey !== key) {
    t.govKey = key;
    t.govSettingsHashes = [
      hashOf(GOV_CONFIG_NAMES.map((n) => gov.config[n])),
      guardianSetHash(gov.guardians.keys, gov.guardians.threshold),
      fieldOf(gov.oracles ? oracleSetHashOf(gov.oracles.keys, gov.oracles.threshold) : ZERO),
      fieldOf((gov.paused ? 1n : 0n) + (gov.shutdown ? 2n : 0n)),
    ];
  }
  return poseidonElements([
    ...t.govSettingsHashes,
    fieldOf(BigInt(gov.proposals.length)),
    fieldOf(gov.committedHeight),
    t.proposals.root(),
    t.votes.root(),
    checkpointChain(t.supplyChain, gov.supply, countBelow(gov.supply, gov.committedHeight)),
  ]);
}

/**
 * restHash's sixth input: governanceHash while custody holds nothing, else
 * Poseidon(governanceHash, custodyHash). Circuits take this slot as one opaque input, so custody is
 * committed in the root without changing any circuit (docs/state-root.md).
 */
function governanceCustodyHash(state: State, t: Trees): Uint8Array {
  const gov = governanceHash(state, t);
  const custody = custodyHash(state.custody);
  return custody === 0n ? gov : poseidonElements([gov, fieldOf(custody)]);
}

const idHashes = new Map<string, bigint>();
function ownerHashCached(id: string): bigint {
  let h = idHashes.get(id);
  if (h === undefined) {
    h = ownerHashOf(id);
    idHashes.set(id, h);
  }
  return h;
}

/** The parameters a vault adjustment reads (hashed with the redistribution group, docs/state-root.md). */
export const VAULT_PARAMS: readonly (keyof Params)[] = [
  "MCR",
  "CCR",
  "gasReserve",
  "minNetDebt",
  "borrowingFeeFloor",
  "borrowingFeeCap",
  "minuteDecayFactor",
  "utilizationPremiumEnabled",
];
/** Every other parameter, in PARAM_NAMES order. */
export const OTHER_PARAMS: readonly (keyof Params)[] = PARAM_NAMES.filter((n) => !VAULT_PARAMS.includes(n));

const paramValue = (state: State, name: keyof Params): bigint => {
  const v = state.params[name];
  return typeof v === "boolean" ? (v ? 1n : 0n) : v;
};

/**
 * The four hashes of the global fields and parameters, each recomputed only when one of its values
 * changed: vaultGlobals (GLOBAL_GROUPS[0]), vaultInputs (GLOBAL_GROUPS[1] then VAULT_PARAMS),
 * otherGlobals (GLOBAL_GROUPS[2]) and otherParams (OTHER_PARAMS).
 */
function groupHashes(state: State, t: Trees): [Uint8Array, Uint8Array, Uint8Array, Uint8Array] {
  const groups = [
    GLOBAL_GROUPS[0]!.map((k) => state.g[k]),
    [...GLOBAL_GROUPS[1]!.map((k) => state.g[k]), ...VAULT_PARAMS.map((n) => paramValue(state, n))],
    GLOBAL_GROUPS[2]!.map((k) => state.g[k]),
    OTHER_PARAMS.map((n) => paramValue(state, n)),
  ];
  groups.forEach((values, i) => {
    const key = values.join(",");
    if (t.groupKeys[i] !== key) {
      t.groupKeys[i] = key;
      t.groupHashes[i] = hashOf(values);
    }
  });
  return t.groupHashes as [Uint8Array, Uint8Array, Uint8Array, Uint8Array];
}

export interface RootParts {
  accountsRoot: bigint;
  /** Poseidon of the global fields a vault adjustment writes (GLOBAL_GROUPS[0]). */
  vaultGlobalsHash: bigint;
  allowancesRoot: bigint;
  sumsRoot: bigint;
  /** Poseidon of what a vault adjustment only reads: GLOBAL_GROUPS[1] then VAULT_PARAMS. */
  vaultInputsHash: bigint;
  /** Poseidon of the remaining global fields (GLOBAL_GROUPS[2]). */
  otherGlobalsHash: bigint;
  /** Poseidon of the remaining parameters (OTHER_PARAMS). */
  otherParamsHash: bigint;
  /** restHash's sixth input: the governance hash, with custodyHash folded in once custody holds anything. */
  governanceHash: bigint;
  /** SHA-256 commitment to the custody records (0 while empty; custody.ts). */
  custodyHash: bigint;
  /** Poseidon(allowancesRoot, sumsRoot, vaultInputsHash, otherGlobalsHash, otherParamsHash, governanceHash). */
  restHash: bigint;
  /** Poseidon(accountsRoot, vaultGlobalsHash, restHash). */
  stateRoot: bigint;
}

/**
 * Every component of the root (for circuits, debugging and docs). The root is
 * Poseidon(accountsRoot, vaultGlobalsHash, restHash): a vault adjustment changes one account leaf and
 * the vault globals only, so its circuit hashes restHash once for both roots.
 */
export function stateRootParts(state: State): RootParts {
  const t = refresh(state);
  const [vaultGlobals, vaultInputs, otherGlobals, otherParams] = groupHashes(state, t);
  const restParts = [
    t.allowances.root(),
    t.sums.root(),
    vaultInputs,
    otherGlobals,
    otherParams,
    governanceCustodyHash(state, t),
  ];
  const rest = poseidonElements(restParts);
  const accounts = t.accounts.root();
  const root = poseidonElements([accounts, vaultGlobals, rest]);
  const [allowancesRoot, sumsRoot, vaultInputsHash, otherGlobalsHash, otherParamsHash, gov] = restParts.map(
    bigintOf,
  ) as [bigint, bigint, bigint, bigint, bigint, bigint];
  return {
    accountsRoot: bigintOf(accounts),
    vaultGlobalsHash: bigintOf(vaultGlobals),
    allowancesRoot,
    sumsRoot,
    vaultInputsHash,
    otherGlobalsHash,
    otherParamsHash,
    governanceHash: gov,
    custodyHash: custodyHash(state.custody),
    restHash: bigintOf(rest),
    stateRoot: bigintOf(root),
  };
}

/**
 * A chain cache moved to a copy of its list: the prefix that is valid for `from` (the same objects),
 * pointing at `to`'s objects at the same positions, so the copy's identity checks pass exactly where
 * the original's would. Stamps and links are kept; a stamp that changed is caught as before.
 */
function moveChain<T>(cache: Chain<T>, from: readonly T[], to: readonly T[]): Chain<T> {
  let n = 0;
  while (n < cache.items.length && n < to.length && cache.items[n] === from[n]) n++;
  return { items: to.slice(0, n), stamps: cache.stamps.slice(0, n), links: cache.links.slice(0, n) };
}

/**
 * cloneState with the root cache: the copy's next root is incremental, like the original's, instead
 * of hashing every record again (a guardian checks each co-sign request on a copy of its state).
 */
export function cloneStateWithRoot(state: State): State {
  const copy = cloneState(state);
  const t = state.root.trees as Trees | undefined;
  if (!t) return copy;
  const accounts = (s: State, i: number) => s.accountList[i]?.votes ?? [];
  const receipts = (s: State, i: number) => s.gov.proposals[i]?.receipts ?? [];
  const voteChains = new Map<number, Chain<Checkpoint>>();
  for (const [i, c] of t.voteChains) voteChains.set(i, moveChain(c, accounts(state, i), accounts(copy, i)));
  const receiptChains = new Map<number, Chain<unknown>>();
  for (const [i, c] of t.receiptChains)
    receiptChains.set(i, moveChain(c, receipts(state, i) as unknown[], receipts(copy, i) as unknown[]));
  const voteKeys: Trees["voteKeys"] = new Map();
  for (const [i, key] of t.voteKeys) {
    const last = key.n > 0 ? accounts(state, i)[key.n - 1] : undefined;
    if (key.last !== last) continue; // stale: the leaf is recomputed when it is next dirty
    voteKeys.set(i, { ...key, last: key.n > 0 ? accounts(copy, i)[key.n - 1] : undefined });
  }
  const actionHashes: Trees["actionHashes"] = new WeakMap();
  state.gov.proposals.forEach((p, i) => {
    const h = t.actionHashes.get(p.actions);
    const to = copy.gov.proposals[i];
    if (h && to) actionHashes.set(to.actions, h);
  });
  const trees: Trees = {
    accounts: t.accounts.copy(),
    allowances: t.allowances.copy(),
    sums: t.sums.copy(),
    votes: t.votes.copy(),
    proposals: t.proposals.copy(),
    voteChains,
    voteKeys,
    pendingVotes: new Set(t.pendingVotes),
    committedHeight: t.committedHeight,
    supplyChain: moveChain(t.supplyChain, state.gov.supply, copy.gov.supply),
    receiptChains,
    actionHashes,
    govKey: t.govKey,
    govSettingsHashes: [...t.govSettingsHashes],
    groupKeys: [...t.groupKeys],
    groupHashes: [...t.groupHashes],
  };
  copy.root.trees = trees;
  // Only what is pending in the original is pending in the copy (deserializing marked everything).
  copy.root.dirtyAccounts = new Set(state.root.dirtyAccounts);
  copy.root.dirtyAllowances = new Set(state.root.dirtyAllowances);
  copy.root.dirtySums = new Set(state.root.dirtySums);
  copy.root.dirtyVotes = new Set(state.root.dirtyVotes);
  copy.root.dirtyProposals = new Set(state.root.dirtyProposals);
  return copy;
}

/**
 * Drops the incremental trees: the next root hashes every record again. For an operation rolled back
 * after its root was computed (`apply` with `beforeCommit`): the journal restores the values, not the
 * dirty marks that computation cleared, so the cached trees would keep the rolled-back hashes.
 */
export function forgetRootCache(state: State): void {
  state.root.trees = undefined;
}

/** The state root as 0x-prefixed 64-digit hex. Requires `await initPoseidon()`. */
export function stateRoot(state: State): string {
  return `0x${stateRootParts(state).stateRoot.toString(16).padStart(64, "0")}`;
}

/** Merkle path of an account leaf in the accounts tree. */
export function accountProof(state: State, index: number): { siblings: bigint[]; pathIndices: number[] } {
  return refresh(state).accounts.proof(index);
}
