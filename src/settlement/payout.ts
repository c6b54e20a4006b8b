/**
 * Where an outflow spell's BTC goes (docs/decisions.md §2a rule 2, "Inflows": "payouts go only to standard,
 * non-protocol scripts"; "Outflow spells carry a maximum fee"). The spell may name a payout script and a
 * maximum fee (`SpellPayout`, docs/spell-format.md "Payout"); absent, its payouts go to the actor's own
 * script (the output its first input spends) with `DEFAULT_PAYOUT_MAX_FEE`. Checked BEFORE the engine
 * applies the spell, so a refused payout leaves the state untouched. Pure.
 */
import { dustThreshold } from "../btc/networkFees.ts";
import { fromHex, toHex } from "../btc/scripts.ts";
import { SPELL_SCHEMAS, type SpellOperation } from "../btc/spell.ts";
import type { ProtocolEvent, State } from "../protocol/index.ts";
import type { CustodyConfig } from "./inflow.ts";
import { DEFAULT_PAYOUT_MAX_FEE, type Payout } from "./obligations.ts";
import { type CustodyReason, custodyReason } from "./reasons.ts";
import { isStandardPayout } from "./settle.ts";
import { protocolScripts } from "./strays.ts";

/**
 * Bounds of a spell's payout maximum fee, sats: at least what a payout output's own ~43 vB cost at
 * ~23 sat/vB (below that the fee account would pay most of every payout: griefing), at most 0.001 BTC.
 */
export const MIN_PAYOUT_MAX_FEE = 1_000n;
export const MAX_PAYOUT_MAX_FEE = 100_000n;

export type PayoutCheck = { ok: true; payout: Payout } | { ok: false; reason: CustodyReason };

/** Whether a spell of this operation may pay BTC out (its schema carries a payout). */
const paysOut = (op: SpellOperation): boolean =>
  SPELL_SCHEMAS[op.type].fields.some((f) => f.name === "payout");

/** The payout of a spell's operation (destination script and maximum fee), or why it is refused. */
export function payoutOf(
  state: State,
  op: SpellOperation,
  actorScript: Uint8Array,
  config: CustodyConfig,
): PayoutCheck {
  const named = "payout" in op ? op.payout : undefined;
  const maxFee = named?.maxFee ?? DEFAULT_PAYOUT_MAX_FEE;
  if (maxFee < MIN_PAYOUT_MAX_FEE || maxFee > MAX_PAYOUT_MAX_FEE)
    return { ok: false, reason: custodyReason("payoutMaxFee", `the spell's maximum fee is ${maxFee} sats`) };
  if (!named?.script) {
    const own = toHex(actorScript);
    // The actor's own script is a payout destination too: never custody's own (its first input a
    // vault coin, spent by an escape with a spell riding along), else BTC would be owed back into custody.
    if (paysOut(op) && protocolScripts(state, config).has(own))
      return {
        ok: false,
        reason: custodyReason(
          "payoutScript",
          `the actor's own script ${own} is custody's own (a vault or the pool): name a payout address`,
        ),
      };
    return { ok: true, payout: { script: own, maxFee } };
  }
  const script = toHex(named.script);
  if (!isStandardPayout(named.script))
    return {
      ok: false,
      reason: custodyReason("payoutScript", `the payout script ${script} is not a standard address`),
    };
  // Custody's own: a vault's or the pool's script of any key epoch (the stray rule's map).
  if (protocolScripts(state, config).has(script))
    return {
      ok: false,
      reason: custodyReason(
        "payoutScript",
        `the payout script ${script} is custody's own (a vault or the pool)`,
      ),
    };
  return { ok: true, payout: { script, maxFee, named: script !== toHex(actorScript) } };
}

/**
 * `belowMinPayout` (docs/decisions.md §2a "Dust and griefing"): an outflow whose amount the user chose (a
 * withdrawal, a redemption) below its destination's dust limit (by script type, `dustThreshold`)
 * plus its maximum fee is refused, since no settlement could pay it above dust. Not for payouts the
 * protocol makes as a side effect (pool gains, the liquidator's compensation, surplus, a close):
 * refusing those would block liquidations of small vaults or trap a depositor's zkUSD behind a tiny
 * gain (docs/custody.md "Payout destinations"). Read from the engine's events before they commit.
 */
export function belowMinPayout(events: readonly ProtocolEvent[], payout: Payout): CustodyReason | null {
  const least = dustThreshold(fromHex(payout.script)) + payout.maxFee;
  for (const e of events) {
    if (e.type !== "CollateralWithdrawn" && e.type !== "Redeemed") continue;
    if (e.paidSats < least)
      return custodyReason(
        "belowMinPayout",
        `the payout of ${e.paidSats} sats is below ${least} sats (the destination's dust limit ${least - payout.maxFee} plus the maximum fee ${payout.maxFee})`,
      );
  }
  return null;
}
