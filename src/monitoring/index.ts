/**
 * Monitoring's public face: metrics from the engine, oracle, indexer and app; time series (memory
 * and IndexedDB); alert rules and their defaults; notifications (in-app, browser, webhooks); the
 * health score. The SMTP client is Node-only: import it from `src/monitoring/node.ts`.
 */
export {
  type AlertRuleJson,
  DEFAULT_COOLDOWN_MS,
  defaultRules,
  mergeRules,
  ruleFromJson,
  ruleToJson,
} from "./defaults.ts";
export {
  alertPenalty,
  type Band,
  band,
  COMPONENTS,
  type Component,
  type ComponentHealth,
  type GovernanceStatus,
  governanceStatusOf,
  type HealthInput,
  type HealthReport,
  healthScore,
  WEIGHTS,
} from "./health.ts";
export {
  DECIMAL_UNITS,
  type EngineMetricOptions,
  engineMetrics,
  formatMetric,
  isMetricName,
  latencyMetric,
  METRIC_NAMES,
  METRICS,
  type MetricDefinition,
  type MetricName,
  type MetricSample,
  type MetricUnit,
  type OracleReadingLike,
  oracleMetrics,
  type SyncStatus,
  syncMetrics,
  systemMetrics,
  toChartNumber,
} from "./metrics.ts";
export { Monitor, type MonitorOptions } from "./monitor.ts";
export {
  browserNotificationsSupported,
  notifyBrowser,
  requestNotificationPermission,
} from "./notify/browser.ts";
export { InAppAlerts, type InAppSnapshot } from "./notify/inapp.ts";
export {
  alertEmail,
  type Channel,
  type ChannelTarget,
  type DeliveryResult,
  type EmailMessage,
  type EmailSender,
  type EmailTarget,
  Notifier,
} from "./notify/notifier.ts";
export {
  alertEventJson,
  DISCORD_COLORS,
  type HttpRequest,
  PAGERDUTY_SEVERITY,
  redact,
  sendWebhook,
  WebhookError,
  type WebhookTarget,
  webhookRequest,
} from "./notify/webhooks.ts";
export { type RecordedScenario, recordScenario, ScenarioInputError, type StepRecord } from "./replay.ts";
export {
  type Alert,
  AlertEngine,
  type AlertEvent,
  type AlertRule,
  assertRule,
  type Condition,
  describeCondition,
  evaluateCondition,
  eventMessage,
  SEVERITIES,
  type SeriesReader,
  type Severity,
  severityRank,
} from "./rules.ts";
export { IdbSeriesStore, MemorySeriesStore, MONITORING_DB, type SeriesStore } from "./series.ts";
