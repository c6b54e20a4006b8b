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
  /**
   * The fee account (docs/custody.md "The fee account"), sats: what was put in (`stray`: fund spells
   * and small strays, less any escape shortfall) and the whole satoshis of the BTC fees; null when
   * the source does not carry the ledger's fees.
   */
  feeAccount: { stray: bigint; fees: bigint } | null;
  invariants: InvariantStatus;
  breaches: CustodyBreach[];
}

/** A guardian's GET /v1/custody answer back to a view. */
export function custodyViewFromJson(body: {
  height?: number;
  custody?: SerializedCustody;
  feeAccount?: { stray: string; fees: string };
  invariants?: InvariantStatus;
  breaches?: CustodyBreach[];
}): CustodyView {
  return {
    height: typeof body.height === "number" ? body.height : null,
    custody: deserializeCustody(body.custody),
    feeAccount: feeAccountFromJson(body.feeAccount),
    invariants: body.invariants ?? { status: "unchecked", detail: "the guardian reports no custody check" },
    breaches: body.breaches ?? [],
  };
}

/** The JSON a guardian serves at GET /v1/custody. */
export const custodyViewToJson = (v: CustodyView) => ({
  height: v.height,
  custody: serializeCustody(v.custody),
  ...(v.feeAccount
    ? { feeAccount: { stray: v.feeAccount.stray.toString(), fees: v.feeAccount.fees.toString() } }
    : {}),
  invariants: v.invariants,
  breaches: v.breaches,
});

/** A guardian's fee account figures, or null when absent or not integers (a stranger's JSON never throws). */
function feeAccountFromJson(
  body: { stray?: unknown; fees?: unknown } | undefined,
): CustodyView["feeAccount"] {
  const int = (x: unknown) => (typeof x === "string" && /^-?\d{1,30}$/.test(x) ? BigInt(x) : null);
  const stray = int(body?.stray);
  const fees = int(body?.fees);
  return stray === null || fees === null ? null : { stray, fees };
}
