/**
 * `npm run bench -- api [--seconds N] [--connections N] [--runs N] [--json]`
 *
 * The whole local runtime in this process (DynamoDB Local, the gateway, the same handlers);
 * load from separate processes (bench/load.ts), so load and service never share a CPU thread:
 * - apiReadRatio: GET /certificates/{id} through the gateway (autocannon) ÷ raw GetItem of the
 *   same item against the same DynamoDB Local, same concurrency, once DynamoDB Local is warm;
 *   alternated `runs` times (each going first in turn), medians compared;
 * - roundTripsRead: DynamoDB requests per GET /certificates/{id} (the DynamoDB client's attempt
 *   hook counts every request on the wire, retries included);
 * - roundTripsWrite: DynamoDB requests per revocation submission (the use case with the real
 *   stores; the workflow start is left out: it is a Step Functions call and its tasks' writes
 *   belong to the workflow, not the submission);
 * - p50/p99 latency of reads (autocannon) and of submissions (one at a time over HTTP).
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { onDynamoCall } from '../lib/adapters/dynamo-client.js';
import type { Json } from '../test/support/local-runtime.js';
import { PROJECT_ROOT } from '../infra/constructs/function.js';
import { median, status, table, UsageError, emitJson } from './cli.js';

export const API_GOALS = { apiReadRatio: 0.7, roundTripsRead: 1, roundTripsWrite: 2 };

export interface Spread {
  min: number;
  median: number;
  max: number;
}
export interface ApiResults {
  apiReadRatio: number;
  roundTripsRead: number;
  roundTripsWrite: number;
  apiReadRps: Spread;
  rawGetItemRps: Spread;
  readLatencyMs: { p50: number; p99: number };
  submitLatencyMs: { p50: number; p99: number };
  connections: number;
  seconds: number;
}

/** At most this many 2 s rounds of raw GetItem before the timed runs. */
const WARM_UP_ROUNDS = 8;

const spread = (values: number[]): Spread => ({ min: Math.min(...values), median: median(values), max: Math.max(...values) });

function load(mode: 'http' | 'getitem', options: Record<string, unknown>): Promise<{ rps: number; p50: number; p99: number; errors: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(PROJECT_ROOT, 'bench/load.ts'), mode, JSON.stringify(options)], {
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.once('exit', (code) => (code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop()!)) : reject(new Error(`load ${mode} exited ${code}`))));
  });
}

