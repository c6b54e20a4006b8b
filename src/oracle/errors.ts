/**
 * Typed oracle errors. Every failure of a source, a resilience policy or an attestation carries a
 * code from this union and a sentence that says what happened; the UI shows the sentence, the code
 * decides what the oracle does next (retry, mark blocked, skip).
 */
import type { SourceId } from "./types.ts";

export const ORACLE_ERROR_MESSAGES = {
  timeout: "The exchange did not answer in time.",
  network: "The exchange could not be reached.",
  blocked: "The exchange is blocked here (CORS or a geographic block).",
  rateLimited: "The exchange is rate limiting us; it will be asked again later.",
  throttled: "We hold back requests to this exchange to stay inside its public limits.",
  httpError: "The exchange answered with an HTTP error.",
  malformedResponse: "The exchange's answer could not be read.",
  exchangeError: "The exchange answered with an error.",
  circuitOpen: "The exchange failed repeatedly and is paused for a while.",
  noQuote: "No ticker has arrived from this exchange yet.",
  invalidSettings: "The oracle settings are not valid.",
  invalidKey: "The key is not a valid BabyJubjub key.",
  invalidAttestation: "The price attestation is not valid.",
} as const;

export type OracleErrorCode = keyof typeof ORACLE_ERROR_MESSAGES;

export interface OracleErrorOptions {
  source?: SourceId;
  /** HTTP status when the error came from an HTTP answer. */
  status?: number;
  /** Whether trying again soon can help (network errors, 5xx). */
  retryable?: boolean;
  /** How long the exchange asked us to wait (Retry-After), in milliseconds. */
  retryAfterMs?: number;
  cause?: unknown;
}

export class OracleError extends Error {
  override readonly name = "OracleError";
  readonly source: SourceId | undefined;
  readonly status: number | undefined;
  readonly retryable: boolean;
  readonly retryAfterMs: number | undefined;

  constructor(
    readonly code: OracleErrorCode,
    detail?: string,
    options: OracleErrorOptions = {},
  ) {
    super(
      detail ?? ORACLE_ERROR_MESSAGES[code],
      options.cause === undefined ? undefined : { cause: options.cause },
    );
    this.source = options.source;
    this.status = options.status;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }

  /** The user-facing sentence for this code. */
  get userMessage(): string {
    return ORACLE_ERROR_MESSAGES[this.code];
  }
}

/** Why an attestation could not be decoded from bytes. */
export type AttestationDecodeErrorCode =
  | "truncated"
  | "unsupportedVersion"
  | "valueOutOfRange"
  | "emptySignerSet"
  | "nonCanonicalBitmap"
  | "invalidPoint"
  | "nonCanonicalScalar"
  | "trailingBytes";

/** Decoding arbitrary bytes throws only this (docs/decisions.md §7). `offset` is where the problem was found. */
export class AttestationDecodeError extends Error {
  override readonly name = "AttestationDecodeError";
  constructor(
    readonly code: AttestationDecodeErrorCode,
    readonly offset: number,
    detail: string,
  ) {
    super(`attestation byte ${offset}: ${detail}`);
  }
}

/** The reason text of any error, for reports. */
export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
