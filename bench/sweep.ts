/**
 * `npm run bench -- sweep [--count N] [--load-concurrency N] [--json]`
 *
 * On its own in-memory DynamoDB Local: loads N certificates (default 100,000), exactly 1% due
 * for an effect now; measures how the due set is *found* — (a) the due index, as the sweep reads
 * it, and (b) a naive full Scan classifying every certificate — three times each, before anything
 * changes, so both find the same set; then runs the real `runSweep` to apply the effects and
 * checks the table afterwards. Goals: sweepReadRatio ≤ 1.05, sweepSpeedupVsScan ≥ 10.
 * Exit 0 when both goals pass, 1 when a goal or a consistency check fails.
 */
import { parseArgs } from 'node:util';
import type { BatchWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, BatchWriteCommand, createDocumentClient, ScanCommand, type DocumentClient } from '../lib/adapters/dynamo-client.js';
import { DynamoCertificateStore } from '../lib/adapters/dynamo-certificate-store.js';
import { certificateItem, fromItem, keys } from '../lib/adapters/dynamo-items.js';
import { DynamoReissueStore } from '../lib/adapters/dynamo-reissue-store.js';
import { DynamoRevocationStore } from '../lib/adapters/dynamo-revocation-store.js';
import { DynamoSweepStore } from '../lib/adapters/dynamo-sweep-store.js';
import type { Certificate } from '../lib/app/model.js';
import { FIRST_SWEEP_LOOKBACK_DAYS, runSweep, type SweepDeps, type SweepReport } from '../lib/app/sweeps.js';
import { DAY_MS } from '../lib/domain/certificate.js';
import { classifyForSweep, dayOf, nextDay } from '../lib/domain/sweep.js';
import { ensureTable, startDynamoLocal } from '../infra/local/dynamodb-local.js';
import { formatInt, formatMs, median, progress, status, table, UsageError, emitJson } from './cli.js';

const TABLE_NAME = 'bench-sweep';
const DEFAULT_COUNT = 100_000;
const DEFAULT_LOAD_CONCURRENCY = 12;
/** BatchWriteItem's limit. */
const BATCH_SIZE = 25;
/** `runSweep`'s default page size (not exported): the index find pages the same way. */
const SWEEP_PAGE_SIZE = 100;
const FIND_RUNS = 3;
/** Far more than the sweep needs: it must never stop at its deadline here. */
const REMAINING_MS = 60 * 60_000;
const GOALS = { sweepReadRatio: 1.05, sweepSpeedupVsScan: 10 };
const SEED = 0x5eed;

/** What a generated certificate is for; the due ones are exactly 1% of the table. */
const Kind = {
  /** `notAfter` 1 hour to 90 days ago: the sweep expires it. */
  DueExpire: 0,
  /** `notAfter` 1–29 days ahead, renewalStatus `none`: the sweep marks it `to_be_renewed`. */
  DueMark: 1,
  /** `notAfter` 60–400 days ahead, renewalStatus `none`: filed 30–370 days ahead. */
  Later: 2,
  /** `notAfter` 2–29 days ahead, already `to_be_renewed`: filed at its expiry, days ahead. */
  FlaggedLater: 3,
} as const;
type Kind = (typeof Kind)[keyof typeof Kind];
/** Share of the not-due certificates that are already flagged and due only at expiry. */
const FLAGGED_SHARE = 0.05;

export interface Options {
  count: number;
  loadConcurrency: number;
  /** Full Scans to time (each about 2 minutes on 100,000 items): one is enough for a ratio in the hundreds. */
  scanRuns: number;
  json: boolean;
}

interface FindRun {
  ms: number;
  /** Items DynamoDB returned to the SDK (Query + Scan), counted by the client middleware. */
  itemsRead: number;
  requests: number;
  due: number;
  /** Scan only: how long its pages took (DynamoDB Local's get slower as the Scan advances). */
  pageMs?: { first: number; last: number; max: number };
}

