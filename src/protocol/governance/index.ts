/**
 * Governance inside the engine (docs/governance.md): `types.ts` (the leaf: actions, vote choices,
 * settings, limits), `state.ts` (proposals, receipts, checkpoints, serialized form), `rules.ts`
 * (propose, vote, delegate, queue, execute, cancel, veto, what pause and shutdown refuse) and
 * `codecs.ts` (JSON forms) and `text.ts` (the canonical text events carry). Views for screens and the CLI are in src/governance/.
 */
export * from "./codecs.ts";
export * from "./rules.ts";
export * from "./state.ts";
export * from "./text.ts";
export * from "./types.ts";
