/**
 * What a flow will pay the Bitcoin network, as an upper bound the flow never exceeds: every
 * transaction it sends (the price update when the on-chain price must first become the attested one,
 * then the operation), each built here the way the flow builds it, with the parts the review does not
 * have yet at their largest: an attestation signed by every member of the federation and the proof's
 * fixed 128 bytes; signatures are sized at their largest by the builder (src/btc/networkFees.ts). The flow
 * (flow.ts) refuses to sign a transaction whose fee would take the total above this bound.
 */
import { inputFee } from "../../btc/networkFees.ts";
import {
  type BuiltPsbt,
  buildLedgerOp,
  type WalletAccount,
  walletInputKind,
  walletUtxo,
} from "../../btc/psbt.ts";
import { emptyProof, SPELL_VERSION } from "../../btc/spell.ts";
import { outpoint } from "../../btc/utxo.ts";
import { attestationSize } from "../../oracle/attestation-codec.ts";
import type { WalletCoin } from "../chain-reads.ts";
import { type DraftInput, makeDraft } from "./draft.ts";

export interface CostLine {
  id: "price" | "operation";
  label: string;
  /** Fee in sats at the chosen rate, the largest the transaction can need. */
  fee: bigint;
  /** Its virtual size with the largest signatures, attestation and proof. */
  vsize: number;
}

export interface FlowCost {
  lines: CostLine[];
  /** The sum of the lines' fees: what the whole flow may pay at most, in sats. */
  total: bigint;
  feeRate: number;
}

/** Bytes for an attestation every one of `members` oracles signed (the largest a spell can carry). */
export const largestAttestation = (members: number): Uint8Array =>
  new Uint8Array(attestationSize(Math.max(1, members), Math.max(1, members) - 1));

/**
 * The flow's cost bound for `input` (the review's draft input, without attestation and proof):
 * with `priceUpdate`, the setPrice transaction first, and the operation built on the coins the wallet
 * will have after it (its change in place of the coins it spends).
 */
export function flowCost(
  input: DraftInput,
  opts: {
    priceUpdate: boolean;
    /** Whether the update is known to be needed now (else it is sent only if the price moves). */
    priceKnownNeeded?: boolean;
    price: bigint;
    members: number;
    attested: boolean;
  },
): FlowCost {
  const attestation = largestAttestation(opts.members);
  // Room for one more wallet input per transaction: the wallet's coins when the flow builds (after the
  // price update confirmed, with coins that arrived since) can make it select one more than here.
  // Measured on the local stack without it: 3,276 sats paid against a 3,246 bound.
  const spare = { fee: inputFee(walletInputKind(input.wallet.type), input.feeRate), vsize: 0 };
  spare.vsize = Number(inputFee(walletInputKind(input.wallet.type), 1));
  const lines: CostLine[] = [];
  let coins: WalletCoin[] = input.coins;
  if (opts.priceUpdate) {
    const built = buildLedgerOp(
      {
        network: input.network,
        wallet: input.wallet,
        walletUtxos: coins.map((c) => walletUtxo(input.wallet, input.network, coinUtxo(c))),
        feeRate: input.feeRate,
      },
      {
        spell: {
          version: SPELL_VERSION,
          op: { type: "setPrice", price: opts.price },
          attestation,
          proof: emptyProof(),
        },
      },
    );
    lines.push({
      id: "price",
      label: opts.priceKnownNeeded
        ? "Price update (the on-chain price is not the guardians' yet)"
        : "Price update, sent only if the on-chain price is not the guardians' when you sign",
      fee: built.fee + spare.fee,
      vsize: built.estimatedVsize + spare.vsize,
    });
    coins = coinsAfter(coins, built, input.wallet);
  }
  const draft = makeDraft({
    ...input,
    coins,
    ...(opts.attested ? { attestation } : {}),
    proof: emptyProof(),
  });
  lines.push({
    id: "operation",
    label: "This operation",
    fee: draft.built.fee + spare.fee,
    vsize: draft.built.estimatedVsize + spare.vsize,
  });
  return { lines, total: lines.reduce((a, l) => a + l.fee, 0n), feeRate: input.feeRate };
}

const coinUtxo = (c: WalletCoin) => ({
  txid: c.txid,
  vout: c.vout,
  value: c.value,
  ...(c.height !== undefined ? { height: c.height } : {}),
  ...(c.rawTx ? { rawTx: c.rawTx } : {}),
});

/** The wallet's coins once `built` confirmed: its inputs gone, its change to the wallet added. */
function coinsAfter(coins: WalletCoin[], built: BuiltPsbt, wallet: WalletAccount): WalletCoin[] {
  const spent = new Set(built.outpoints);
  const left = coins.filter((c) => !spent.has(outpoint(c)));
  built.outputs.forEach((o, vout) => {
    if (o.label === "change" && (o.address === undefined || o.address === wallet.address))
      // The price update's txid is not known before it is signed: a stand-in that sizes the same.
      left.push({ txid: "00".repeat(32), vout, value: o.amount, confirmed: true });
  });
  return left;
}
