import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { S3EventRecord, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sequencerSortKey } from '../../lib/adapters/dynamo-items.js';
import { createSfnClient, SfnWorkflows } from '../../lib/adapters/sfn-workflows.js';
import { registerCertificate } from '../../lib/app/certificates.js';
import { TaskGoneError } from '../../lib/app/errors.js';
import { issueUploadSlot, processUpload, type ProcessingDeps } from '../../lib/app/letters.js';
import type { Caller } from '../../lib/app/model.js';
import type { LetterInspector } from '../../lib/app/ports.js';
import { awaitCallback } from '../../lib/app/revocation-steps.js';
import { submitRevocation } from '../../lib/app/revocations.js';
import { LETTER_BUCKETS, startS3 } from '../../infra/local/s3.js';
import { startLocalStepFunctions, type LocalStepFunctions } from '../../infra/local/step-functions.js';
import * as letters from '../fixtures/letters.js';
import { createTestTable } from '../support/dynamo.js';
import { eventually } from '../support/local-runtime.js';
import type * as RootModule from '../../lib/root.js';

type Root = typeof RootModule;

/**
 * S3 events as the letter processor receives them (S3 → SQS → `processLetters`), duplicated,
 * reordered and late, against the real pieces: the processor's handler function and composition
 * root, DynamoDB Local, s3rver holding the uploads (POSTed through the presigned form), the real
 * content inspector, and Step Functions through the SDK to the local engine. Its state machine is
 * a small stand-in for the revocation workflow: wait for the letter with a task token (stored by
 * the real awaitCallback step), then one `Released` task, counted — each SendTaskSuccess that
 * lands, or workflow resumed, shows up as one more release.
 */
const CALLBACK = 'arn:aws:lambda:us-east-1:000000000000:function:await-letter';
const RELEASED = 'arn:aws:lambda:us-east-1:000000000000:function:released';
const STAND_IN = {
  StartAt: 'Route',
  States: {
    Route: { Type: 'Choice', Choices: [{ Variable: '$.status', StringEquals: 'pending_letter', Next: 'AwaitLetter' }], Default: 'Released' },
    AwaitLetter: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: CALLBACK, Payload: { 'revocationId.$': '$.revocationId', 'taskToken.$': '$$.Task.Token' } },
      ResultPath: null,
      Next: 'Released',
    },
    Released: { Type: 'Task', Resource: RELEASED, Parameters: { 'revocationId.$': '$.revocationId' }, End: true },
  },
};

let root: Root;
let processLetters: (event: SQSEvent) => Promise<SQSBatchResponse>;
let engine: LocalStepFunctions;
let s3: Awaited<ReturnType<typeof startS3>>;
let s3Dir: string;
let evidence: S3Client;
const savedEnv = { ...process.env };
const released: string[] = [];
/** Every ObjectCreated record s3rver reported, by key, in the order it reported them. */
const reported = new Map<string, S3EventRecord[]>();
const caller: Caller = { sub: 'alice', account: `acct-${randomUUID()}`, roles: ['customer'] };

beforeAll(async () => {
  const table = await createTestTable();
  s3Dir = await mkdtemp(join(tmpdir(), 'certrevoke-s3-events-'));
  s3 = await startS3({
    dir: s3Dir,
    onEvent: (n) => {
      for (const r of (n as { Records: S3EventRecord[] }).Records) {
        if (r.eventName.startsWith('ObjectCreated')) reported.set(r.s3.object.key, [...(reported.get(r.s3.object.key) ?? []), r]);
      }
    },
  });
  engine = await startLocalStepFunctions({
    stateMachines: [{ name: 'revocation', definition: JSON.stringify(STAND_IN) }],
    invokeLambda: async (arn, payload) => {
      const input = payload as { revocationId: string; taskToken?: string };
      if (arn === CALLBACK) return awaitCallback(root.stepDeps(), input.revocationId, 'letter', input.taskToken!);
      if (arn === RELEASED) return void released.push(input.revocationId);
      throw new Error(`no function ${arn}`);
    },
  });
  // The processor's composition root reads these, as the Lambda reads its environment.
  Object.assign(process.env, {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    TABLE_NAME: table.tableName,
    DYNAMODB_ENDPOINT: table.endpoint,
    S3_ENDPOINT: s3.endpoint,
    INTAKE_BUCKET: LETTER_BUCKETS[0],
    EVIDENCE_BUCKET: LETTER_BUCKETS[1],
    SFN_ENDPOINT: engine.endpoint,
    REVOCATION_STATE_MACHINE_ARN: engine.stateMachineArn('revocation'),
    REISSUE_STATE_MACHINE_ARN: engine.stateMachineArn('reissue'),
  });
  root = await import('../../lib/root.js');
  ({ processLetters } = await import('../../functions/process-letter.js'));
  evidence = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
}, 60_000);

