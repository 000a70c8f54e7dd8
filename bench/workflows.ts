/**
 * `npm run bench -- workflows [--requests N] [--json]`
 *
 * One revocation at a time per route through the whole local runtime (in this process), from
 * submission to `revoked`, each driven as a customer and reviewer would (approve; upload the
 * letter; publish the TXT record): counts the state transitions of its workflow executions in
 * the local interpreter (one per state entered or retried, as AWS bills them), the Lambda
 * invocations it caused, its DynamoDB requests and items, and its S3 requests; from those and
 * list prices, an estimated AWS cost per 1,000 revocations per route (assumptions printed).
 * Goal: sfnTransitionsReviewRoute ≤ 8.
 */
import { randomUUID } from 'node:crypto';
import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { onDynamoCall } from '../lib/adapters/dynamo-client.js';
import { PROJECT_ROOT } from '../infra/constructs/function.js';
import { LETTER_PROCESSOR_MEMORY_MB } from '../infra/constructs/letter-processing.js';
import { jpegLetter } from '../test/fixtures/letters.js';
import type { Json } from '../test/support/local-runtime.js';
import { median, progress, status, table, UsageError, emitJson } from './cli.js';

export const WORKFLOW_GOALS = { sfnTransitionsReviewRoute: 8 };
const ROUTES = ['auto', 'domain_validation', 'review', 'letter'] as const;
type Route = (typeof ROUTES)[number];

const CERTIFICATES: Record<Route, Json> = {
  auto: { brand: 'TrustAsia', wildcard: true, validityYears: 2, domainValidation: 'dns_auto', dnsHostedHere: true },
  domain_validation: { brand: 'GeoTrust', domainValidation: 'dns' },
  review: { brand: 'WoTrus', domainValidation: 'dns' },
  letter: { brand: 'DNSPod', algorithm: 'sm2', productType: 'OV', domainValidation: 'dns', enterprise: { name: 'Bench Ltd' } },
};

export interface RouteFigures {
  transitions: number;
  /** HTTP calls a person made (each one Lambda invocation behind API Gateway). */
  apiCalls: number;
  /** Workflow tasks and the letter processor (Lambda invocations without a person). */
  taskInvocations: number;
  dynamoReads: number;
  dynamoWrites: number;
  dynamoTransactItems: number;
  s3Puts: number;
  s3Gets: number;
  costPer1000Usd: number;
}

export interface WorkflowResults {
  sfnTransitionsReviewRoute: number;
  routes: Record<Route, RouteFigures>;
  assumptions: string[];
}

/** List prices (us-east-1, arm64, on-demand) and what the estimate assumes. */
const PRICE = {
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1e6,
  sfnTransition: 0.025 / 1000,
  dynamoRru: 0.125 / 1e6,
  dynamoWru: 0.625 / 1e6,
  s3Put: 0.005 / 1000,
  s3Get: 0.0004 / 1000,
  apiGatewayRequest: 1.0 / 1e6,
};
// The processor's memory is the stack's (API handlers and tasks have ServiceFunction's default 512 MB).
const ASSUME = { apiGb: 0.5, apiSeconds: 0.1, taskGb: 0.5, taskSeconds: 0.2, processorGb: LETTER_PROCESSOR_MEMORY_MB / 1024, processorSeconds: 0.5, itemKb: 3 };
const ASSUMPTIONS = [
  'us-east-1 list prices: Lambda arm64 $0.0000133334/GB-s + $0.20/M requests; HTTP API $1.00/M; Step Functions Standard $0.025/1,000 transitions; DynamoDB on-demand $0.125/M RRU, $0.625/M WRU; S3 $0.005/1,000 PUT/POST/COPY, $0.0004/1,000 GET',
  `Lambda: API handlers ${ASSUME.apiGb * 1024} MB × ${ASSUME.apiSeconds * 1000} ms, workflow tasks ${ASSUME.taskGb * 1024} MB × ${ASSUME.taskSeconds * 1000} ms, letter processor ${ASSUME.processorGb * 1024} MB × ${ASSUME.processorSeconds * 1000} ms (billed duration, warm)`,
  `DynamoDB: items ≈ ${ASSUME.itemKb} KB (a certificate with its PEM chain); a strongly consistent read of an item = 1 RRU, a write = ${ASSUME.itemKb} WRU, a transaction item = 2× that`,
  'the calls a person makes are the minimum of the route (submit, read the outcome once; letter: template, upload slot, reviewer list/read/decide) — a console polling for status adds reads',
  'free tiers, data transfer, CloudWatch logs and X-Ray traces not included',
];

