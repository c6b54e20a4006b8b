/**
 * The UI's read-and-preview worker: holds a copy of the engine worker's canonical state (its
 * `snapshot()`) and answers the screens' questions about accounts and what-if operations
 * (src/client/engine/preview.ts), off the main thread and without blocking the engine's sync. The
 * client (client.ts) uses the copy only if its state root equals the snapshot's.
 */
import * as Comlink from "comlink";
import { type AccountCustody, accountCustody } from "../src/client/engine/custody.ts";
import {
  type AccountPosition,
  accountPosition,
  atRiskVaults,
  type Meet,
  maxBorrow,
  meetFor,
  nextContext,
  type OperationPreview,
  previewOperation,
} from "../src/client/engine/preview.ts";
import { type GovernanceOverview, governanceOverview } from "../src/governance/index.ts";
import {
  type AccountId,
  deserializeState,
  initStateRoot,
  type Operation,
  type SerializedState,
  type State,
  stateRoot,
} from "../src/protocol/index.ts";

export type AtRiskVault = ReturnType<typeof atRiskVaults>[number];

export interface StateWorkerApi {
  /**
   * Replaces the copy with the engine's serialized state and the synced head's height (the state's
   * own height is the last spell's); returns the copy's own state root.
   */
  load(state: SerializedState, head?: number): Promise<{ stateRoot: string }>;
  stateRoot(): Promise<string>;
  position(owner: AccountId): Promise<AccountPosition>;
  atRisk(limit: number): Promise<AtRiskVault[]>;
  /** `meet`: the attested price and time the transaction will meet (preview.ts `Meet`). */
  preview(op: Operation, meet?: Meet): Promise<OperationPreview>;
  maxBorrow(
    owner: AccountId,
    change: { depositCollateral?: bigint; withdrawCollateral?: bigint; collateral?: bigint; maxFee?: bigint },
    meet?: Meet,
  ): Promise<bigint | null>;
  /** Proposals, parameters and (with an account) its voting power and votes (src/governance). */
  governance(account?: AccountId): Promise<GovernanceOverview>;
  /** The account's vault coins and the payouts owed to / settled to its scripts (custody.ts). */
  custody(owner: AccountId, payoutScripts: string[]): Promise<AccountCustody>;
}

let ready: Promise<State> | undefined;
/** Height of the synced head: the next block is the one after it (empty blocks included). */
let tip = 0n;

async function current(): Promise<State> {
  if (!ready) throw new Error("The preview copy has not been loaded: call load() first.");
  return ready;
}

const api: StateWorkerApi = {
  async load(serialized, head) {
    tip = BigInt(head ?? 0);
    const next = (async () => {
      await initStateRoot();
      return deserializeState(serialized);
    })();
    ready = next;
    try {
      return { stateRoot: stateRoot(await next) };
    } catch (error) {
      ready = undefined;
      throw error;
    }
  },
  async stateRoot() {
    return stateRoot(await current());
  },
  async position(owner) {
    return accountPosition(await current(), owner);
  },
  async atRisk(limit) {
    return atRiskVaults(await current(), limit);
  },
  async preview(op, quote) {
    const state = await current();
    const meet = meetFor(op, quote);
    return previewOperation(state, op, nextContext(state, meet.time, tip), meet);
  },
  async maxBorrow(owner, change, meet) {
    const state = await current();
    return maxBorrow(state, owner, change, nextContext(state, meet?.time, tip), meet);
  },
  async governance(account) {
    const state = await current();
    return governanceOverview(state, account, tip > state.height ? tip : state.height);
  },
  async custody(owner, payoutScripts) {
    return accountCustody(await current(), owner, payoutScripts);
  },
};

Comlink.expose(api);