afterAll(async () => {
  evidence?.destroy();
  await engine?.stop();
  await s3?.stop();
  await rm(s3Dir, { recursive: true, force: true });
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

let serial = 0;
/** A DNSPod SM2 OV certificate's revocation: the letter route (JPG, GIF or PDF), waiting with its token stored. */
async function letterRequest(): Promise<{ id: string; certificateId: string }> {
  const ca = {
    issue: async () => ({ pem: '', chainPem: 'x', serialNumber: `0B${String(++serial).padStart(30, '0')}`, csrPem: '', publicKeySha256: '' }),
  };
  const now = Date.now();
  const cert = await registerCertificate(
    { store: root.certificateStore(), ca, clock: () => new Date(), newId: () => `crt_${randomUUID()}`, inspectPem: () => ({ serialNumber: '', notBefore: '', notAfter: '' }) },
    { sub: 'op', account: 'ops', roles: ['operator'] },
    {
      account: caller.account, domain: `e${serial}-${randomUUID().slice(0, 8)}.example.com`, sans: [], source: 'platform', free: false, validityYears: 1, dnsHostedHere: false,
      renewalStatus: 'none', domainStatus: 'active', issuedAt: new Date(now - 86_400_000).toISOString(), notAfter: new Date(now + 300 * 86_400_000).toISOString(),
      productType: 'OV', domainValidation: 'dns', enterprise: { name: 'Acme' }, brand: 'DNSPod', algorithm: 'sm2',
    },
  );
  const r = await submitRevocation(root.revocationDeps(), caller, cert.id, { reason: 'closing down' });
  await eventually(() => root.revocationStore().get(r.id), (x) => typeof x?.taskToken === 'string');
  return { id: r.id, certificateId: cert.id };
}

/** POSTs the file to the slot's presigned form, as a browser would, and returns the record s3rver reported for it. */
async function upload(slot: { url: string; fields: Record<string, string> }, bytes: Uint8Array): Promise<S3EventRecord> {
  const key = slot.fields.key!;
  const before = reported.get(key)?.length ?? 0;
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.fields)) form.append(name, value);
  form.append('file', new Blob([bytes]), 'scan');
  expect((await fetch(slot.url, { method: 'POST', body: form })).status).toBeLessThan(300);
  const records = await eventually(async () => reported.get(key) ?? [], (r) => r.length > before, 5_000);
  return records[before]!;
}

let sequence = BigInt(Date.now()) << 16n;
/** A record as S3 would send it for the n-th event of a key: an 18-digit hex sequencer, always higher. */
function withSequencer(record: S3EventRecord): S3EventRecord {
  sequence += 1n;
  return { ...record, s3: { ...record.s3, object: { ...record.s3.object, sequencer: sequence.toString(16).toUpperCase().padStart(18, '0') } } };
}

/** One SQS message carrying the S3 notification, as S3 → SQS delivers it (each delivery its own message id). */
function sqsEvent(record: S3EventRecord): SQSEvent {
  const message = {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body: JSON.stringify({ Records: [record] }),
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 's3', ApproximateFirstReceiveTimestamp: String(Date.now()) },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:certrevoke-letters',
    awsRegion: 'us-east-1',
  } as SQSRecord;
  return { Records: [message] };
}

/** Each delivery acknowledged: no batch item failure, so SQS deletes the message. */
async function deliver(record: S3EventRecord): Promise<void> {
  expect(await processLetters(sqsEvent(record))).toEqual({ batchItemFailures: [] });
}