export interface SweepBenchResult {
  certificates: number;
  due: { total: number; expire: number; markToBeRenewed: number };
  notDue: { later: number; flaggedLater: number };
  load: { ms: number; itemsPerSecond: number; concurrency: number; unprocessedRetries: number };
  indexFind: { medianMs: number; runs: FindRun[]; itemsRead: number; requests: number };
  scanFind: { medianMs: number; runs: FindRun[]; itemsRead: number; requests: number };
  sweep: {
    durationMs: number;
    itemsRead: number;
    itemsReturnedByDynamo: number;
    requests: Record<string, number>;
    report: SweepReport;
  };
  afterSweep: { dueByIndex: number; dueCertificatesChanged: number };
  goals: Record<keyof typeof GOALS, { value: number; goal: string; pass: boolean }>;
  checks: { name: string; pass: boolean; detail: string }[];
  pass: boolean;
}

export async function sweepBench(args: string[]): Promise<number> {
  const options = parseOptions(args);
  const result = await runSweepBench(options);
  if (options.json) {
    emitJson(result);
    process.stderr.write(`${render(result)}\n`);
  } else {
    console.log(render(result));
  }
  return result.pass ? 0 : 1;
}

/** The whole section on its own DynamoDB Local, stopped at the end (and on Ctrl-C). */
export async function runSweepBench(options: Options = { count: DEFAULT_COUNT, loadConcurrency: DEFAULT_LOAD_CONCURRENCY, scanRuns: FIND_RUNS, json: false }): Promise<SweepBenchResult> {
  let dynamo: { endpoint: string; stop: () => Promise<void> } | undefined;
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = signal;
    process.stderr.write(`\n[bench] ${signal}: stopping DynamoDB Local\n`);
    // Without DynamoDB Local yet, startup finishes first and then stops it (see below).
    if (dynamo) void dynamo.stop().finally(() => process.exit(signalExitCode(signal)));
  };
  // Last resort (an exit while something is still pending): stop() signals the child synchronously.
  const onExit = () => void dynamo?.stop();
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', onExit);

  const clients: { destroy(): void }[] = [];
  try {
    status('starting DynamoDB Local (in memory)');
    dynamo = await startDynamoLocal({});
    if (interrupted) {
      await dynamo.stop();
      process.exit(signalExitCode(interrupted));
    }
    await ensureTable(dynamo.endpoint, TABLE_NAME);

    // Not metered: loading is not measured.
    const loader = benchClient(dynamo.endpoint, { maxAttempts: 6, requestTimeout: 60_000 });
    clients.push(loader);
    return await measure(options, dynamo.endpoint, loader, clients);
  } finally {
    for (const client of clients) client.destroy();
    if (dynamo) {
      status('stopping DynamoDB Local');
      await dynamo.stop();
    }
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    process.off('exit', onExit);
  }
}

function parseOptions(args: string[]): Options {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: { count: { type: 'string' }, 'load-concurrency': { type: 'string' }, 'scan-runs': { type: 'string' }, json: { type: 'boolean', default: false } },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const count = positiveInt('--count', values.count, DEFAULT_COUNT);
  if (count < 100) throw new UsageError('--count must be at least 100 (1% of it is due).');
  const scanRuns = positiveInt('--scan-runs', values['scan-runs'], FIND_RUNS);
  if (scanRuns > FIND_RUNS) throw new UsageError(`--scan-runs must be at most ${FIND_RUNS} (one per index find).`);
  return { count, loadConcurrency: positiveInt('--load-concurrency', values['load-concurrency'], DEFAULT_LOAD_CONCURRENCY), scanRuns, json: values.json };
}

function positiveInt(flag: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw.replaceAll('_', ''));
  if (!Number.isSafeInteger(n) || n <= 0) throw new UsageError(`${flag} must be a positive integer, got "${raw}".`);
  return n;
}

function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : 143;
}

