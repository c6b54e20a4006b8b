/**
 * What the review screen shows besides the PSBT's own lines, computed outside React: the engine's
 * events for the operation (the draft's inputs), the fee rate the
 * user chose, the fee in dollars, what leaves the wallet, and a decoded spell field in words.
 */
import { type BtcNetworkName, scriptToAddress } from "../../btc/network.ts";
import type { FeePresets } from "../../btc/networkFees.ts";
import type { PsbtSummary } from "../../btc/psbt-preview.ts";
import { type GuardianSet, toHex } from "../../btc/scripts.ts";
import type { SpellPayout } from "../../btc/spell.ts";
import { SATOSHI } from "../../protocol/decimal.ts";
import {
  deserializeState,
  type Operation,
  type ProtocolEvent,
  type SerializedState,
} from "../../protocol/index.ts";
import { custodyKeySet } from "../../settlement/inflow.ts";
import { type Meet, nextContext, stateMet } from "../engine/preview.ts";
import { formatBtc, formatPercent, formatUsd, formatZkusd } from "../format.ts";
import { governanceSpellValue } from "../governance/describe.ts";
import type { FeePreset } from "../settings.ts";
import { engineEvents } from "./flow.ts";

/** The draft's inputs from the engine's state: its events for the operation and the custody key set. */
export type ReviewContext =
  | { ok: true; events: ProtocolEvent[]; custodySet?: GuardianSet; statePrice: bigint }
  | { ok: false; message: string };

/**
 * The engine's events for `op` on the engine worker's snapshot as the transaction will meet it (the
 * flow's own price update and time first: `meet`, from `meetFor`), the state's custody key set, and
 * the price the state holds before that update (the review's cost counts the update).
 */
export function reviewContext(
  snapshot: { state: SerializedState },
  op: Operation,
  meet: Meet,
): ReviewContext {
  const original = deserializeState(snapshot.state);
  const state = stateMet(original, op, meet.price, nextContext(original, meet.time));
  const events = engineEvents(state, op, meet.time ?? state.g.time);
  if (!events.ok) return { ok: false, message: events.message };
  const statePrice = original.g.price;
  if (state.gov.guardians.keys.length === 0) return { ok: true, events: events.events, statePrice };
  return { ok: true, events: events.events, custodySet: custodyKeySet(state), statePrice };
}

/** The fee rate (sat/vB) of a preset, or of a custom entry between 1 (the relay minimum) and 10,000. */
export function feeRateFor(
  preset: FeePreset | "custom",
  custom: string,
  presets: FeePresets | undefined,
): number | null {
  if (preset === "custom") {
    const n = Number(custom);
    return Number.isFinite(n) && n >= 1 && n <= 10_000 ? n : null;
  }
  return presets ? presets[preset] : null;
}

/** A network fee (sats) in dollars at the engine's 18-decimal price; display only, rounded down. */
export const feeInUsd = (feeSats: bigint, price: bigint): bigint => (feeSats * SATOSHI * price) / 10n ** 18n;

/** What leaves the wallet (18-decimal BTC): its inputs less the change that comes back. */
export const walletOutflow = (summary: Pick<PsbtSummary, "inputs" | "outputs">): bigint =>
  (summary.inputs.filter((i) => i.kind === "wallet").reduce((a, i) => a + i.amount, 0n) -
    summary.outputs.filter((o) => o.kind === "change").reduce((a, o) => a + o.amount, 0n)) *
  SATOSHI;

/** A spell's payout in words: where the BTC is paid and the largest fee share its payee accepts. */
function payoutText(payout: SpellPayout, network?: BtcNetworkName): string {
  const to = payout.script
    ? `paid to ${(network && scriptToAddress(payout.script, network)) ?? `script ${toHex(payout.script)}`}`
    : "paid to your wallet";
  return payout.maxFee === undefined ? to : `${to}, fee share at most ${payout.maxFee} sats`;
}

/** A decoded spell field's raw value for `data-value` (structures as JSON, bigints as digits). */
export function spellFieldRaw(value: unknown): string {
  if (typeof value !== "object" || value === null) return String(value);
  if (value instanceof Uint8Array) return toHex(value);
  return JSON.stringify(value, (_k, v) =>
    typeof v === "bigint" ? v.toString() : v instanceof Uint8Array ? toHex(v) : v,
  );
}

/** A decoded spell field in words (amounts are 18-decimal engine units; the codec carried BTC as sats). */
export function spellFieldText(field: string, value: unknown, network?: BtcNetworkName): string {
  if (field === "payout") return payoutText(value as SpellPayout, network);
  const governance = governanceSpellValue(field, value);
  if (governance !== null) return governance;
  if (typeof value !== "bigint") return Array.isArray(value) ? value.join(", ") : String(value);
  if (field === "maxFee") return `max fee ${formatPercent(value, 2)}`;
  if (field === "collateral" || field.endsWith("Collateral")) return formatBtc(value);
  if (field === "price") return formatUsd(value);
  return formatZkusd(value);
}
