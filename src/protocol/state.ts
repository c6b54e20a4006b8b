/**
 * The protocol state: accounts (vault, balance, pool deposit, surplus in one record each, as in the
 * state-root layout), allowances, stability-pool sums, and the global fields. The engine mutates it
 * only through a Journal (journal.ts), so a failed operation changes nothing.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import {
  type CustodyState,
  createCustodyState,
  deserializeCustody,
  isCustodyEmpty,
  type SerializedCustody,
  serializeCustody,
} from "./custody.ts";
import { ONE } from "./decimal.ts";
import { ProtocolError } from "./errors.ts";
import {
  createGovState,
  deserializeGov,
  type GovState,
  latestValue,
  type SerializedGov,
  serializeGov,
  writeCheckpoint,
} from "./governance/state.ts";
import type { Checkpoint } from "./governance/types.ts";
import type { Journal } from "./journal.ts";
import type { AccountId } from "./operations.ts";
import type { Params } from "./params.ts";
import { levelFor, type SortedNode, SortedVaults } from "./sortedVaults.ts";

export const VAULT_STATUS = [
  "nonExistent",
  "active",
  "closedByOwner",
  "closedByLiquidation",
  "closedByRedemption",
] as const;
export type VaultStatus = (typeof VAULT_STATUS)[number];

/** One account: its vault, zkUSD balance, stability-pool deposit and claimable surplus. */
export interface Account {
  readonly id: AccountId;
  /** Sequential leaf index in the accounts tree (order of first appearance). */
  readonly index: number;
  readonly ownerHash: bigint;
  status: VaultStatus;
  /** Stored collateral and debt (pending redistribution rewards not applied). */
  coll: bigint;
  debt: bigint;
  stake: bigint;
  snapshotLColl: bigint;
  snapshotLDebt: bigint;
  balance: bigint;
  depositInitial: bigint;
  depositP: bigint;
  depositS: bigint;
  depositEpoch: bigint;
  depositScale: bigint;
  surplus: bigint;
  /** Position in the sorted list while the vault is active. */
  node: SortedNode<Account> | null;
  /** Account its voting power is delegated to (null: votes itself). Governance state. */
  delegate: AccountId | null;
  /** Voting power checkpoints: own balance unless delegated, plus balances delegated to it. */
  votes: Checkpoint[];
  /** Cached current NICR, valid while coll, debt and the L terms are unchanged (not state). */
  nicrCache?: NicrCache;
}

interface NicrCache {
  coll: bigint;
  debt: bigint;
  lColl: bigint;
  lDebt: bigint;
  nicr: bigint;
}

export interface Allowance {
  readonly index: number;
  readonly owner: AccountId;
  readonly spender: AccountId;
  amount: bigint;
}

export interface PoolSum {
  readonly index: number;
  readonly epoch: bigint;
  readonly scale: bigint;
  S: bigint;
}

/** Global fields, in the order of the state-root layout (docs/state-root.md). */
export interface Globals {
  price: bigint;
  time: bigint;
  genesisTime: bigint;
  activeColl: bigint;
  activeDebt: bigint;
  defaultColl: bigint;
  defaultDebt: bigint;
  totalStakes: bigint;
  totalStakesSnapshot: bigint;
  totalCollateralSnapshot: bigint;
  L_coll: bigint;
  L_debt: bigint;
  lastCollError_Redistribution: bigint;
  lastDebtError_Redistribution: bigint;
  poolDeposits: bigint;
  poolColl: bigint;
  P: bigint;
  currentScale: bigint;
  currentEpoch: bigint;
  lastCollError_Offset: bigint;
  lastLossError_Offset: bigint;
  baseRate: bigint;
  lastFeeOperationTime: bigint;
  gasPool: bigint;
  feePool: bigint;
  feeCollateral: bigint;
  surplusCollateral: bigint;
  dust: bigint;
  zkusdSupply: bigint;
  activeVaults: bigint;
  accountCount: bigint;
  recoveryMode: bigint;
}

