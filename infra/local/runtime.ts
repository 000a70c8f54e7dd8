import { existsSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { link, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ensureTable, startDynamoLocal } from './dynamodb-local.js';
import { buildConsole, consoleCsp } from '../console-build.js';
import { createGateway, startingServer, type ConsoleSite, type RateLimit } from './gateway.js';
import { LETTER_BUCKETS, startS3 } from './s3.js';
import { DEMO_USERS, demoCertificates } from './seed.js';
import { LocalTokens } from './tokens.js';
import { startLocalWorkflows } from './workflows.js';
import { createLetterQueue } from './letter-queue.js';
import { PUBLISH_EVERY_MS } from '../../lib/adapters/embedded-ca.js';
import { sharedDnsZone, startDnsServer } from '../../lib/adapters/in-memory-dns-zone.js';

export interface RuntimeOptions {
  port: number;
  /** Data folder kept between runs (DynamoDB, S3, CA key, JWT key). Ignored when `inMemory`. */
  dataDir: string;
  inMemory: boolean;
  seed: boolean;
  /** Below 1, time runs faster: waits, timeouts and the service clock alike (0.0001: 3 days ≈ 26 s). */
  timeScale: number;
  /** Seconds of service time between sweeps (scaled like every other wait); default hourly. */
  sweepEverySeconds?: number;
  log: (line: string) => void;
}

export interface LocalRuntime {
  url: string;
  tokens: { role: string; sub: string; account: string; token: string }[];
  seeded: number;
  /** State transitions of a local workflow execution so far, as AWS bills them (one per state entered or retried). */
  transitions: (executionArn: string) => number;
  stop: () => Promise<void>;
}

export const TABLE_NAME = 'certrevoke';

/**
 * Starts the whole service on one machine: DynamoDB Local, s3rver and the HTTP gateway calling
 * the same handlers Lambda runs, configured through the same environment variables.
 */
export async function startLocalRuntime(options: RuntimeOptions): Promise<LocalRuntime> {
  const started = Date.now();
  // Read first: a malformed limit stops the start before anything is running.
  const rateLimit = rateLimitFromEnv();
  // Lambda runs nodejs22.x; the SDK's "Node 20 support ends" notice is noise for the local runtime.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const stops: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => undefined);
  };
  try {
    const dataDir = options.inMemory ? await mkdtemp(join(tmpdir(), 'certrevoke-')) : resolve(options.dataDir);
    if (options.inMemory) stops.push(() => rm(dataDir, { recursive: true, force: true }));
    await mkdir(dataDir, { recursive: true });
    if (!options.inMemory) stops.push(await takeLock(dataDir, options.port));
    const server = startingServer();
    await listen(server, options.port);
    let closing: Promise<void> | undefined;
    const closeGateway = () => (closing ??= new Promise<void>((r) => server.close(() => r())));
    stops.push(closeGateway);
    const fresh = options.inMemory || !existsSync(join(dataDir, 'dynamodb'));

    options.log('starting DynamoDB Local and s3rver …');
    const letters = createLetterQueue({ intakeBucket: LETTER_BUCKETS[0], log: options.log });
    const phase = (name: string) => options.log(`${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    const dynamoDir = join(dataDir, 'dynamodb');
    if (!options.inMemory) await mkdir(dynamoDir, { recursive: true });
    const [dynamo, s3, dns] = await Promise.all([
      startDynamoLocal({ dataDir: options.inMemory ? undefined : dynamoDir }),
      startS3({ dir: join(dataDir, 's3'), onEvent: (n) => letters.onEvent(n) }),
      startDnsServer(sharedDnsZone, { port: 0, address: '127.0.0.1' }),
    ]);
    stops.push(dynamo.stop, s3.stop, dns.stop);
    const workflows = await startLocalWorkflows({ timeScale: options.timeScale });
    stops.push(workflows.stop);
    await ensureTable(dynamo.endpoint, TABLE_NAME);
    phase('DynamoDB Local and s3rver are up');

    Object.assign(process.env, {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      POWERTOOLS_LOG_LEVEL: process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
      // CloudWatch reads metrics from EMF lines on stdout; here they would only be noise.
      POWERTOOLS_METRICS_DISABLED: process.env.POWERTOOLS_METRICS_DISABLED ?? 'true',
      TABLE_NAME,
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      S3_ENDPOINT: s3.endpoint,
      INTAKE_BUCKET: LETTER_BUCKETS[0],
      EVIDENCE_BUCKET: LETTER_BUCKETS[1],
      CA_KEY_DIR: join(dataDir, 'ca'),
      SFN_ENDPOINT: workflows.endpoint,
      REVOCATION_STATE_MACHINE_ARN: workflows.revocationStateMachineArn,
      REISSUE_STATE_MACHINE_ARN: workflows.reissueStateMachineArn,
      KEY_VAULT_DIR: join(dataDir, 'keys', 'vault'),
      DNS_RESOLVERS: `127.0.0.1:${dns.port}`,
      DNS_PROVIDER: 'in-memory',
      VALIDATION_POLL_SECONDS: process.env.VALIDATION_POLL_SECONDS ?? '30',
      TIME_SCALE: String(options.timeScale),
    });

    await publishCa();
    const tokens = await LocalTokens.open(options.inMemory ? undefined : join(dataDir, 'keys'));
    const seeded = fresh && options.seed ? await seedDemoData(options.log) : 0;

    const resumed = await resumeRevocations();
    if (resumed > 0) options.log(`resumed ${resumed} request(s) still in flight`);
    const reconciled = await reconcileLetters();
    if (reconciled > 0) options.log(`processed ${reconciled} letter upload(s) that arrived while stopped`);

    stops.push(startSweepTimer(options), startCaPublishTimer(options));

    createGateway({ tokens, dnsZone: sharedDnsZone, console: localConsole(s3.endpoint), rateLimit, server });
    // Once serving, the gateway closes first on stop, before what it calls.
    stops.push(closeGateway);
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : options.port;
    const url = `http://127.0.0.1:${port}`;
    const minted = await Promise.all(
      DEMO_USERS.map(async (u) => ({ role: u.role, sub: u.sub, account: u.account, token: await tokens.mint({ sub: u.sub, account: u.account, roles: [...u.roles] }) })),
    );
    options.log(`ready in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return { url, tokens: minted, seeded, transitions: (arn) => workflows.transitions(arn), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Per-account limit of the local gateway (HTTP APIs throttle per route, never per client, so
 * the per-account limit is the service's): `RATE_LIMIT_PER_SECOND` (default 20) refills a
 * bucket of `RATE_LIMIT_BURST` (default 40) requests. A malformed value stops the start.
 */
function rateLimitFromEnv(): RateLimit {
  const read = (name: string, fallback: number) => {
    const raw = process.env[name];
    const value = raw === undefined || raw === '' ? fallback : Number(raw);
    if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number; got ${raw}.`);
    return value;
  };
  const limit = { perSecond: read('RATE_LIMIT_PER_SECOND', 20), burst: read('RATE_LIMIT_BURST', 40) };
  if (limit.burst < 1) throw new Error(`RATE_LIMIT_BURST must be at least 1; got ${limit.burst}.`);
  return limit;
}

/**
 * The web console as the gateway serves it at `/`: built now (about 0.1 s), the API on the same
 * origin, the demo users to sign in as, and a CSP that lets it reach only the API and s3rver.
 */
function localConsole(s3Endpoint: string): ConsoleSite {
  return {
    files: buildConsole(),
    config: { apiUrl: '', local: { users: DEMO_USERS.map((u) => ({ label: u.role, sub: u.sub, account: u.account, roles: [...u.roles] })) } },
    csp: consoleCsp({ api: "'self'", uploads: s3Endpoint }),
  };
}

/** Workflows live in this process: every request still in flight in DynamoDB is resumed from its state. */
async function resumeRevocations(): Promise<number> {
  const { startWorkflow } = await import('../../lib/app/revocations.js');
  const { revocationDeps } = await import('../../lib/root.js');
  const deps = revocationDeps();
  const active = await deps.revocations.active();
  for (const revocation of active) await startWorkflow(deps, revocation);
  const { reissueStore } = await import('../../lib/root.js');
  const reissues = await reissueStore().active();
  for (const reissue of reissues) await deps.workflows.startReissue(reissue).catch(() => undefined);
  return active.length + reissues.length;
}

/** Local stand-in for the hourly EventBridge schedule of the sweep. */
function startSweepTimer(options: RuntimeOptions): () => Promise<void> {
  return startSchedule(options, (options.sweepEverySeconds ?? 3600) * 1000, 'sweep', async () => {
    const { runSweep } = await import('../../lib/app/sweeps.js');
    const { sweepDeps } = await import('../../lib/root.js');
    const r = await runSweep(sweepDeps(), { remainingMs: () => 5 * 60_000 });
    const changed = r.expired + r.toBeRenewed + r.validationsExpired + r.slotsClosed + r.locksFreed + r.uploadsRenotified;
    if (changed > 0 || r.failures > 0) {
      options.log(
        `sweep: ${r.expired} expired, ${r.toBeRenewed} to be renewed, ${r.validationsExpired} validations expired, ${r.slotsClosed} slots closed, ${r.locksFreed} locks freed` +
          `${r.failures > 0 ? `, ${r.failures} failed (retried next sweep)` : ''} (${r.itemsRead} read, ${r.durationMs} ms)`,
      );
    }
  });
}

/** What CaPublisher's trigger does at deployment: the public CA routes serve only what is published. */
async function publishCa(): Promise<void> {
  const { publishCa } = await import('../../functions/publish-ca.js');
  await publishCa();
}

/** Local stand-in for CaPublisher's schedule, which re-signs the CRL before it goes stale. */
function startCaPublishTimer(options: RuntimeOptions): () => Promise<void> {
  return startSchedule(options, PUBLISH_EVERY_MS, 'publishing the CA', publishCa);
}

/** Runs `run` every `everyMs` of service time (scaled); a run still going is never started twice. */
function startSchedule(options: RuntimeOptions, everyMs: number, name: string, run: () => Promise<void>): () => Promise<void> {
  // Node runs a timer longer than 2^31-1 ms every millisecond instead: clamp to the longest it keeps (~24.8 days).
  const delayMs = Math.min(2 ** 31 - 1, Math.max(1000, everyMs * options.timeScale));
  let running: Promise<void> | undefined;
  const timer = setInterval(() => {
    running ??= run()
      .catch((error: unknown) => options.log(`${name} failed: ${(error as Error).message}`))
      .finally(() => (running = undefined));
  }, delayMs);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await running;
  };
}

