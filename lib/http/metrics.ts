import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logger, SERVICE_NAME } from './logger.js';

/**
 * The service's CloudWatch metrics, in one namespace, each with the one dimension Powertools
 * adds, `service`. The alarms (infra/constructs/monitoring.ts) name metrics from here, so a
 * metric and its alarm cannot drift apart.
 */
export const METRICS_NAMESPACE = 'Certrevoke';
export const METRIC_DIMENSIONS = { service: SERVICE_NAME } as const;
export const METRIC_NAMES = {
  /** Seconds since the oldest request still waiting for a reviewer entered the queue; 0 when none waits. */
  oldestPendingReviewAge: 'OldestPendingReviewAgeSeconds',
} as const;

/**
 * Metrics are buffered during an invocation and written to stdout as one Embedded Metric Format
 * line when it ends (the `observability` middlewares), which CloudWatch Logs turns into metrics: no API call,
 * no extra permission. POWERTOOLS_METRICS_DISABLED=true turns the output off.
 */
export const metrics = /* @__PURE__ */ new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME, logger });

export { MetricUnit };
