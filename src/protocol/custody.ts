/**
 * Custody records in the engine state (docs/decisions.md §2a rule 3, docs/custody.md): the owner key of every
 * vault opened with custody, every protocol coin (outpoint, sats, whose) and every obligation. The
 * rules that change them live in src/settlement (the one module for BTC moving); this file holds the
 * data, its canonical serialization and its commitment (`custodyHash`, inside the state root's
 * restHash, docs/state-root.md). Pure: no I/O, no clock.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8ToBytes } from "@noble/hashes/utils.js";
import type { AccountId } from "./operations.ts";

/** A UTXO at a protocol script. `vault` names the vault that owns it; null is the pool (main) coin. */
export interface ProtocolCoin {
  /** "txid:vout". */
  readonly outpoint: string;
  readonly sats: bigint;
  readonly vault: AccountId | null;
  /** Output script, lowercase hex. */
  readonly script: string;
  /** Height of the block that confirmed it. */
  readonly height: bigint;
  /** The custody key epoch whose script it pays (index into `CustodyState.epochs`); absent = 0. */
  readonly epoch?: number;
}

/**
 * A custody key set and the height from which it is in force (docs/custody.md "Key epochs"). Epoch
 * n is `epochs[n]`; the last is the current one.
 */
export interface KeyEpoch {
  /** Compressed keys, lowercase hex, as governance set them. */
  readonly keys: readonly string[];
  readonly threshold: bigint;
  /** Height of the block in which it took effect (0 for the set in force before any rotation). */
  readonly from: bigint;
}

export type ObligationStatus = "open" | "settled";

/** BTC the ledger has granted and custody still has to pay (docs/decisions.md §2a rule 2). */
export interface Obligation {
  /** sha256(txid ‖ index) of the creating transaction and the obligation's index in it, hex. */
  readonly id: string;
  /** Who owes it: a vault, or null for the pool. */
  readonly source: AccountId | null;
  /** Payout script, lowercase hex; "" for an internal move (its destination is `to`). */
  readonly script: string;
  /** Internal moves: the destination owner (a vault, or null for the pool); undefined for payouts. */
  readonly to?: AccountId | null;
  readonly sats: bigint;
  /** Largest fee share the payee accepted, sats. */
  readonly maxFee: bigint;
  readonly height: bigint;
  /**
   * A vault owner's own payout (withdraw, close) to an address the spell named, not the owner's own:
   * an escape counts it as the owner's, like one to his own script (src/settlement/escape.ts).
   * Absent otherwise, so states without such payouts keep their roots.
   */
  readonly byOwner?: true;
  status: ObligationStatus;
  /** The settlement transaction that paid it. */
  settledBy: string | null;
}

export interface CustodyState {
  /** Owner key (33-byte compressed, lowercase hex) of each vault, set by its open spell. */
  vaultKeys: Map<AccountId, string>;
  coins: Map<string, ProtocolCoin>;
  obligations: Map<string, Obligation>;
  /**
   * Sats at protocol scripts that the ledger owes nobody: the fee account (funded at genesis) plus
   * stray deposits below the refund threshold. Settlement fees beyond the payees' shares come from it.
   */
  stray: bigint;
  /**
   * Custody key epochs, recorded from the first rotation on: [the outgoing set, the incoming set, …].
   * Empty while the genesis set is the only one (every coin is then epoch 0, the governance set).
   */
  epochs: KeyEpoch[];
  /** Bumped on every change (hash cache key; not state). */
  rev: number;
}

export function createCustodyState(): CustodyState {
  return { vaultKeys: new Map(), coins: new Map(), obligations: new Map(), stray: 0n, epochs: [], rev: 0 };
}

export const isCustodyEmpty = (c: CustodyState): boolean =>
  c.vaultKeys.size === 0 &&
  c.coins.size === 0 &&
  c.obligations.size === 0 &&
  c.stray === 0n &&
  c.epochs.length === 0;

/** Canonical JSON form: each map as rows sorted by key, bigints as decimal strings. */
export interface SerializedCustody {
  vaultKeys: [AccountId, string][];
  /** [outpoint, sats, vault (null = pool), script, height, epoch (only when not 0)] */
  coins: [string, string, string | null, string, string, number?][];
  /** [id, source, script, to ([] = a payout, [owner] = internal), sats, maxFee, height, status, settledBy, byOwner (1, only when set)] */
  obligations: [
    string,
    string | null,
    string,
    [] | [string | null],
    string,
    string,
    string,
    ObligationStatus,
    string | null,
    1?,
  ][];
  stray: string;
  /** [keys, threshold, from]; absent while no rotation happened (so older roots stay as they were). */
  epochs?: [string[], string, string][];
}