async function measure(options: Options, endpoint: string, loader: DocumentClient, clients: { destroy(): void }[]): Promise<SweepBenchResult> {
  const { count } = options;

  // --- Load ------------------------------------------------------------------------------
  const plan = planKinds(count);
  const tally = (k: Kind) => plan.filter((kind) => kind === k).length;
  const expected = { expire: tally(Kind.DueExpire), mark: tally(Kind.DueMark), later: tally(Kind.Later), flagged: tally(Kind.FlaggedLater) };
  const dueTotal = expected.expire + expected.mark;
  const expectedDueIds = new Set<string>();
  plan.forEach((kind, i) => (kind === Kind.DueExpire || kind === Kind.DueMark) && expectedDueIds.add(certificateId(i)));

  // Every certificate is written "now": the due ones (due in the past) are filed under today,
  // at the load's start, which is before any sweep's `now` below.
  const loadedAt = Date.now();
  status(`loading ${formatInt(count)} certificates (${formatInt(dueTotal)} due) with ${options.loadConcurrency} batch writes in flight`);
  const loadStarted = performance.now();
  const { unprocessedRetries } = await load(loader, plan, loadedAt, options.loadConcurrency);
  const loadMs = performance.now() - loadStarted;
  status(`loaded in ${formatMs(loadMs)} (${formatInt(count / (loadMs / 1000))} items/s, ${unprocessedRetries} UnprocessedItems retries)`);

  // --- The measured clients, metered: the production configuration for the index find and
  // the sweep; the same with a long request timeout for the Scan baseline.
  const db = createDocumentClient({ region: 'local', endpoint });
  const scanDb = benchClient(endpoint, { maxAttempts: 3, requestTimeout: 300_000 });
  clients.push(db, scanDb);
  const meter = attachMeter(db);
  const scanMeter = attachMeter(scanDb);
  const sweeps = new DynamoSweepStore(db, TABLE_NAME);

  // --- Find the due set both ways, before anything changes --------------------------------
  const indexRuns: FindRun[] = [];
  const scanRuns: FindRun[] = [];
  for (let run = 1; run <= FIND_RUNS; run++) {
    // Alternating, so neither side gets all the warm-up or all the garbage collection.
    const index = await timed(meter, () => indexFind(sweeps, new Date()));
    assertSameIds(`index find run ${run}`, index.ids, expectedDueIds);
    indexRuns.push(index.run);
    status(`index find ${run}/${FIND_RUNS}: ${formatMs(index.run.ms)}, ${formatInt(index.run.itemsRead)} items read, ${formatInt(index.run.due)} due`);

    if (run > options.scanRuns) continue;
    const scan = await timed(scanMeter, () => scanFind(scanDb, new Date()));
    assertSameIds(`Scan find run ${run}`, scan.ids, index.ids);
    scanRuns.push(scan.run);
    status(`Scan find ${run}/${options.scanRuns}: ${formatMs(scan.run.ms)}, ${formatInt(scan.run.itemsRead)} items read, ${formatInt(scan.run.due)} due`);
  }

  // --- The real sweep ---------------------------------------------------------------------
  status('running the real sweep (runSweep)');
  let warnings = 0;
  const deps: SweepDeps = {
    sweeps,
    certificates: new DynamoCertificateStore(db, TABLE_NAME),
    revocations: new DynamoRevocationStore(db, TABLE_NAME),
    reissues: new DynamoReissueStore(db, TABLE_NAME),
    // The table holds no revocations, so the sweep never closes an upload slot and never
    // touches S3: a stub stands in for the letter store, and fails loudly if that changes.
    letters: {
      headUpload: () => Promise.reject(new Error('bench: no letter store (the bench table holds no revocations)')),
      renotifyUpload: () => Promise.reject(new Error('bench: no letter store (the bench table holds no revocations)')),
    },
    clock: () => new Date(),
    log: {
      info: () => undefined,
      warn: (message, detail) => {
        warnings++;
        if (warnings <= 5) status(`sweep warning: ${message} ${JSON.stringify(detail)}`);
      },
    },
  };
  const before = meter.snapshot();
  const report = await runSweep(deps, { remainingMs: () => REMAINING_MS });
  const sweepMeter = meter.since(before);
  status(`sweep finished in ${formatMs(report.durationMs)}: expired ${report.expired}, to_be_renewed ${report.toBeRenewed}, failures ${report.failures}`);

  // --- What the table holds afterwards ----------------------------------------------------
  status('checking the table after the sweep');
  const dueByIndex = (await indexFind(sweeps, new Date())).ids.size;
  const { changed, unchanged } = await dueCertificatesAfter(loader, plan);
  const after = { dueByIndex, dueCertificatesChanged: changed };

  const sweepReadRatio = report.itemsRead / dueTotal;
  const indexMedian = median(indexRuns.map((r) => r.ms));
  const scanMedian = median(scanRuns.map((r) => r.ms));
  const sweepSpeedupVsScan = scanMedian / indexMedian;
  const goals = {
    sweepReadRatio: { value: sweepReadRatio, goal: `≤ ${GOALS.sweepReadRatio}`, pass: sweepReadRatio <= GOALS.sweepReadRatio },
    sweepSpeedupVsScan: { value: sweepSpeedupVsScan, goal: `≥ ${GOALS.sweepSpeedupVsScan}`, pass: sweepSpeedupVsScan >= GOALS.sweepSpeedupVsScan },
  };
  const check = (name: string, pass: boolean, detail: string) => ({ name, pass, detail });
  const checks = [
    check('index and Scan find the same due set', true, `${formatInt(dueTotal)} ids, every run (asserted before the sweep)`),
    check('middleware count = report.itemsRead', sweepMeter.items === report.itemsRead, `${formatInt(sweepMeter.items)} vs ${formatInt(report.itemsRead)}`),
    check('sweep completed without failures', report.complete && report.failures === 0 && warnings === 0, `complete=${report.complete}, failures=${report.failures}, warnings=${warnings}`),
    check('effects = due', report.expired === expected.expire && report.toBeRenewed === expected.mark, `expired ${report.expired}/${expected.expire}, to_be_renewed ${report.toBeRenewed}/${expected.mark}`),
    check('one write per due item, none other', sweepMeter.calls.TransactWriteItems === dueTotal, `${formatInt(sweepMeter.calls.TransactWriteItems ?? 0)} TransactWriteItems for ${formatInt(dueTotal)} due`),
    check('nothing left due in the index', after.dueByIndex === 0, `${after.dueByIndex} left`),
    check('each due certificate changed once', changed === dueTotal, `${formatInt(changed)}/${formatInt(dueTotal)} at version 2 with their effect${unchanged.length ? ` (not: ${unchanged.slice(0, 3).join(', ')})` : ''}`),
  ];

  const summarize = (runs: FindRun[]) => ({ medianMs: median(runs.map((r) => r.ms)), runs, itemsRead: runs[0]!.itemsRead, requests: runs[0]!.requests });
  return {
    certificates: count,
    due: { total: dueTotal, expire: expected.expire, markToBeRenewed: expected.mark },
    notDue: { later: expected.later, flaggedLater: expected.flagged },
    load: { ms: Math.round(loadMs), itemsPerSecond: Math.round(count / (loadMs / 1000)), concurrency: options.loadConcurrency, unprocessedRetries },
    indexFind: summarize(indexRuns),
    scanFind: summarize(scanRuns),
    sweep: { durationMs: report.durationMs, itemsRead: report.itemsRead, itemsReturnedByDynamo: sweepMeter.items, requests: sweepMeter.calls, report },
    afterSweep: after,
    goals,
    checks,
    pass: goals.sweepReadRatio.pass && goals.sweepSpeedupVsScan.pass && checks.every((c) => c.pass),
  };
}

