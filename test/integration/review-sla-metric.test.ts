import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { scheduledSweepHandler } from '../../functions/scheduled-sweep.js';
import { DynamoCertificateStore } from '../../lib/adapters/dynamo-certificate-store.js';
import { DynamoReissueStore } from '../../lib/adapters/dynamo-reissue-store.js';
import { DynamoRevocationStore } from '../../lib/adapters/dynamo-revocation-store.js';
import { DynamoSweepStore } from '../../lib/adapters/dynamo-sweep-store.js';
import type { Revocation } from '../../lib/app/model.js';
import type { SweepDeps } from '../../lib/app/sweeps.js';
import { reissueOf } from '../fixtures/sweep.js';
import { storedCertificate } from '../fixtures/stored-certificates.js';
import { createTestTable } from '../support/dynamo.js';

/**
 * The review SLA's metric: the hourly sweep handler (middy stack and all) measures the review
 * queue on DynamoDB Local and publishes the oldest pending review's age as an Embedded Metric
 * Format line on stdout, which is what CloudWatch turns into the metric the alarm watches.
 */
const NOW = new Date('2026-06-01T12:00:00.000Z');
const HOUR = 3_600_000;
const ago = (ms: number, from = NOW) => new Date(from.getTime() - ms).toISOString();
const context = { functionName: 'scheduled-sweep', awsRequestId: 'test-request', getRemainingTimeInMillis: () => 5 * 60_000 } as unknown as Context;

interface EmfLine {
  _aws: { Timestamp: number; CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] };
  [key: string]: unknown;
}

let stdout: string[];
beforeEach(() => {
  stdout = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The EMF lines written during the test. */
function emfLines(): EmfLine[] {
  return stdout
    .join('')
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as EmfLine);
}

/** A fresh table and SweepDeps on it as lib/root.ts composes them, with `clock`; S3 is never reached (nothing is due). */
async function harness(clock: () => Date) {
  const table = await createTestTable();
  const revocations = new DynamoRevocationStore(table.db, table.tableName);
  const reissues = new DynamoReissueStore(table.db, table.tableName);
  const deps: SweepDeps = {
    sweeps: new DynamoSweepStore(table.db, table.tableName),
    certificates: new DynamoCertificateStore(table.db, table.tableName),
    revocations,
    reissues,
    letters: {
      headUpload: () => Promise.reject(new Error('no upload slot is due in these tests')),
      renotifyUpload: () => Promise.reject(new Error('no upload slot is due in these tests')),
    },
    clock,
    log: { info: () => undefined, warn: () => undefined },
  };
  return { deps, revocations, reissues };
}

/** A review-route revocation in `status`, queued for review at `queuedAt`. */
function reviewRevocation(status: Revocation['status'], queuedAt: string): Revocation {
  return {
    id: `rev_${randomUUID().replaceAll('-', '')}`,
    account: 'acme',
    certificateId: `cert-${randomUUID()}`,
    cascadeCertificateIds: [],
    route: 'review',
    status,
    reasonCode: 'keyCompromise',
    reason: 'The key leaked.',
    submittedBy: 'alice',
    createdAt: queuedAt,
    updatedAt: queuedAt,
    queuedAt,
    ...(status === 'pending_review' ? { taskToken: `token-${randomUUID()}` } : { failureCode: 'REJECTED_BY_REVIEWER' }),
    version: 1,
  };
}

describe('the scheduled sweep publishes the oldest pending review age', () => {
  it('is the time from the oldest queuedAt to the clock, across revocations and reissues, as an EMF metric in the Certrevoke namespace', async () => {
    let now = NOW;
    const { deps, revocations, reissues } = await harness(() => now);
    // A reissue waiting 30 h (the oldest), a revocation waiting 2 h, and an older revocation
    // already decided: only requests still pending are in the review queue.
    const reissue = reissueOf(storedCertificate(), 'example.com', new Date(ago(31 * HOUR)), { status: 'pending_review', certificateStatus: 'issued' });
    await reissues.create({ ...reissue.reissue, needsReview: true, queuedAt: ago(30 * HOUR), taskToken: `token-${randomUUID()}` }, reissue.change);
    await revocations.create(reviewRevocation('pending_review', ago(2 * HOUR)), [], []);
    await revocations.create(reviewRevocation('failed', ago(48 * HOUR)), [], []);

    const handler = scheduledSweepHandler(() => deps);
    const report = await handler({}, context);
    expect(report).toMatchObject({ expired: 0, complete: true });

    const [line, ...others] = emfLines();
    expect(others).toEqual([]);
    expect(line!._aws.CloudWatchMetrics).toEqual([
      { Namespace: 'Certrevoke', Dimensions: [['service']], Metrics: [{ Name: 'OldestPendingReviewAgeSeconds', Unit: 'Seconds' }] },
    ]);
    expect(line).toMatchObject({ service: 'certrevoke', OldestPendingReviewAgeSeconds: 30 * 3600 });

    // The same queue an hour later by the clock: an hour older.
    stdout.length = 0;
    now = new Date(NOW.getTime() + HOUR);
    await handler({}, context);
    expect(emfLines()[0]).toMatchObject({ OldestPendingReviewAgeSeconds: 31 * 3600 });
  });

  it('is 0 when nobody waits for a reviewer, so the alarm sees a healthy data point every hour', async () => {
    const { deps, revocations } = await harness(() => NOW);
    await revocations.create(reviewRevocation('failed', ago(72 * HOUR)), [], []);
    await scheduledSweepHandler(() => deps)({}, context);
    expect(emfLines()).toHaveLength(1);
    expect(emfLines()[0]).toMatchObject({ OldestPendingReviewAgeSeconds: 0 });
  });

  it('is still published when the sweep itself fails, and the run fails with the sweep error', async () => {
    const { deps, revocations } = await harness(() => NOW);
    await revocations.create(reviewRevocation('pending_review', ago(25 * HOUR)), [], []);
    const sweeps = Object.assign(Object.create(deps.sweeps) as SweepDeps['sweeps'], { checkpoint: () => Promise.reject(new Error('checkpoint unreadable')) });
    const broken: SweepDeps = { ...deps, sweeps };
    await expect(scheduledSweepHandler(() => broken)({}, context)).rejects.toThrow('checkpoint unreadable');
    expect(emfLines()).toHaveLength(1);
    expect(emfLines()[0]).toMatchObject({ OldestPendingReviewAgeSeconds: 25 * 3600 });
  });
});
