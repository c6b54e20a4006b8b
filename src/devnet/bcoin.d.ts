// bcoin ships no types; the devnet uses a small, checked part of its API (see chain.ts).
declare module "bcoin";
