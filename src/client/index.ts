/**
 * The client layer's public face: what the screens (src/ui/) use that is not React, for the first
 * page load: the handle on the engine worker, formatting, settings the flow needs, the chain reads,
 * the wallets, and what the screens need from the Bitcoin, oracle, monitoring, storage and guardian
 * layers (re-exported here). Transactions (`tx/index.ts`: flow, drafts, the review's figures) and
 * governance in words (`governance/index.ts`) have faces of their own, loaded only by the screens
 * that use them, so the first load does not evaluate the Bitcoin builders and the engine. These three
 * faces list everything the screens touch outside rendering (docs/ARCHITECTURE.md "Layers"; the lint
 * enforces it). The data layer (`data-layer.ts`) runs in the engine worker and is not exported here.
 */

export type { SyncSettings } from "../../workers/engine.worker.ts";
export { EsploraClient, setHostLimits, setPersistentCache } from "../btc/esplora.ts";
export { defaultLimitsFor, type HostLimits, hostLimitsProblems, originOf } from "../btc/esplora-scheduler.ts";
export {
  addressToScript,
  BTC_NETWORKS,
  type BtcNetworkName,
  DEFAULT_ESPLORA_URLS,
  scriptToAddress,
} from "../btc/network.ts";
export { type FeePresets, feePresets } from "../btc/networkFees.ts";
export type { WalletAccount } from "../btc/psbt.ts";
export { fromHex, toHex } from "../btc/scripts.ts";
export { outpoint } from "../btc/utxo.ts";
export type { BitcoinWallet, WalletAddress, WalletAddresses } from "../btc/wallet.ts";
export { LOCAL_STACK } from "../devnet/local-stack.ts";
export { fetchFederation, type PublishedFederation } from "../guardian/federation.ts";
export {
  type Alert,
  browserNotificationsSupported,
  defaultRules,
  type GovernanceStatus,
  governanceStatusOf,
  type HealthReport,
  healthScore,
  Monitor,
  notifyBrowser,
  oracleMetrics,
  requestNotificationPermission,
  syncMetrics,
  systemMetrics,
} from "../monitoring/index.ts";
export type { PriceReading } from "../oracle/aggregate.ts";
export { checkDeviation } from "../oracle/deviation.ts";
export { priceFeedSources } from "../oracle/feed.ts";
export { PriceHistory, type PricePoint } from "../oracle/index.ts";
export { type OracleSettings, PriceOracle } from "../oracle/oracle.ts";
export { SOURCES } from "../oracle/sources/index.ts";
export { SOURCE_IDS, type SourceId } from "../oracle/types.ts";
export { custodyKeySet } from "../settlement/inflow.ts";
export { openIdbEsploraCache } from "../storage/esplora-cache.ts";
export type { StoredEvent } from "../storage/index.ts";
export { humanAlert, userAlertRules, userAlertSamples } from "./alerts.ts";
export { fetchWalletCoins } from "./chain-reads.ts";
export { coalesce } from "./coalesce.ts";
export {
  CUSTODY_EVENT_TYPES,
  type CustodyEventLine,
  custodyEventLine,
  custodyStatus,
} from "./custody-events.ts";
export {
  type AccountPosition,
  type AtRiskVault,
  type BorrowChange,
  createEngineClient,
  type DataStatus,
  type EngineClient,
  type EngineInfo,
  type EngineStartOptions,
  type EngineSummary,
  type EventQuery,
  type HistoryPoint,
  type HistoryQuery,
  type Meet,
  type OperationPreview,
} from "./engine/engineClient.ts";
export {
  decimalSeparatorOf,
  exactDecimal,
  formatBtc,
  formatCount,
  formatPercent,
  formatUsd,
  formatZkusd,
  isInfiniteRatio,
  type ParsedAmountText,
  parseAmountText,
  shortHex,
  speakBtc,
  toPlotNumber,
} from "./format.ts";
export { buildHistory, type HistoryEntry, type HistoryStatus, historyCsv } from "./history.ts";
export type { FeePreset, GuardianSettings } from "./settings.ts";
export { devnetFund, openDevWallet, openSatsConnectWallet } from "./wallets.ts";
