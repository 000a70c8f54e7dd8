import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DynamoRevocationStore } from '../../lib/adapters/dynamo-revocation-store.js';
import type { Revocation } from '../../lib/app/model.js';
import type { Workflows } from '../../lib/app/ports.js';
import { awaitCallback, type StepDeps } from '../../lib/app/revocation-steps.js';
import { createTestTable } from '../support/dynamo.js';
import { eventually, mintToken, registrationBody, uploadToSlot, type Json, type RuntimeProcess } from '../support/local-runtime.js';
import { jpegLetter } from '../fixtures/letters.js';
import {
  canonicalSerial,
  crlSerials,
  dynamoOf,
  Exposure,
  isGone,
  processes,
  secretsOf,
  storedRevocation,
  storedTaskTokens,
  type FaultRuntimeOptions,
} from './support/faults-runtime.js';

/**
 * Faults, end to end through the local runtime (`npm start`'s entry point as a child process,
 * its DynamoDB Local a grandchild): the runtime SIGKILLed with requests in flight on every route
 * and restarted on its data folder; DynamoDB Local dying under a running runtime; workflow tasks
 * that throw (CERTREVOKE_FAULTS, read by the local runtime only); callbacks on tokens whose task
 * has closed; and, over everything these runs replied and logged at DEBUG level, no task token,
 * private key or CA key material.
 *
 * Time runs 100× faster in the runtimes: task retries take milliseconds, a 15-minute upload slot
 * lasts 9 s, and the 3-day validation deadline stays far away (43 min).
 */
const TIME_SCALE = 0.01;
const DAY = 86_400_000;

const exposure = new Exposure();
const tokensSeen = new Set<string>();
const dataDirs: string[] = [];
const runtimes: RuntimeProcess[] = [];

afterAll(async () => {
  for (const rt of runtimes) {
    if (rt.child.exitCode !== null || rt.child.signalCode !== null) continue;
    const stopped = rt.stop();
    const timer = setTimeout(() => rt.child.kill('SIGKILL'), 20_000);
    await stopped;
    clearTimeout(timer);
  }
  // Whatever this suite's runtimes started and left (a failed assertion midway): only ours, by pid.
  for (const p of processes()) if (dataDirs.some((dir) => p.args.includes(dir))) process.kill(p.pid, 'SIGKILL');
  for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
});

async function dataDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'certrevoke-faults-'));
  dataDirs.push(dir);
  return dir;
}

async function start(options: Omit<FaultRuntimeOptions, 'timeScale'>): Promise<RuntimeProcess> {
  const rt = await exposure.start({ ...options, timeScale: TIME_SCALE });
  runtimes.push(rt);
  return rt;
}

/** The task tokens stored in the runtime's DynamoDB right now join the leak check's needles. */
async function harvestTokens(rt: RuntimeProcess): Promise<void> {
  for (const token of await storedTaskTokens(dynamoOf(rt.child.pid!).endpoint)) tokensSeen.add(token);
}

/** The people of one test, with tokens from the runtime (signed by the data folder's key). */
async function people(rt: RuntimeProcess) {
  const account = `acct-${randomUUID()}`;
  const [operator, customer, reviewer, reviewer2] = await Promise.all([
    mintToken(rt.url, 'oscar', 'ops', ['operator']),
    mintToken(rt.url, `alice-${randomUUID()}`, account, ['customer']),
    mintToken(rt.url, 'rita', 'ops', ['reviewer']),
    mintToken(rt.url, 'ravi', 'ops', ['reviewer']),
  ]);
  return { account, operator, customer, reviewer, reviewer2 };
}
type People = Awaited<ReturnType<typeof people>>;

const AUTO = { brand: 'TrustAsia', wildcard: true, validityYears: 2, domainValidation: 'dns_auto', dnsHostedHere: true };
const REVIEW = { brand: 'WoTrus' };
const LETTER = { brand: 'DNSPod', algorithm: 'sm2', productType: 'OV', enterprise: { name: 'Acme Ltd' } };
const VALIDATION = {};