const byKey = <T>(m: Map<string, T>): [string, T][] =>
  [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

export function serializeCustody(c: CustodyState): SerializedCustody {
  return {
    vaultKeys: byKey(c.vaultKeys),
    coins: byKey(c.coins).map(([, x]) => [
      x.outpoint,
      x.sats.toString(),
      x.vault,
      x.script,
      x.height.toString(),
      ...(x.epoch ? [x.epoch] : []),
    ]) as SerializedCustody["coins"],
    obligations: byKey(c.obligations).map(([, o]) => [
      o.id,
      o.source,
      o.script,
      o.to === undefined ? [] : [o.to],
      o.sats.toString(),
      o.maxFee.toString(),
      o.height.toString(),
      o.status,
      o.settledBy,
      ...(o.byOwner ? [1 as const] : []),
    ]) as SerializedCustody["obligations"],
    stray: c.stray.toString(),
    ...(c.epochs.length > 0
      ? {
          epochs: c.epochs.map((e): [string[], string, string] => [
            [...e.keys],
            e.threshold.toString(),
            e.from.toString(),
          ]),
        }
      : {}),
  };
}

export function deserializeCustody(data: SerializedCustody | undefined): CustodyState {
  const c = createCustodyState();
  if (!data) return c;
  for (const [id, key] of data.vaultKeys) c.vaultKeys.set(id, key);
  for (const [outpoint, sats, vault, script, height, epoch] of data.coins)
    c.coins.set(outpoint, {
      outpoint,
      sats: BigInt(sats),
      vault,
      script,
      height: BigInt(height),
      ...(epoch ? { epoch } : {}),
    });
  for (const [keys, threshold, from] of data.epochs ?? [])
    c.epochs.push({ keys: [...keys], threshold: BigInt(threshold), from: BigInt(from) });
  c.stray = BigInt(data.stray ?? "0");
  for (const [id, source, script, to, sats, maxFee, height, status, settledBy, byOwner] of data.obligations) {
    c.obligations.set(id, {
      id,
      source,
      script,
      ...(to.length === 1 ? { to: to[0] } : {}),
      sats: BigInt(sats),
      maxFee: BigInt(maxFee),
      height: BigInt(height),
      ...(byOwner === 1 ? { byOwner: true as const } : {}),
      status,
      settledBy,
    });
  }
  return c;
}

const hashCache = new WeakMap<CustodyState, { rev: number; hash: bigint }>();

/**
 * custodyHash: the first 31 bytes of SHA-256 over the canonical JSON form, read big-endian (a field
 * element); 0 while custody holds nothing, so states without custody keep their roots. SHA-256, not
 * Poseidon: no circuit opens it (docs/state-root.md).
 */
export function custodyHash(c: CustodyState): bigint {
  if (isCustodyEmpty(c)) return 0n;
  const cached = hashCache.get(c);
  if (cached && cached.rev === c.rev) return cached.hash;
  const digest = sha256(utf8ToBytes(JSON.stringify(serializeCustody(c))));
  let x = 0n;
  for (let i = 0; i < 31; i++) x = (x << 8n) | BigInt(digest[i]!);
  hashCache.set(c, { rev: c.rev, hash: x });
  return x;
}

// ---------------------------------------------------------------- mutations (called by src/settlement)

export function setVaultKey(c: CustodyState, vault: AccountId, keyHex: string): void {
  c.vaultKeys.set(vault, keyHex);
  c.rev++;
}

/** Adds a coin; it pays the current key epoch's script unless it names its epoch (a deposit in the grace). */
export function addCoin(c: CustodyState, coin: ProtocolCoin): void {
  const { epoch = currentEpoch(c), ...rest } = coin;
  c.coins.set(coin.outpoint, epoch > 0 ? { ...rest, epoch } : rest);
  c.rev++;
}

export function removeCoin(c: CustodyState, outpoint: string): ProtocolCoin | undefined {
  const coin = c.coins.get(outpoint);
  if (coin) {
    c.coins.delete(outpoint);
    c.rev++;
  }
  return coin;
}

export function addObligation(c: CustodyState, o: Obligation): void {
  c.obligations.set(o.id, o);
  c.rev++;
}

export function markSettled(c: CustodyState, id: string, txid: string): void {
  const o = c.obligations.get(id);
  if (!o) return;
  o.status = "settled";
  o.settledBy = txid;
  c.rev++;
}

/** Records a rotation that took effect at `height`: the first one also records the outgoing set. */
export function beginKeyEpoch(
  c: CustodyState,
  outgoing: { keys: readonly string[]; threshold: bigint },
  incoming: { keys: readonly string[]; threshold: bigint },
  height: bigint,
): void {
  if (c.epochs.length === 0)
    c.epochs.push({ keys: [...outgoing.keys], threshold: outgoing.threshold, from: 0n });
  c.epochs.push({ keys: [...incoming.keys], threshold: incoming.threshold, from: height });
  c.rev++;
}

/** The current custody key epoch (0 before any rotation). */
export const currentEpoch = (c: CustodyState): number => Math.max(0, c.epochs.length - 1);

export function setStray(c: CustodyState, sats: bigint): void {
  c.stray = sats;
  c.rev++;
}

/** Sats in the coins of one owner (a vault id, or null for the pool). */
export function coinSats(c: CustodyState, vault: AccountId | null): bigint {
  let total = 0n;
  for (const coin of c.coins.values()) if (coin.vault === vault) total += coin.sats;
  return total;
}