// --- Data ----------------------------------------------------------------------------------

/** The kind of every certificate, shuffled: exactly 1% due (half expire, half mark). */
function planKinds(count: number): Kind[] {
  const due = Math.round(count / 100);
  const expire = Math.ceil(due / 2);
  const flagged = Math.round((count - due) * FLAGGED_SHARE);
  const kinds: Kind[] = Array.from({ length: count }, (_, i) => (i < expire ? Kind.DueExpire : i < due ? Kind.DueMark : i < due + flagged ? Kind.FlaggedLater : Kind.Later));
  const random = mulberry32(SEED);
  for (let i = kinds.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [kinds[i], kinds[j]] = [kinds[j]!, kinds[i]!];
  }
  return kinds;
}

function certificateId(i: number): string {
  return `cert-bench-${String(i).padStart(7, '0')}`;
}

/** A stored platform certificate (the shape of test/fixtures/stored-certificates.ts), issued. */
function certificate(i: number, kind: Kind, loadedAt: number, random: () => number): Certificate {
  const between = (fromDays: number, toDays: number) => loadedAt + (fromDays + random() * (toDays - fromDays)) * DAY_MS;
  const notAfterMs =
    kind === Kind.DueExpire ? between(-90, -1 / 24) : kind === Kind.DueMark ? between(1, 29) : kind === Kind.FlaggedLater ? between(2, 29) : between(60, 400);
  const renewalStatus = kind === Kind.FlaggedLater || (kind === Kind.DueExpire && random() < 0.5) ? 'to_be_renewed' : 'none';
  const issuedAt = new Date(notAfterMs - 365 * DAY_MS).toISOString();
  const account = `acct-bench-${String(i % 5_000).padStart(4, '0')}`;
  return {
    id: certificateId(i),
    source: 'platform',
    brand: 'GeoTrust',
    algorithm: 'international',
    productType: 'DV',
    free: false,
    wildcard: false,
    validityYears: 1,
    domainValidation: 'dns',
    dnsHostedHere: false,
    issuedAt,
    notAfter: new Date(notAfterMs).toISOString(),
    status: 'issued',
    renewalStatus,
    domainStatus: 'active',
    account,
    domain: `host-${i}.${account}.example.com`,
    sans: [],
    notBefore: issuedAt,
    serialNumber: (0x1000_0000_0000 + i).toString(16).toUpperCase().padStart(32, '0'),
    reissuesInOrder: 0,
    version: 1,
    createdAt: issuedAt,
    // Close to the load: a due certificate is filed under max(dueAt, updatedAt) = the load's day.
    updatedAt: new Date(loadedAt).toISOString(),
  };
}