export const GLOBAL_FIELDS: readonly (keyof Globals)[] = [
  "price",
  "time",
  "genesisTime",
  "activeColl",
  "activeDebt",
  "defaultColl",
  "defaultDebt",
  "totalStakes",
  "totalStakesSnapshot",
  "totalCollateralSnapshot",
  "L_coll",
  "L_debt",
  "lastCollError_Redistribution",
  "lastDebtError_Redistribution",
  "poolDeposits",
  "poolColl",
  "P",
  "currentScale",
  "currentEpoch",
  "lastCollError_Offset",
  "lastLossError_Offset",
  "baseRate",
  "lastFeeOperationTime",
  "gasPool",
  "feePool",
  "feeCollateral",
  "surplusCollateral",
  "dust",
  "zkusdSupply",
  "activeVaults",
  "accountCount",
  "recoveryMode",
];

/** Dirty markers for incremental state-root maintenance (not part of the state itself). */
export interface RootCache {
  dirtyAccounts: Set<number>;
  dirtyAllowances: Set<number>;
  dirtySums: Set<number>;
  /** Accounts whose delegate or voting checkpoints changed. */
  dirtyVotes: Set<number>;
  /** Proposal indices (id − 1) that changed. */
  dirtyProposals: Set<number>;
  /** Opaque tree storage owned by stateRoot.ts. */
  trees: unknown;
}

export interface State {
  params: Params;
  /** Block height of the last applied operation. */
  height: bigint;
  g: Globals;
  accounts: Map<AccountId, Account>;
  accountList: Account[];
  allowances: Map<string, Allowance>;
  allowanceList: Allowance[];
  sums: Map<string, PoolSum>;
  sumList: PoolSum[];
  sorted: SortedVaults<Account>;
  /** Governance (governance/state.ts, rules in governance/rules.ts). */
  gov: GovState;
  /** Protocol coins, vault owner keys and obligations (custody.ts; rules in src/settlement). */
  custody: CustodyState;
  root: RootCache;
}

/** First 31 bytes of SHA-256(UTF-8 id), big-endian: a field element naming the account. */
export function ownerHashOf(id: AccountId): bigint {
  const digest = sha256(utf8ToBytes(id));
  let x = 0n;
  for (let i = 0; i < 31; i++) x = (x << 8n) | BigInt(digest[i]!);
  return x;
}

/** Pending redistribution collateral of an active vault (Liquity getPendingETHReward, floor). */
export function pendingColl(state: State, a: Account): bigint {
  if (a.status !== "active") return 0n;
  const d = state.g.L_coll - a.snapshotLColl;
  return d === 0n ? 0n : (a.stake * d) / ONE;
}

/** Pending redistribution debt of an active vault (Liquity getPendingLUSDDebtReward, floor). */
export function pendingDebt(state: State, a: Account): bigint {
  if (a.status !== "active") return 0n;
  const d = state.g.L_debt - a.snapshotLDebt;
  return d === 0n ? 0n : (a.stake * d) / ONE;
}

export function entireColl(state: State, a: Account): bigint {
  return a.coll + pendingColl(state, a);
}

export function entireDebt(state: State, a: Account): bigint {
  return a.debt + pendingDebt(state, a);
}

