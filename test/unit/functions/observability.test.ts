import { createSocket, type Socket } from 'node:dgram';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';

/**
 * Every Lambda entry in functions/ is wired to Powertools' logger and metrics and to our X-Ray
 * tracer (lib/http/observability.ts). Each handler is imported fresh, as in a new Lambda execution
 * environment with active tracing, and invoked once with an event it cannot use: the X-Ray
 * segment it sends arrives at a real UDP socket standing in for the X-Ray daemon, and its
 * ColdStart metric comes out on stdout as an Embedded Metric Format line. No AWS client is
 * reached: every handler fails on its input before it needs one.
 */
const ENTRIES = readdirSync(new URL('../../../functions/', import.meta.url)).filter((name) => name.endsWith('.ts'));
const MIB = 1024 * 1024;

let daemon: Socket;
const received: string[] = [];

beforeAll(async () => {
  daemon = createSocket('udp4');
  daemon.on('message', (message) => received.push(message.toString('utf8')));
  await new Promise<void>((done) => daemon.bind(0, '127.0.0.1', done));
});
afterAll(() => {
  daemon.close();
  vi.unstubAllEnvs();
});

/** What the tracer sent, as segment documents (each datagram is a header line, then the JSON). */
function segmentsOf(traceId: string): { name: string; trace_id: string; annotations?: Record<string, unknown>; metadata?: unknown }[] {
  return received
    .map((datagram) => JSON.parse(datagram.slice(datagram.indexOf('\n') + 1)) as { name: string; trace_id: string })
    .filter((segment) => segment.trace_id === traceId);
}

/** Stubs the environment of a Lambda execution environment with active tracing, on trace `traceId`. */
function lambdaEnvironment(name: string, traceId: string): void {
  vi.stubEnv('AWS_EXECUTION_ENV', 'AWS_Lambda_nodejs22.x');
  vi.stubEnv('LAMBDA_TASK_ROOT', '/var/task');
  vi.stubEnv('AWS_LAMBDA_INITIALIZATION_TYPE', 'on-demand');
  vi.stubEnv('AWS_LAMBDA_FUNCTION_NAME', name);
  vi.stubEnv('_HANDLER', 'index.handler');
  vi.stubEnv('_X_AMZN_TRACE_ID', `Root=${traceId};Parent=53995c3f42cd8ad8;Sampled=1`);
  vi.stubEnv('AWS_XRAY_DAEMON_ADDRESS', `127.0.0.1:${daemon.address().port}`);
  vi.stubEnv('AWS_XRAY_CONTEXT_MISSING', 'IGNORE_ERROR');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
}

const traceIdFor = (name: string) => `1-${Math.floor(Date.now() / 1000).toString(16)}-${Buffer.from(name).toString('hex').padEnd(24, '0').slice(0, 24)}`;

function contextFor(name: string): Context {
  return {
    functionName: name,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:eu-west-1:123456789012:function:${name}`,
    memoryLimitInMB: '512',
    awsRequestId: `req-${name}`,
    getRemainingTimeInMillis: () => 10_000,
  } as unknown as Context;
}

async function until(check: () => boolean, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
}

describe('every Lambda handler', () => {
  it('covers the functions folder', () => {
    expect(ENTRIES.length).toBeGreaterThanOrEqual(30);
  });

  it.each(ENTRIES)('%s is traced in X-Ray and publishes its cold start as a metric', async (entry) => {
    const name = entry.replace(/\.ts$/, '');
    const traceId = traceIdFor(name);
    vi.resetModules();
    lambdaEnvironment(name, traceId);

    const stdout: string[] = [];
    const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stdout.push(String(chunk));
      return true;
    });
    try {
      const module = (await import(`../../../functions/${entry}`)) as { handler: (event: unknown, context: Context) => Promise<unknown> };
      // An event no handler can act on: API handlers answer 401 (no claims), the rest throw.
      await module.handler({ headers: {}, requestContext: {} }, contextFor(name)).catch(() => undefined);
    } finally {
      write.mockRestore();
    }

    const coldStart = stdout
      .join('')
      .split('\n')
      .filter((line) => line.includes('"_aws"'))
      .map((line) => JSON.parse(line) as { _aws: { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string }[] }[] }; function_name?: string; ColdStart?: number })
      .find((line) => line._aws.CloudWatchMetrics.some((m) => m.Metrics.some((metric) => metric.Name === 'ColdStart')));
    expect(coldStart, 'a ColdStart EMF line').toBeDefined();
    expect(coldStart!._aws.CloudWatchMetrics[0]!.Namespace).toBe('Certrevoke');
    expect(coldStart!.function_name).toBe(name);

    await until(() => segmentsOf(traceId).some((segment) => segment.name === '## index.handler'));
    const handlerSegment = segmentsOf(traceId).find((segment) => segment.name === '## index.handler');
    expect(handlerSegment, 'the handler subsegment sent to the X-Ray daemon').toBeDefined();
    expect(handlerSegment!.annotations).toMatchObject({ ColdStart: true, Service: 'certrevoke' });
    // Replies carry private keys and certificates: none goes into a trace.
    expect(JSON.stringify(handlerSegment!.metadata ?? {})).not.toContain('index.handler response');
    expect(Buffer.byteLength(JSON.stringify(handlerSegment))).toBeLessThan(MIB);
  });
});

describe('AWS SDK calls', () => {
  it('are subsegments of the invocation, named after the service and operation', async () => {
    // A loopback server answers as DynamoDB does for a missing item; the client signs and sends
    // a real request to it, as it would to DynamoDB's endpoint.
    const dynamo = createServer((request, response) => {
      request.resume();
      request.on('end', () => {
        response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' }).end('{}');
      });
    });
    await new Promise<void>((done) => dynamo.listen(0, '127.0.0.1', done));
    try {
      const name = 'get-certificate';
      const traceId = traceIdFor(`${name}-sdk`);
      vi.resetModules();
      lambdaEnvironment(name, traceId);
      vi.stubEnv('AWS_REGION', 'eu-west-1');
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'AKIDEXAMPLE');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'secret');
      vi.stubEnv('TABLE_NAME', 'certrevoke');
      vi.stubEnv('DYNAMODB_ENDPOINT', `http://127.0.0.1:${(dynamo.address() as AddressInfo).port}`);
      const module = (await import('../../../functions/get-certificate.js')) as { handler: (event: unknown, context: Context) => Promise<{ statusCode: number }> };
      const reply = await module.handler(
        {
          version: '2.0',
          rawPath: '/certificates/crt_1',
          headers: {},
          pathParameters: { id: 'crt_1' },
          requestContext: { requestId: 'r-1', authorizer: { jwt: { claims: { sub: 'alice', account: 'acme', roles: '[customer]' }, scopes: [] } } },
        },
        contextFor(name),
      );
      expect(reply.statusCode).toBe(404);

      await until(() => segmentsOf(traceId).some((segment) => segment.name === 'DynamoDB'));
      const call = segmentsOf(traceId).find((segment) => segment.name === 'DynamoDB') as { aws?: { operation?: string; table_name?: string } } | undefined;
      expect(call, 'a DynamoDB subsegment').toBeDefined();
      expect(call!.aws).toMatchObject({ operation: 'GetItem', table_name: 'certrevoke' });
    } finally {
      dynamo.close();
    }
  });
});