/** Small, seeded, good enough for test data. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * A client like `createDocumentClient`'s (same marshalling) with other retries and timeouts: for
 * the loader, and for the Scan baseline, whose 1 MB pages take DynamoDB Local longer than the
 * production 3 s request timeout on a large table.
 */
function benchClient(endpoint: string, options: { maxAttempts: number; requestTimeout: number }): DocumentClient {
  return createDocumentClient({ region: 'local', endpoint, maxAttempts: options.maxAttempts, requestTimeoutMs: options.requestTimeout });
}

type WriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];
const MAX_UNPROCESSED_ATTEMPTS = 10;

/** BatchWrites of 25, `concurrency` in flight; UnprocessedItems are retried with jittered backoff. */
async function load(db: DocumentClient, plan: readonly Kind[], loadedAt: number, concurrency: number): Promise<{ unprocessedRetries: number }> {
  const bar = progress('load', plan.length);
  const random = mulberry32(SEED + 1);
  const batches = Math.ceil(plan.length / BATCH_SIZE);
  let nextBatch = 0;
  let written = 0;
  let unprocessedRetries = 0;
  const worker = async () => {
    while (nextBatch < batches) {
      // Built synchronously as the batch is claimed, so the data is the same on every run.
      const first = nextBatch++ * BATCH_SIZE;
      let requests: WriteRequests = [];
      for (let i = first; i < Math.min(first + BATCH_SIZE, plan.length); i++) requests.push({ PutRequest: { Item: certificateItem(certificate(i, plan[i]!, loadedAt, random)) } });
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > 1) {
          if (attempt > MAX_UNPROCESSED_ATTEMPTS) throw new Error(`BatchWrite left ${requests.length} items unprocessed after ${MAX_UNPROCESSED_ATTEMPTS} attempts`);
          unprocessedRetries++;
          await sleep(Math.random() * Math.min(2_000, 50 * 2 ** attempt));
        }
        const { UnprocessedItems } = await db.send(new BatchWriteCommand({ RequestItems: { [TABLE_NAME]: requests } }));
        const left: WriteRequests = UnprocessedItems?.[TABLE_NAME] ?? [];
        written += requests.length - left.length;
        bar.update(written);
        requests = left;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, batches) }, worker));
  bar.finish();
  return { unprocessedRetries };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// --- Metering ------------------------------------------------------------------------------

interface MeterReading {
  /** Items returned by Query and Scan. */
  items: number;
  calls: Record<string, number>;
}

/**
 * Counts what DynamoDB returns to the client: each call once, after its retries, as the
 * client's `observe` hears it.
 */