const eventTypes = async (certificateId: string) => (await root.certificateStore().events(certificateId)).map((e) => e.type);
const count = (items: string[], item: string) => items.filter((x) => x === item).length;
const releases = (id: string) => released.filter((x) => x === id).length;

/** Waits for the workflow to be released once, then a little longer: a second release would show by then. */
async function releasedOnce(id: string): Promise<void> {
  await eventually(async () => releases(id), (n) => n > 0, 5_000);
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(releases(id)).toBe(1);
}

async function evidenceObjects(id: string): Promise<string[]> {
  const page = await evidence.send(new ListObjectsV2Command({ Bucket: LETTER_BUCKETS[1], Prefix: `evidence/${caller.account}/${id}/` }));
  return (page.Contents ?? []).map((o) => o.Key!);
}

describe('the letter processor under duplicated, reordered and late S3 events', () => {
  it('accepts one letter, appends one audit event and completes the task once when one S3 event arrives three times at once and again later', async () => {
    const { id, certificateId } = await letterRequest();
    const slot = await issueUploadSlot(root.letterUploadDeps(), caller, id);
    const record = withSequencer(await upload(slot, await letters.jpegLetter()));

    // Three deliveries of the same notification, handled by three concurrent invocations.
    await Promise.all([deliver(record), deliver(record), deliver(record)]);
    const r = (await root.revocationStore().get(id))!;
    expect(r).toMatchObject({ status: 'pending_review', letter: { status: 'accepted', type: 'jpg' } });
    await releasedOnce(id);
    // A redelivery long after (SQS at least once): nothing more.
    await deliver(record);
    expect((await root.revocationStore().get(id))!.version).toBe(r.version);
    expect(count(await eventTypes(certificateId), 'letter.accepted')).toBe(1);
    expect((await evidenceObjects(id)).sort()).toEqual([r.letter!.evidenceKey, r.letter!.thumbnailKey].sort());
    expect(await root.letterStore().headUpload(slot.fields.key!)).toBeUndefined();
    expect(releases(id)).toBe(1);
  });

  it('ignores an older event of a key once a newer one was handled, and leaves the newer upload to its own event', async () => {
    const { id, certificateId } = await letterRequest();
    const slot = await issueUploadSlot(root.letterUploadDeps(), caller, id);
    const key = slot.fields.key!;
    // Two PNGs (not allowed for an application letter) to the same key; S3 reports them out of order.
    const first = withSequencer(await upload(slot, await letters.pngLetter(120, 80)));
    const second = withSequencer(await upload(slot, await letters.pngLetter(130, 90)));
    await deliver(second);
    const rejected = (await root.revocationStore().get(id))!;
    expect(rejected.letter!.rejections.map((x) => x.code)).toEqual(['LETTER_TYPE_NOT_ALLOWED']);

    // The customer uploads a good letter; before its event, the first one's event arrives late.
    const good = withSequencer(await upload(slot, await letters.jpegLetter()));
    await deliver(first);
    const after = (await root.revocationStore().get(id))!;
    expect(after).toMatchObject({ status: 'pending_letter', version: rejected.version, letter: { status: 'awaiting' } });
    expect((await root.letterStore().headUpload(key))?.etag).toBe(good.s3.object.eTag);

    await deliver(good);
    expect((await root.revocationStore().get(id))!).toMatchObject({ status: 'pending_review', letter: { status: 'accepted', type: 'jpg' } });
    for (const late of [first, second]) await deliver(late);
    const types = await eventTypes(certificateId);
    expect([count(types, 'letter.rejected'), count(types, 'letter.accepted')]).toEqual([1, 1]);
    await releasedOnce(id);
  });

  it('keeps a newer upload that replaced the file while it was being judged', async () => {
    const { id } = await letterRequest();
    const slot = await issueUploadSlot(root.letterUploadDeps(), caller, id);
    const key = slot.fields.key!;
    const judged = withSequencer(await upload(slot, await letters.pngLetter()));

    // The inspector holds its verdict on the first file until the second one has replaced it.
    let reached!: () => void;
    const inspecting = new Promise<void>((resolve) => (reached = resolve));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const real = root.letterProcessingDeps().inspector;
    const inspector: LetterInspector = {
      inspect: async (bytes, allowed) => {
        reached();
        await held;
        return real.inspect(bytes, allowed);
      },
      thumbnail: (bytes, type) => real.thumbnail(bytes, type),
    };
    const gated = Object.create(root.letterProcessingDeps(), { inspector: { value: inspector } }) as ProcessingDeps;
    const judging = processUpload(gated, key, { sequencer: judged.s3.object.sequencer });
    await inspecting;
    const replacement = withSequencer(await upload(slot, await letters.jpegLetter()));
    release();
    expect(await judging).toBe('rejected');

    // The replacement is still there for its own event, which accepts it.
    expect((await root.letterStore().headUpload(key))?.etag).toBe(replacement.s3.object.eTag);
    await deliver(replacement);
    expect((await root.revocationStore().get(id))!).toMatchObject({ status: 'pending_review', letter: { status: 'accepted', type: 'jpg' } });
    await releasedOnce(id);
  });

  it('acks the message and resumes the workflow once when the waiting task has closed before the letter arrives', async () => {
    const { id, certificateId } = await letterRequest();
    const token = (await root.revocationStore().get(id))!.taskToken!;
    // The task ends (here: failed by hand, as a timeout would end it); its token stays on the request.
    const sfn = createSfnClient({ region: 'us-east-1', endpoint: engine.endpoint });
    await sfn.send('SendTaskFailure', { taskToken: token, error: 'Closed', cause: 'closed by the test' });
    const workflows = new SfnWorkflows(sfn, { revocation: () => engine.stateMachineArn('revocation'), reissue: () => engine.stateMachineArn('reissue') });
    // SendTaskSuccess on it: Step Functions answers TaskTimedOut, the adapter a TaskGoneError.
    await expect(workflows.completeTask(token, { letter: 'accepted' })).rejects.toBeInstanceOf(TaskGoneError);
    sfn.destroy();

    const slot = await issueUploadSlot(root.letterUploadDeps(), caller, id);
    const record = withSequencer(await upload(slot, await letters.jpegLetter()));
    await deliver(record);
    expect((await root.revocationStore().get(id))!).toMatchObject({ status: 'pending_review', letter: { status: 'accepted' } });
    await releasedOnce(id);
    await deliver(record);
    expect(count(await eventTypes(certificateId), 'letter.accepted')).toBe(1);
    expect(releases(id)).toBe(1);
  });
});

