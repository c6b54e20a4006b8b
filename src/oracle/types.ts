/**
 * The oracle's value types: which exchanges exist, what one quote from one of them is, and what a
 * source definition must say (its REST endpoint, its WebSocket stream, its limits, and how the
 * browser can reach it). Prices and volumes are 18-decimal bigints (docs/decisions.md §3); times are integer ms.
 */

export const SOURCE_IDS = ["binance", "coinbase", "kraken", "bitstamp", "okx", "bybit"] as const;
export type SourceId = (typeof SOURCE_IDS)[number];

/** USDT pairs are treated as USD for aggregation; the quote currency is kept on every quote. */
export type QuoteCurrency = "USD" | "USDT";

export type Transport = "rest" | "websocket";

/** One exchange's BTC price as read. */
export interface Quote {
  readonly source: SourceId;
  /** The exchange's own market symbol, e.g. "BTCUSDT", "XXBTZUSD". */
  readonly symbol: string;
  readonly quoteCurrency: QuoteCurrency;
  /** Last trade price in quote currency per BTC, 18 decimals. Not yet validated: may be ≤ 0. */
  readonly price: bigint;
  /** 24 h traded volume in BTC, 18 decimals; null when the channel does not carry it. */
  readonly volume: bigint | null;
  /** When the price was current, ms since the epoch. */
  readonly timestamp: number;
  /** "exchange" when the exchange stamped the price, "received" when it sends no time and we use ours. */
  readonly timestampSource: "exchange" | "received";
  readonly receivedAt: number;
  readonly transport: Transport;
}

/** What a parser extracts from one exchange message; the fetcher adds the rest of a Quote. */
export interface TickerFields {
  symbol: string;
  price: bigint;
  volume: bigint | null;
  /** ms since the epoch, or null when the message carries no time. */
  timestamp: number | null;
}

/** What one WebSocket message means. */
export type StreamEvent =
  | { type: "ticker"; fields: TickerFields }
  /** Acknowledgements, heartbeats, pongs, other channels. */
  | { type: "ignore" }
  /** The exchange refused something (e.g. a subscription); the stream reconnects later. */
  | { type: "error"; message: string }
  /** The exchange asks us to reconnect (Bitstamp `bts:request_reconnect`). */
  | { type: "reconnect" };

/** Whether a browser page may read the REST answer cross-origin, as far as we know. */
export type CorsStatus = "documented" | "likely" | "unverified" | "absent";

export interface SourceDefinition {
  readonly id: SourceId;
  readonly name: string;
  readonly quoteCurrency: QuoteCurrency;
  readonly rest: {
    /** The market symbol the REST answer names (checked on every answer). */
    readonly symbol: string;
    /** Public base URL (overridable in settings, e.g. for a self-hosted proxy or a test server). */
    readonly baseUrl: string;
    /** Path and query appended to the base URL. */
    readonly path: string;
    /** Reads a 2xx JSON body; throws OracleError for an error the exchange reports inside it. */
    parse(body: unknown): TickerFields;
    /** The exchange's own error text in a non-2xx body, if it has one. */
    errorText(body: unknown): string | undefined;
  };
  readonly stream: {
    /** The market symbol the stream's messages name (checked on every message). */
    readonly symbol: string;
    readonly url: string;
    /** Messages sent right after the socket opens. */
    readonly subscribe: readonly string[];
    /** An application-level ping some exchanges require to keep the socket open. */
    readonly heartbeat?: { readonly intervalMs: number; readonly message: string };
    parse(text: string): StreamEvent;
  };
  /** What we allow ourselves per host, well inside the exchange's public limit. */
  readonly limits: { readonly requestsPerSecond: number; readonly burst: number };
  readonly browser: {
    /** What the browser app uses first; REST found blocked at run time switches to the stream. */
    readonly preferred: Transport;
    readonly cors: CorsStatus;
  };
}
