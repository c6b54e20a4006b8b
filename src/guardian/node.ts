/** Node side of the guardian: the daemon, its keys, the local dev federation (docs/guardian.md). */
export { type CosignDeps, reviewAndSign } from "./cosign.ts";
export { guardianSetOf, oracleSetOf, type RunningGuardian, startGuardian } from "./daemon.ts";
export { GuardianKeys, KEY_ENV } from "./keys.ts";
export { SpendLedger } from "./ledger.ts";
export { createLogger, type Logger, silentLogger } from "./log.ts";
export { startLocalFederation } from "./main.ts";
export { Protection } from "./protect.ts";