export function createGenesisState(
  params: Params,
  genesis: {
    time: bigint;
    height?: bigint;
    price?: bigint;
    /** Initial governance settings, guardian set and oracle set (validated by the caller). */
    governance?: Parameters<typeof createGovState>[0];
  },
): State {
  const state: State = {
    params: { ...params },
    height: genesis.height ?? 0n,
    g: {
      price: genesis.price ?? params.initialPrice,
      time: genesis.time,
      genesisTime: genesis.time,
      activeColl: 0n,
      activeDebt: 0n,
      defaultColl: 0n,
      defaultDebt: 0n,
      totalStakes: 0n,
      totalStakesSnapshot: 0n,
      totalCollateralSnapshot: 0n,
      L_coll: 0n,
      L_debt: 0n,
      lastCollError_Redistribution: 0n,
      lastDebtError_Redistribution: 0n,
      poolDeposits: 0n,
      poolColl: 0n,
      P: ONE,
      currentScale: 0n,
      currentEpoch: 0n,
      lastCollError_Offset: 0n,
      lastLossError_Offset: 0n,
      baseRate: 0n,
      lastFeeOperationTime: genesis.time,
      gasPool: 0n,
      feePool: 0n,
      feeCollateral: 0n,
      surplusCollateral: 0n,
      dust: 0n,
      zkusdSupply: 0n,
      activeVaults: 0n,
      accountCount: 0n,
      recoveryMode: 0n,
    },
    accounts: new Map(),
    accountList: [],
    allowances: new Map(),
    allowanceList: [],
    sums: new Map(),
    sumList: [],
    sorted: undefined as unknown as SortedVaults<Account>,
    gov: createGovState(genesis.governance),
    custody: createCustodyState(),
    root: {
      dirtyAccounts: new Set(),
      dirtyAllowances: new Set(),
      dirtySums: new Set(),
      dirtyVotes: new Set(),
      dirtyProposals: new Set(),
      trees: undefined,
    },
  };
  state.sorted = newSortedList(state);
  return state;
}

function newSortedList(state: State): SortedVaults<Account> {
  return new SortedVaults<Account>(
    (a) => currentNICR(state, a),
    (a) => levelFor(a.index),
  );
}

/** The ordering key: NICR of entire collateral and debt, cached per vault (it is on the hot path). */
export function currentNICR(state: State, a: Account): bigint {
  const c = a.nicrCache;
  const g = state.g;
  if (c && c.coll === a.coll && c.debt === a.debt && c.lColl === g.L_coll && c.lDebt === g.L_debt)
    return c.nicr;
  const nicr = nominalICR(entireColl(state, a), entireDebt(state, a));
  a.nicrCache = { coll: a.coll, debt: a.debt, lColl: g.L_coll, lDebt: g.L_debt, nicr };
  return nicr;
}

function nominalICR(coll: bigint, debt: bigint): bigint {
  return debt > 0n ? (coll * 10n ** 20n) / debt : (1n << 256n) - 1n;
}

/** Looks an account up without creating it. */
export function findAccount(state: State, id: AccountId): Account | undefined {
  return state.accounts.get(id);
}

/** A new account record with nothing in it, at leaf index `index`. */
function emptyAccount(id: AccountId, index: number): Account {
  return {
    id,
    index,
    ownerHash: ownerHashOf(id),
    status: "nonExistent",
    coll: 0n,
    debt: 0n,
    stake: 0n,
    snapshotLColl: 0n,
    snapshotLDebt: 0n,
    balance: 0n,
    depositInitial: 0n,
    depositP: 0n,
    depositS: 0n,
    depositEpoch: 0n,
    depositScale: 0n,
    surplus: 0n,
    node: null,
    delegate: null,
    votes: [],
  };
}

/** Finds or creates an account (creation is journaled, so a failed operation undoes it). */
export function getOrCreateAccount(state: State, id: AccountId, journal: Journal): Account {
  const existing = state.accounts.get(id);
  if (existing) return existing;
  const account = emptyAccount(id, state.accountList.length);
  state.accounts.set(id, account);
  state.accountList.push(account);
  setGlobal(state, journal, "accountCount", state.g.accountCount + 1n);
  state.root.dirtyAccounts.add(account.index);
  journal.onRollback(() => {
    state.accounts.delete(id);
    state.accountList.pop();
    state.root.dirtyAccounts.add(account.index);
  });
  return account;
}

type AccountField = Exclude<keyof Account, "id" | "index" | "ownerHash" | "node" | "delegate" | "votes">;

/** Journaled write of an account field; marks the leaf dirty for the state root. */
export function setAccount<K extends AccountField>(
  state: State,
  journal: Journal,
  a: Account,
  key: K,
  value: Account[K],
): void {
  if (a[key] === value) return;
  if (key === "balance") moveVotingPower(state, journal, a, (value as bigint) - a.balance);
  journal.set(a, key, value);
  state.root.dirtyAccounts.add(a.index);
}

