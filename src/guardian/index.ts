/**
 * The guardian's public face for the app (browser-safe): the API's types and the federation lookup.
 * Guardians sign no user transaction (docs/custody.md); the daemon itself is Node-only:
 * `src/guardian/node.ts` (docs/guardian.md).
 */
export type { CustodyBreach, CustodyView, InvariantStatus } from "./custody-view.ts";
export type { Federation, FederationMember, GuardianConfig } from "./daemon.ts";
export { GUARDIAN_ERROR_MESSAGES, GuardianError, type GuardianErrorCode } from "./errors.ts";
export { FederationError, fetchFederation, type PublishedFederation } from "./federation.ts";
export { PROTECTION_PRESETS, type ProtectionPreset, type ProtectionPresetName } from "./protect.ts";