function costOf(f: Omit<RouteFigures, 'costPer1000Usd'>, processorRuns: number): number {
  const taskOnly = f.taskInvocations - processorRuns;
  const lambda =
    (f.apiCalls + f.taskInvocations) * PRICE.lambdaRequest +
    (f.apiCalls * ASSUME.apiGb * ASSUME.apiSeconds + taskOnly * ASSUME.taskGb * ASSUME.taskSeconds + processorRuns * ASSUME.processorGb * ASSUME.processorSeconds) * PRICE.lambdaGbSecond;
  const dynamo = f.dynamoReads * PRICE.dynamoRru + (f.dynamoWrites * ASSUME.itemKb + f.dynamoTransactItems * 2 * ASSUME.itemKb) * PRICE.dynamoWru;
  const per = lambda + f.apiCalls * PRICE.apiGatewayRequest + f.transitions * PRICE.sfnTransition + dynamo + f.s3Puts * PRICE.s3Put + f.s3Gets * PRICE.s3Get;
  return per * 1000;
}

export async function measureWorkflows(requests: number): Promise<WorkflowResults> {
  process.env.RATE_LIMIT_PER_SECOND = '1000000';
  process.env.RATE_LIMIT_BURST = '1000000';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  process.env.VALIDATION_POLL_SECONDS = '1';
  const { startLocalRuntime } = await import('../infra/local/runtime.js');
  status('starting the local runtime (in memory)');
  const rt = await startLocalRuntime({ port: 0, dataDir: join(PROJECT_ROOT, '.data-bench'), inMemory: true, seed: false, timeScale: 1, sweepEverySeconds: 86_400, log: () => undefined });
  let apiCalls = 0;
  try {
    const mint = async (sub: string, account: string, roles: string[]) =>
      ((await (await fetch(`${rt.url}/local/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub, account, roles }) })).json()) as { token: string }).token;
    const account = `bench-${randomUUID().slice(0, 8)}`;
    const [operator, customer, reviewer] = await Promise.all([mint('oscar', 'ops', ['operator']), mint('alice', account, ['customer']), mint('rita', 'ops', ['reviewer'])]);
    const call = async (method: string, path: string, bearer: string, body?: unknown, counted = true): Promise<{ status: number; body: Json }> => {
      if (typeof body === 'boolean') [body, counted] = [undefined, body];
      if (counted) apiCalls++;
      const res = await fetch(`${rt.url}${path}`, { method, headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, body: (await res.json().catch(() => ({}))) as Json };
    };
    const until = async (id: string, done: (r: Json) => boolean, timeoutMs = 30_000): Promise<Json> => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const r = (await call('GET', `/revocations/${id}`, customer, undefined, false)).body.revocation as Json;
        if (done(r)) return r;
        if (Date.now() > deadline) throw new Error(`revocation ${id} stuck at ${r.status}`);
        await new Promise((d) => setTimeout(d, 50));
      }
    };
    const letter = await jpegLetter(1200, 1700);
    const executionArn = (id: string, version: number) => `${process.env.REVOCATION_STATE_MACHINE_ARN!.replace(':stateMachine:', ':execution:')}:revocation-${id}-v${version}`;
    const sfn = new SFNClient({ region: 'us-east-1', endpoint: process.env.SFN_ENDPOINT, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
    const untilSucceeded = async (arn: string) => {
      const deadline = Date.now() + 30_000;
      while ((await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status === 'RUNNING') {
        if (Date.now() > deadline) throw new Error(`execution ${arn} still running`);
        await new Promise((d) => setTimeout(d, 20));
      }
    };
    const transitionsOf = (id: string) => {
      let total = 0;
      for (let v = 1; v <= 20; v++) {
        try {
          total += rt.transitions(executionArn(id, v));
        } catch {
          // No execution for this version: the request never restarted from it.
        }
      }
      return total;
    };

    const figures = {} as Record<Route, RouteFigures>;
    const bar = progress('revocations', ROUTES.length * requests);
    let done = 0;
    for (const route of ROUTES) {
      const samples: Omit<RouteFigures, 'costPer1000Usd'>[] = [];
      for (let i = 0; i < requests; i++) {
        const now = Date.now();
        const reg = await call('POST', '/admin/certificates', operator, {
          account,
          domain: `${route === 'auto' ? '*.' : ''}${randomUUID().slice(0, 8)}.bench.example.com`,
          source: 'platform',
          algorithm: 'international',
          productType: 'DV',
          issuedAt: new Date(now - 10 * 86_400_000).toISOString(),
          notAfter: new Date(now + 365 * 86_400_000).toISOString(),
          ...CERTIFICATES[route],
        }, false);
        if (reg.status !== 201) throw new Error(`register: ${JSON.stringify(reg.body)}`);
        const certId = reg.body.certificate.id as string;
        let reads = 0, writes = 0, transactItems = 0, s3Puts = 0, s3Gets = 0, tasks = 0;
        apiCalls = 0;
        const stop = onDynamoCall((operation, items) => {
          if (operation === 'TransactWriteItems') transactItems += items;
          else if (/^(Put|Update|Delete)Item$|^BatchWriteItem$/.test(operation)) writes += items;
          else reads += items;
        });
        const submitted = await call('POST', `/certificates/${certId}/revocations`, customer, { reason: 'bench' });
        if (submitted.status !== 202) throw new Error(`submit: ${JSON.stringify(submitted.body)}`);
        const r = submitted.body.revocation as Json;
        if (route === 'domain_validation') {
          await until(r.id, (x) => x.validation?.lastCheckedAt !== undefined);
          await fetch(`${rt.url}/local/dns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: r.validation.dns.name, value: r.validation.dns.value }) });
        }
        if (route === 'letter') {
          await call('GET', `/revocations/${r.id}/letter-template`, customer);
          const slot = (await call('POST', `/revocations/${r.id}/letter-upload`, customer)).body;
          const form = new FormData();
          for (const [k, v] of Object.entries(slot.fields as Record<string, string>)) form.append(k, v);
          form.append('file', new Blob([letter], { type: 'image/jpeg' }), 'letter.jpg');
          if ((await fetch(slot.url as string, { method: 'POST', body: form })).status >= 300) throw new Error('upload failed');
          // The browser's POST, then the processor: GET the upload, PUT evidence and thumbnail.
          s3Puts += 3;
          s3Gets += 1;
          tasks += 1;
        }
        if (route === 'review' || route === 'letter') {
          await until(r.id, (x) => x.status === 'pending_review');
          // Decidable once queued (its task token stored), a moment after pending_review.
          for (const deadline = Date.now() + 30_000; !(await call('GET', `/reviews/${r.id}`, reviewer, undefined, false)).body.review?.queuedAt; ) {
            if (Date.now() > deadline) throw new Error(`review ${r.id} never queued`);
            await new Promise((d) => setTimeout(d, 50));
          }
          await call('GET', '/reviews?status=pending', reviewer);
          await call('GET', `/reviews/${r.id}`, reviewer);
          if (route === 'letter') s3Gets += 2; // the reviewer opens the letter and its thumbnail
          const decided = await call('POST', `/reviews/${r.id}/decision`, reviewer, { decision: 'approve' });
          if (decided.status !== 200) throw new Error(`decision: ${JSON.stringify(decided.body)}`);
        }
        await until(r.id, (x) => x.status === 'revoked');
        await call('GET', `/revocations/${r.id}`, customer);
        // The request is revoked before its execution ends: count once it has.
        await untilSucceeded(executionArn(r.id as string, 1));
        stop();
        const transitions = transitionsOf(r.id as string);
        // Task states entered (and retried) invoke a Lambda each; Choice, Wait, Pass and Succeed do not.
        tasks += taskStatesOf(transitions, route);
        samples.push({ transitions, apiCalls, taskInvocations: tasks, dynamoReads: reads, dynamoWrites: writes, dynamoTransactItems: transactItems, s3Puts, s3Gets });
        bar.update(++done);
      }
      const m = (key: keyof Omit<RouteFigures, 'costPer1000Usd'>) => median(samples.map((s) => s[key]));
      const f = { transitions: m('transitions'), apiCalls: m('apiCalls'), taskInvocations: m('taskInvocations'), dynamoReads: m('dynamoReads'), dynamoWrites: m('dynamoWrites'), dynamoTransactItems: m('dynamoTransactItems'), s3Puts: m('s3Puts'), s3Gets: m('s3Gets') };
      figures[route] = { ...f, costPer1000Usd: costOf(f, route === 'letter' ? 1 : 0) };
    }
    bar.finish();
    return { sfnTransitionsReviewRoute: figures.review.transitions, routes: figures, assumptions: ASSUMPTIONS };
  } finally {
    await rt.stop();
  }
}

