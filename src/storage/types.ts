/**
 * What the data layer stores (docs/storage.md): the current state with the chain position it belongs
 * to, recent blocks with undo snapshots (reorgs), applied and rejected spells, events, prices,
 * settings, UTXO locks, pending spells and automatic backups. `DataStore` is the one interface; the
 * browser uses IndexedDB (`IdbStore`), Node (guardian, CLI, tests) the memory/file store.
 */
import type { ProtocolEvent, ProtocolEventType, SerializedState } from "../protocol/index.ts";

/** A block on the chain: its height, hash and header time (seconds). */
export interface BlockRef {
  height: number;
  hash: string;
  time: number;
}

/** Where the stored state stands: the last block applied, its state root and the state itself. */
export interface Head extends BlockRef {
  /** State root after this block, 0x hex. */
  root: string;
  state: SerializedState;
}

/**
 * One indexed block. `undo` is the state before the block, kept only when the block changed the state
 * (`changed`) and only for the last N blocks (reorgs); a rollback lands on the undo of the first
 * changed block above the target, or on the head's state when none changed.
 */
export interface BlockRecord extends BlockRef {
  root: string;
  spells: number;
  rejected: number;
  events: number;
  changed: boolean;
  /** The head before this block (hash, time, root): where a rollback of this block lands. */
  prev: { hash: string; time: number; root: string };
  undo: SerializedState | null;
  /**
   * The system after this block (the dashboard's history charts), present only when the block changed
   * the state: a block that changed nothing has the previous point's figures. Blocks indexed before
   * points were recorded have none.
   */
  point?: HistoryPoint;
}

/** The engine's `systemSummary` figures after a block, with the block's height and header time. */
export interface HistoryPoint {
  height: number;
  /** Block header time, seconds. */
  time: number;
  /** 18-decimal engine units, like the state. */
  price: bigint;
  totalCollateral: bigint;
  totalDebt: bigint;
  zkusdSupply: bigint;
  /** Total collateral ratio, 18 decimals; MAX_UINT256 (infinite) while there is no debt. */
  tcr: bigint;
}

/** A range of history points (inclusive heights); the latest `limit` of them, oldest first. */
export interface HistoryQuery {
  fromHeight?: number;
  toHeight?: number;
  /** Default 1,000, at most 5,000. */
  limit?: number;
}

/** How a spell's proof was treated (docs/storage.md, "Proofs"). */
export type ProofStatus =
  /** The Groth16 proof verified against the engine's own old/new roots. */
  | "verified"
  /** The operation has no circuit yet: applied on the engine's replay alone. */
  | "noCircuit"
  /** Proof verification is switched off in this client's settings. */
  | "skipped";

/** A spell the engine applied. Operation fields are JSON-safe (bigints as decimal strings). */
export interface SpellRecord {
  height: number;
  position: number;
  txid: string;
  actor: string;
  op: Record<string, unknown>;
  proof: ProofStatus;
  /** Operation time used by the engine (seconds): the attestation's timestamp, or the state's time. */
  time: number;
}

/** Why a spell was not applied (docs/decisions.md §2: skipped, recorded, changes nothing). */
export type RejectCode =
  /** Spell magic present but the bytes do not decode (docs/spell-format.md). */
  | "malformedSpell"
  /** The first input has no address (coinbase, non-standard script): no actor. */
  | "noActor"
  /** The inline attestation does not decode, lacks a quorum, or disagrees with the spell. */
  | "badAttestation"
  /** A price-carrying operation without the attestation it needs. */
  | "missingAttestation"
  /** The declared time (attestation timestamp) is after the block time plus the tolerance. */
  | "timeInFuture"
  /** The attestation is more than MAX_ATTESTATION_AGE_SEC older than the block time (src/indexer/verify.ts). */
  | "stalePrice"
  /** The operation has a circuit and the proof slot is empty (all zero). */
  | "proofMissing"
  /** The proof does not verify for the transition the engine computed. */
  | "proofInvalid"
  /** The engine refused the operation (a protocol rule); `detail` is the engine's error code. */
  | "ruleViolated"
  /**
   * Anything else went wrong while checking or applying the spell (a bug, a value the state root
   * cannot hash): refused like the others, nothing changed; `message` says what was thrown.
   */
  | "internalError"
  /** Custody (docs/decisions.md §2a, src/settlement reasons.ts): the spell's own transaction does not pay the vault. */
  | "custodyMismatch"
  /** The actor's input type or key cannot own a vault. */
  | "unsupportedOwner"
  /** The spell's payout script is not a standard address, or is a vault's or the pool's. */
  | "payoutScript"
  /** The spell's payout maximum fee is outside its bounds (src/settlement/payout.ts). */
  | "payoutMaxFee"
  /** A withdrawal or redemption below its destination's dust limit plus its maximum fee. */
  | "belowMinPayout"
  /** The actor's signature does not commit to the whole transaction. */
  | "actorSighash"
  /** The actor's witness does not match its previous output. */
  | "actorWitness"
  /** A settle spell whose transaction is not the settlement of what it names; `detail` says why. */
  | "settlementRefused";

export interface RejectReason {
  code: RejectCode;
  /** The engine's error code for `ruleViolated`, the decoder's code for `malformedSpell`. */
  detail?: string;
  message: string;
}

export interface RejectedRecord {
  height: number;
  position: number;
  txid: string;
  actor: string | null;
  /** Operation type when the spell decoded. */
  opType: string | null;
  reason: RejectReason;
}

