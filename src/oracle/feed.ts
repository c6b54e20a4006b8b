/**
 * One price feed that serves every exchange's REST paths under `<feed>/<source id>` (the devnet's
 * src/devnet/pricefeed.ts): how a regtest chain, which has no market, gets its prices everywhere
 * (the app, the guardians, the CLI).
 */
import type { SourceSettings } from "./oracle.ts";
import { SOURCE_IDS, type SourceId } from "./types.ts";

export function priceFeedSources(feedUrl: string): Record<SourceId, SourceSettings> {
  const base = feedUrl.replace(/\/+$/, "");
  return Object.fromEntries(
    SOURCE_IDS.map((id) => [id, { baseUrl: `${base}/${id}`, transport: "rest" }]),
  ) as Record<SourceId, SourceSettings>;
}
