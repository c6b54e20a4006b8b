/** Node side of the guardian: the daemon, its keys, the local dev federation (docs/guardian.md). */
export { guardianSetOf, oracleSetOf, type RunningGuardian, startGuardian } from "./daemon.ts";
export { GuardianKeys, KEY_ENV } from "./keys.ts";
export { leaderAt } from "./leader.ts";
export { SettlementLedger } from "./ledger.ts";
export { createLogger, type Logger, silentLogger } from "./log.ts";
export { startLocalFederation } from "./main.ts";
export { Protection } from "./protect.ts";
export { leaderRound, signSettlement } from "./settle.ts";
