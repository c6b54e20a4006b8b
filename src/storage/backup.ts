/**
 * Backups (SPEC §7): one file, all integers big-endian:
 *
 *   0   8   magic "ZKUSDBAK"
 *   8   2   format version (1)
 *   10  8   created at, ms since the epoch
 *   18  4   block height of the state
 *   22  32  state root
 *   54  4   length L of the records
 *   58  L   records: the store's Snapshot as UTF-8 JSON (bigints tagged, src/storage/json.ts)
 *   58+L 32 SHA-256 over bytes [0, 58+L)
 *
 * Reading checks, in order and before anything is replaced: magic, version (a newer one is refused),
 * length (truncated or trailing bytes), checksum, records, header = records, and the state root
 * recomputed from the state itself. Any single changed byte fails one of these.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { deserializeState, stateRoot } from "../protocol/index.ts";
import { fromJson, toJson } from "./json.ts";
import type { BackupInfo, DataStore, Snapshot } from "./types.ts";

export const BACKUP_MAGIC = new TextEncoder().encode("ZKUSDBAK");
export const BACKUP_VERSION = 1;
const HEADER = 58;
const CHECKSUM = 32;

export type BackupErrorCode =
  | "tooShort"
  | "badMagic"
  | "futureVersion"
  | "unsupportedVersion"
  | "truncated"
  | "trailingBytes"
  | "checksumMismatch"
  | "badRecords"
  | "headerMismatch"
  | "rootMismatch";

export const BACKUP_ERROR_MESSAGES: Record<BackupErrorCode, string> = {
  tooShort: "The file is too short to be a zkUSD backup.",
  badMagic: "This is not a zkUSD backup file.",
  futureVersion: "The backup was made by a newer version of zkUSD; update the app to restore it.",
  unsupportedVersion: "The backup's format version is not supported.",
  truncated: "The backup file is truncated.",
  trailingBytes: "The backup file has extra bytes after its end.",
  checksumMismatch: "The backup is corrupted: its checksum does not match.",
  badRecords: "The backup's records cannot be read.",
  headerMismatch: "The backup's header disagrees with its records.",
  rootMismatch: "The backup's state does not hash to the state root it declares.",
};

export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    detail?: string,
  ) {
    super(detail ? `${BACKUP_ERROR_MESSAGES[code]} (${detail})` : BACKUP_ERROR_MESSAGES[code]);
    this.name = "BackupError";
  }
}

export interface BackupHeader {
  version: number;
  createdAt: number;
  height: number;
  root: string;
}

const rootBytes = (hex: string): Uint8Array => {
  if (!/^0x[0-9a-f]{64}$/.test(hex)) throw new Error(`expected a 0x-prefixed 32-byte root, got ${hex}`);
  return Uint8Array.from({ length: 32 }, (_, i) => Number.parseInt(hex.slice(2 + 2 * i, 4 + 2 * i), 16));
};
const rootHex = (b: Uint8Array) => `0x${Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("")}`;

/** Encodes a snapshot as a backup file. */
export function encodeBackup(snapshot: Snapshot, createdAt: number): Uint8Array {
  const records = new TextEncoder().encode(toJson(snapshot));
  const out = new Uint8Array(HEADER + records.length + CHECKSUM);
  const view = new DataView(out.buffer);
  out.set(BACKUP_MAGIC, 0);
  view.setUint16(8, BACKUP_VERSION);
  view.setBigUint64(10, BigInt(createdAt));
  view.setUint32(18, snapshot.head.height);
  out.set(rootBytes(snapshot.head.root), 22);
  view.setUint32(54, records.length);
  out.set(records, HEADER);
  out.set(sha256(out.subarray(0, HEADER + records.length)), HEADER + records.length);
  return out;
}

/** Reads the header only (no checks beyond the magic and the version). */
export function backupHeader(bytes: Uint8Array): BackupHeader {
  if (bytes.length < HEADER + CHECKSUM) throw new BackupError("tooShort", `${bytes.length} bytes`);
  if (!BACKUP_MAGIC.every((b, i) => bytes[i] === b)) throw new BackupError("badMagic");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8);
  if (version > BACKUP_VERSION) throw new BackupError("futureVersion", `version ${version}`);
  if (version < 1) throw new BackupError("unsupportedVersion", `version ${version}`);
  return {
    version,
    createdAt: Number(view.getBigUint64(10)),
    height: view.getUint32(18),
    root: rootHex(bytes.subarray(22, 54)),
  };
}

