/**
 * The `fund` spell (docs/custody.md "The fee account"): BTC put into the fee account, for instance by
 * the federation at genesis. No attestation, no proof, no actor: anyone may fund it.
 *
 *   magic "zkUSD" (5) | version 1 | op 0x82 | output index (LEB128, < 2^16) | sats (LEB128)
 *
 * It is applied only when output `vout` of its own transaction pays exactly `sats` to the pool's
 * script (the custody key set in force) and 1 ≤ sats ≤ MAX_FEE_FUNDING; the output then becomes a
 * pool coin and `custody.stray` grows by `sats`. Anything else is refused with a plain reason
 * (`custodyMismatch`), and the output, if it pays a protocol script, is an unclaimed output like any
 * other (strays.ts: owed back to the sender from 10,000 sats, kept below).
 */
import { readLeb128, writeLeb128 } from "../btc/leb128.ts";
import { toHex } from "../btc/scripts.ts";
import { SPELL_MAGIC, SPELL_VERSION } from "../btc/spell.ts";
import { addCoin, type ProtocolEvent, type State, setStray } from "../protocol/index.ts";
import { type CustodyReason, custodyReason } from "./reasons.ts";
import { poolScriptHex } from "./settle.ts";
import { outpointKey, type TxShape } from "./tx.ts";

export const FUND_OP_CODE = 0x82;
/** Most sats one funding spell may add to the fee account (1 BTC): every amount has a bound. */
export const MAX_FEE_FUNDING = 100_000_000n;
export const MAX_FUND_SPELL_BYTES = 20;

export interface FundSpell {
  vout: number;
  sats: bigint;
}

/** True when the payload is a fund spell (magic, version, op 0x82), before decoding it. */
export const isFundPayload = (b: Uint8Array): boolean =>
  b.length > 7 && SPELL_MAGIC.every((x, i) => b[i] === x) && b[5] === SPELL_VERSION && b[6] === FUND_OP_CODE;

export function encodeFundSpell(s: FundSpell): Uint8Array {
  const out: number[] = [...SPELL_MAGIC, SPELL_VERSION, FUND_OP_CODE];
  writeLeb128(out, BigInt(s.vout));
  writeLeb128(out, s.sats);
  return Uint8Array.from(out);
}

/** Decodes a fund spell; never throws. */
export function decodeFundSpell(
  b: Uint8Array,
): { ok: true; spell: FundSpell } | { ok: false; message: string } {
  try {
    if (!isFundPayload(b)) return { ok: false, message: "not a fund spell" };
    if (b.length > MAX_FUND_SPELL_BYTES) return { ok: false, message: `${b.length} bytes exceeds 20` };
    const [vout, next] = readLeb128(b, 7, 16);
    const [sats, end] = readLeb128(b, next, 64);
    if (end !== b.length) return { ok: false, message: "trailing bytes" };
    return { ok: true, spell: { vout: Number(vout), sats } };
  } catch (e) {
    return { ok: false, message: (e as Error).message };
  }
}

export type FundCheck = { ok: true; spell: FundSpell; script: string } | { ok: false; reason: CustodyReason };

/** Checks a fund spell against its own transaction; never throws. */
export function checkFunding(state: State, tx: TxShape, payload: Uint8Array): FundCheck {
  const refuse = (why: string): FundCheck => ({
    ok: false,
    reason: custodyReason("custodyMismatch", `fee account funding: ${why}`),
  });
  const decoded = decodeFundSpell(payload);
  if (!decoded.ok) return refuse(`the spell does not decode (${decoded.message})`);
  const { vout, sats } = decoded.spell;
  if (sats < 1n || sats > MAX_FEE_FUNDING)
    return refuse(`${sats} sats is outside 1 to ${MAX_FEE_FUNDING} sats`);
  const out = tx.outputs[vout];
  if (!out) return refuse(`output ${vout} does not exist`);
  const pool = poolScriptHex(state);
  if (!pool) return refuse("there is no custody key set");
  if (toHex(out.script) !== pool) return refuse(`output ${vout} does not pay the pool's script`);
  if (out.sats !== sats) return refuse(`output ${vout} pays ${out.sats} sats, the spell adds ${sats} sats`);
  return { ok: true, spell: decoded.spell, script: pool };
}

/** Records a checked funding: a pool coin, and the fee account grows by exactly its sats. */
export function applyFunding(
  state: State,
  checked: Extract<FundCheck, { ok: true }>,
  place: { txid: string; height: number },
): ProtocolEvent[] {
  const outpoint = outpointKey(place.txid, checked.spell.vout);
  // A coin already recorded (cannot happen: outpoints are unique) is never counted twice.
  if (state.custody.coins.has(outpoint)) return [];
  addCoin(state.custody, {
    outpoint,
    sats: checked.spell.sats,
    vault: null,
    script: checked.script,
    height: BigInt(place.height),
  });
  setStray(state.custody, state.custody.stray + checked.spell.sats);
  return [{ type: "FeeAccountFunded", outpoint, sats: checked.spell.sats }];
}
