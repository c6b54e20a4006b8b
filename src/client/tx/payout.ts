/**
 * "Send BTC to": the address an outflow's BTC is paid to (docs/custody.md "Payout destinations").
 * Empty means the connected wallet's payment address, which is where payouts go when the spell names
 * none. The indexer refuses anything but a standard, non-protocol script (src/settlement/payout.ts);
 * this says so in plain words before anything is built.
 */
import { addressToScript, type BtcNetworkName } from "../../btc/network.ts";
import { SPELL_SCHEMAS } from "../../btc/spell.ts";
import type { Operation } from "../../protocol/index.ts";
import { isStandardPayout } from "../../settlement/settle.ts";

/** Whether a spell of this operation can name where its BTC goes (it may pay BTC out). */
export function canNamePayout(op: Operation): boolean {
  if (op.type === "setBaseRate") return false;
  return SPELL_SCHEMAS[op.type].fields.some((f) => f.name === "payout");
}

export type PayoutAddress = { ok: true; script: Uint8Array | null } | { ok: false; message: string };

/**
 * The script of a "Send BTC to" address: null when empty or the wallet's own address (the spell then
 * names none), else the script, or a sentence saying what is wrong.
 */
export function payoutAddress(text: string, network: BtcNetworkName, walletAddress?: string): PayoutAddress {
  const address = text.trim();
  if (address === "" || address === walletAddress) return { ok: true, script: null };
  let script: Uint8Array;
  try {
    script = addressToScript(address, network);
  } catch {
    return {
      ok: false,
      message: `This is not a valid ${network} Bitcoin address. Paste the address that should receive the BTC, or leave the field empty to receive it in your connected wallet.`,
    };
  }
  if (!isStandardPayout(script))
    return {
      ok: false,
      message:
        "BTC can be paid only to a standard address (legacy 1…/m…, script 3…/2…, SegWit or Taproot bc1…/tb1…/bcrt1…). Use another address.",
    };
  return { ok: true, script };
}
