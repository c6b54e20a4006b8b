/** The protocol engine's public face: pure, deterministic, bigint fixed point (docs/decisions.md §3). */
export * from "./custody.ts";
export * from "./decimal.ts";
export {
  type ApplyResult,
  advanceTime,
  apply,
  type Context,
  type EventEnvelope,
  type OperationResult,
} from "./engine.ts";
export * from "./errors.ts";
export { type EscapeOutcome, escapeVault } from "./escape.ts";
export type { ProtocolEvent, ProtocolEventType } from "./events.ts";
export { borrowingRateWithDecay, decayedBaseRate, redemptionRateFor } from "./fees.ts";
export {
  type Checkpoint,
  checkGuardianSet,
  checkOracleSet,
  DEFAULT_GOV_CONFIG,
  describeAction,
  FROZEN_PARAMETERS,
  formatParameter,
  fractionOfCeil,
  GOV_CONFIG_BOUNDS,
  GOV_CONFIG_NAMES,
  type GovAction,
  type GovConfig,
  type GovState,
  GUARDIAN_ROTATION_DELAY,
  govActionFromJson,
  govActionToJson,
  govGenesisFromJson,
  isOpenProposalState,
  MAX_ACTIONS,
  MAX_GUARDIANS,
  ORACLE_KEY_SLOTS,
  type Proposal,
  type ProposalState,
  proposalPassed,
  proposalState,
  SETTABLE_PARAMETERS,
  SUPPORT,
  type Support,
  valueAt,
  votingPowerOver,
} from "./governance/index.ts";
export * from "./operations.ts";
export * from "./params.ts";
/** Initialises what the state root needs (Poseidon). Alias kept for the app and workers. */
export { FIELD_MODULUS, initPoseidon, initPoseidon as initStateRoot, poseidon } from "./poseidon.ts";
export {
  eventToJson,
  governanceToJson,
  parseStep,
  runScenario,
  ScenarioFormatError,
  type ScenarioOutput,
  stateToJson,
} from "./scenario.ts";
export {
  type Account,
  cloneState,
  createGenesisState,
  deserializeState,
  entireColl,
  entireDebt,
  findAccount,
  GLOBAL_FIELDS,
  ownerHashOf,
  type SerializedState,
  type State,
  serializeState,
  VAULT_STATUS,
  type VaultStatus,
} from "./state.ts";
export {
  ACCOUNTS_DEPTH,
  accountLeafValues,
  accountProof,
  cloneStateWithRoot,
  GLOBAL_GROUPS,
  oracleSetHashOf,
  stateRoot,
  stateRootParts,
} from "./stateRoot.ts";
export { UNLIMITED_ALLOWANCE } from "./token.ts";
export { currentICR, getTCR, isRecoveryMode } from "./tx.ts";
export * from "./views.ts";