/**
 * The Task states (each a Lambda invocation; a .waitForTaskToken task invokes its function once
 * too) among a successful revocation's transitions: every route enters Route (Choice) first and
 * ends in the Revoke task; domain validation with k checks also enters Validated? (Choice) k
 * times and WaitForValidation (Wait) k − 1 times, so T = 3k + 1. Retries would count as tasks.
 */
function taskStatesOf(transitions: number, route: Route): number {
  if (route !== 'domain_validation') return Math.max(0, transitions - 1);
  const checks = Math.max(1, Math.round((transitions - 1) / 3));
  return Math.max(0, transitions - 1 - checks - (checks - 1));
}

export function workflowTable(r: WorkflowResults): string {
  const rows = [['route', 'transitions', 'API calls', 'Lambda tasks', 'DDB reads', 'DDB writes', 'DDB txn items', 'S3 PUT/GET', '$ per 1,000']];
  for (const route of ROUTES) {
    const f = r.routes[route];
    rows.push([route, String(f.transitions), String(f.apiCalls), String(f.taskInvocations), String(f.dynamoReads), String(f.dynamoWrites), String(f.dynamoTransactItems), `${f.s3Puts}/${f.s3Gets}`, f.costPer1000Usd.toFixed(3)]);
  }
  return `${table(rows)}\n\nassumptions:\n${r.assumptions.map((a) => `  - ${a}`).join('\n')}`;
}

export async function workflowsBench(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { requests: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const requests = Number(values.requests);
  if (!Number.isInteger(requests) || requests < 1) throw new UsageError(`--requests must be a whole number ≥ 1; got ${values.requests}`);
  const r = await measureWorkflows(requests);
  if (values.json) emitJson(r);
  else console.log(`${workflowTable(r)}\n\nsfnTransitionsReviewRoute ${r.sfnTransitionsReviewRoute} (goal ≤ ${WORKFLOW_GOALS.sfnTransitionsReviewRoute})`);
  return r.sfnTransitionsReviewRoute <= WORKFLOW_GOALS.sfnTransitionsReviewRoute ? 0 : 1;
}
