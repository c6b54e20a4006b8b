/** The six exchanges the oracle reads, keyed by id, in a fixed order (reports list them so). */
import type { SourceDefinition, SourceId } from "../types.ts";
import { binance } from "./binance.ts";
import { bitstamp } from "./bitstamp.ts";
import { bybit } from "./bybit.ts";
import { coinbase } from "./coinbase.ts";
import { kraken } from "./kraken.ts";
import { okx } from "./okx.ts";

export const SOURCES: Readonly<Record<SourceId, SourceDefinition>> = {
  binance,
  coinbase,
  kraken,
  bitstamp,
  okx,
  bybit,
};

export { binance, bitstamp, bybit, coinbase, kraken, okx };
