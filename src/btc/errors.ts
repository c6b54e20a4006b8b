/**
 * Typed errors of the Bitcoin layer. Each has a stable `code` a UI can switch on and a message that
 * names what was expected and what was found (validate at the boundary, loudly and precisely).
 */

/** Decoding a spell failed: the bytes are not a well-formed spell. Never anything else is thrown. */
export type SpellDecodeErrorCode =
  | "notBytes"
  | "tooShort"
  | "tooLarge"
  | "badMagic"
  | "unsupportedVersion"
  | "unknownOpCode"
  | "truncated"
  | "nonCanonicalInteger"
  | "integerTooLarge"
  /** An amount above MAX_AMOUNT (2^112 − 1), the engine's bound (docs/spell-format.md). */
  | "amountTooLarge"
  | "invalidAccount"
  | "invalidField"
  | "trailingBytes";

export class SpellDecodeError extends Error {
  override readonly name = "SpellDecodeError";
  constructor(
    readonly code: SpellDecodeErrorCode,
    detail: string,
    /** Byte offset at which decoding stopped. */
    readonly offset = 0,
  ) {
    super(`${code} at byte ${offset}: ${detail}`);
  }
}

/** The operation cannot be written as a spell (e.g. collateral not a whole number of satoshis). */
export class SpellEncodeError extends Error {
  override readonly name = "SpellEncodeError";
  constructor(
    readonly code:
      | "unencodable"
      | "notWholeSatoshis"
      | "invalidAccount"
      | "invalidField"
      | "amountTooLarge"
      | "tooLarge",
    detail: string,
  ) {
    super(detail);
  }
}

/** A script, key, address or amount given to the Bitcoin layer is not valid. */
export class BtcInputError extends Error {
  override readonly name = "BtcInputError";
  constructor(
    readonly code:
      | "invalidKey"
      | "invalidAddress"
      | "invalidScript"
      | "invalidAmount"
      | "invalidNetwork"
      | "invalidParameter"
      | "wrongNetwork",
    detail: string,
  ) {
    super(detail);
  }
}

/** Coin selection could not fund the transaction. */
export class InsufficientFundsError extends Error {
  override readonly name = "InsufficientFundsError";
  constructor(
    /** Satoshis needed (outputs + fee at the chosen rate). */
    readonly needed: bigint,
    /** Satoshis available in spendable, unlocked UTXOs. */
    readonly available: bigint,
  ) {
    super(`insufficient funds: need ${needed} sats, have ${available} sats spendable`);
  }
}

/** Building, signing or finalizing a PSBT failed. */
export class PsbtError extends Error {
  override readonly name = "PsbtError";
  constructor(
    readonly code:
      | "unbalancedProtocolFunds"
      | "dustOutput"
      | "missingSignature"
      | "unknownInput"
      | "invalidPsbt"
      | "spellTooLarge",
    detail: string,
  ) {
    super(detail);
  }
}
