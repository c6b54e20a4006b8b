/**
 * The custody view a guardian serves at GET /v1/custody and `zkusd custody` prints: the state's
 * protocol coins and obligations, the invariant status and the breaches (docs/decisions.md §2a rule 3).
 */
import {
  type CustodyState,
  deserializeCustody,
  type SerializedCustody,
  serializeCustody,
} from "../protocol/custody.ts";

/** What a source says about its custody check (the indexer's per-block invariants, docs/decisions.md §2a rule 3). */
export interface InvariantStatus {
  /** "ok": custody and ledger agree exactly; "breach": they do not; "unchecked": not every transaction was scanned. */
  status: "ok" | "breach" | "unchecked";
  detail: string;
}

export interface CustodyBreach {
  height: number;
  txid: string;
  message: string;
}

export interface CustodyView {
  height: number | null;
  custody: CustodyState;
  invariants: InvariantStatus;
  breaches: CustodyBreach[];
}

/** A guardian's GET /v1/custody answer back to a view. */
export function custodyViewFromJson(body: {
  height?: number;
  custody?: SerializedCustody;
  invariants?: InvariantStatus;
  breaches?: CustodyBreach[];
}): CustodyView {
  return {
    height: typeof body.height === "number" ? body.height : null,
    custody: deserializeCustody(body.custody),
    invariants: body.invariants ?? { status: "unchecked", detail: "the guardian reports no custody check" },
    breaches: body.breaches ?? [],
  };
}

/** The JSON a guardian serves at GET /v1/custody. */
export const custodyViewToJson = (v: CustodyView) => ({
  height: v.height,
  custody: serializeCustody(v.custody),
  invariants: v.invariants,
  breaches: v.breaches,
});
