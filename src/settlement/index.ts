/**
 * The settlement module's public face (SPEC §2a, docs/custody.md): every rule about BTC moving
 * between users and custody, pure (imports only the engine and the Bitcoin codecs). The indexer,
 * the guardians and the app all call it.
 */
export { type Actor, type ActorKind, type ActorResult, authorizesOwnerKey, readActor } from "./actor.ts";
export {
  type CustodyConfig,
  checkInflow,
  custodyKeySet,
  type Inflow,
  type InflowCheck,
  recordInflow,
  vaultScriptFor,
} from "./inflow.ts";
export { CUSTODY_REASONS, type CustodyReason, type CustodyReasonCode, custodyReason } from "./reasons.ts";
export { type ChainTx, type ChainTxInput, type ChainTxOutput, outpointKey, type TxShape } from "./tx.ts";