/** The API of one runtime as a given set of people use it; every reply is kept for the leak check. */
function client(rt: RuntimeProcess, p: People) {
  const call = (method: string, path: string, token?: string, body?: unknown) => exposure.call(rt.url, method, path, token, body);
  const api = {
    call,
    async register(overrides: Json): Promise<Json> {
      const res = await call('POST', '/admin/certificates', p.operator, registrationBody(p.account, { notAfter: new Date(Date.now() + 3 * 365 * DAY).toISOString(), ...overrides }));
      expect(res.status, res.text).toBe(201);
      return res.body.certificate as Json;
    },
    /** A certificate of the route's kind and a revocation of it, submitted by the customer. */
    async submitted(overrides: Json): Promise<{ cert: Json; id: string; revocation: Json }> {
      const cert = await api.register(overrides);
      const res = await call('POST', `/certificates/${cert.id}/revocations`, p.customer, { reason: 'fault suite', reasonCode: 'keyCompromise' });
      expect(res.status, res.text).toBe(202);
      return { cert, id: res.body.revocation.id as string, revocation: res.body.revocation as Json };
    },
    revocation: async (id: string) => (await call('GET', `/revocations/${id}`, p.customer)).body.revocation as Json,
    until: (id: string, done: (r: Json) => boolean, timeoutMs = 30_000) => eventually(() => api.revocation(id), (r) => r !== undefined && done(r), timeoutMs),
    /** Waits until the request is in the queue: its wait task has stored a token. */
    queued: (id: string) => eventually(() => call('GET', `/reviews/${id}`, p.reviewer), (r) => r.body.review?.queuedAt !== undefined, 30_000),
    decide: (id: string, decision: 'approve' | 'reject', reviewer = p.reviewer) =>
      call('POST', `/reviews/${id}/decision`, reviewer, decision === 'approve' ? { decision } : { decision, note: 'Seal missing' }),
    events: async (certificateId: string) => ((await call('GET', `/certificates/${certificateId}/events`, p.customer)).body.items as Json[]).map((e) => e.type as string),
    certificate: async (id: string) => (await call('GET', `/certificates/${id}`, p.customer)).body.certificate as Json,
    async crl(): Promise<string[]> {
      const res = await exposure.fetch(`${rt.url}/crl`);
      expect(res.headers.get('content-type')).toBe('application/pkix-crl');
      return crlSerials(await res.arrayBuffer());
    },
    async uploadLetter(id: string): Promise<void> {
      const slot = await call('POST', `/revocations/${id}/letter-upload`, p.customer);
      expect(slot.status, slot.text).toBe(201);
      expect(await uploadToSlot(slot.body, await jpegLetter(), 'letter.jpg')).toBeLessThan(300);
    },
    async publishDns(revocation: Json): Promise<void> {
      const { name, value } = revocation.validation.dns as { name: string; value: string };
      expect((await exposure.fetch(`${rt.url}/local/dns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, value }) })).status).toBe(204);
    },
  };
  return api;
}

const count = (items: string[], item: string) => items.filter((x) => x === item).length;

/** Exactly one CRL entry and one `revocation.revoked` event for the certificate, which is revoked. */
async function expectRevokedOnce(api: ReturnType<typeof client>, cert: Json, serials?: string[]): Promise<void> {
  expect((await api.certificate(cert.id as string)).status).toBe('revoked');
  expect(count(serials ?? (await api.crl()), canonicalSerial(cert.serialNumber as string))).toBe(1);
  const types = await api.events(cert.id as string);
  expect(count(types, 'revocation.revoked')).toBe(1);
  expect(types).not.toContain('revocation.failed');
}

describe('a runtime SIGKILLed with requests in flight, restarted on its data folder', () => {
  let dir: string;
  let p: People;
  let inFlight: Record<'auto' | 'approved' | 'review' | 'rejected' | 'letterUploaded' | 'letterAwaiting' | 'validation', { cert: Json; id: string; revocation: Json }>;
  let killedJava: number;

  it('leaves no DynamoDB Local (java) running when the runtime is SIGKILLed mid-workflow', async () => {
    dir = await dataDir();
    // Revoke and the letter processor hang in this run: the auto and the approved request are
    // killed inside their Revoke task, the uploaded letter before any processor decided it.
    const rt = await start({ dataDir: dir, faults: 'revocation-revoke:1000:hang,process-letter:1000:hang' });
    p = await people(rt);
    const api = client(rt, p);
    const [auto, approved, review, rejected, letterUploaded, letterAwaiting, validation] = await Promise.all(
      [AUTO, REVIEW, REVIEW, REVIEW, LETTER, LETTER, VALIDATION].map((route) => api.submitted(route)),
    );
    inFlight = { auto: auto!, approved: approved!, review: review!, rejected: rejected!, letterUploaded: letterUploaded!, letterAwaiting: letterAwaiting!, validation: validation! };
    const dynamo = dynamoOf(rt.child.pid!);

    await Promise.all([api.queued(review!.id), api.queued(rejected!.id), api.queued(approved!.id)]);
    expect((await api.decide(approved!.id, 'approve')).status).toBe(200);
    // Both letter requests wait with a stored token; one letter is in S3, undecided.
    for (const { id } of [letterUploaded!, letterAwaiting!]) await eventually(() => storedRevocation(dynamo.endpoint, id), (r) => typeof r?.taskToken === 'string');
    await api.uploadLetter(letterUploaded!.id);
    await api.until(validation!.id, (r) => r.validation.lastCheckedAt !== undefined);
    expect(rt.output()).toContain('CERTREVOKE_FAULTS: process-letter hangs');
    expect(rt.output()).toContain('CERTREVOKE_FAULTS: revocation-revoke hangs');
    for (const [route, expected] of [['auto', 'revoking'], ['approved', 'revoking'], ['review', 'pending_review'], ['letterUploaded', 'pending_letter'], ['validation', 'pending_validation']] as const) {
      expect((await api.revocation(inFlight[route].id)).status, route).toBe(expected);
    }
    await harvestTokens(rt);

    killedJava = dynamo.pid;
    const exited = new Promise((resolve) => rt.child.once('exit', resolve));
    rt.child.kill('SIGKILL');
    await exited;
    // Java does not die with its parent by itself: the runtime's watchdog must stop it.
    await eventually(async () => isGone(killedJava), (gone) => gone, 10_000);
    expect(existsSync(join(dir, 'runtime.lock'))).toBe(true);
  });

  it('starts again despite the stale lock and brings every request in flight to its end state', async () => {
    const rt = await start({ dataDir: dir });
    expect(rt.output()).toMatch(/resumed 7 request\(s\) still in flight/);
    expect(rt.output()).toMatch(/processed 1 letter upload\(s\) that arrived while stopped/);
    const api = client(rt, p);
    const { auto, approved, review, rejected, letterUploaded, letterAwaiting, validation } = inFlight;

    // The Revoke killed mid-flight runs again: auto and approved need nothing more.
    await Promise.all([api.until(auto.id, (r) => r.status === 'revoked'), api.until(approved.id, (r) => r.status === 'revoked')]);
    // The letter uploaded before the kill was decided by the reconciler; the other one is uploaded now.
    await api.until(letterUploaded.id, (r) => r.status === 'pending_review' && r.letter.status === 'accepted');
    await api.uploadLetter(letterAwaiting.id);
    await api.until(letterAwaiting.id, (r) => r.status === 'pending_review');
    // Reviews are decided on the tokens the resumed workflows stored.
    for (const { id } of [review, rejected, letterUploaded, letterAwaiting]) await api.queued(id);
    await harvestTokens(rt);
    for (const { id } of [review, letterUploaded, letterAwaiting]) expect((await api.decide(id, 'approve')).status).toBe(200);
    expect((await api.decide(rejected.id, 'reject')).status).toBe(200);
    // The DNS zone is the customer's: the record is published after the restart, and the resumed
    // validation loop finds it.
    await api.publishDns(validation.revocation);

    const revokedOnes = [auto, approved, review, letterUploaded, letterAwaiting, validation];
    await Promise.all(revokedOnes.map(({ id }) => api.until(id, (r) => r.status === 'revoked')));
    const failed = await api.until(rejected.id, (r) => r.status === 'failed');
    expect(failed.failureCode).toBe('REJECTED_BY_REVIEWER');
    expect((await api.certificate(rejected.cert.id as string)).status).toBe('issued');

    const serials = await api.crl();
    for (const { cert } of revokedOnes) await expectRevokedOnce(api, cert, serials);
    expect(serials).not.toContain(canonicalSerial(rejected.cert.serialNumber as string));
    for (const { cert } of [letterUploaded, letterAwaiting]) expect(count(await api.events(cert.id as string), 'letter.accepted')).toBe(1);
  });

  it('keeps a request in flight when DynamoDB Local dies under the running runtime, and a restart finishes it', async () => {
    // The runtime has one DynamoDB Local and does not restart it: the Java child is killed while
    // the validation loop polls (a check every 0.3 s), the runtime keeps serving errors, nothing
    // reaches DynamoDB to fail the request, and the next start resumes it.
    const rt = runtimes.at(-1)!;
    const api = client(rt, p);
    const validation = await api.submitted(VALIDATION);
    await api.until(validation.id, (r) => r.validation.lastCheckedAt !== undefined);
    const java = dynamoOf(rt.child.pid!).pid;
    process.kill(java, 'SIGKILL');
    await eventually(async () => isGone(java), (gone) => gone, 10_000);

    const down = await api.call('GET', `/revocations/${validation.id}`, p.customer);
    expect(down.status).toBe(500);
    expect(down.body).toMatchObject({ code: 'INTERNAL' });
    expect(down.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|stack/i);
    // A second of failing checks, failure steps and their retries: the runtime stays up.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(rt.child.exitCode).toBeNull();
    expect((await exposure.fetch(`${rt.url}/health`)).status).toBe(200);
    expect(await rt.stop()).toBe(0);
    expect(existsSync(join(dir, 'runtime.lock'))).toBe(false);

    // A lock as a run killed between creating and writing it would have left it: empty.
    await writeFile(join(dir, 'runtime.lock'), '');
    const next = await start({ dataDir: dir });
    const again = client(next, p);
    expect((await again.revocation(validation.id)).status).toBe('pending_validation');
    await again.publishDns(validation.revocation);
    await again.until(validation.id, (r) => r.status === 'revoked');
    await expectRevokedOnce(again, validation.cert);
    expect(await next.stop()).toBe(0);
  });
});

describe('a workflow task that throws is retried by its state machine', () => {
  let rt: RuntimeProcess;
  let p: People;

  it('revokes once (one CRL entry, one revocation.revoked event) when Revoke throws before its effect and again after it', async () => {
    // Lambda.ServiceException, matched by Revoke's `States.ALL` retrier: the first attempt fails
    // before the handler runs, the second after it revoked (the reply lost), the third finds it done.
    rt = await start({ dataDir: await dataDir(), faults: 'revocation-revoke:1:before,revocation-revoke:1:after' });
    p = await people(rt);
    const api = client(rt, p);
    const { cert, id } = await api.submitted(AUTO);
    await api.until(id, (r) => r.status === 'revoked');
    expect(rt.output()).toContain('CERTREVOKE_FAULTS: revocation-revoke fails (before)');
    expect(rt.output()).toContain('CERTREVOKE_FAULTS: revocation-revoke fails (after)');
    await expectRevokedOnce(api, cert);
  });

  it('answers one of five racing decisions and 409 WRONG_STATE to the rest, with one effect', async () => {
    const api = client(rt, p);
    const { cert, id } = await api.submitted(REVIEW);
    await api.queued(id);
    await harvestTokens(rt);
    const replies = await Promise.all([
      api.decide(id, 'approve'),
      api.decide(id, 'reject'),
      api.decide(id, 'approve', p.reviewer2),
      api.decide(id, 'reject', p.reviewer2),
      api.decide(id, 'approve'),
    ]);
    expect(replies.map((r) => r.status).sort()).toEqual([200, 409, 409, 409, 409]);
    for (const r of replies.filter((x) => x.status === 409)) expect(r.body.code).toBe('WRONG_STATE');
    const won = replies.find((r) => r.status === 200)!.body.review.revocation.status as string;
    const end = await api.until(id, (r) => r.status === (won === 'revoking' ? 'revoked' : 'failed'));
    const types = await api.events(cert.id as string);
    expect(count(types, 'review.approved') + count(types, 'revocation.failed')).toBe(1);
    if (end.status === 'revoked') await expectRevokedOnce(api, cert);
    expect((await api.decide(id, 'approve')).body).toMatchObject({ status: 409, code: 'WRONG_STATE' });
    expect(rt.child.exitCode).toBeNull();
  });
});

describe('a callback on a token whose task has closed', () => {
  it('records the decision, resumes the workflow once, and the late retry of the wait changes nothing', async () => {
    // AwaitReview's first attempt stores token T1, then its reply is lost (Lambda.ServiceException,
    // retried by the state machine): T1 is closed. The retry is held 3 s, and the Revoke of the
    // resumed workflow 6 s, so the late wait runs while the request is `revoking`.
    const rt = await start({ dataDir: await dataDir(), faults: 'revocation-await-callback:1:after:3000,revocation-revoke:0:before:6000' });
    const p = await people(rt);
    const api = client(rt, p);
    const { cert, id } = await api.submitted(REVIEW);
    await api.queued(id);
    const closed = (await storedRevocation(dynamoOf(rt.child.pid!).endpoint, id))?.taskToken as string;
    tokensSeen.add(closed);
    expect(rt.output()).toContain('CERTREVOKE_FAULTS: revocation-await-callback fails (after)');

    // SendTaskSuccess on T1 answers TaskTimedOut: the decision stands and the workflow resumes.
    const decided = await api.decide(id, 'approve');
    const decidedAt = Date.now();
    expect(decided.status, decided.text).toBe(200);
    expect(decided.body.review.revocation.status).toBe('revoking');
    await api.until(id, (r) => r.status === 'revoked', 20_000);
    expect(rt.output()).toContain('CERTREVOKE_FAULTS: revocation-await-callback held 3000 ms');
    // Past the held Revoke of the resumed workflow too: the late wait completed its own task, and
    // nothing put the request back in the queue (where that Revoke would have failed it).
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, decidedAt + 7_500 - Date.now())));
    expect((await api.revocation(id)).status).toBe('revoked');
    expect((await api.call('GET', '/reviews?status=pending&limit=100', p.reviewer)).body.items.map((i: Json) => i.id)).not.toContain(id);
    const types = await api.events(cert.id as string);
    expect(count(types, 'review.approved')).toBe(1);
    await expectRevokedOnce(api, cert);
    expect((await api.decide(id, 'approve')).body).toMatchObject({ status: 409, code: 'WRONG_STATE' });
  });

  it.each([
    ['a review wait', 'review', { status: 'revoking' }, { decision: 'approve' }],
    ['a letter wait', 'letter', { status: 'revoking', letter: { status: 'accepted' } }, { letter: 'accepted' }],
  ] as const)('completes %s that runs after the request moved on, without changing the request', async (_label, waitFor, state, output) => {
    const table = await createTestTable();
    const revocations = new DynamoRevocationStore(table.db, table.tableName);
    const completed: [string, unknown][] = [];
    const workflows: Workflows = {
      startRevocation: async () => undefined,
      startReissue: async () => undefined,
      completeTask: async (token, out) => void completed.push([token, out]),
      failTask: async () => undefined,
    };
    const id = `rev_${randomUUID()}`;
    const at = new Date().toISOString();
    const request = {
      id, account: 'acme', certificateId: `crt_${randomUUID()}`, cascadeCertificateIds: [], route: waitFor === 'letter' ? 'letter' : 'review',
      reasonCode: 'unspecified', reason: 'x', submittedBy: 'alice', createdAt: at, updatedAt: at, version: 3, ...state,
      ...(waitFor === 'letter' ? { letter: { kind: 'application', allowedTypes: ['jpg'], minBytes: 1024, maxBytes: 1468006, rejections: [], status: 'accepted' } } : {}),
    } as unknown as Revocation;
    await revocations.create(request, [], []);
    await awaitCallback({ revocations, workflows, clock: () => new Date() } as unknown as StepDeps, id, waitFor, 'late-token');
    expect(completed).toEqual([['late-token', output]]);
    const after = (await revocations.get(id))!;
    expect(after).toMatchObject({ status: 'revoking', version: request.version });
    expect(after.taskToken).toBeUndefined();
    expect(after.queuedAt).toBeUndefined();
  });
});

describe('secrets', () => {
  it('appear in no reply body, header or log line of the runs above, at DEBUG level', async () => {
    const seen = exposure.text();
    const needles = new Set(tokensSeen);
    for (const dir of dataDirs) for (const secret of await secretsOf(dir)) needles.add(secret);
    // Not vacuous: tokens of every run above and the CA key of each data folder are looked for.
    expect(tokensSeen.size).toBeGreaterThanOrEqual(8);
    expect([...needles].length).toBeGreaterThan(tokensSeen.size);
    expect(exposure.logLines()).toBeGreaterThan(50);
    const found = [...needles].filter((needle) => seen.includes(needle));
    expect(found.map((n) => `${n.slice(0, 12)}…`)).toEqual([]);
    expect(seen).not.toContain('PRIVATE KEY-----');
    // The CA key file itself is what the needles came from.
    const caKey = await readFile(join(dataDirs[0]!, 'ca', 'ca-key.pem'), 'utf8');
    expect(caKey).toContain('PRIVATE KEY-----');
  });
});
