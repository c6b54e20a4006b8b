/**
 * "Send BTC to": the address an outflow's BTC is paid to (docs/custody.md "Payout destinations").
 * Empty means the connected wallet's payment address, which is where payouts go when the spell names
 * none. The indexer refuses anything but a standard, non-protocol script (src/settlement/payout.ts);
 * this says so in plain words before anything is built.
 */
import { addressToScript, type BtcNetworkName } from "../../btc/network.ts";
import { DEFAULT_ESCAPE_CSV_BLOCKS } from "../../btc/scripts.ts";
import { fromOperation, SPELL_SCHEMAS, type SpellOperation } from "../../btc/spell.ts";
import type { Operation, State } from "../../protocol/index.ts";
import { payoutOf } from "../../settlement/payout.ts";
import { isStandardPayout } from "../../settlement/settle.ts";

/** Whether a spell of this operation can name where its BTC goes (it may pay BTC out). */
export function canNamePayout(op: Operation): boolean {
  if (op.type === "setBaseRate") return false;
  return SPELL_SCHEMAS[op.type].fields.some((f) => f.name === "payout");
}

export type PayoutAddress = { ok: true; script: Uint8Array | null } | { ok: false; message: string };

/**
 * The engine state the operation will meet and the federation's escape timelock: with them the
 * indexer's own payout rule (`payoutOf`) refuses custody's scripts (a vault's or the pool's).
 */
export interface PayoutCustody {
  op: Operation;
  state: State;
  /** The vault scripts' escape timelock (the federation's; default 26,280). */
  csvBlocks?: number;
}

/**
 * The script of a "Send BTC to" address: null when empty or the wallet's own address (the spell then
 * names none), else the script, or a sentence saying what is wrong. With `custody`, an address the
 * indexer would refuse as `payoutScript` (custody's own) is refused here, before anything is signed.
 * Without a named address the payout goes to the wallet's own script, never custody's: a wallet
 * address is P2WPKH, P2SH-P2WPKH or P2TR, custody's scripts are all P2WSH.
 */
export function payoutAddress(
  text: string,
  network: BtcNetworkName,
  walletAddress?: string,
  custody?: PayoutCustody,
): PayoutAddress {
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
  if (custody && custody.op.type !== "setBaseRate") {
    // The indexer's rule itself; the actor's script only marks the payout as named, so `script` serves.
    const op = { ...fromOperation(custody.op).op, payout: { script } } as SpellOperation;
    const csvBlocks = custody.csvBlocks ?? DEFAULT_ESCAPE_CSV_BLOCKS;
    const check = payoutOf(custody.state, op, script, { network, csvBlocks });
    if (!check.ok)
      return {
        ok: false,
        message:
          check.reason.code === "payoutScript"
            ? "This address is a zkUSD vault or the stability pool's custody address: BTC paid there would be locked in custody again, so the ledger refuses it. Use an address of your own wallet."
            : `The ledger would refuse this payout: ${check.reason.message}`,
      };
  }
  return { ok: true, script };
}
