/**
 * Backups (docs/decisions.md §7): one file, all integers big-endian (version 2; version 1 had no chain fields and
 * its records started at 58):
 *
 *   0   8   magic "ZKUSDBAK"
 *   8   2   format version (2)
 *   10  8   created at, ms since the epoch
 *   18  4   block height of the state
 *   22  32  state root
 *   54  1   network (0 unknown, 1 mainnet, 2 testnet4, 3 signet, 4 regtest)
 *   55  4   start height: the first block whose spells count
 *   59  32  anchor: hash of the block at start height − 1, where the genesis state is taken (0: unknown)
 *   91  4   length L of the records
 *   95  L   records: the store's Snapshot as UTF-8 JSON (bigints tagged, src/storage/json.ts), with
 *           no settings (a file never carries sync or federation settings)
 *   95+L 32 SHA-256 over bytes [0, 95+L)
 *
 * Reading checks, in order and before anything is replaced: magic, version (a newer one is refused),
 * length (truncated or trailing bytes), checksum, records, header = records, and the state root
 * recomputed from the state itself. Any single changed byte fails one of these. Restoring then checks
 * the trusted root (a checkpoint) and the chain: a file of another chain than the one the store follows
 * is refused. Each refusal names its check (`BACKUP_CHECKS`).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { hex } from "@scure/base";
import { deserializeState, stateRoot } from "../protocol/index.ts";
import { fromJson, toJson } from "./json.ts";
import type { BackupInfo, DataStore, Snapshot } from "./types.ts";

export const BACKUP_MAGIC = new TextEncoder().encode("ZKUSDBAK");
export const BACKUP_VERSION = 2;
const HEADER_V1 = 58;
const HEADER = 95;
const CHECKSUM = 32;

/** Bitcoin networks a chain identity can name, by their genesis block hash. */
export const NETWORKS = ["unknown", "mainnet", "testnet4", "signet", "regtest"] as const;
export type NetworkName = (typeof NETWORKS)[number];
const GENESIS: Record<string, NetworkName> = {
  "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f": "mainnet",
  "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043": "testnet4",
  "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6": "signet",
  "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206": "regtest",
};
/** The network a genesis block hash belongs to ("unknown" for any other chain). */
export const networkOfGenesis = (hash: string): NetworkName => GENESIS[hash.toLowerCase()] ?? "unknown";

/**
 * Which chain a store's data belongs to: the network, the first block whose spells count and the hash
 * of the block before it (where the genesis state is taken). Recorded by the indexer in the store's
 * `chain` setting and in every backup's header.
 */
export interface ChainIdentity {
  network: NetworkName;
  startHeight: number;
  /** Block hash at startHeight − 1, lowercase hex without 0x. */
  anchor: string;
}

/** The store setting holding the chain identity of its data. */
export const CHAIN_SETTING = "chain";

const describeChain = (c: ChainIdentity) =>
  `${c.network} from height ${c.startHeight} (anchor block ${c.anchor.slice(0, 16)}…)`;

/**
 * Records the chain a store's data belongs to (the indexer calls it when it opens): the network from
 * the genesis block hash, the anchor from the chain source. Asked once per store: a store keeps its
 * chain (another chain's data is dropped or refused), and an offline start must not wait on the
 * network. Best effort: without an answer from the chain nothing is recorded.
 */
export async function recordChainIdentity(
  store: DataStore,
  chain: { blockHash(height: number): Promise<string> },
  startHeight: number,
): Promise<ChainIdentity | undefined> {
  const stored = await store.getSetting<ChainIdentity>(CHAIN_SETTING);
  if (stored && stored.startHeight === startHeight) return stored;
  let identity: ChainIdentity;
  try {
    const [genesis, anchor] = await Promise.all([chain.blockHash(0), chain.blockHash(startHeight - 1)]);
    identity = { network: networkOfGenesis(genesis), startHeight, anchor: anchor.toLowerCase() };
  } catch {
    return stored;
  }
  await store.setSetting(CHAIN_SETTING, identity);
  return identity;
}

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
  | "rootMismatch"
  | "trustedRootMismatch"
  | "otherChain"
  | "unknownChain";

/** The check each refusal comes from, named in its message. */
export const BACKUP_CHECKS: Record<BackupErrorCode, string> = {
  tooShort: "length",
  badMagic: "magic",
  futureVersion: "format version",
  unsupportedVersion: "format version",
  truncated: "length",
  trailingBytes: "length",
  checksumMismatch: "checksum",
  badRecords: "records",
  headerMismatch: "header",
  rootMismatch: "state root",
  trustedRootMismatch: "trusted root",
  otherChain: "chain",
  unknownChain: "chain",
};

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
  trustedRootMismatch:
    "The backup's state root is not the trusted root given: it is not the checkpoint to start from.",
  otherChain: "This backup is from another chain than the one this client follows.",
  unknownChain:
    "The backup does not say which chain it is from (an older format), and this client follows a known chain.",
};

export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    detail?: string,
  ) {
    super(`${BACKUP_ERROR_MESSAGES[code]} (${BACKUP_CHECKS[code]} check${detail ? `: ${detail}` : ""})`);
    this.name = "BackupError";
  }
  /** The check that failed. */
  get check(): string {
    return BACKUP_CHECKS[this.code];
  }
}

export interface BackupHeader {
  version: number;
  createdAt: number;
  height: number;
  root: string;
  /** The chain the state belongs to; absent in version 1 files and when the store did not know it. */
  chain?: ChainIdentity;
}

const rootBytes = (text: string): Uint8Array => {
  if (!/^0x[0-9a-f]{64}$/.test(text)) throw new Error(`expected a 0x-prefixed 32-byte root, got ${text}`);
  return hex.decode(text.slice(2));
};
const rootHex = (b: Uint8Array) => `0x${hex.encode(b)}`;