/** Event key: block height, spell position in the block, event number within the spell. */
export type EventKey = [height: number, position: number, n: number];

export interface StoredEvent {
  key: EventKey;
  height: number;
  position: number;
  n: number;
  txid: string;
  /** Block time, seconds. */
  time: number;
  /** UTC day of the block time, YYYY-MM-DD (statistics). */
  day: string;
  type: ProtocolEventType;
  /** The vault owner for vault events. */
  vault?: string;
  /** Every account the event names (and the spell's actor). */
  accounts: string[];
  event: ProtocolEvent;
}

export interface PriceRecord {
  height: number;
  position: number;
  time: number;
  price: bigint;
}

/** A wallet outpoint reserved by a pending PSBT (src/btc UtxoTracker), persisted across reloads. */
export interface UtxoLockRecord {
  outpoint: string;
  until: number;
  state: "signing" | "broadcast";
}

/** A transaction this user broadcast whose spell is not yet confirmed: shown, never applied. */
export interface PendingRecord {
  txid: string;
  addedAt: number;
  opType: string | null;
  /** The outpoints it spends ("txid:vout"), to see a replacement (src/indexer/pending.ts). */
  inputs?: string[];
}

export interface BackupInfo {
  id: string;
  createdAt: number;
  height: number;
  root: string;
  bytes: number;
}

/** Everything written for one block, in one transaction. */
export interface BlockCommit {
  block: BlockRecord;
  /** The state after the block. */
  state: SerializedState;
  /**
   * The block changed nothing (`block.changed` false): `state` is the stored head's, and a store
   * may keep the one it holds instead of writing it again (IndexedDB does).
   */
  unchanged?: boolean;
  spells: SpellRecord[];
  rejected: RejectedRecord[];
  events: StoredEvent[];
  prices: PriceRecord[];
  /** Undo snapshots are dropped for blocks at or below this height. */
  pruneUndoBelow: number;
}

/** Event filters (docs/decisions.md §6). Ranges are inclusive block heights; `after` is a cursor from a page. */
export interface EventQuery {
  types?: ProtocolEventType[];
  vault?: string;
  account?: string;
  fromHeight?: number;
  toHeight?: number;
  after?: string;
  /** Default 50, at most 500. */
  limit?: number;
  /** "asc" (oldest first, default) or "desc". */
  order?: "asc" | "desc";
}

export interface EventPage {
  events: StoredEvent[];
  /** Pass as `after` for the next page; absent when this page is the last. */
  next?: string;
}

export interface EventStats {
  total: number;
  byType: Partial<Record<ProtocolEventType, number>>;
  /** day → type → count */
  byDay: Record<string, Partial<Record<ProtocolEventType, number>>>;
}

/** What a backup or a checkpoint carries (docs/decisions.md §7 "records"). */
export interface Snapshot {
  head: Head;
  /** Recent blocks (hashes for reorg detection; undo snapshots are not exported). */
  blocks: BlockRecord[];
  spells: SpellRecord[];
  rejected: RejectedRecord[];
  events: StoredEvent[];
  prices: PriceRecord[];
  settings: Record<string, unknown>;
}

export interface HeightRange {
  fromHeight?: number;
  toHeight?: number;
}

/** Thrown when a block write does not extend the stored head (another writer got there first). */
export class StaleWriteError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StaleWriteError";
  }
}

/** The storage every client uses; each method is one atomic transaction. */
export interface DataStore {
  /** The stored head, or undefined for an empty store. */
  head(): Promise<Head | undefined>;
  /** Writes the genesis head of an empty store (refused when a head exists). */
  initHead(head: Head): Promise<void>;
  /**
   * Applies one block: state, block record, spells, rejections, events, prices, stats. Refused with
   * StaleWriteError unless the block extends the stored head (height + 1): a block is never applied twice.
   */
  commitBlock(commit: BlockCommit): Promise<void>;
  /** Drops every block above `height` and everything they wrote; the head becomes the state before them. */
  rollback(height: number): Promise<Head>;
  block(height: number): Promise<BlockRecord | undefined>;
  blocks(range?: HeightRange): Promise<BlockRecord[]>;
  spells(range?: HeightRange): Promise<SpellRecord[]>;
  rejected(range?: HeightRange): Promise<RejectedRecord[]>;
  prices(range?: HeightRange): Promise<PriceRecord[]>;
  /** The history points of the blocks in the range that changed the state (see HistoryQuery). */
  history(query?: HistoryQuery): Promise<HistoryPoint[]>;
  events(query?: EventQuery): Promise<EventPage>;
  eventStats(): Promise<EventStats>;
  getSetting<T>(key: string): Promise<T | undefined>;
  setSetting(key: string, value: unknown): Promise<void>;
  locks(): Promise<UtxoLockRecord[]>;
  putLock(lock: UtxoLockRecord): Promise<void>;
  deleteLock(outpoint: string): Promise<void>;
  pending(): Promise<PendingRecord[]>;
  putPending(p: PendingRecord): Promise<void>;
  deletePending(txid: string): Promise<void>;
  /** Everything a backup carries. */
  exportSnapshot(): Promise<Snapshot>;
  /** Replaces the whole chain-derived content (restore, checkpoint) in one transaction. */
  replaceAll(snapshot: Snapshot): Promise<void>;
  putBackup(info: BackupInfo, bytes: Uint8Array): Promise<void>;
  listBackups(): Promise<BackupInfo[]>;
  getBackup(id: string): Promise<Uint8Array | undefined>;
  deleteBackup(id: string): Promise<void>;
  close(): Promise<void>;
}
