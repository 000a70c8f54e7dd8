import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { traceAwsCall } from '../../http/tracer.js';
import { serviceHost } from './endpoints.js';
import { credentialsFromEnv, signingFor, signRequest, type AwsCredentials } from './sigv4.js';

/**
 * The service's own AWS client: one signed HTTPS request per attempt over a kept-alive
 * connection, with the bounds every call needs — at most 3 attempts with the SDK's standard retry
 * mode (full-jitter backoff, a retry quota), a 1 s connection timeout and a timeout per attempt,
 * so no call hangs a Lambda until its own timeout — and an X-Ray subsegment per call. Written
 * here instead of the AWS SDK v3 clients, which are 200–390 KB of each function bundle and half
 * its cold start, for the ~20 operations the service makes (DESIGN.md, "AWS calls"). The
 * protocols on top: ./json.ts (DynamoDB, Step Functions, KMS, Secrets Manager) and ./s3.ts.
 */

export interface AwsClientOptions {
  /** The signing name and endpoint prefix: `dynamodb`, `states`, `kms`, `secretsmanager`, `s3`. */
  service: string;
  /** How traces and errors name it: `DynamoDB`, `SFN`, … */
  name: string;
  region?: string | undefined;
  /** Set for a local stand-in (DynamoDB Local, s3rver, the local Step Functions); unset in AWS. */
  endpoint?: string | undefined;
  /** How long one attempt may wait for its whole reply. */
  requestTimeoutMs: number;
  /** @default 1000 */
  connectionTimeoutMs?: number;
  /** @default 3 */
  maxAttempts?: number;
  /** @default the stand-in's fixed ones with an endpoint, else the Lambda role's from the environment */
  credentials?: () => AwsCredentials;
  /** Error classes by name, for the callers' `instanceof` checks; others are AwsServiceError. */
  errors?: Record<string, typeof AwsServiceError>;
}

export interface AwsRequest {
  method: 'GET' | 'HEAD' | 'PUT' | 'POST' | 'DELETE';
  /** Encoded, starting with `/`. */
  path: string;
  query?: Record<string, string>;
  /** Lower-case names. */
  headers?: Record<string, string>;
  body?: Buffer;
  /** Another host at the endpoint's protocol and port (S3's virtual-hosted buckets). */
  host?: string;
  /** Each chunk of a successful reply's body as it arrives, with its attempt's number (a retry starts over). */
  onChunk?: (chunk: Buffer, attempt: number) => void;
}

export interface AwsResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export interface AwsMetadata {
  httpStatusCode?: number | undefined;
  requestId?: string | undefined;
  attempts: number;
}

/** An error answer of an AWS service, named as the service names it (`ConditionalCheckFailedException`, `NoSuchKey`, …). */
export class AwsServiceError extends Error {
  /** `client`: the request was refused (4xx); `server`: the service failed (5xx). */
  readonly $fault: 'client' | 'server';
  $metadata: AwsMetadata;

  constructor(name: string, message: string, status: number, requestId: string | undefined, fields: Record<string, unknown> = {}) {
    super(message || name);
    Object.assign(this, fields);
    this.name = name;
    this.$fault = status >= 500 ? 'server' : 'client';
    this.$metadata = { httpStatusCode: status, requestId, attempts: 1 };
  }
}

/** Reads an error answer: the protocol's error name, message and extra fields. */
export type ErrorReader = (response: AwsResponse) => { name: string; message: string; fields?: Record<string, unknown> };

/** Per attempt on the wire, before it is sent: for counting round trips (npm run bench). */
export type AttemptListener = (operation: string, input: unknown) => void;

const LOCAL_CREDENTIALS: AwsCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

/** Standard retry mode (as @smithy/util-retry): what is retried, how long to wait, the quota. */
const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
  'RequestLimitExceeded',
  'BandwidthLimitExceeded',
  'LimitExceededException',
  'RequestThrottled',
  'SlowDown',
  'PriorRequestNotComplete',
]);
const TRANSIENT_NAMES = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'InternalServerError']);
const TRANSIENT_STATUS = new Set([500, 502, 503, 504]);
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'ENOTFOUND', 'ECONNABORTED', 'EHOSTUNREACH', 'ENETUNREACH']);
const BASE_DELAY_MS = 100;
const THROTTLING_BASE_DELAY_MS = 500;
const MAX_DELAY_MS = 20_000;
const RETRY_QUOTA = 500;
const RETRY_COST = 5;
const TIMEOUT_RETRY_COST = 10;

/** A request that took longer than its bound (connecting, or the whole attempt). */
export function timeoutError(message: string): Error {
  return Object.assign(new Error(message), { name: 'TimeoutError' });
}

function retryKind(error: unknown): 'throttling' | 'timeout' | 'transient' | undefined {
  const e = error as { name?: string; code?: string; $metadata?: AwsMetadata } | null;
  if (!e) return undefined;
  const status = e.$metadata?.httpStatusCode;
  if ((e.name && THROTTLING.has(e.name)) || status === 429) return 'throttling';
  if (e.name === 'TimeoutError' || e.code === 'ETIMEDOUT') return 'timeout';
  if ((e.name && TRANSIENT_NAMES.has(e.name)) || (status !== undefined && TRANSIENT_STATUS.has(status)) || (e.code && NETWORK_CODES.has(e.code))) return 'transient';
  return undefined;
}

export class AwsClient {
  readonly name: string;
  readonly maxAttempts: number;
  readonly requestTimeoutMs: number;
  readonly connectionTimeoutMs: number;
  private readonly origin: URL;
  private readonly basePath: string;
  private readonly region: string;
  private readonly credentials: () => AwsCredentials;
  private readonly agent: HttpAgent;
  private readonly listeners = new Set<AttemptListener>();
  private retryTokens = RETRY_QUOTA;

