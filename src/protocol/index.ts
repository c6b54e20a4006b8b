/** The protocol engine's public face: pure, deterministic, bigint fixed point (SPEC §3). */
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
export type { ProtocolEvent, ProtocolEventType } from "./events.ts";
export { borrowingRateWithDecay, decayedBaseRate, redemptionRateFor } from "./fees.ts";
export {
  checkGuardianSet,
  checkOracleSet,
  describeAction,
  FROZEN_PARAMETERS,
  formatParameter,
  fractionOfCeil,
  govActionFromJson,
  govActionToJson,
  govGenesisFromJson,
  isOpenProposalState,
  type ProposalState,
  proposalPassed,
  proposalState,
  SETTABLE_PARAMETERS,
  votingPowerOver,
} from "./governance.ts";
export {
  type Checkpoint,
  DEFAULT_GOV_CONFIG,
  GOV_CONFIG_BOUNDS,
  GOV_CONFIG_NAMES,
  type GovAction,
  type GovConfig,
  type GovState,
  MAX_ACTIONS,
  MAX_GUARDIANS,
  ORACLE_KEY_SLOTS,
  type Proposal,
  SUPPORT,
  type Support,
  valueAt,
} from "./govState.ts";
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
