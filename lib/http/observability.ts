import type { MiddlewareObj } from '@middy/core';
import type { Context } from 'aws-lambda';
import { lambdaContextLogging } from './logger.js';
import { metrics } from './metrics.js';
import { traceInvocation } from './tracer.js';

/**
 * The middlewares every Lambda handler starts with, in this order:
 * - the logger: each line carries the invocation's context, and the event is never logged;
 * - the tracer: a `## handler` subsegment with a ColdStart annotation (lib/http/tracer.ts);
 * - metrics: see publishMetrics.
 */
export function observability(): MiddlewareObj[] {
  return [lambdaContextLogging() as MiddlewareObj, traceInvocation(), publishMetrics()];
}

/**
 * A ColdStart count on an execution environment's first invocation, and what the handler
 * recorded, flushed as EMF lines when the invocation ends, also when it fails. Unlike
 * Powertools' logMetrics, an invocation that recorded nothing writes nothing (logMetrics warns
 * on every such invocation, which would be most API calls).
 */
function publishMetrics(): MiddlewareObj<unknown, unknown, Error, Context> {
  const flush = () => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return {
    before: (request) => {
      metrics.captureColdStartMetric(request.context.functionName);
    },
    after: flush,
    onError: flush,
  };
}