export async function measureApi(o: { seconds: number; connections: number; runs: number }): Promise<ApiResults> {
  // The gateway's per-account limit would measure the limiter, not the service.
  process.env.RATE_LIMIT_PER_SECOND = '1000000';
  process.env.RATE_LIMIT_BURST = '1000000';
  process.env.POWERTOOLS_LOG_LEVEL = 'ERROR';
  const { startLocalRuntime, TABLE_NAME } = await import('../infra/local/runtime.js');
  status('starting the local runtime (in memory)');
  const rt = await startLocalRuntime({ port: 0, dataDir: join(PROJECT_ROOT, '.data-bench'), inMemory: true, seed: false, timeScale: 1, sweepEverySeconds: 86_400, log: () => undefined });
  try {
    const token = async (sub: string, account: string, roles: string[]) =>
      ((await (await fetch(`${rt.url}/local/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sub, account, roles }) })).json()) as { token: string }).token;
    const account = `bench-${randomUUID().slice(0, 8)}`;
    const [operator, customer] = await Promise.all([token('oscar', 'ops', ['operator']), token('alice', account, ['customer'])]);
    const call = async (method: string, path: string, bearer: string, body?: unknown): Promise<{ status: number; body: Json }> => {
      const res = await fetch(`${rt.url}${path}`, { method, headers: { authorization: `Bearer ${bearer}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
      return { status: res.status, body: (await res.json().catch(() => ({}))) as Json };
    };
    const register = async (brand: string) => {
      const now = Date.now();
      const r = await call('POST', '/admin/certificates', operator, {
        account,
        domain: `${randomUUID().slice(0, 8)}.bench.example.com`,
        source: 'platform',
        brand,
        algorithm: 'international',
        productType: 'DV',
        domainValidation: 'dns',
        issuedAt: new Date(now - 10 * 86_400_000).toISOString(),
        notAfter: new Date(now + 365 * 86_400_000).toISOString(),
      });
      if (r.status !== 201) throw new Error(`register: ${r.status} ${JSON.stringify(r.body)}`);
      return r.body.certificate as Json;
    };

    const cert = await register('GeoTrust');
    const readUrl = `${rt.url}/certificates/${cert.id}`;

    // Round trips of a read, over HTTP (nothing else runs meanwhile).
    let calls = 0;
    const stopCounting = onDynamoCall(() => calls++);
    const READS = 50;
    for (let i = 0; i < READS; i++) {
      const r = await call('GET', `/certificates/${cert.id}`, customer);
      if (r.status !== 200) throw new Error(`read: ${r.status}`);
    }
    const roundTripsRead = calls / READS;
    stopCounting();

    // Round trips of a submission: the use case on the real stores, no workflow start.
    const { submitRevocation } = await import('../lib/app/revocations.js');
    const { revocationDeps } = await import('../lib/root.js');
    const live = revocationDeps();
    const deps = { certificates: live.certificates, revocations: live.revocations, clock: live.clock, newId: live.newId, warn: live.warn, workflows: { startRevocation: async () => undefined, startReissue: async () => undefined, completeTask: async () => undefined, failTask: async () => undefined } };
    const caller = { sub: 'alice', account, roles: ['customer' as const] };
    const SUBMITS = 20;
    const targets = await Promise.all(Array.from({ length: SUBMITS }, () => register('WoTrus')));
    calls = 0;
    const stopWrites = onDynamoCall(() => calls++);
    for (const t of targets) await submitRevocation(deps, caller, t.id as string, { reason: 'bench' });
    stopWrites();
    const roundTripsWrite = calls / SUBMITS;

    // Submission latency over HTTP, one at a time (each starts its workflow, as in production).
    const submitTargets = await Promise.all(Array.from({ length: 40 }, () => register('WoTrus')));
    const submitMs: number[] = [];
    for (const t of submitTargets) {
      const started = performance.now();
      const r = await call('POST', `/certificates/${t.id}/revocations`, customer, { reason: 'bench' });
      submitMs.push(performance.now() - started);
      if (r.status !== 202) throw new Error(`submit: ${r.status} ${JSON.stringify(r.body)}`);
    }
    submitMs.sort((a, b) => a - b);

    // Throughput, alternating, after one warm-up of each.
    const endpoint = process.env.DYNAMODB_ENDPOINT!;
    const rawArgs = { endpoint, table: TABLE_NAME, id: cert.id, connections: o.connections, seconds: o.seconds };
    const httpArgs = { url: readUrl, token: customer, connections: o.connections, seconds: o.seconds };
    // DynamoDB Local's JIT goes on warming for tens of seconds: after one 2 s warm-up, raw
    // GetItem rose 1,000 → 2,200 req/s over the next three runs while the gateway, limited by its
    // own event loop, barely moved, so the ratio said more about the warm-up than the service.
    // Raw GetItem is warmed until two rounds in a row agree within 10%.
    status(`warming DynamoDB Local up until raw GetItem is steady, then ${o.runs}× ${o.seconds} s of raw GetItem and of GET /certificates/{id}, ${o.connections} at a time`);
    let previous = 0;
    for (let round = 0; round < WARM_UP_ROUNDS; round++) {
      const { rps } = await load('getitem', { ...rawArgs, seconds: 2 });
      status(`warm-up ${round + 1}: raw ${rps.toFixed(0)}/s`);
      if (previous > 0 && Math.abs(rps - previous) <= 0.1 * previous) break;
      previous = rps;
    }
    await load('http', { ...httpArgs, seconds: 2 });
    const raw: number[] = [];
    const api: number[] = [];
    const readP50: number[] = [];
    const readP99: number[] = [];
    for (let i = 0; i < o.runs; i++) {
      // Taking turns at going first, so what drift is left falls on both sides.
      const first = i % 2 === 0 ? 'getitem' : 'http';
      const one = await load(first, first === 'getitem' ? rawArgs : httpArgs);
      const other = await load(first === 'getitem' ? 'http' : 'getitem', first === 'getitem' ? httpArgs : rawArgs);
      const [r, a] = first === 'getitem' ? [one, other] : [other, one];
      if (a.errors > 0 || r.errors > 0) throw new Error(`errors under load: api ${a.errors}, raw ${r.errors}`);
      raw.push(r.rps);
      api.push(a.rps);
      readP50.push(a.p50);
      readP99.push(a.p99);
      status(`run ${i + 1}/${o.runs}: raw ${r.rps.toFixed(0)}/s, api ${a.rps.toFixed(0)}/s`);
    }
    return {
      apiReadRatio: median(api) / median(raw),
      roundTripsRead,
      roundTripsWrite,
      apiReadRps: spread(api),
      rawGetItemRps: spread(raw),
      readLatencyMs: { p50: median(readP50), p99: median(readP99) },
      submitLatencyMs: { p50: submitMs[Math.floor(submitMs.length / 2)]!, p99: submitMs[Math.min(submitMs.length - 1, Math.floor(submitMs.length * 0.99))]! },
      connections: o.connections,
      seconds: o.seconds,
    };
  } finally {
    await rt.stop();
  }
}

export function apiTable(r: ApiResults): string {
  const f = (s: Spread) => `${s.min.toFixed(0)} / ${s.median.toFixed(0)} / ${s.max.toFixed(0)}`;
  return table([
    ['figure', 'value'],
    ['GET /certificates/{id}, req/s (min / median / max)', f(r.apiReadRps)],
    ['raw GetItem, req/s (min / median / max)', f(r.rawGetItemRps)],
    ['read latency p50 / p99', `${r.readLatencyMs.p50.toFixed(1)} / ${r.readLatencyMs.p99.toFixed(1)} ms`],
    ['submission latency p50 / p99', `${r.submitLatencyMs.p50.toFixed(1)} / ${r.submitLatencyMs.p99.toFixed(1)} ms`],
  ]);
}

export function parseApiArgs(args: string[]) {
  let values;
  try {
    ({ values } = parseArgs({ args, options: { seconds: { type: 'string', default: '5' }, connections: { type: 'string', default: '16' }, runs: { type: 'string', default: '3' }, json: { type: 'boolean', default: false } } }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const n = (name: 'seconds' | 'connections' | 'runs') => {
    const v = Number(values[name]);
    if (!Number.isInteger(v) || v < 1) throw new UsageError(`--${name} must be a whole number ≥ 1; got ${values[name]}`);
    return v;
  };
  return { seconds: n('seconds'), connections: n('connections'), runs: n('runs'), json: values.json };
}

export async function apiBench(args: string[]): Promise<number> {
  const o = parseApiArgs(args);
  const r = await measureApi(o);
  if (o.json) emitJson(r);
  else console.log(`${apiTable(r)}\n\napiReadRatio ${r.apiReadRatio.toFixed(2)} (goal ≥ ${API_GOALS.apiReadRatio}), roundTripsRead ${r.roundTripsRead} (≤ ${API_GOALS.roundTripsRead}), roundTripsWrite ${r.roundTripsWrite} (≤ ${API_GOALS.roundTripsWrite})`);
  return r.apiReadRatio >= API_GOALS.apiReadRatio && r.roundTripsRead <= API_GOALS.roundTripsRead && r.roundTripsWrite <= API_GOALS.roundTripsWrite ? 0 : 1;
}
