/**
 * The chain indexer's public face (docs/storage.md): `Indexer` follows the chain and applies valid
 * spells through the engine into a `DataStore`; `applySpell` is the per-spell check; `TabLeader`
 * makes one tab the indexer and keeps the others informed.
 */
export type { ChainTx, ChainTxInput, ChainTxOutput } from "../btc/block.ts";
export {
  type BlockNotice,
  type ChainSource,
  Indexer,
  type IndexerCustody,
  type IndexerOptions,
  type PendingSpell,
  type PrevoutLookup,
  type SyncProgress,
  spellOfChainTx,
  spellOfEsploraTx,
} from "./indexer.ts";
export { type SyncMessage, TabLeader, type TabLeaderOptions } from "./leader.ts";
export { GENESIS_HASH, VerifiedChain } from "./source.ts";
export { loadVerificationKeys, SPELL_CIRCUITS } from "./verificationKeys.ts";
export { applySpell, circuitOf, type SpellOutcome, type SpellPlace, type VerifierConfig } from "./verify.ts";
