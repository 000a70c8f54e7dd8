import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { sourceMappedStack } from './source-mapped-stack.js';

/** The service name on every log line and as the `service` dimension of every metric. */
export const SERVICE_NAME = 'certrevoke';

/** One structured logger per process; level from POWERTOOLS_LOG_LEVEL. */
export const logger = new Logger({ serviceName: SERVICE_NAME });

/**
 * The middy middleware every handler starts with: each log line carries the invocation's
 * context (function name and version, request id, cold start), and keys appended during an
 * invocation are dropped at its end. The event itself is never logged, whatever
 * POWERTOOLS_LOGGER_LOG_EVENT says: it can hold bearer tokens, task tokens and request bodies.
 */
export function lambdaContextLogging() {
  return injectLambdaContext(logger, { resetKeys: true, logEvent: false });
}

/**
 * What may be logged of an error: its name, message and stack (pointed at the source), nothing
 * else. Some errors carry data (a version conflict holds the stored item, task token included);
 * Powertools would log every enumerable property of the error itself.
 */
export function loggableError(error: unknown): { name: string; message: string; stack?: string } {
  if (!(error instanceof Error)) return { name: typeof error, message: String(error).slice(0, 200) };
  return { name: error.name, message: error.message, ...(error.stack ? { stack: sourceMappedStack(error.stack) } : {}) };
}
