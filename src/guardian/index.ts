/**
 * The guardian's public face for the app (browser-safe): collecting co-signatures from the federation
 * and the API's types. The daemon itself is Node-only: `src/guardian/node.ts` (docs/guardian.md).
 */
export {
  type CosignOptions,
  type CosignOutcome,
  collectCosignatures,
  cosignFinalizeBroadcast,
  type GuardianAnswer,
  type GuardianEndpoint,
  QuorumError,
} from "./client.ts";
export type { CosignResult, RefusalCode } from "./cosign.ts";
export type { Federation, FederationMember, GuardianConfig } from "./daemon.ts";
export { GUARDIAN_ERROR_MESSAGES, GuardianError, type GuardianErrorCode } from "./errors.ts";
export { FederationError, fetchFederation, type PublishedFederation } from "./federation.ts";
export { PROTECTION_PRESETS, type ProtectionPreset, type ProtectionPresetName } from "./protect.ts";
