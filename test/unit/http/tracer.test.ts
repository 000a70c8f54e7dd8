import { createSocket, type Socket } from 'node:dgram';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Request } from '@middy/core';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { JsonServiceClient } from '../../../lib/adapters/aws/json.js';
import { traceInvocation } from '../../../lib/http/tracer.js';

/**
 * The tracer against a real UDP socket standing in for the X-Ray daemon and a loopback HTTP
 * server answering as DynamoDB does: our AWS client (lib/adapters/aws) signs and sends real
 * requests to it.
 */
interface Doc {
  id: string;
  name: string;
  trace_id: string;
  parent_id: string;
  type: string;
  start_time: number;
  end_time: number;
  annotations?: Record<string, unknown>;
  aws?: Record<string, unknown>;
  http?: { response: { status: number } };
  error?: boolean;
  fault?: boolean;
  throttle?: boolean;
  cause?: { exceptions: { type: string; message: string }[] };
}

const TRACE = '1-67891233-abcdef012345678912345678';
const FACADE = '53995c3f42cd8ad8';
let daemon: Socket;
let dynamo: Server;
let received: string[] = [];
let headers: IncomingHttpHeaders[] = [];
/** What the loopback DynamoDB answers next. */
let reply: { status: number; body: string } = { status: 200, body: '{}' };

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (message) => received.push(message.toString('utf8')));
  await new Promise<void>((done) => daemon.bind(0, '127.0.0.1', done));
  dynamo = createServer((request, response) => {
    headers.push(request.headers);
    request.resume();
    request.on('end', () => response.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'REQ123' }).end(reply.body));
  });
  await new Promise<void>((done) => dynamo.listen(0, '127.0.0.1', done));
});
afterAll(() => {
  daemon.close();
  dynamo.close();
});
afterEach(() => {
  vi.unstubAllEnvs();
  received = [];
  headers = [];
  reply = { status: 200, body: '{}' };
});

function inLambda(traceHeader = `Root=${TRACE};Parent=${FACADE};Sampled=1`): void {
  vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs22.x');
  vi.stubEnv('_HANDLER', 'index.handler');
  vi.stubEnv('_X_AMZN_TRACE_ID', traceHeader);
  vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', `udp:127.0.0.1:${daemon.address().port} tcp:127.0.0.1:${daemon.address().port}`);
}

const endpoint = () => `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`;
/** A function that makes one GetItem call with a fresh client. */
const client = () => {
  const c = new JsonServiceClient({ service: 'dynamodb', name: 'DynamoDB', targetPrefix: 'DynamoDB_20120810', version: '1.0' }, { region: 'eu-west-1', endpoint: endpoint(), requestTimeoutMs: 2_000, maxAttempts: 1 });
  return () => c.send('GetItem', { TableName: 'certrevoke', Key: { pk: { S: 'x' } } });
};

/** One invocation through the middleware, doing `work` inside it. */
async function invoke(work: () => Promise<unknown>): Promise<void> {
  const middleware = traceInvocation();
  const request = {} as Request;
  await middleware.before!(request);
  try {
    await work();
    await middleware.after!(request);
  } catch (error) {
    request.error = error as Error;
    await middleware.onError!(request);
  }
}

async function docs(count: number): Promise<Doc[]> {
  const deadline = Date.now() + 2_000;
  while (received.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  await new Promise((r) => setTimeout(r, 20)); // and nothing more than expected
  return received.map((datagram) => {
    expect(datagram.slice(0, datagram.indexOf('\n'))).toBe('{"format":"json","version":1}');
    return JSON.parse(datagram.slice(datagram.indexOf('\n') + 1)) as Doc;
  });
}

describe('the X-Ray tracer', () => {
  it('records the invocation and each AWS call under it, and passes the trace on to the service', async () => {
    inLambda();
    const getItem = client();
    await invoke(getItem);
    const [call, handler] = await docs(2);
    expect(handler).toMatchObject({ type: 'subsegment', name: '## index.handler', trace_id: TRACE, parent_id: FACADE, annotations: { ColdStart: true, Service: 'certrevoke' } });
    expect(call).toMatchObject({
      type: 'subsegment',
      name: 'DynamoDB',
      namespace: 'aws',
      trace_id: TRACE,
      parent_id: handler!.id,
      aws: { operation: 'GetItem', table_name: 'certrevoke', request_id: 'REQ123', retries: 0 },
      http: { response: { status: 200 } },
    });
    expect(call!.id).toMatch(/^[0-9a-f]{16}$/);
    expect(call!.start_time).toBeGreaterThanOrEqual(handler!.start_time);
    expect(call!.end_time).toBeLessThanOrEqual(handler!.end_time);
    expect(headers[0]!['x-amzn-trace-id']).toBe(`Root=${TRACE};Parent=${call!.id};Sampled=1`);
    expect(handler!.error ?? handler!.fault).toBeUndefined();

    received = [];
    await invoke(async () => undefined);
    const [warm] = await docs(1);
    expect(warm!.annotations).toMatchObject({ ColdStart: false });
  });

  it('marks a call the service refused as an error, a throttled one as throttled, and a failed invocation as a fault', async () => {
    inLambda();
    const getItem = client();
    reply = { status: 400, body: JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException', message: 'slow down' }) };
    await invoke(getItem);
    const [call, handler] = await docs(2);
    expect(call).toMatchObject({ name: 'DynamoDB', error: true, throttle: true, http: { response: { status: 400 } } });
    expect(call!.cause!.exceptions[0]).toMatchObject({ type: 'ProvisionedThroughputExceededException', message: 'slow down' });
    expect(handler).toMatchObject({ fault: true });
    expect(handler!.cause!.exceptions[0]!.type).toBe('ProvisionedThroughputExceededException');
  });

  it.each([
    ['outside Lambda', () => vi.stubEnv('AWS_EXECUTION_ENV', '')],
    ['on a trace Lambda did not sample', () => inLambda(`Root=${TRACE};Parent=${FACADE};Sampled=0`)],
    ['with POWERTOOLS_TRACE_ENABLED=false', () => (inLambda(), vi.stubEnv('POWERTOOLS_TRACE_ENABLED', 'false'))],
  ])('sends nothing and adds no header %s', async (_case, environment) => {
    environment();
    const getItem = client();
    await invoke(getItem);
    await new Promise((r) => setTimeout(r, 100)); // time for a stray datagram to arrive
    expect(received).toEqual([]);
    expect(headers[0]!['x-amzn-trace-id']).toBeUndefined();
  });
});
