// First: it decides the X-Ray SDK's mode before the tracer loads the SDK.
import './xray-mode.js';
import { Tracer } from '@aws-lambda-powertools/tracer';
import { SERVICE_NAME } from './logger.js';

/**
 * One X-Ray tracer per process. It traces only inside Lambda with active tracing (it turns itself
 * off elsewhere, so the local runtime and the tests send nothing) and POWERTOOLS_TRACE_ENABLED
 * can turn it off there too.
 */
export const tracer = /* @__PURE__ */ new Tracer({ serviceName: SERVICE_NAME });

/**
 * An AWS SDK v3 client whose every call is a subsegment of the invocation's trace (DynamoDB,
 * S3, Step Functions, KMS, Secrets Manager); the same client, unchanged, when not tracing.
 */
export function traced<T>(client: T): T {
  return tracer.captureAWSv3Client(client);
}
