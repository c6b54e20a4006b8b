/**
 * Why the settlement rules refuse a spell or a transaction (docs/decisions.md §2a). Each code has a sentence a
 * user can read; the indexer records them as the spell's reject reason.
 */
export const CUSTODY_REASONS = {
  noActor: "The first input has no owner that can act (a coinbase, or a script with no address).",
  actorWitness: "The first input's witness does not match its previous output.",
  actorSighash: "The first input must be signed with SIGHASH_ALL (Taproot: by key path, default sighash).",
  unsupportedOwner:
    "Only a P2WPKH, P2SH-P2WPKH or Taproot (key path) wallet can own a vault, and the spell's owner key must be the key that signed its first input.",
  custodyMismatch:
    "BTC in travels with its spell: the named output must pay exactly the added satoshis to the vault's script.",
  payoutScript:
    "BTC is paid out only to a standard address (P2PKH, P2SH, P2WPKH, P2WSH or P2TR) that is not a vault's or the pool's.",
  payoutMaxFee: "A payout's maximum fee must be between 1,000 and 100,000 sats.",
  belowMinPayout:
    "A withdrawal or redemption must pay at least the destination's dust limit plus its maximum fee: withdraw or redeem more, or name a lower maximum fee.",
} as const;

export type CustodyReasonCode = keyof typeof CUSTODY_REASONS;

export interface CustodyReason {
  code: CustodyReasonCode;
  message: string;
}

export const custodyReason = (code: CustodyReasonCode, detail: string): CustodyReason => ({
  code,
  message: `${detail}. ${CUSTODY_REASONS[code]}`,
});
