import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCertificateStore } from '../../lib/adapters/dynamo-certificate-store.js';
import { DynamoReissueStore } from '../../lib/adapters/dynamo-reissue-store.js';
import { DynamoRevocationStore } from '../../lib/adapters/dynamo-revocation-store.js';
import { DynamoSweepStore } from '../../lib/adapters/dynamo-sweep-store.js';
import { S3LetterStore } from '../../lib/adapters/s3-letter-store.js';
import type { AuditEvent, Certificate } from '../../lib/app/model.js';
import type { SweepStore } from '../../lib/app/ports.js';
import { FIRST_SWEEP_LOOKBACK_DAYS, runSweep, type SweepDeps, type SweepOptions, type SweepReport } from '../../lib/app/sweeps.js';
import { DAY_MS, SLOT_GRACE_MS, dayOf } from '../../lib/domain/index.js';
import { LETTER_BUCKETS, startS3 } from '../../infra/local/s3.js';
import { letterRevocation, reissueOf, validationRevocation } from '../fixtures/sweep.js';
import { auditEvent, storedCertificate } from '../fixtures/stored-certificates.js';
import { createTestTable } from '../support/dynamo.js';

/**
 * The expiry sweep (RULES.md "Expiry sweep") against DynamoDB Local and s3rver: the due index,
 * conditional effects with their audit events, the checkpoint, and the upload-slot look in S3.
 * Every test has its own table (the checkpoint is one per table) and a fixed clock: the sweep
 * reads the time only from `deps.clock`.
 */
const NOW = new Date('2026-06-01T12:00:00.000Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const YESTERDAY = dayOf(new Date(NOW.getTime() - DAY_MS));
const OLD = '2026-01-01T00:00:00.000Z';
const iso = (msFromNow: number) => new Date(NOW.getTime() + msFromNow).toISOString();

let s3: Awaited<ReturnType<typeof startS3>>;
let s3Dir: string;
let letters: S3LetterStore;
let s3Client: S3Client;
const s3Events: { eventName: string; key: string }[] = [];

beforeAll(async () => {
  s3Dir = await mkdtemp(join(tmpdir(), 'certrevoke-sweep-s3-'));
  s3 = await startS3({
    dir: s3Dir,
    onEvent: (n) => {
      for (const r of (n as { Records: { eventName: string; s3: { object: { key: string } } }[] }).Records) s3Events.push({ eventName: r.eventName, key: r.s3.object.key });
    },
  });
  letters = new S3LetterStore({ region: 'us-east-1', endpoint: s3.endpoint, intakeBucket: LETTER_BUCKETS[0], evidenceBucket: LETTER_BUCKETS[1] });
  s3Client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
}, 60_000);

afterAll(async () => {
  s3Client?.destroy();
  await s3?.stop();
  await rm(s3Dir, { recursive: true, force: true });
});

type Harness = Awaited<ReturnType<typeof harness>>;

/** A fresh table, the real stores on it, and SweepDeps composed as lib/root.ts does, with the fixed clock. */
async function harness() {
  const table = await createTestTable();
  const log: { level: 'info' | 'warn'; message: string; detail: Record<string, unknown> }[] = [];
  const sweeps = new DynamoSweepStore(table.db, table.tableName);
  const certificates = new DynamoCertificateStore(table.db, table.tableName);
  const revocations = new DynamoRevocationStore(table.db, table.tableName);
  const reissues = new DynamoReissueStore(table.db, table.tableName);
  const deps: SweepDeps = {
    sweeps,
    certificates,
    revocations,
    reissues,
    letters,
    clock: () => NOW,
    log: {
      info: (message, detail) => void log.push({ level: 'info', message, detail }),
      warn: (message, detail) => void log.push({ level: 'warn', message, detail }),
    },
  };
  return { ...table, deps, sweeps, certificates, revocations, reissues, log };
}

function sweep(h: Harness, options: Partial<SweepOptions> = {}, deps: Partial<SweepDeps> = {}): Promise<SweepReport> {
  return runSweep({ ...h.deps, ...deps }, { remainingMs: () => 10 * 60_000, ...options });
}

/** Stores an issued certificate; by default written a minute ago, so it is filed in today's partition when already due. */
async function register(h: Harness, overrides: Partial<Certificate> = {}): Promise<Certificate> {
  const certificate = storedCertificate({ updatedAt: iso(-MINUTE), ...overrides });
  await h.certificates.create(certificate, auditEvent(certificate, { at: certificate.createdAt }));
  return certificate;
}

/** Runs `work` on every item, `limit` at a time (DynamoDB Local is one process: keep setup quick but bounded). */
async function inBatches<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += limit) results.push(...(await Promise.all(items.slice(i, i + limit).map(work))));
  return results;
}

