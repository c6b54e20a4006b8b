/**
 * Settlement transactions in tests, as the indexer reads them: a plan's transaction (what the
 * guardians sign) and the guardians' witness shape for a protocol coin on the simulated chain.
 */
import { fromHex } from "../../src/btc/scripts.ts";
import type { SettlementPlan, TxShape } from "../../src/settlement/index.ts";

/** The transaction a plan describes, with the given txid (witnesses are the chain's to check). */
export function planTx(plan: SettlementPlan, txid: string): TxShape {
  return {
    txid,
    inputs: plan.inputs.map((i) => ({
      prevTxid: i.txid,
      vout: i.vout,
      scriptSig: new Uint8Array(0),
      witness: [],
      sequence: 0xfffffffd,
    })),
    outputs: plan.outputs.map((o) => ({ script: fromHex(o.script), sats: o.sats })),
  };
}

/** The guardians' witness shape for a protocol coin (signatures are consensus's job on a real chain). */
export const guardianWitness = (vault: boolean, witnessScript: string): Uint8Array[] => {
  const sig = Uint8Array.from([0x30, ...new Array(69).fill(2), 0x01]);
  return vault
    ? [new Uint8Array(0), sig, sig, Uint8Array.of(1), new Uint8Array(0), fromHex(witnessScript)]
    : [new Uint8Array(0), sig, sig, fromHex(witnessScript)];
};