  constructor(private readonly options: AwsClientOptions) {
    this.name = options.name;
    this.maxAttempts = options.maxAttempts ?? 3;
    this.requestTimeoutMs = options.requestTimeoutMs;
    this.connectionTimeoutMs = options.connectionTimeoutMs ?? 1_000;
    this.region = options.region ?? process.env.AWS_REGION ?? 'us-east-1';
    this.origin = new URL(options.endpoint ?? `https://${serviceHost(options.service, this.region)}`);
    // An endpoint with a path (a proxy) prefixes every request's.
    this.basePath = this.origin.pathname.replace(/\/$/, '');
    this.credentials = options.credentials ?? (options.endpoint ? () => LOCAL_CREDENTIALS : () => credentialsFromEnv());
    const Agent = this.origin.protocol === 'https:' ? HttpsAgent : HttpAgent;
    this.agent = new Agent({ keepAlive: true, maxSockets: 50 });
  }

  /** Calls `listener` before every attempt this client sends until the returned function is called. */
  onAttempt(listener: AttemptListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Sends `request` for `operation`, retrying what standard mode retries. An error answer is an
   * AwsServiceError (read by `readError`); its `$metadata.attempts` says how many were made.
   */
  async call(operation: string, request: AwsRequest, readError: ErrorReader, input?: unknown): Promise<AwsResponse & { $metadata: AwsMetadata }> {
    const trace = traceAwsCall(this.name, operation, (input as { TableName?: unknown } | undefined)?.TableName);
    let attempts = 0;
    for (;;) {
      attempts += 1;
      for (const listener of this.listeners) listener(operation, input);
      let status: number | undefined;
      try {
        const response = await this.attempt(request, trace?.header, attempts);
        status = response.status;
        if (response.status >= 300) {
          const { name, message, fields } = readError(response);
          const ErrorClass = this.options.errors?.[name] ?? AwsServiceError;
          throw new ErrorClass(name, message, response.status, requestIdOf(response), fields);
        }
        this.retryTokens = Math.min(RETRY_QUOTA, this.retryTokens + 1);
        const $metadata = { httpStatusCode: response.status, requestId: requestIdOf(response), attempts };
        trace?.end({ status, requestId: $metadata.requestId, attempts });
        return { ...response, $metadata };
      } catch (error) {
        const kind = retryKind(error);
        const cost = kind === 'timeout' ? TIMEOUT_RETRY_COST : RETRY_COST;
        if (kind && attempts < this.maxAttempts && this.retryTokens >= cost) {
          this.retryTokens -= cost;
          const base = kind === 'throttling' ? THROTTLING_BASE_DELAY_MS : BASE_DELAY_MS;
          await new Promise((done) => setTimeout(done, Math.random() * Math.min(MAX_DELAY_MS, base * 2 ** (attempts - 1))));
          continue;
        }
        const failed = error instanceof Error ? error : new Error(String(error));
        const metadata = (failed as { $metadata?: AwsMetadata }).$metadata;
        (failed as { $metadata?: AwsMetadata }).$metadata = { ...metadata, httpStatusCode: metadata?.httpStatusCode ?? status, attempts };
        trace?.end({ status, requestId: metadata?.requestId, attempts }, failed);
        throw failed;
      }
    }
  }

  /** Frees the kept-alive connections (tests and tools; a Lambda keeps them for the next call). */
  destroy(): void {
    this.agent.destroy();
  }

  private attempt(request: AwsRequest, traceHeader: string | undefined, attempt: number): Promise<AwsResponse> {
    const body = request.body ?? Buffer.alloc(0);
    const path = `${this.basePath}${request.path}`;
    const host = request.host ?? this.origin.hostname;
    const headers: Record<string, string> = { ...request.headers, host: this.origin.port ? `${host}:${this.origin.port}` : host };
    if (body.length > 0 || request.method === 'POST' || request.method === 'PUT') headers['content-length'] = String(body.length);
    if (traceHeader) headers['x-amzn-trace-id'] = traceHeader;
    signRequest({ method: request.method, path, query: request.query ?? {}, headers, body }, signingFor(this.credentials(), this.region, this.options.service, new Date()));
    const query = request.query ? new URLSearchParams(request.query).toString().replace(/\+/g, '%20') : '';
    const send = this.origin.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send({
        protocol: this.origin.protocol,
        hostname: host,
        port: this.origin.port || undefined,
        method: request.method,
        path: query ? `${path}?${query}` : path,
        headers,
        agent: this.agent,
      });
      const fail = (error: Error) => {
        clearTimeout(overall);
        req.destroy(error);
        reject(error);
      };
      const overall = setTimeout(() => fail(timeoutError(`No reply from ${this.name} within ${this.requestTimeoutMs} ms.`)), this.requestTimeoutMs);
      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        const connecting = setTimeout(() => fail(timeoutError(`Could not connect to ${this.name} within ${this.connectionTimeoutMs} ms.`)), this.connectionTimeoutMs);
        socket.once('connect', () => clearTimeout(connecting));
        socket.once('close', () => clearTimeout(connecting));
      });
      req.on('error', fail);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        const onChunk = res.statusCode !== undefined && res.statusCode < 300 ? request.onChunk : undefined;
        res.on('data', (chunk: Buffer) => {
          chunks.push(chunk);
          onChunk?.(chunk, attempt);
        });
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(overall);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.end(body);
    });
  }
}

function requestIdOf(response: AwsResponse): string | undefined {
  const id = response.headers['x-amzn-requestid'] ?? response.headers['x-amz-request-id'];
  return typeof id === 'string' ? id : undefined;
}
