/**
 * The oracle's public face: exchange quotes, validation and aggregation, resilience policies, price
 * history, and EdDSA-Poseidon price attestations with their compact encoding.
 */
export {
  type AggregationMethod,
  type AggregationRules,
  aggregate,
  DEFAULT_RULES,
  formatBps,
  median,
  type PriceReading,
  type RejectionCode,
  type SourceReport,
  type SourceVerdict,
  volumeWeightedMedian,
} from "./aggregate.ts";
export {
  type Attestation,
  assertAttestation,
  attestationMessage,
  combineSignatures,
  type OracleKeySet,
  type OracleSignature,
  type PriceStatement,
  publicKeyFromPrivate,
  type QuorumResult,
  signStatement,
  statementProblem,
  verifyAttestation,
} from "./attestation.ts";
export {
  ATTESTATION_VERSION,
  attestationSize,
  decodeAttestation,
  encodeAttestation,
} from "./attestation-codec.ts";
export {
  BREAKER_PRESETS,
  type BreakerConfig,
  type BreakerPreset,
  type BreakerState,
  type BreakerStatus,
  CircuitBreaker,
} from "./circuit-breaker.ts";
export type { Now, Random, Sleep } from "./clock.ts";
export { checkDeviation, DEFAULT_DEVIATION_WARNING_BPS, type DeviationCheck } from "./deviation.ts";
export {
  BASE8,
  type BabyJubPoint,
  type EdDSASignature,
  FIELD_MODULUS,
  packPoint,
  SUBGROUP_ORDER,
  unpackPoint,
} from "./eddsa-poseidon.ts";
export {
  AttestationDecodeError,
  type AttestationDecodeErrorCode,
  ORACLE_ERROR_MESSAGES,
  OracleError,
  type OracleErrorCode,
} from "./errors.ts";
export { priceFeedSources } from "./feed.ts";
export { PriceHistory, type PriceHistoryOptions, type PricePoint } from "./history.ts";
export {
  type OracleDeps,
  type OracleSettings,
  PriceOracle,
  requirePrice,
  type SourceHealth,
  type SourceSettings,
} from "./oracle.ts";
export { HostRateLimiter, type RateLimit, TokenBucket } from "./rate-limiter.ts";
export { formatReading, type PriceReadingJson, readingToJson, type SourceVerdictJson } from "./report.ts";
export { type FetchFn, fetchRestQuote, restUrl } from "./rest.ts";
export { backoffDelay, DEFAULT_RETRY, type RetryPolicy, retry } from "./retry.ts";
export { SOURCES } from "./sources/index.ts";
export { type StreamStatus, TickerStream, type WebSocketFactory, type WebSocketLike } from "./stream.ts";
export {
  type CorsStatus,
  type Quote,
  type QuoteCurrency,
  SOURCE_IDS,
  type SourceDefinition,
  type SourceId,
  type Transport,
} from "./types.ts";