const SWEEP_EVENT_TYPES = ['certificate.expired', 'certificate.to_be_renewed', 'revocation.failed', 'reissue.failed', 'letter.slot_closed', 'reissue.lock_freed'];
async function sweepEvents(h: Harness, certificateId: string): Promise<AuditEvent[]> {
  return (await h.certificates.events(certificateId)).filter((e) => SWEEP_EVENT_TYPES.includes(e.type));
}

const effects = (r: SweepReport) => ({
  expired: r.expired,
  toBeRenewed: r.toBeRenewed,
  validationsExpired: r.validationsExpired,
  slotsClosed: r.slotsClosed,
  locksFreed: r.locksFreed,
  uploadsRenotified: r.uploadsRenotified,
  failures: r.failures,
});
const NO_EFFECTS = { expired: 0, toBeRenewed: 0, validationsExpired: 0, slotsClosed: 0, locksFreed: 0, uploadsRenotified: 0, failures: 0 };

/**
 * A certificate the sweep must act on at NOW, filed on `daysAgo` (0: today) `minutesEarlier`
 * before NOW's time of day (at least one on day 0: what is filed at NOW itself is not due yet): `expire` (issued long past notAfter, returned to issued that day)
 * or `renew` (its 30-day window opened that day; written long before).
 */
function dueCertificate(kind: 'expire' | 'renew', daysAgo: number, minutesEarlier: number): Partial<Certificate> {
  const filedAt = -daysAgo * DAY_MS - minutesEarlier * MINUTE;
  return kind === 'expire' ? { notAfter: iso(-40 * DAY_MS), updatedAt: iso(filedAt) } : { notAfter: iso(30 * DAY_MS + filedAt), updatedAt: OLD };
}

