/** Turns parsed ticker fields into a Quote, checking that the exchange answered for our market. */
import { malformed } from "./parse.ts";
import type { Quote, SourceDefinition, TickerFields, Transport } from "./types.ts";

export function toQuote(
  def: SourceDefinition,
  fields: TickerFields,
  transport: Transport,
  receivedAt: number,
  fallbackTimestamp: number | null = null,
): Quote {
  const expected = transport === "rest" ? def.rest.symbol : def.stream.symbol;
  if (fields.symbol !== expected) {
    throw malformed(def.id, `answered for market ${JSON.stringify(fields.symbol)}, expected ${expected}`);
  }
  const stamped = fields.timestamp ?? fallbackTimestamp;
  return {
    source: def.id,
    symbol: fields.symbol,
    quoteCurrency: def.quoteCurrency,
    price: fields.price,
    volume: fields.volume,
    timestamp: stamped ?? receivedAt,
    // A server Date header is the exchange's clock too; only our own receive time is "received".
    timestampSource: stamped !== null ? "exchange" : "received",
    receivedAt,
    transport,
  };
}