/**
 * Verifies a backup completely and returns its header and records. Throws BackupError. Needs the
 * state root's Poseidon (`await initPoseidon()`).
 */
export function readBackup(bytes: Uint8Array): { header: BackupHeader; snapshot: Snapshot } {
  const header = backupHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = view.getUint32(54);
  const end = HEADER + length;
  if (bytes.length < end + CHECKSUM)
    throw new BackupError("truncated", `${bytes.length} < ${end + CHECKSUM} bytes`);
  if (bytes.length > end + CHECKSUM)
    throw new BackupError("trailingBytes", `${bytes.length - end - CHECKSUM} extra`);
  const expected = sha256(bytes.subarray(0, end));
  const actual = bytes.subarray(end);
  if (!expected.every((b, i) => actual[i] === b)) throw new BackupError("checksumMismatch");
  let snapshot: Snapshot;
  try {
    snapshot = fromJson<Snapshot>(
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(HEADER, end)),
    );
    if (!snapshot?.head?.state || !Array.isArray(snapshot.events) || !Array.isArray(snapshot.blocks)) {
      throw new Error("missing records");
    }
  } catch (error) {
    throw new BackupError("badRecords", (error as Error).message);
  }
  if (snapshot.head.height !== header.height || snapshot.head.root !== header.root) {
    throw new BackupError("headerMismatch");
  }
  let root: string;
  try {
    root = stateRoot(deserializeState(snapshot.head.state));
  } catch (error) {
    throw new BackupError("badRecords", (error as Error).message);
  }
  if (root !== header.root) throw new BackupError("rootMismatch", `computed ${root}`);
  return { header, snapshot };
}

/** Exports the store as a backup file. */
export async function createBackup(store: DataStore, createdAt = Date.now()): Promise<Uint8Array> {
  return encodeBackup(await store.exportSnapshot(), createdAt);
}

/**
 * Verifies `bytes` completely, then replaces the store's chain data in one transaction. Nothing is
 * touched when the file is refused. `expectedRoot` (a checkpoint's trusted root) must match if given.
 */
export async function restoreBackup(
  store: DataStore,
  bytes: Uint8Array,
  expectedRoot?: string,
): Promise<BackupHeader> {
  const { header, snapshot } = readBackup(bytes);
  if (expectedRoot !== undefined && expectedRoot.toLowerCase() !== header.root) {
    throw new BackupError(
      "rootMismatch",
      `expected the trusted root ${expectedRoot}, file has ${header.root}`,
    );
  }
  await store.replaceAll(snapshot);
  return header;
}

export interface AutoBackupPolicy {
  /** Minimum time between automatic backups, ms (default 24 h). */
  intervalMs?: number;
  /** How many automatic backups to keep (default 7). */
  keep?: number;
}

/**
 * Scheduled backups kept in the store: makes one when the newest is older than the interval (or
 * none exists), then deletes the oldest beyond `keep`. Returns the new backup's info, if any.
 */
export async function autoBackup(
  store: DataStore,
  policy: AutoBackupPolicy = {},
  now = Date.now(),
): Promise<BackupInfo | undefined> {
  const intervalMs = policy.intervalMs ?? 24 * 3600_000;
  const keep = Math.max(1, policy.keep ?? 7);
  const autos = (await store.listBackups()).filter((b) => b.id.startsWith("auto-"));
  const newest = autos[autos.length - 1];
  let made: BackupInfo | undefined;
  if (!newest || now - newest.createdAt >= intervalMs) {
    const head = await store.head();
    if (!head) return undefined;
    const bytes = await createBackup(store, now);
    made = {
      id: `auto-${now}-${head.height}`,
      createdAt: now,
      height: head.height,
      root: head.root,
      bytes: bytes.length,
    };
    await store.putBackup(made, bytes);
    autos.push(made);
  }
  for (const old of autos.slice(0, Math.max(0, autos.length - keep))) await store.deleteBackup(old.id);
  return made;
}
