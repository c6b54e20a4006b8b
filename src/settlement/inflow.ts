/**
 * BTC in travels with its spell (docs/decisions.md §2a rule 1). An operation that adds collateral (open, deposit,
 * an adjust with a deposit) is valid only if its own transaction pays exactly the added satoshis to
 * that vault's script, derived from the owner's key, the current custody key set and the timelock.
 * The open spell carries the owner key, authorized by the actor's signature (actor.ts). A deposit to
 * an existing vault adds a new coin at the vault's script; no custody input is spent.
 */
import type { BtcNetworkName } from "../btc/network.ts";
import { type GuardianSet, lenientHexBytes, toHex, vaultDescriptor } from "../btc/scripts.ts";
import type { SpellOperation } from "../btc/spell.ts";
import {
  type AccountId,
  addCoin,
  beginKeyEpoch,
  currentEpoch,
  isCustodyEmpty,
  type ProtocolCoin,
  SATOSHI,
  type State,
  setVaultKey,
} from "../protocol/index.ts";
import { type Actor, authorizesOwnerKey } from "./actor.ts";
import { type CustodyReason, custodyReason } from "./reasons.ts";
import { outpointKey, type TxShape } from "./tx.ts";

/** What the rules need besides the state: the network (addresses) and the vaults' escape timelock. */
export interface CustodyConfig {
  network: BtcNetworkName;
  /** Relative timelock of the vault scripts' escape path, blocks (the federation's; default 26,280). */
  csvBlocks: number;
}

/** BTC that an applied spell brings into custody: a new coin at a vault's script. */
export interface Inflow {
  vault: AccountId;
  /** Owner key, lowercase hex (recorded by an open). */
  ownerKey: string;
  vout: number;
  sats: bigint;
  /** Vault output script, lowercase hex. */
  script: string;
  /** The custody key epoch of that script: the current one, or the previous one within its grace (absent = 0). */
  epoch?: number;
}

export type InflowCheck = { ok: true; inflow: Inflow | null } | { ok: false; reason: CustodyReason };

/** The custody key set in force (governance state), as the script builder takes it. */
export function custodyKeySet(state: State): GuardianSet {
  const g = state.gov.guardians;
  return {
    threshold: Number(g.threshold),
    keys: g.keys.map((k) => lenientHexBytes(k)),
  };
}

/** Blocks after a rotation takes effect during which deposits to the previous epoch's scripts count (SPEC). */
export const EPOCH_GRACE_BLOCKS = 144;

/**
 * The custody key set of epoch `epoch` (docs/custody.md "Key epochs"): the recorded one, or the
 * governance set while no rotation has been recorded (every coin is then epoch 0); undefined for an
 * epoch that does not exist.
 */
export function epochKeySet(state: State, epoch: number): GuardianSet | undefined {
  const e = epochKeys(state, epoch);
  return e && { threshold: Number(e.threshold), keys: e.keys.map((k) => lenientHexBytes(k)) };
}

/** Epoch `epoch`'s keys (hex, as governance set them) and threshold; see `epochKeySet`. */
export function epochKeys(
  state: State,
  epoch: number,
): { keys: readonly string[]; threshold: bigint } | undefined {
  const epochs = state.custody.epochs;
  if (epochs.length === 0) return epoch === 0 ? state.gov.guardians : undefined;
  return epochs[epoch];
}

/**
 * After a spell: when it rotated the custody key set (governance's `rotateGuardians`), a new key
 * epoch begins at `height`. Nothing is recorded while custody holds nothing (no coin needs the old
 * keys; epoch 0 is then simply the governance set).
 */
export function noteKeyRotation(
  state: State,
  before: { keys: readonly string[]; threshold: bigint },
  height: number,
): boolean {
  const after = state.gov.guardians;
  const same = after.threshold === before.threshold && after.keys.join(",") === before.keys.join(",");
  if (same || isCustodyEmpty(state.custody)) return false;
  beginKeyEpoch(state.custody, before, after, BigInt(height));
  return true;
}

/**
 * The P2WSH script of the vault with `ownerKey` under the current custody key set (or epoch
 * `epoch`'s); undefined when no valid script exists (no custody set, a key that is not a point, the
 * owner among the guardians).
 */