describe('runSweep against DynamoDB Local', () => {
  it('expires issued certificates past notAfter and flags those with under 30 days left; leaves the rest, and counts', async () => {
    const h = await harness();
    const expiring = await register(h, { notAfter: iso(-DAY_MS) });
    const expiringFlagged = await register(h, { notAfter: iso(-HOUR), renewalStatus: 'to_be_renewed' });
    const renewing = await register(h, { notAfter: iso(10 * DAY_MS) });
    // Its window opened yesterday: filed under yesterday's partition, not today's.
    const renewingSinceYesterday = await register(h, { notAfter: iso(29 * DAY_MS), updatedAt: OLD });
    const untouched = await Promise.all([
      register(h, { notAfter: iso(30 * DAY_MS) }),
      register(h, { notAfter: iso(30 * DAY_MS), updatedAt: OLD }),
      register(h, { notAfter: iso(31 * DAY_MS) }),
      register(h, { notAfter: iso(365 * DAY_MS) }),
      register(h, { notAfter: iso(10 * DAY_MS), renewalStatus: 'to_be_renewed' }),
      register(h, { notAfter: iso(-DAY_MS), status: 'revoked' }),
      register(h, { notAfter: iso(-DAY_MS), status: 'expired' }),
      register(h, { notAfter: iso(-DAY_MS), status: 'revoking', activeRevocationId: 'rev_gone' }),
      register(h, { notAfter: iso(-DAY_MS), status: 'reissuing' }),
      register(h, { notAfter: iso(10 * DAY_MS), status: 'reissuing' }),
    ]);

    const report = await sweep(h);

    expect(effects(report)).toEqual({ ...NO_EFFECTS, expired: 2, toBeRenewed: 2 });
    expect(report).toMatchObject({ complete: true, itemsRead: 4 });
    for (const c of [expiring, expiringFlagged]) {
      expect(await h.certificates.get(c.id)).toMatchObject({ status: 'expired', renewalStatus: c.renewalStatus, version: 2, updatedAt: NOW.toISOString() });
      expect(await sweepEvents(h, c.id)).toEqual([
        { certificateId: c.id, account: c.account, at: NOW.toISOString(), type: 'certificate.expired', actor: 'system', detail: { notAfter: c.notAfter } },
      ]);
    }
    for (const c of [renewing, renewingSinceYesterday]) {
      expect(await h.certificates.get(c.id)).toMatchObject({ status: 'issued', renewalStatus: 'to_be_renewed', version: 2 });
      expect(await sweepEvents(h, c.id)).toEqual([
        { certificateId: c.id, account: c.account, at: NOW.toISOString(), type: 'certificate.to_be_renewed', actor: 'system', detail: { notAfter: c.notAfter } },
      ]);
    }
    for (const c of untouched) {
      expect(await h.certificates.get(c.id)).toEqual(c);
      expect(await h.certificates.events(c.id)).toHaveLength(1);
    }
    expect(h.log.filter((l) => l.level === 'warn')).toEqual([]);
    expect(await h.sweeps.checkpoint()).toEqual({ day: YESTERDAY, version: 1 });
  });

  it('fails revocations and reissues still waiting for domain validation past the deadline, returning their certificates to issued', async () => {
    const h = await harness();
    const late = new Date(NOW.getTime() - 3 * DAY_MS - HOUR); // deadline an hour ago
    const inTime = new Date(NOW.getTime() - 3 * DAY_MS + HOUR); // deadline in an hour

    const lateRevoked = await register(h, { domain: 'shop.late-revocation.com' });
    const lateRevocation = validationRevocation(lateRevoked, late);
    await h.revocations.create(lateRevocation.revocation, lateRevocation.certificates, lateRevocation.events);
    const onTimeRevoked = await register(h, { domain: 'shop.ontime-revocation.com' });
    const onTimeRevocation = validationRevocation(onTimeRevoked, inTime);
    await h.revocations.create(onTimeRevocation.revocation, onTimeRevocation.certificates, onTimeRevocation.events);

    const lateReissued = await register(h, { domain: 'shop.late-reissue.com' });
    const lateReissue = reissueOf(lateReissued, 'late-reissue.com', late);
    await h.reissues.create(lateReissue.reissue, lateReissue.change);
    const onTimeReissued = await register(h, { domain: 'shop.ontime-reissue.com' });
    const onTimeReissue = reissueOf(onTimeReissued, 'ontime-reissue.com', inTime);
    await h.reissues.create(onTimeReissue.reissue, onTimeReissue.change);

    const report = await sweep(h);

    expect(effects(report)).toEqual({ ...NO_EFFECTS, validationsExpired: 2 });
    // The two past their deadline, then the one lock left (its owner is still reissuing).
    expect(report).toMatchObject({ complete: true, itemsRead: 2 + 1 });

    const revocation = (await h.revocations.get(lateRevocation.revocation.id))!;
    expect(revocation).toMatchObject({ status: 'failed', failureCode: 'VALIDATION_EXPIRED', version: 2, updatedAt: NOW.toISOString() });
    expect(revocation.taskToken).toBeUndefined();
    const freed = (await h.certificates.get(lateRevoked.id))!;
    expect(freed).toMatchObject({ status: 'issued', version: 3 });
    expect(freed.activeRevocationId).toBeUndefined();
    expect(await sweepEvents(h, lateRevoked.id)).toEqual([
      expect.objectContaining({ type: 'revocation.failed', actor: 'system', detail: { revocationId: revocation.id, failureCode: 'VALIDATION_EXPIRED' } }),
    ]);

    const reissue = (await h.reissues.get(lateReissue.reissue.id))!;
    expect(reissue).toMatchObject({ status: 'failed', failureCode: 'VALIDATION_EXPIRED', version: 2 });
    expect(reissue.taskToken).toBeUndefined();
    expect(await h.certificates.get(lateReissued.id)).toMatchObject({ status: 'issued', version: 3 });
    expect(await h.reissues.lock('late-reissue.com')).toBeUndefined();
    expect(await sweepEvents(h, lateReissued.id)).toEqual([
      expect.objectContaining({ type: 'reissue.failed', actor: 'system', detail: { reissueId: reissue.id, failureCode: 'VALIDATION_EXPIRED' } }),
    ]);

    expect(await h.revocations.get(onTimeRevocation.revocation.id)).toEqual(onTimeRevocation.revocation);
    expect(await h.certificates.get(onTimeRevoked.id)).toMatchObject({ status: 'revoking', activeRevocationId: onTimeRevocation.revocation.id, version: 2 });
    expect(await h.reissues.get(onTimeReissue.reissue.id)).toEqual(onTimeReissue.reissue);
    expect(await h.certificates.get(onTimeReissued.id)).toMatchObject({ status: 'reissuing', version: 2 });
    expect(await h.reissues.lock('ontime-reissue.com')).toEqual({ registrableDomain: 'ontime-reissue.com', certificateId: onTimeReissued.id, reissueId: onTimeReissue.reissue.id });
    expect(await sweepEvents(h, onTimeRevoked.id)).toEqual([]);
    expect(await sweepEvents(h, onTimeReissued.id)).toEqual([]);
  });

  it('closes an expired upload slot with nothing under it, and has S3 report again an upload sitting under one', async () => {
    const h = await harness();
    const expiredSlotAt = new Date(NOW.getTime() - SLOT_GRACE_MS - 20 * MINUTE); // expired 5 min + grace ago
    const empty = letterRevocation(await register(h), expiredSlotAt);
    const uploaded = letterRevocation(await register(h), expiredSlotAt);
    const inGrace = letterRevocation(await register(h), new Date(NOW.getTime() - 16 * MINUTE)); // expired a minute ago: within the grace
    for (const s of [empty, uploaded, inGrace]) await h.revocations.create(s.revocation, s.certificates, s.events);
    const uploadedKey = uploaded.revocation.letter!.slot!.key;
    await s3Client.send(new PutObjectCommand({ Bucket: LETTER_BUCKETS[0], Key: uploadedKey, Body: new Uint8Array(2048).fill(7) }));
    const copies = () => s3Events.filter((e) => e.key === uploadedKey && e.eventName === 'ObjectCreated:Copy');
    expect(copies()).toHaveLength(0);

    const report = await sweep(h);

    expect(effects(report)).toEqual({ ...NO_EFFECTS, slotsClosed: 1, uploadsRenotified: 1 });
    expect(report).toMatchObject({ complete: true, itemsRead: 2 });

    const closed = (await h.revocations.get(empty.revocation.id))!;
    const { slot, ...letterWithoutSlot } = empty.revocation.letter!;
    expect(closed).toMatchObject({ status: 'pending_letter', version: 2, updatedAt: NOW.toISOString() });
    expect(closed.letter).toEqual(letterWithoutSlot);
    expect(await sweepEvents(h, empty.revocation.certificateId)).toEqual([
      expect.objectContaining({ type: 'letter.slot_closed', actor: 'system', at: NOW.toISOString(), detail: { revocationId: empty.revocation.id, expiredAt: slot!.expiresAt } }),
    ]);

    expect(await h.revocations.get(uploaded.revocation.id)).toEqual(uploaded.revocation);
    expect(await sweepEvents(h, uploaded.revocation.certificateId)).toEqual([]);
    const deadline = Date.now() + 5_000;
    while (copies().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(copies()).toHaveLength(1);
    expect(await letters.headUpload(uploadedKey)).toMatchObject({ bytes: 2048 });

    expect(await h.revocations.get(inGrace.revocation.id)).toEqual(inGrace.revocation);
  });

  it('keeps looking at a slot held open for its upload, though it was filed before yesterday, until it can close it', async () => {
    const h = await harness();
    const s = letterRevocation(await register(h), new Date(NOW.getTime() - 3 * DAY_MS));
    await h.revocations.create(s.revocation, s.certificates, s.events);
    const key = s.revocation.letter!.slot!.key;
    await s3Client.send(new PutObjectCommand({ Bucket: LETTER_BUCKETS[0], Key: key, Body: new Uint8Array(2048).fill(9) }));
    const threeDaysAgo = dayOf(new Date(NOW.getTime() - 3 * DAY_MS));

    const first = await sweep(h);
    expect(effects(first)).toEqual({ ...NO_EFFECTS, uploadsRenotified: 1 });
    expect(await h.sweeps.checkpoint()).toEqual({ day: threeDaysAgo, version: 1 });
    // The processor never took it up: the next sweep reports it again rather than forgetting it.
    const second = await sweep(h);
    expect(effects(second)).toEqual({ ...NO_EFFECTS, uploadsRenotified: 1 });

    await letters.deleteUpload(key);
    const third = await sweep(h);
    expect(effects(third)).toEqual({ ...NO_EFFECTS, slotsClosed: 1 });
    expect((await h.revocations.get(s.revocation.id))!.letter!.slot).toBeUndefined();
    expect(await h.sweeps.checkpoint()).toEqual({ day: YESTERDAY, version: 2 });
  });

  it('frees a reissue lock whose owner is no longer reissuing, and keeps one whose owner is', async () => {
    const h = await harness();
    const ownerIssued = await register(h, { domain: 'www.stale.com', notAfter: iso(300 * DAY_MS) });
    const stale = reissueOf(ownerIssued, 'stale.com', new Date(NOW.getTime() - 2 * DAY_MS), { status: 'issuing', certificateStatus: 'issued' });
    await h.reissues.create(stale.reissue, stale.change);
    const ownerReissuing = await register(h, { domain: 'www.live.com', notAfter: iso(300 * DAY_MS) });
    const live = reissueOf(ownerReissuing, 'live.com', new Date(NOW.getTime() - HOUR), { status: 'issuing' });
    await h.reissues.create(live.reissue, live.change);

    const report = await sweep(h);

    expect(effects(report)).toEqual({ ...NO_EFFECTS, locksFreed: 1 });
    expect(report).toMatchObject({ complete: true, itemsRead: 2 });
    expect(await h.reissues.lock('stale.com')).toBeUndefined();
    expect(await sweepEvents(h, ownerIssued.id)).toEqual([
      {
        certificateId: ownerIssued.id,
        account: ownerIssued.account,
        at: NOW.toISOString(),
        type: 'reissue.lock_freed',
        actor: 'system',
        detail: { registrableDomain: 'stale.com', reissueId: stale.reissue.id, ownerStatus: 'issued' },
      },
    ]);
    expect(await h.reissues.lock('live.com')).toEqual({ registrableDomain: 'live.com', certificateId: ownerReissuing.id, reissueId: live.reissue.id });
    expect(await sweepEvents(h, ownerReissuing.id)).toEqual([]);
    expect(await h.certificates.get(ownerIssued.id)).toEqual(ownerIssued);
  });

  it('a second sweep finds nothing left to do and writes no event', async () => {
    const h = await harness();
    const certs = await Promise.all([
      register(h, dueCertificate('expire', 0, 1)),
      register(h, dueCertificate('renew', 0, 2)),
      register(h, dueCertificate('expire', 3, 0)),
      register(h, dueCertificate('renew', 12, 0)),
    ]);
    const late = new Date(NOW.getTime() - 3 * DAY_MS - HOUR);
    const validation = validationRevocation(await register(h, { notAfter: iso(300 * DAY_MS) }), late);
    await h.revocations.create(validation.revocation, validation.certificates, validation.events);
    const reissue = reissueOf(await register(h, { domain: 'shop.twice.com', notAfter: iso(300 * DAY_MS) }), 'twice.com', late);
    await h.reissues.create(reissue.reissue, reissue.change);
    const letter = letterRevocation(await register(h, { notAfter: iso(300 * DAY_MS) }), new Date(NOW.getTime() - HOUR));
    await h.revocations.create(letter.revocation, letter.certificates, letter.events);
    const lockOwner = await register(h, { domain: 'shop.left-behind.com', notAfter: iso(300 * DAY_MS) });
    const leftBehind = reissueOf(lockOwner, 'left-behind.com', late, { status: 'failed', certificateStatus: 'issued' });
    await h.reissues.create(leftBehind.reissue, leftBehind.change);
    const ids = [...certs.map((c) => c.id), validation.revocation.certificateId, reissue.reissue.certificateId, letter.revocation.certificateId, lockOwner.id];
    const allEvents = async () => (await Promise.all(ids.map((id) => h.certificates.events(id)))).flat();

    const first = await sweep(h);
    expect(effects(first)).toEqual({ ...NO_EFFECTS, expired: 2, toBeRenewed: 2, validationsExpired: 2, slotsClosed: 1, locksFreed: 1 });
    const eventsAfterFirst = await allEvents();
    const itemsAfterFirst = await Promise.all(ids.map((id) => h.certificates.get(id)));

    const second = await sweep(h);
    expect(effects(second)).toEqual(NO_EFFECTS);
    expect(second).toMatchObject({ complete: true, itemsRead: 0 });
    expect(await allEvents()).toEqual(eventsAfterFirst);
    expect(await Promise.all(ids.map((id) => h.certificates.get(id)))).toEqual(itemsAfterFirst);
    expect(await h.sweeps.checkpoint()).toEqual({ day: YESTERDAY, version: 1 });
  });

  it('two sweeps at once: every effect happens exactly once', async () => {
    const h = await harness();
    const due = await inBatches(
      Array.from({ length: 60 }, (_, i) => dueCertificate(i % 2 === 0 ? 'expire' : 'renew', i % 3, i + 1)),
      10,
      (overrides) => register(h, overrides),
    );

    const [a, b] = await Promise.all([sweep(h, { pageSize: 10 }), sweep(h, { pageSize: 10 })]);

    expect(a.failures + b.failures).toBe(0);
    expect(a.expired + b.expired).toBe(30);
    expect(a.toBeRenewed + b.toBeRenewed).toBe(30);
    expect(a.complete && b.complete).toBe(true);
    for (const c of due) {
      const expected = Date.parse(c.notAfter) <= NOW.getTime() ? 'certificate.expired' : 'certificate.to_be_renewed';
      expect((await sweepEvents(h, c.id)).map((e) => e.type)).toEqual([expected]);
      expect(await h.certificates.get(c.id)).toMatchObject({ version: 2 });
    }
    expect(h.log.filter((l) => l.level === 'warn')).toEqual([]);
    const third = await sweep(h);
    expect(effects(third)).toEqual(NO_EFFECTS);
  });

  it('stops before its deadline with a checkpoint, and the next run carries on from it without reading again what was done', async () => {
    const h = await harness();
    // Six due certificates on each of four days (6 to 3 days ago): pages of 5 are 5 + 1 per day.
    const due = await inBatches(
      [6, 5, 4, 3].flatMap((daysAgo) => Array.from({ length: 6 }, (_, i) => dueCertificate(i % 2 === 0 ? 'renew' : 'expire', daysAgo, i + 1))),
      8,
      (overrides) => register(h, overrides),
    );
    const pages: { day: string; cursor: string | undefined; read: number }[] = [];
    const counted: SweepStore = {
      duePage: async (day, upTo, limit, cursor) => {
        const page = await h.sweeps.duePage(day, upTo, limit, cursor);
        pages.push({ day, cursor, read: page.items.length });
        return page;
      },
      checkpoint: () => h.sweeps.checkpoint(),
      saveCheckpoint: (position, version) => h.sweeps.saveCheckpoint(position, version),
      locks: () => h.sweeps.locks(),
      freeLock: (lock, event) => h.sweeps.freeLock(lock, event),
    };
    // The time left drops below the reserve once three pages with items are done.
    const remainingMs = () => (pages.filter((p) => p.read > 0).length >= 3 ? 5_000 : 60_000);

    const first = await sweep(h, { pageSize: 5, reserveMs: 10_000, remainingMs }, { sweeps: counted });

    expect(first).toMatchObject({ complete: false, itemsRead: 11, failures: 0 });
    expect(first.expired + first.toBeRenewed).toBe(11);
    const sixDaysAgo = dayOf(new Date(NOW.getTime() - 6 * DAY_MS));
    const fiveDaysAgo = dayOf(new Date(NOW.getTime() - 5 * DAY_MS));
    expect(pages.filter((p) => p.read > 0).map((p) => [p.day, p.read])).toEqual([
      [sixDaysAgo, 5],
      [sixDaysAgo, 1],
      [fiveDaysAgo, 5],
    ]);
    const checkpoint = await h.sweeps.checkpoint();
    expect(checkpoint).toEqual({ day: fiveDaysAgo, cursor: expect.any(String), version: 1 });
    expect(h.log.some((l) => l.message.startsWith('sweep stopped before its deadline') && l.detail.saved === true)).toBe(true);

    pages.length = 0;
    const second = await sweep(h, { pageSize: 5 }, { sweeps: counted });

    expect(second).toMatchObject({ complete: true, itemsRead: 24 - 11, failures: 0 });
    expect(first.expired + second.expired).toBe(12);
    expect(first.toBeRenewed + second.toBeRenewed).toBe(12);
    // It resumes on the checkpoint's day at its cursor, not from the lookback or the day's start.
    expect(pages[0]).toEqual({ day: fiveDaysAgo, cursor: checkpoint!.cursor, read: 1 });
    expect(pages.map((p) => p.day).filter((d, i, all) => all.indexOf(d) === i)).toEqual(
      Array.from({ length: 6 }, (_, i) => dayOf(new Date(NOW.getTime() - (5 - i) * DAY_MS))),
    );
    for (const c of due) expect(await sweepEvents(h, c.id)).toHaveLength(1);
    expect(await h.sweeps.checkpoint()).toEqual({ day: YESTERDAY, version: 2 });
  });

  it('reads from DynamoDB only what is due: no scan, and the queries return the due items alone', async () => {
    const h = await harness();
    const due = [
      ...Array.from({ length: 5 }, (_, i) => dueCertificate('expire', i * 5, i + 1)),
      ...Array.from({ length: 5 }, (_, i) => dueCertificate('renew', i * 7, i + 1)),
    ];
    const notDue: Partial<Certificate>[] = [
      // Window opens months from now.
      ...Array.from({ length: 60 }, (_, i) => ({ notAfter: iso((200 + i * 3) * DAY_MS), updatedAt: OLD })),
      // Already flagged: due when they expire, on a later day.
      ...Array.from({ length: 40 }, (_, i) => ({ notAfter: iso((1 + (i % 20)) * DAY_MS + i * MINUTE), renewalStatus: 'to_be_renewed' as const })),
      // Due later today: in today's partition, after now.
      ...Array.from({ length: 30 }, (_, i) => ({ notAfter: iso(30 * DAY_MS + (i + 1) * MINUTE), updatedAt: OLD })),
      ...Array.from({ length: 30 }, (_, i) => ({ notAfter: iso((i + 1) * MINUTE), renewalStatus: 'to_be_renewed' as const })),
      // Not issued: in no due partition at all.
      ...Array.from({ length: 30 }, (_, i) => ({ notAfter: iso(-(i + 1) * DAY_MS), status: (['revoked', 'expired', 'reissuing'] as const)[i % 3] })),
    ];
    expect(due.length + notDue.length).toBe(200);
    const stored = await inBatches([...due, ...notDue], 10, (overrides) => register(h, overrides));

    const sent: Record<string, number> = {};
    let queryItems = 0;
    let scanItems = 0;
    let gotItems = 0;
    h.db.observe((operation, output) => {
      sent[operation] = (sent[operation] ?? 0) + 1;
      if (operation === 'Query') queryItems += (output.Items as unknown[] | undefined)?.length ?? 0;
      if (operation === 'Scan') scanItems += (output.Items as unknown[] | undefined)?.length ?? 0;
      if (operation === 'GetItem' && output.Item) gotItems++;
    });

    const report = await sweep(h);

    expect(effects(report)).toEqual({ ...NO_EFFECTS, expired: 5, toBeRenewed: 5 });
    expect(report).toMatchObject({ complete: true, itemsRead: 10 });
    expect(sent.Scan).toBeUndefined();
    expect(scanItems).toBe(0);
    expect(queryItems).toBe(10);
    // One query per day of the first sweep's lookback (to today inclusive), one for the locks.
    expect(sent.Query).toBe(FIRST_SWEEP_LOOKBACK_DAYS + 1 + 1);
    // The checkpoint read finds nothing on a first sweep, and nothing had to be read again.
    expect(gotItems).toBe(0);
    for (const c of stored.slice(due.length)) expect(await h.certificates.get(c.id)).toEqual(c);
  });
});
