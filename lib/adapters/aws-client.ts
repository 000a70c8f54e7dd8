import { traced } from '../http/tracer.js';

export interface AwsClientOptions {
  region?: string | undefined;
  /** Set for a local stand-in (DynamoDB Local, s3rver, the local Step Functions); unset in AWS. */
  endpoint?: string | undefined;
  /** How long one attempt may wait for its reply. */
  requestTimeoutMs: number;
  /** The stand-in's fixed credentials; they sign nothing real. */
  localCredentials?: { accessKeyId: string; secretAccessKey: string };
}

/** What every client is built with: see createAwsClient. */
export interface AwsClientConfig {
  region?: string;
  endpoint?: string;
  maxAttempts: number;
  requestHandler: { connectionTimeout: number; requestTimeout: number; throwOnRequestTimeout: boolean };
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/**
 * An AWS SDK v3 client with the settings every call of the service needs: at most 3 attempts
 * (the SDK's standard retry mode backs off with full jitter), a 1 s connection timeout and a
 * timeout per attempt, so no call hangs a Lambda until its own timeout; traced in X-Ray inside
 * Lambda; no SDK logging (errors reach our own logs through the callers). Built once per process
 * by the composition root.
 */
export function createAwsClient<C extends { middlewareStack: { remove(name: string): boolean } }>(Client: new (config: AwsClientConfig) => C, options: AwsClientOptions, extra: object = {}): C {
  const config: AwsClientConfig = {
    ...(options.region ? { region: options.region } : {}),
    maxAttempts: 3,
    // Without throwOnRequestTimeout, @smithy/node-http-handler 4.x only logs a warning when the
    // request timeout passes and keeps waiting: a server that never answers would hang the call.
    requestHandler: { connectionTimeout: 1_000, requestTimeout: options.requestTimeoutMs, throwOnRequestTimeout: true },
    ...(options.endpoint ? { endpoint: options.endpoint, credentials: options.localCredentials ?? LOCAL_CREDENTIALS } : {}),
  };
  const client = new Client({ ...config, ...extra });
  // The SDK's logger step filters every input and output for sensitive fields to hand them to a
  // logger that does nothing (none is configured): ~5% of a DynamoDB read's CPU, for nothing.
  client.middlewareStack.remove('loggerMiddleware');
  return traced(client);
}
