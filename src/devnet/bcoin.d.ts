// bcoin ships no types; the devnet uses a small, checked part of its API (see chain.ts).
declare module "bcoin";

/** A bcoin object (node, coin, tx meta…): untyped, used only inside src/devnet. */
// biome-ignore lint/suspicious/noExplicitAny: bcoin ships no type declarations
type Bcoin = any;