describe('S3 sequencers', () => {
  it.each([
    ['equal lengths', '0055AED6DCD90281E5', '0055AED6DCD90281E6'],
    ['a shorter one before a longer one', '0055AED6DCD90281E5', '0055AED6DCD90281E501'],
    ['lower-case digits', '0055aed6dcd90281e5', '0055AED6DCD90281F0'],
  ])('orders %s as S3 does', (_label, older, newer) => {
    expect(sequencerSortKey(older)! < sequencerSortKey(newer)!).toBe(true);
  });

  it('pads the shorter of two sequencers on the right with zeros, as S3 documents, when their lengths differ', () => {
    expect(sequencerSortKey('0055AED6DCD90281E5')).toBe(sequencerSortKey('0055AED6DCD90281E500'));
    expect(sequencerSortKey('FF')! > sequencerSortKey('100')!).toBe(true);
  });

  it('refuses what is not a sequencer when it is not hex or is too long', () => {
    expect(sequencerSortKey('not-hex')).toBeUndefined();
    expect(sequencerSortKey('A'.repeat(65))).toBeUndefined();
  });

  it('records the newest event per key with a conditional write: older refused, a repeat and newer accepted', async () => {
    const store = root.revocationStore();
    const key = `uploads/${caller.account}/rev_${randomUUID()}/slot`;
    expect(await store.recordUploadEvent(key, '0055AED6DCD90281E5')).toBe(true);
    expect(await store.recordUploadEvent(key, '0055AED6DCD90281E4')).toBe(false);
    expect(await store.recordUploadEvent(key, '0055AED6DCD90281E5')).toBe(true);
    expect(await store.recordUploadEvent(key, '0055AED6DCD90281E6')).toBe(true);
    expect(await store.recordUploadEvent(key, '0055AED6DCD90281E5')).toBe(false);
    // Another key's order is its own.
    expect(await store.recordUploadEvent(`${key}x`, '0055AED6DCD90281E0')).toBe(true);
  });
});