const ANCHOR_RE = /^[0-9a-f]{64}$/;

/** Encodes a snapshot as a backup file (its settings are never written: they are this client's). */
export function encodeBackup(snapshot: Snapshot, createdAt: number, chain?: ChainIdentity): Uint8Array {
  const records = new TextEncoder().encode(toJson({ ...snapshot, settings: {} }));
  const out = new Uint8Array(HEADER + records.length + CHECKSUM);
  const view = new DataView(out.buffer);
  out.set(BACKUP_MAGIC, 0);
  view.setUint16(8, BACKUP_VERSION);
  view.setBigUint64(10, BigInt(createdAt));
  view.setUint32(18, snapshot.head.height);
  out.set(rootBytes(snapshot.head.root), 22);
  if (chain && ANCHOR_RE.test(chain.anchor)) {
    out[54] = Math.max(0, NETWORKS.indexOf(chain.network));
    view.setUint32(55, chain.startHeight);
    out.set(rootBytes(`0x${chain.anchor}`), 59);
  }
  view.setUint32(91, records.length);
  out.set(records, HEADER);
  out.set(sha256(out.subarray(0, HEADER + records.length)), HEADER + records.length);
  return out;
}

/** Where the records start: after the header of the file's version. */
const headerLength = (version: number) => (version === 1 ? HEADER_V1 : HEADER);

/** Reads the header only (no checks beyond the magic and the version). */
export function backupHeader(bytes: Uint8Array): BackupHeader {
  if (bytes.length < HEADER_V1 + CHECKSUM) throw new BackupError("tooShort", `${bytes.length} bytes`);
  if (!BACKUP_MAGIC.every((b, i) => bytes[i] === b)) throw new BackupError("badMagic");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint16(8);
  if (version > BACKUP_VERSION) throw new BackupError("futureVersion", `version ${version}`);
  if (version < 1) throw new BackupError("unsupportedVersion", `version ${version}`);
  if (bytes.length < headerLength(version) + CHECKSUM)
    throw new BackupError("tooShort", `${bytes.length} bytes`);
  const header: BackupHeader = {
    version,
    createdAt: Number(view.getBigUint64(10)),
    height: view.getUint32(18),
    root: rootHex(bytes.subarray(22, 54)),
  };
  const anchor = version === 1 ? "" : rootHex(bytes.subarray(59, 91)).slice(2);
  if (anchor !== "" && !/^0+$/.test(anchor)) {
    const network = NETWORKS[bytes[54]!];
    if (network === undefined) throw new BackupError("headerMismatch", `network code ${bytes[54]}`);
    header.chain = { network, startHeight: view.getUint32(55), anchor };
  }
  return header;
}

/**
 * Verifies a backup completely and returns its header and records. Throws BackupError. Needs the
 * state root's Poseidon (`await initPoseidon()`).
 */
export function readBackup(bytes: Uint8Array): { header: BackupHeader; snapshot: Snapshot } {
  const header = backupHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = headerLength(header.version);
  const length = view.getUint32(start - 4);
  const end = start + length;
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
      new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(start, end)),
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
  if (header.chain && snapshot.head.height < header.chain.startHeight - 1)
    throw new BackupError("headerMismatch", "the state is older than the chain's start");
  let root: string;
  try {
    root = stateRoot(deserializeState(snapshot.head.state));
  } catch (error) {
    throw new BackupError("badRecords", (error as Error).message);
  }
  if (root !== header.root) throw new BackupError("rootMismatch", `computed ${root}`);
  return { header, snapshot };
}

/** Exports the store as a backup file, with the chain identity the store records. */
export async function createBackup(store: DataStore, createdAt = Date.now()): Promise<Uint8Array> {
  const chain = await store.getSetting<ChainIdentity>(CHAIN_SETTING);
  return encodeBackup(await store.exportSnapshot(), createdAt, chain);
}

/**
 * Verifies `bytes` completely, then replaces the store's chain data in one transaction. Nothing is
 * touched when the file is refused. `expectedRoot` (a checkpoint's trusted root) must match if given.
 * The file must be of the chain the store follows (`expectedChain`, default the store's recorded
 * identity): another network, start height or anchor is refused, and so is a file that does not say
 * (version 1) when the store knows its chain. No settings are taken from the file: the sync and
 * federation settings (Esplora URL, oracle keys, proofs, guardians) stay the client's own.
 */
export async function restoreBackup(
  store: DataStore,
  bytes: Uint8Array,
  expectedRoot?: string,
  expectedChain?: ChainIdentity,
): Promise<BackupHeader> {
  const { header, snapshot } = readBackup(bytes);
  if (expectedRoot !== undefined && expectedRoot.toLowerCase() !== header.root) {
    throw new BackupError(
      "trustedRootMismatch",
      `the trusted root is ${expectedRoot}, the file's is ${header.root}`,
    );
  }
  const ours = expectedChain ?? (await store.getSetting<ChainIdentity>(CHAIN_SETTING));
  if (ours !== undefined) {
    const theirs = header.chain;
    if (theirs === undefined)
      throw new BackupError("unknownChain", `this client follows ${describeChain(ours)}`);
    const differs = (["network", "startHeight", "anchor"] as const).filter((k) => theirs[k] !== ours[k]);
    if (differs.length > 0)
      throw new BackupError(
        "otherChain",
        `the file is of ${describeChain(theirs)}, this client follows ${describeChain(ours)}; ${differs.join(", ")} differ`,
      );
  }
  await store.replaceAll({ ...snapshot, settings: {} });
  if (ours === undefined && header.chain) await store.setSetting(CHAIN_SETTING, header.chain);
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
