/**
 * Stray BTC at protocol scripts (docs/decisions.md §2a "Refunds", "Dust and griefing", docs/custody.md "Stray
 * outputs"): an output paying a vault's script or the pool's, under any key epoch's custody set, that
 * no applied spell claimed (no spell, a rejected spell, an output the spell does not name) is
 * custody's from then on (its coin recorded with that epoch), and:
 *  - from STRAY_REFUND_MIN sats up it is owed back to the script of its transaction's first input, as
 *    a payout obligation of the coin's owner, settled like any other (less its fee share);
 *  - below that it is kept as stray: the fee account grows by it, and a coin at a vault's script is
 *    swept to the pool's main coin by the vault's next settlement (an internal move).
 * Transactions that spend protocol coins (settlements, escapes, breaches) are not refunded: their
 * outputs are the plan's or nobody's claim on custody. Pure.
 */
import { fromHex, poolDescriptor, toHex } from "../btc/scripts.ts";
import {
  type AccountId,
  addCoin,
  addObligation,
  currentEpoch,
  type Obligation,
  type ProtocolEvent,
  type State,
  setStray,
} from "../protocol/index.ts";
import type { CustodyConfig } from "./inflow.ts";
import { epochKeySet, vaultScriptFor } from "./inflow.ts";
import { DEFAULT_PAYOUT_MAX_FEE, obligationId, obligationRecorded } from "./obligations.ts";
import { isStandardPayout, poolScriptHex, STRAY_REFUND_MIN } from "./settle.ts";
import { outpointKey, type TxShape } from "./tx.ts";

export { STRAY_REFUND_MIN } from "./settle.ts";

/** Obligation index of a stray output's refund or sweep: past any spell's own and an escape's. */
const STRAY_ID_BASE = 2_000_000;

interface ScriptCache {
  keySet: string;
  csv: number;
  keys: Map<AccountId, string>;
  map: Map<string, AccountId | null>;
  /** The key epoch of each script in `map` (docs/custody.md "Key epochs"). */
  epochs: Map<string, number>;
}

/** Protocol scripts (hex) → owner (a vault, or null for the pool), cached per key sets and vault keys. */
const cache = new WeakMap<State, ScriptCache>();

/**
 * Every protocol script of every key epoch: a stray output at an old epoch's script is custody's as
 * much as one at the current set's (docs/custody.md "Stray outputs"). Where two epochs share a
 * script (a set rotated back), the later epoch's wins.
 */
function scriptCache(state: State, config: CustodyConfig): ScriptCache {
  const epochCount = Math.max(1, state.custody.epochs.length);
  const keySet = `${epochCount}/${state.gov.guardians.threshold}:${state.gov.guardians.keys.join(",")}`;
  let c = cache.get(state);
  if (!c || c.keySet !== keySet || c.csv !== config.csvBlocks) {
    c = { keySet, csv: config.csvBlocks, keys: new Map(), map: new Map(), epochs: new Map() };
    cache.set(state, c);
    for (let epoch = 0; epoch < epochCount; epoch++) {
      const pool = epochPoolScript(state, epoch);
      if (pool) {
        c.map.set(pool, null);
        c.epochs.set(pool, epoch);
      }
    }
  }
  for (const [vault, key] of state.custody.vaultKeys) {
    if (c.keys.get(vault) === key) continue;
    for (let epoch = 0; epoch < epochCount; epoch++) {
      const script = vaultScriptFor(state, fromHex(key), config, epoch);
      if (!script) continue;
      c.map.set(toHex(script), vault);
      c.epochs.set(toHex(script), epoch);
    }
    c.keys.set(vault, key);
  }
  return c;
}

/** The pool's script under key epoch `epoch` (hex), if that epoch's set makes one. */
function epochPoolScript(state: State, epoch: number): string | undefined {
  if (epoch === currentEpoch(state.custody)) return poolScriptHex(state);
  try {
    const set = epochKeySet(state, epoch);
    return set && toHex(poolDescriptor(set).script);
  } catch {
    return undefined;
  }
}

export function protocolScripts(state: State, config: CustodyConfig): Map<string, AccountId | null> {
  return scriptCache(state, config).map;
}

/** P2WSH outputs only can be protocol scripts (a cheap test before the map). */
const isP2wsh = (s: Uint8Array) => s.length === 34 && s[0] === 0 && s[1] === 0x20;

/** Whether `tx` has an unclaimed output at a protocol script (the indexer then fetches its refund script). */
export function hasStrayOutputs(state: State, tx: TxShape, config: CustodyConfig): boolean {
  if (!tx.outputs.some((o) => isP2wsh(o.script))) return false;
  const scripts = protocolScripts(state, config);
  return tx.outputs.some(
    (o, vout) =>
      isP2wsh(o.script) &&
      o.sats > 0n &&
      scripts.has(toHex(o.script)) &&
      !state.custody.coins.has(outpointKey(tx.txid, vout)),
  );
}

/**
 * Records `tx`'s unclaimed outputs at protocol scripts (after its spell, if any, was applied or
 * rejected). `refundScript` is the script of the output its first input spends (hex); when there is
 * none, or it is not a standard payout script, everything is kept as stray.
 */
export function recordStrays(
  state: State,
  tx: TxShape,
  refundScript: string | undefined,
  place: { txid: string; height: number },
  config: CustodyConfig,
): ProtocolEvent[] {
  const { map: scripts, epochs } = scriptCache(state, config);
  const c = state.custody;
  const events: ProtocolEvent[] = [];
  let index = STRAY_ID_BASE;
  tx.outputs.forEach((o, vout) => {
    if (!isP2wsh(o.script) || o.sats <= 0n) return;
    const script = toHex(o.script);
    if (!scripts.has(script)) return;
    const outpoint = outpointKey(tx.txid, vout);
    if (c.coins.has(outpoint)) return;
    const owner = scripts.get(script)!;
    const epoch = epochs.get(script) ?? currentEpoch(c);
    addCoin(c, { outpoint, sats: o.sats, vault: owner, script, height: BigInt(place.height), epoch });
    // Refunds go only to standard, non-protocol scripts (a settlement could not pay anything else).
    const refunded =
      refundScript !== undefined &&
      o.sats >= STRAY_REFUND_MIN &&
      !scripts.has(refundScript) &&
      isStandardPayout(fromHex(refundScript));
    let obligation: Obligation | undefined;
    if (refunded)
      obligation = {
        id: obligationId(place.txid, index++),
        source: owner,
        script: refundScript,
        sats: o.sats,
        maxFee: DEFAULT_PAYOUT_MAX_FEE,
        height: BigInt(place.height),
        status: "open",
        settledBy: null,
      };
    else {
      setStray(c, c.stray + o.sats);
      // A stray coin at a vault's script belongs to the pool's fee account: swept by a settlement.
      if (owner !== null)
        obligation = {
          id: obligationId(place.txid, index++),
          source: owner,
          script: "",
          to: null,
          sats: o.sats,
          maxFee: 0n,
          height: BigInt(place.height),
          status: "open",
          settledBy: null,
        };
    }
    if (obligation) {
      addObligation(c, obligation);
      events.push(obligationRecorded(obligation));
    }
    events.push({ type: "StrayReceived", outpoint, sats: o.sats, owner, refunded });
  });
  return events;
}
