import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { measureOldestPendingReview } from '../lib/app/review-queue.js';
import { runSweep, type SweepDeps, type SweepReport } from '../lib/app/sweeps.js';
import { logger } from '../lib/http/logger.js';
import { observability } from '../lib/http/observability.js';
import { METRIC_NAMES, MetricUnit, metrics } from '../lib/http/metrics.js';
import { sweepDeps } from '../lib/root.js';

/**
 * The hourly run (EventBridge schedule): the sweep, then the review queue's oldest age as a
 * metric (EMF on stdout, flushed when the invocation ends, also when it fails). A backlog the
 * sweep cannot finish in time is carried on by the next run.
 *
 * The age is measured whether or not the sweep succeeded, so the SLA stays watched through a
 * failing sweep. A failed measurement fails the run (the sweep's error wins when both fail): a
 * retry repeats the sweep harmlessly, and the sweep's error alarm says something is wrong.
 */
export function scheduledSweepHandler(deps: () => SweepDeps) {
  return middy<unknown, SweepReport, Error, Context>()
    .use(observability())
    .handler(async (_event, context) => {
      const d = deps();
      let outcome: { report: SweepReport } | { error: unknown };
      try {
        outcome = { report: await runSweep(d, { remainingMs: () => context.getRemainingTimeInMillis(), reserveMs: 30_000 }) };
      } catch (error) {
        outcome = { error };
      }
      try {
        metrics.addMetric(METRIC_NAMES.oldestPendingReviewAge, MetricUnit.Seconds, await measureOldestPendingReview(d));
      } catch (error) {
        if (!('error' in outcome)) throw error;
        logger.warn('the review queue could not be measured either', { error: (error as Error).name, detail: (error as Error).message });
      }
      if ('error' in outcome) throw outcome.error;
      return outcome.report;
    });
}

export const handler = scheduledSweepHandler(sweepDeps);
