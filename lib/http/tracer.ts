import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isMainThread } from 'node:worker_threads';
import type { MiddlewareObj } from '@middy/core';
import { SERVICE_NAME } from './logger.js';

/**
 * X-Ray for the service: a `## handler` subsegment per invocation (ColdStart and Service
 * annotations) and one subsegment per AWS call under it (lib/adapters/aws/client.ts), sent to the X-Ray daemon as Lambda
 * runs it (UDP). Written here instead of Powertools' Tracer because that loads aws-xray-sdk-core
 * (with semver and cls-hooked: ~120 KB of every bundle and ~25 ms of every cold start) for
 * these two things; the segment documents are the ones the daemon documents (X-Ray segment
 * document schema), and the trace header on AWS requests is the one AWS services continue.
 *
 * It traces only in a Lambda's main thread with active tracing, on a sampled trace, and
 * POWERTOOLS_TRACE_ENABLED=false turns it off there too; elsewhere (the local runtime, tests, the
 * PDF check's worker) each hook returns at its first line. One invocation at a time per process,
 * as Lambda runs Node: the current handler subsegment is process state.
 */

interface TraceHeader {
  root: string;
  /** The Lambda facade segment's id: the handler subsegment's parent. */
  parent: string;
}

interface Subsegment {
  type: 'subsegment';
  id: string;
  trace_id: string;
  parent_id: string;
  name: string;
  start_time: number;
  end_time?: number;
  namespace?: 'aws';
  annotations?: Record<string, string | number | boolean>;
  aws?: Record<string, string | number>;
  http?: { response: { status: number } };
  error?: boolean;
  throttle?: boolean;
  fault?: boolean;
  cause?: { exceptions: { id: string; type: string; message: string }[] };
}

const HEADER = '{"format":"json","version":1}\n';
/** Error names AWS services throttle with (retried as throttling). */
const THROTTLED = /Throttl|ProvisionedThroughputExceeded|RequestLimitExceeded|TooManyRequests|SlowDown/;
const env = process.env;

let current: { trace: TraceHeader; segment: Subsegment } | undefined;
let coldStart = true;
let socket: Socket | undefined;

/** The invocation's trace, if it is to be recorded; read per call as Lambda sets it per invocation. */
function sampledTrace(): TraceHeader | undefined {
  if (!isMainThread || !env.AWS_EXECUTION_ENV || env.AWS_SAM_LOCAL || env.POWERTOOLS_TRACE_ENABLED?.toLowerCase() === 'false') return undefined;
  const fields = new Map((env._X_AMZN_TRACE_ID ?? '').split(';').map((part) => part.split('=') as [string, string]));
  const root = fields.get('Root');
  const parent = fields.get('Parent');
  return root && parent && fields.get('Sampled') === '1' ? { root, parent } : undefined;
}

const newId = () => randomBytes(8).toString('hex');
const now = () => Date.now() / 1000;

/** `AWS_XRAY_DAEMON_ADDRESS`: `host:port`, or `udp:host:port tcp:host:port` as Lambda may set it. */
function daemonAddress(): { host: string; port: number } {
  const value = env.AWS_XRAY_DAEMON_ADDRESS ?? '127.0.0.1:2000';
  const udp = value.split(/\s+/).find((part) => part.startsWith('udp:'))?.slice(4) ?? value;
  const colon = udp.lastIndexOf(':');
  return { host: udp.slice(0, colon), port: Number(udp.slice(colon + 1)) };
}

/** Fire and forget, as the X-Ray SDK does: a lost datagram costs a span, never the request. */
function send(segment: Subsegment): void {
  const { host, port } = daemonAddress();
  if (!socket) {
    socket = createSocket('udp4');
    socket.unref();
    socket.on('error', () => undefined);
  }
  socket.send(HEADER + JSON.stringify(segment), port, host);
}

function causeOf(error: unknown): Subsegment['cause'] {
  const e = error instanceof Error ? error : new Error(String(error));
  return { exceptions: [{ id: newId(), type: e.name, message: e.message }] };
}

/** A failed AWS call: refused (4xx: error, throttled or not) or failed in the service (fault). */
function markCallFailed(segment: Subsegment, error: unknown, status: number | undefined): void {
  const name = error instanceof Error ? error.name : '';
  if (status === 429 || THROTTLED.test(name)) segment.throttle = true;
  if ((error as { $fault?: string } | null)?.$fault === 'client' || (status !== undefined && status >= 400 && status < 500)) segment.error = true;
  else segment.fault = true;
  segment.cause = causeOf(error);
}

/**
 * The middy middleware: the invocation's `## <handler>` subsegment. Neither the event nor the
 * response goes into it: replies carry private keys and certificates, events bearer and task
 * tokens.
 */
export function traceInvocation(): MiddlewareObj {
  const finish = (error?: unknown) => {
    const open = current;
    current = undefined;
    if (!open) return;
    open.segment.end_time = now();
    // An invocation that throws failed in the function, whatever it threw.
    if (error !== undefined) Object.assign(open.segment, { fault: true, cause: causeOf(error) });
    send(open.segment);
  };
  return {
    before: () => {
      const cold = coldStart;
      coldStart = false;
      const trace = sampledTrace();
      if (!trace) return;
      current = {
        trace,
        segment: {
          type: 'subsegment',
          id: newId(),
          trace_id: trace.root,
          parent_id: trace.parent,
          name: `## ${env._HANDLER ?? 'handler'}`,
          start_time: now(),
          annotations: { ColdStart: cold, Service: SERVICE_NAME },
        },
      };
    },
    after: () => finish(),
    onError: (request) => finish(request.error),
  };
}

/** What an AWS call records about itself when it ends. */
export interface AwsCallOutcome {
  status?: number | undefined;
  requestId?: string | undefined;
  attempts?: number | undefined;
}

/** One traced AWS call: the header each attempt carries, and its end. */
export interface AwsCallTrace {
  /** `X-Amzn-Trace-Id` for the call's requests: the service's own segment joins the trace. */
  readonly header: string;
  end(outcome: AwsCallOutcome, error?: unknown): void;
}

/**
 * A subsegment for one AWS call (DynamoDB, S3, Step Functions, KMS, Secrets Manager), retries
 * included, under the current invocation's; undefined when not tracing.
 */
export function traceAwsCall(service: string, operation: string, tableName?: unknown): AwsCallTrace | undefined {
  const parent = current;
  if (!parent) return undefined;
  const segment: Subsegment = {
    type: 'subsegment',
    id: newId(),
    trace_id: parent.trace.root,
    parent_id: parent.segment.id,
    name: service,
    namespace: 'aws',
    start_time: now(),
    aws: { operation },
  };
  if (typeof tableName === 'string') segment.aws!.table_name = tableName;
  return {
    header: `Root=${parent.trace.root};Parent=${segment.id};Sampled=1`,
    end(outcome, error) {
      if (outcome.requestId) segment.aws!.request_id = outcome.requestId;
      if (outcome.attempts) segment.aws!.retries = outcome.attempts - 1;
      if (outcome.status) segment.http = { response: { status: outcome.status } };
      if (error !== undefined) markCallFailed(segment, error, outcome.status);
      segment.end_time = now();
      send(segment);
    },
  };
}