/** A balance change moves the same amount of voting power of the account's delegate (or itself). */
function moveVotingPower(state: State, journal: Journal, a: Account, delta: bigint): void {
  const target = a.delegate === null ? a : state.accounts.get(a.delegate)!;
  writeVotes(state, journal, target, latestValue(target.votes) + delta);
}

/** Journaled voting-power checkpoint of an account at the current height. */
export function writeVotes(state: State, journal: Journal, a: Account, value: bigint): void {
  if (writeCheckpoint(a.votes, state.height, value, journal)) state.root.dirtyVotes.add(a.index);
}

/** Journaled write of a global field. */
export function setGlobal<K extends keyof Globals>(
  state: State,
  journal: Journal,
  key: K,
  value: Globals[K],
): void {
  if (value < 0n) {
    throw new ProtocolError("invariantViolated", `global ${key} would become negative (${value})`);
  }
  journal.set(state.g, key, value);
  if (key === "zkusdSupply") writeCheckpoint(state.gov.supply, state.height, value, journal);
}

export function addGlobal(state: State, journal: Journal, key: keyof Globals, delta: bigint): void {
  setGlobal(state, journal, key, state.g[key] + delta);
}

export function sortedInsert(state: State, journal: Journal, a: Account): void {
  const node = state.sorted.insert(a, journal);
  journal.set(a, "node", node);
}

export function sortedRemove(state: State, journal: Journal, a: Account): void {
  if (!a.node) return;
  state.sorted.remove(a.node, journal);
  journal.set(a, "node", null);
}

const sumKey = (epoch: bigint, scale: bigint) => `${epoch}:${scale}`;

/** S[epoch][scale], 0 when never written. */
export function getSum(state: State, epoch: bigint, scale: bigint): bigint {
  return state.sums.get(sumKey(epoch, scale))?.S ?? 0n;
}

export function setSum(state: State, journal: Journal, epoch: bigint, scale: bigint, S: bigint): void {
  const key = sumKey(epoch, scale);
  let entry = state.sums.get(key);
  if (!entry) {
    entry = { index: state.sumList.length, epoch, scale, S: 0n };
    const created = entry;
    state.sums.set(key, created);
    state.sumList.push(created);
    journal.onRollback(() => {
      state.sums.delete(key);
      state.sumList.pop();
      state.root.dirtySums.add(created.index);
    });
  }
  journal.set(entry, "S", S);
  state.root.dirtySums.add(entry.index);
}

const allowanceKey = (owner: AccountId, spender: AccountId) => `${owner}\n${spender}`;

export function getAllowance(state: State, owner: AccountId, spender: AccountId): bigint {
  return state.allowances.get(allowanceKey(owner, spender))?.amount ?? 0n;
}

export function setAllowance(
  state: State,
  journal: Journal,
  owner: AccountId,
  spender: AccountId,
  amount: bigint,
): void {
  const key = allowanceKey(owner, spender);
  let entry = state.allowances.get(key);
  if (!entry) {
    entry = { index: state.allowanceList.length, owner, spender, amount: 0n };
    const created = entry;
    state.allowances.set(key, created);
    state.allowanceList.push(created);
    journal.onRollback(() => {
      state.allowances.delete(key);
      state.allowanceList.pop();
      state.root.dirtyAllowances.add(created.index);
    });
  }
  journal.set(entry, "amount", amount);
  state.root.dirtyAllowances.add(entry.index);
}

// ---------------------------------------------------------------------------------------------
// Serialization: a canonical JSON form (bigints as decimal strings, records in index order, the
// sorted list as an order of indices). Used for persistence, backups, snapshots and equality tests.

export interface SerializedState {
  version: 1;
  params: Record<string, string | boolean>;
  height: string;
  g: Record<string, string>;
  accounts: (string | number)[][];
  sortedOrder: number[];
  allowances: [string, string, string][];
  sums: [string, string, string][];
  /** Absent in snapshots made before governance existed (read as the default governance state). */
  governance?: SerializedGov;
  /** Absent while custody holds nothing (and in snapshots made before custody existed). */
  custody?: SerializedCustody;
}