/** Uploads made while the runtime was down raised no event here: decide them now. */
async function reconcileLetters(): Promise<number> {
  const { reconcileUploads } = await import('../../lib/app/letters.js');
  const { letterProcessingDeps } = await import('../../lib/root.js');
  const counts = await reconcileUploads(letterProcessingDeps(), 0);
  return counts.accepted + counts.rejected + counts.ignored;
}

/** Seeds through the same use case the operator route calls, so demo data obeys every rule. */
async function seedDemoData(log: (line: string) => void): Promise<number> {
  const { registerCertificate } = await import('../../lib/app/certificates.js');
  const { certificateDeps } = await import('../../lib/root.js');
  const operator = { sub: 'seed', account: 'certrevoke', roles: ['operator' as const] };
  const inputs = demoCertificates(new Date());
  for (const input of inputs) await registerCertificate(certificateDeps(), operator, input);
  log(`seeded ${inputs.length} demo certificates`);
  return inputs.length;
}

/**
 * One runtime per data folder: a second `npm start` fails with a clear message. A lock left by a
 * run that was killed (its pid gone, or the pid now ours) is taken over.
 */
async function takeLock(dataDir: string, port: number): Promise<() => Promise<void>> {
  const file = join(dataDir, 'runtime.lock');
  for (let attempt = 0; attempt < 2; attempt++) {
    // Written whole, then linked into place: link fails if the lock exists, and no reader ever
    // sees a half-written lock (a kill between create and write used to leave an empty one that
    // no later start could parse).
    const draft = `${file}.${process.pid}.${randomUUID()}`;
    await writeFile(draft, JSON.stringify({ pid: process.pid, port }));
    try {
      await link(draft, file);
      return () => rm(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holder = lockHolder(await readFile(file, 'utf8').catch(() => ''));
      // After a restart (a container's, say) our pid may be the one a killed run recorded.
      if (holder.pid && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new Error(`certrevoke is already running (pid ${holder.pid}, http://127.0.0.1:${holder.port}) with data folder ${dataDir}. Stop it first (Ctrl-C in its terminal).`);
      }
      await rm(file, { force: true }); // left behind by a run that was killed
    } finally {
      await rm(draft, { force: true });
    }
  }
  throw new Error(`Could not take the lock ${file}.`);
}

/** The lock's holder; an unreadable lock (older runs wrote it in two steps) names nobody. */
function lockHolder(text: string): { pid?: number; port?: number } {
  try {
    const parsed = JSON.parse(text) as unknown;
    return parsed && typeof parsed === 'object' ? (parsed as { pid?: number; port?: number }) : {};
  } catch {
    return {};
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new Error(`Port ${port} is in use: is certrevoke already running? Set PORT to use another port.`) : error),
    );
    server.listen(port, '127.0.0.1', () => resolvePromise());
  });
}
