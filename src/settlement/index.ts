/**
 * The settlement module's public face (docs/decisions.md §2a, docs/custody.md): every rule about BTC moving
 * between users and custody, pure (imports only the engine and the Bitcoin codecs). The indexer,
 * the guardians and the app all call it.
 */
export { type Actor, type ActorKind, type ActorResult, authorizesOwnerKey, readActor } from "./actor.ts";
export { applyEscape } from "./escape.ts";
export { drawFeeAccount, feeAccountDraw, feeAccountParts, feeAccountSats } from "./feeAccount.ts";
export {
  applyFunding,
  checkFunding,
  decodeFundSpell,
  encodeFundSpell,
  FUND_OP_CODE,
  type FundCheck,
  type FundSpell,
  isFundPayload,
  MAX_FEE_FUNDING,
} from "./fundSpell.ts";
export {
  type CustodyConfig,
  checkInflow,
  custodyKeySet,
  EPOCH_GRACE_BLOCKS,
  epochKeySet,
  epochKeys,
  type Inflow,
  type InflowCheck,
  noteKeyRotation,
  recordInflow,
  vaultScriptFor,
} from "./inflow.ts";
export { checkInvariants, type InvariantReport, ledgerBtc } from "./invariants.ts";
export {
  DEFAULT_PAYOUT_MAX_FEE,
  obligationId,
  obligationRecorded,
  type Payout,
  recordObligations,
  vaultPosition,
  vaultTargetSats,
} from "./obligations.ts";
export {
  belowMinPayout,
  MAX_PAYOUT_MAX_FEE,
  MIN_PAYOUT_MAX_FEE,
  type PayoutCheck,
  payoutOf,
} from "./payout.ts";
export { CUSTODY_REASONS, type CustodyReason, type CustodyReasonCode, custodyReason } from "./reasons.ts";
export {
  applySettlement,
  carriesDebtOrObligations,
  checkSettlement,
  coinsToSpend,
  DEFAULT_FINALITY_DEPTH,
  isDustSweep,
  isStandardPayout,
  MAX_POOL_COINS,
  MAX_ROLL_COINS,
  MAX_ROLLS_PER_SETTLEMENT,
  MAX_SETTLEMENT_VSIZE,
  planOutputs,
  planSettlement,
  poolScriptHex,
  ROLL_MARGIN_BLOCKS,
  type RollRequest,
  rollAge,
  rollDue,
  rollsDue,
  SETTLEMENT_REASONS,
  type SettlementCheck,
  type SettlementInput,
  type SettlementOutput,
  type SettlementOutputKind,
  type SettlementPlan,
  type SettlementReason,
  type SettlementReasonCode,
  settlementOutputs,
  sweepWaits,
} from "./settle.ts";
export {
  decodeSettleSpell,
  encodeSettleSpell,
  idsHashOf,
  isSettlePayload,
  MAX_SETTLE_SPELL_BYTES,
  MAX_SETTLE_WINDOW,
  namedObligations,
  SETTLE_OP_CODE,
  type SettleSpell,
  settleSpellFor,
  settleWindow,
} from "./settleSpell.ts";
export { custodySigners, type SighashTx, segwitV0Sighash } from "./signers.ts";
export { hasStrayOutputs, protocolScripts, recordStrays, STRAY_REFUND_MIN } from "./strays.ts";
export { type ChainTx, type ChainTxInput, type ChainTxOutput, outpointKey, type TxShape } from "./tx.ts";