const ACCOUNT_FIELDS: AccountField[] = [
  "status",
  "coll",
  "debt",
  "stake",
  "snapshotLColl",
  "snapshotLDebt",
  "balance",
  "depositInitial",
  "depositP",
  "depositS",
  "depositEpoch",
  "depositScale",
  "surplus",
];

export function serializeState(state: State): SerializedState {
  const params: Record<string, string | boolean> = {};
  for (const [k, v] of Object.entries(state.params)) params[k] = typeof v === "boolean" ? v : v.toString();
  const g: Record<string, string> = {};
  for (const k of GLOBAL_FIELDS) g[k] = state.g[k].toString();
  return {
    version: 1,
    params,
    height: state.height.toString(),
    g,
    accounts: state.accountList.map((a) => [
      a.id,
      ...ACCOUNT_FIELDS.map((f) => (f === "status" ? a.status : (a[f] as bigint).toString())),
    ]),
    sortedOrder: [...state.sorted.fromHighest()].map((a) => a.index),
    allowances: state.allowanceList.map((x) => [x.owner, x.spender, x.amount.toString()]),
    sums: state.sumList.map((x) => [x.epoch.toString(), x.scale.toString(), x.S.toString()]),
    governance: serializeGov(state.gov, state.accountList),
    ...(isCustodyEmpty(state.custody) ? {} : { custody: serializeCustody(state.custody) }),
  };
}

export function deserializeState(data: SerializedState): State {
  if (data.version !== 1) throw new Error(`unsupported state version ${String(data.version)}`);
  const params = {} as Record<string, bigint | boolean>;
  for (const [k, v] of Object.entries(data.params)) params[k] = typeof v === "boolean" ? v : BigInt(v);
  const g = {} as Record<string, bigint>;
  for (const k of GLOBAL_FIELDS) g[k] = BigInt(data.g[k] ?? "0");
  const state = createGenesisState(params as unknown as Params, { time: 0n });
  state.height = BigInt(data.height);
  state.g = g as unknown as Globals;
  for (const row of data.accounts) {
    const [id, ...fields] = row as [string, ...string[]];
    const a = emptyAccount(id, state.accountList.length);
    ACCOUNT_FIELDS.forEach((f, i) => {
      const v = fields[i]!;
      if (f === "status") a.status = v as VaultStatus;
      else (a as unknown as Record<string, bigint>)[f] = BigInt(v);
    });
    state.accounts.set(id, a);
    state.accountList.push(a);
    state.root.dirtyAccounts.add(a.index);
  }
  for (const index of data.sortedOrder) {
    const a = state.accountList[index]!;
    a.node = state.sorted.appendInOrder(a);
  }
  for (const [owner, spender, amount] of data.allowances) {
    const entry: Allowance = { index: state.allowanceList.length, owner, spender, amount: BigInt(amount) };
    state.allowances.set(`${owner}\n${spender}`, entry);
    state.allowanceList.push(entry);
    state.root.dirtyAllowances.add(entry.index);
  }
  for (const [epoch, scale, S] of data.sums) {
    const entry: PoolSum = {
      index: state.sumList.length,
      epoch: BigInt(epoch),
      scale: BigInt(scale),
      S: BigInt(S),
    };
    state.sums.set(`${entry.epoch}:${entry.scale}`, entry);
    state.sumList.push(entry);
    state.root.dirtySums.add(entry.index);
  }
  if (data.governance) {
    state.gov = deserializeGov(data.governance, (index) => {
      const a = state.accountList[index];
      if (!a) throw new Error(`governance record for unknown account index ${index}`);
      state.root.dirtyVotes.add(index);
      return a;
    });
    for (let i = 0; i < state.gov.proposals.length; i++) state.root.dirtyProposals.add(i);
  }
  state.custody = deserializeCustody(data.custody);
  return state;
}

/** Deep copy through the canonical form (snapshots for reorg undo, what-if previews). */
export function cloneState(state: State): State {
  return deserializeState(serializeState(state));
}