function attachMeter(db: DocumentClient): { snapshot(): MeterReading; since(before: MeterReading): MeterReading } {
  const total: MeterReading = { items: 0, calls: {} };
  db.observe((operation, output) => {
    total.calls[operation] = (total.calls[operation] ?? 0) + 1;
    if (operation === 'Query' || operation === 'Scan') total.items += (output.Items as unknown[] | undefined)?.length ?? 0;
  });
  const snapshot = () => ({ items: total.items, calls: { ...total.calls } });
  return {
    snapshot,
    since(before) {
      const now = snapshot();
      const calls = Object.fromEntries(Object.entries(now.calls).map(([k, v]) => [k, v - (before.calls[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
      return { items: now.items - before.items, calls };
    },
  };
}

async function timed(meter: ReturnType<typeof attachMeter>, find: () => Promise<{ ids: Set<string>; pageMs?: number[] }>): Promise<{ run: FindRun; ids: Set<string> }> {
  const before = meter.snapshot();
  const started = performance.now();
  const { ids, pageMs } = await find();
  const ms = performance.now() - started;
  const used = meter.since(before);
  const run: FindRun = { ms: round(ms), itemsRead: used.items, requests: Object.values(used.calls).reduce((a, b) => a + b, 0), due: ids.size };
  if (pageMs?.length) run.pageMs = { first: round(pageMs[0]!), last: round(pageMs.at(-1)!), max: round(Math.max(...pageMs)) };
  return { ids, run };
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

// --- The two ways of finding what is due ---------------------------------------------------

/** The sweep's reads: each day from the first sweep's look-back to today, only up to `now`, paged as the sweep pages. */
async function indexFind(sweeps: DynamoSweepStore, now: Date): Promise<{ ids: Set<string> }> {
  const due = new Set<string>();
  for (let day = dayOf(new Date(now.getTime() - FIRST_SWEEP_LOOKBACK_DAYS * DAY_MS)); day <= dayOf(now); day = nextDay(day)) {
    let cursor: string | undefined;
    do {
      const page = await sweeps.duePage(day, now, SWEEP_PAGE_SIZE, cursor);
      for (const item of page.items) if (item.kind === 'certificate' && classifyForSweep(item.certificate, now)) due.add(item.certificate.id);
      cursor = page.nextCursor;
    } while (cursor);
  }
  return { ids: due };
}

/** The naive way: Scan the whole table, page after page (no parallel segments), and classify every certificate. */
async function scanFind(db: DocumentClient, now: Date): Promise<{ ids: Set<string>; pageMs: number[] }> {
  const due = new Set<string>();
  const pageMs: number[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const pageStarted = performance.now();
    const page = await db.send(new ScanCommand({ TableName: TABLE_NAME, ExclusiveStartKey: startKey }));
    pageMs.push(performance.now() - pageStarted);
    for (const item of page.Items ?? []) {
      if (item.kind !== 'certificate') continue;
      const c = fromItem<Certificate>(item);
      if (classifyForSweep(c, now)) due.add(c.id);
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return { ids: due, pageMs };
}

function assertSameIds(what: string, found: Set<string>, expected: Set<string>): void {
  const missing = [...expected].filter((id) => !found.has(id));
  const extra = [...found].filter((id) => !expected.has(id));
  if (missing.length || extra.length)
    throw new Error(`${what} found ${found.size} due, expected ${expected.size} (missing ${missing.slice(0, 3).join(', ') || '-'}; extra ${extra.slice(0, 3).join(', ') || '-'})`);
}

/**
 * The due certificates as they are after the sweep (BatchGet, not measured): how many carry the
 * effect their kind calls for, at version 2 (written exactly once).
 */
async function dueCertificatesAfter(db: DocumentClient, plan: readonly Kind[]): Promise<{ changed: number; unchanged: string[] }> {
  const wanted = new Map<string, Kind>();
  plan.forEach((kind, i) => (kind === Kind.DueExpire || kind === Kind.DueMark) && wanted.set(certificateId(i), kind));
  const ids = [...wanted.keys()];
  let changed = 0;
  const unchanged: string[] = [];
  for (let i = 0; i < ids.length; i += 100) {
    let pending: Record<string, unknown>[] = ids.slice(i, i + 100).map((id) => keys.certificate(id));
    for (let attempt = 1; pending.length > 0; attempt++) {
      if (attempt > MAX_UNPROCESSED_ATTEMPTS) throw new Error(`BatchGet left ${pending.length} keys unprocessed`);
      if (attempt > 1) await sleep(Math.random() * Math.min(2_000, 50 * 2 ** attempt));
      const { Responses, UnprocessedKeys } = await db.send(new BatchGetCommand({ RequestItems: { [TABLE_NAME]: { Keys: pending, ConsistentRead: true } } }));
      for (const item of Responses?.[TABLE_NAME] ?? []) {
        const c = fromItem<Certificate>(item);
        const ok = c.version === 2 && (wanted.get(c.id) === Kind.DueExpire ? c.status === 'expired' : c.status === 'issued' && c.renewalStatus === 'to_be_renewed');
        if (ok) changed++;
        else unchanged.push(c.id);
      }
      pending = UnprocessedKeys?.[TABLE_NAME]?.Keys ?? [];
    }
  }
  return { changed, unchanged };
}

// --- Output --------------------------------------------------------------------------------

function scanPages(runs: FindRun[]): string {
  const pages = runs.map((x) => x.pageMs).filter((p) => p !== undefined);
  if (pages.length === 0) return '';
  const fmt = (pick: (p: NonNullable<FindRun['pageMs']>) => number) => pages.map((p) => formatMs(pick(p))).join(' / ');
  return `Scan page time per run: first ${fmt((p) => p.first)}; last ${fmt((p) => p.last)}; slowest ${fmt((p) => p.max)}`;
}

function render(r: SweepBenchResult): string {
  const s = r.sweep;
  const requests = Object.entries(s.requests)
    .map(([k, v]) => `${k} ${formatInt(v)}`)
    .join(', ');
  const runs = (find: { runs: FindRun[] }) => find.runs.map((x) => formatMs(x.ms)).join(' / ');
  const lines = [
    `sweep bench — ${formatInt(r.certificates)} certificates, ${formatInt(r.due.total)} due (${formatInt(r.due.expire)} expire, ${formatInt(r.due.markToBeRenewed)} mark to_be_renewed); ` +
      `not due: ${formatInt(r.notDue.later)} later, ${formatInt(r.notDue.flaggedLater)} already to_be_renewed`,
    `load: ${formatMs(r.load.ms)} (${formatInt(r.load.itemsPerSecond)} items/s, ${r.load.concurrency} batch writes in flight, ${r.load.unprocessedRetries} UnprocessedItems retries)`,
    '',
    table([
      ['', 'index find', 'Scan find', 'real sweep'],
      ['due found / acted on', formatInt(r.indexFind.runs[0]!.due), formatInt(r.scanFind.runs[0]!.due), formatInt(s.report.expired + s.report.toBeRenewed)],
      ['items read (report.itemsRead)', '—', '—', formatInt(s.itemsRead)],
      ['items returned by DynamoDB (Query+Scan)', formatInt(r.indexFind.itemsRead), formatInt(r.scanFind.itemsRead), formatInt(s.itemsReturnedByDynamo)],
      ['DynamoDB requests', formatInt(r.indexFind.requests), formatInt(r.scanFind.requests), formatInt(Object.values(s.requests).reduce((a, b) => a + b, 0))],
      [`time (find: median of ${FIND_RUNS}; Scan of ${r.scanFind.runs.length})`, formatMs(r.indexFind.medianMs), formatMs(r.scanFind.medianMs), formatMs(s.durationMs)],
      ['  runs', runs(r.indexFind), runs(r.scanFind), ''],
    ]),
    scanPages(r.scanFind.runs),
    '',
    `real sweep: expired ${formatInt(s.report.expired)}, to_be_renewed ${formatInt(s.report.toBeRenewed)}, failures ${s.report.failures}, complete ${s.report.complete ? 'yes' : 'no'}; requests: ${requests}`,
    '',
    table(
      [
        ['goal', 'value', 'target', 'result'],
        ['sweepReadRatio (sweep itemsRead ÷ due)', r.goals.sweepReadRatio.value.toFixed(3), r.goals.sweepReadRatio.goal, r.goals.sweepReadRatio.pass ? 'PASS' : 'FAIL'],
        [
          'sweepSpeedupVsScan (Scan find ÷ index find)',
          `${r.goals.sweepSpeedupVsScan.value.toFixed(1)}×`,
          r.goals.sweepSpeedupVsScan.goal,
          r.goals.sweepSpeedupVsScan.pass ? 'PASS' : 'FAIL',
        ],
      ],
      (c) => c === 1,
    ),
    '',
    'checks:',
    ...r.checks.map((c) => `  ${c.pass ? 'ok  ' : 'FAIL'}  ${c.name}: ${c.detail}`),
    '',
    r.pass ? 'sweep bench: PASS' : 'sweep bench: FAIL',
  ];
  return lines.join('\n');
}