export function vaultScriptFor(
  state: State,
  ownerKey: Uint8Array,
  config: CustodyConfig,
  epoch = currentEpoch(state.custody),
): Uint8Array | undefined {
  try {
    const guardians = epochKeySet(state, epoch);
    if (!guardians) return undefined;
    return vaultDescriptor({ owner: ownerKey, guardians, csvBlocks: config.csvBlocks }).script;
  } catch {
    return undefined;
  }
}

const eq = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Checks the custody side of a spell before the engine applies it. Never throws. `ok` with
 * `inflow: null` for operations that bring no BTC in.
 */
export function checkInflow(
  state: State,
  op: SpellOperation,
  actor: Actor,
  tx: TxShape,
  config: CustodyConfig,
  /** Height of the block confirming it: a deposit to the previous epoch's script counts within its grace. */
  height?: number,
): InflowCheck {
  const mismatch = (why: string): InflowCheck => ({
    ok: false,
    reason: custodyReason("custodyMismatch", why),
  });
  let added: bigint;
  let ownerKey: Uint8Array;
  let vout: number | undefined;
  if (op.type === "openVault") {
    if (!op.ownerKey)
      return { ok: false, reason: custodyReason("unsupportedOwner", "the open spell carries no owner key") };
    if (actor.kind === "other")
      return {
        ok: false,
        reason: custodyReason("unsupportedOwner", "the actor's input type cannot own a vault"),
      };
    if (!authorizesOwnerKey(actor, op.ownerKey))
      return {
        ok: false,
        reason: custodyReason("unsupportedOwner", "the owner key is not the key that signed the first input"),
      };
    added = op.collateral;
    ownerKey = op.ownerKey;
    vout = op.vaultOutput;
  } else if (op.type === "adjustVault") {
    added = op.depositCollateral ?? 0n;
    if (added === 0n) {
      return op.vaultOutput === undefined
        ? { ok: true, inflow: null }
        : mismatch("the spell names a vault output but deposits nothing");
    }
    const key = state.custody.vaultKeys.get(actor.account);
    if (!key) return mismatch("this vault has no owner key on record");
    ownerKey = lenientHexBytes(key);
    vout = op.vaultOutput;
  } else {
    return { ok: true, inflow: null };
  }
  if (vout === undefined) return mismatch("the spell names no vault output");
  const out = tx.outputs[vout];
  if (!out) return mismatch(`output ${vout} does not exist`);
  const current = currentEpoch(state.custody);
  const script = vaultScriptFor(state, ownerKey, config);
  if (!script) return mismatch("no vault script exists for this owner key and the current custody key set");
  let epoch = current;
  if (!eq(out.script, script)) {
    // The previous key set's script: accepted for EPOCH_GRACE_BLOCKS after the rotation took effect.
    const previous = current > 0 ? vaultScriptFor(state, ownerKey, config, current - 1) : undefined;
    if (!previous || !eq(out.script, previous))
      return mismatch(`output ${vout} does not pay the vault's script`);
    const until = Number(state.custody.epochs[current]!.from) + EPOCH_GRACE_BLOCKS;
    if (height === undefined || height >= until)
      return mismatch(
        `output ${vout} pays the vault's script under the previous custody key set (epoch ${current - 1}), ` +
          `which took deposits until height ${until - 1}; pay the current key set's script`,
      );
    epoch = current - 1;
  }
  // Collateral travels as whole satoshis (the decoder multiplies by 1e10), so this is exact.
  if (out.sats * SATOSHI !== added)
    return mismatch(`output ${vout} pays ${out.sats} sats, the spell adds ${added / SATOSHI} sats`);
  return {
    ok: true,
    inflow: {
      vault: actor.account,
      ownerKey: toHex(ownerKey),
      vout,
      sats: out.sats,
      script: toHex(out.script),
      epoch,
    },
  };
}

/** Records an applied spell's inflow: the vault's owner key (on open) and its new coin. */
export function recordInflow(
  state: State,
  inflow: Inflow,
  place: { txid: string; height: number },
): ProtocolCoin {
  if (state.custody.vaultKeys.get(inflow.vault) !== inflow.ownerKey)
    setVaultKey(state.custody, inflow.vault, inflow.ownerKey);
  const coin: ProtocolCoin = {
    outpoint: outpointKey(place.txid, inflow.vout),
    sats: inflow.sats,
    vault: inflow.vault,
    script: inflow.script,
    height: BigInt(place.height),
    epoch: inflow.epoch ?? currentEpoch(state.custody),
  };
  addCoin(state.custody, coin);
  return coin;
}
