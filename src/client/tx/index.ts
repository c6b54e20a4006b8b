/**
 * The transaction face of the client layer: the flow after the review, the drafts, the review's
 * figures, the guardians' attestations, the flow journal. A face of its own because it carries the
 * Bitcoin builders, the engine and the prover's handle: only the screens that make transactions load it.
 */
export { meetFor, nextContext, stateMet } from "../engine/preview.ts";
export { appProver, appTracker, prefetchProving } from "./app.ts";
export { type FlowCost, flowCost } from "./cost.ts";
export { DraftError, type DraftInput, makeDraft, payoutSats, type TxDraft } from "./draft.ts";
export {
  engineEvents,
  needsAttestation,
  needsPriceUpdate,
  runFlow,
  type Step,
  type StepState,
  waitForSpell,
  zkOperationOf,
} from "./flow.ts";
export { fetchAttestation } from "./guardians.ts";
export {
  appJournal,
  type FlowRecord,
  flowsHeldByTabs,
  holdingFlowLock,
  recordFlow,
  recoveryOf,
} from "./journal.ts";
export { canNamePayout, type PayoutAddress, payoutAddress } from "./payout.ts";
export {
  feeInUsd,
  feeRateFor,
  reviewContext,
  spellFieldRaw,
  spellFieldText,
  walletOutflow,
} from "./review.ts";
