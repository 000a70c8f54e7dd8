import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContentLetterInspector } from '../../lib/adapters/content-letter-inspector.js';
import { DynamoCertificateStore } from '../../lib/adapters/dynamo-certificate-store.js';
import { DynamoRevocationStore } from '../../lib/adapters/dynamo-revocation-store.js';
import { S3LetterStore } from '../../lib/adapters/s3-letter-store.js';
import { S3EvidenceLinks, S3UploadSigner } from '../../lib/adapters/s3-presign.js';
import { issueUploadSlot, processUpload, reconcileUploads, type ProcessingDeps } from '../../lib/app/letters.js';
import type { Caller } from '../../lib/app/model.js';
import type { EvidenceLinks, UploadSigner, Workflows } from '../../lib/app/ports.js';
import { registerCertificate } from '../../lib/app/certificates.js';
import { submitRevocation } from '../../lib/app/revocations.js';
import { LETTER_MAX_BYTES } from '../../lib/domain/letter.js';
import { LETTER_BUCKETS, startS3 } from '../../infra/local/s3.js';
import * as files from '../fixtures/letters.js';
import { createTestTable } from '../support/dynamo.js';

/**
 * Real multipart POSTs to s3rver through the presigned fields, then the processor's decision,
 * against DynamoDB Local, the real inspector (sharp, pdf-lib in a worker) and evidence in S3.
 * Step Functions is the one stand-in: a fake implementing the Workflows port records callbacks.
 */
let deps: ProcessingDeps & { uploads: UploadSigner; links: EvidenceLinks };
let s3: Awaited<ReturnType<typeof startS3>>;
let s3Dir: string;
const events: string[] = [];
const completed: string[] = [];
const caller: Caller = { sub: 'alice', account: `acct-${Date.now()}`, roles: ['customer'] };

const workflows: Workflows = {
  startRevocation: async () => undefined,
  startReissue: async () => undefined,
  completeTask: async (token) => void completed.push(token),
  failTask: async () => undefined,
};

beforeAll(async () => {
  const table = await createTestTable();
  s3Dir = await mkdtemp(join(tmpdir(), 'certrevoke-s3-'));
  s3 = await startS3({
    dir: s3Dir,
    onEvent: (n) => {
      for (const r of (n as { Records: { eventName: string; s3: { object: { key: string } } }[] }).Records) if (r.eventName.startsWith('ObjectCreated')) events.push(r.s3.object.key);
    },
  });
  const certificates = new DynamoCertificateStore(table.db, table.tableName);
  deps = {
    certificates,
    revocations: new DynamoRevocationStore(table.db, table.tableName),
    letters: new S3LetterStore({ region: 'us-east-1', endpoint: s3.endpoint, intakeBucket: LETTER_BUCKETS[0], evidenceBucket: LETTER_BUCKETS[1] }),
    inspector: new ContentLetterInspector(),
    uploads: new S3UploadSigner({ region: 'us-east-1', endpoint: s3.endpoint, intakeBucket: LETTER_BUCKETS[0] }),
    links: new S3EvidenceLinks({ region: 'us-east-1', endpoint: s3.endpoint, evidenceBucket: LETTER_BUCKETS[1] }),
    workflows,
    clock: () => new Date(),
    warn: () => undefined,
  };
}, 60_000);

afterAll(async () => {
  await s3?.stop();
  await rm(s3Dir, { recursive: true, force: true });
});

let n = 0;
/** A letter-route request: `application` (jpg/gif/pdf) for DNSPod SM2 OV, `confirmation` (jpg/png/pdf) for other OV. */
async function letterRequest(kind: 'application' | 'confirmation'): Promise<string> {
  const ca = { issue: async () => ({ pem: '', chainPem: 'x', serialNumber: `0A${String(++n).padStart(30, '0')}`, csrPem: '', publicKeySha256: '' }) };
  const cert = await registerCertificate(
    { store: deps.certificates, ca, clock: () => new Date(), newId: () => `crt_${Date.now()}_${n}`, inspectPem: () => ({ serialNumber: '', notBefore: '', notAfter: '' }) },
    { sub: 'op', account: 'ops', roles: ['operator'] },
    {
      account: caller.account, domain: `l${n}.example.com`, sans: [], source: 'platform', free: false, validityYears: 1, dnsHostedHere: false,
      renewalStatus: 'none', domainStatus: 'active', issuedAt: new Date(Date.now() - 86_400_000).toISOString(), notAfter: new Date(Date.now() + 300 * 86_400_000).toISOString(),
      productType: 'OV', domainValidation: 'dns', enterprise: { name: 'Acme' },
      ...(kind === 'application' ? { brand: 'DNSPod', algorithm: 'sm2' } : { brand: 'GlobalSign', algorithm: 'international' }),
    },
  );
  const revocation = await submitRevocation({ ...deps, newId: () => `rev_${Date.now()}_${n}` }, caller, cert.id, { reason: 'closing down' });
  return revocation.id;
}

/** POSTs the file through the presigned form exactly as a browser would, waits for s3rver's event, runs the processor. */
async function upload(revocationId: string, bytes: Uint8Array, filename: string) {
  const slot = await issueUploadSlot(deps, caller, revocationId);
  const form = new FormData();
  for (const [name, value] of Object.entries(slot.fields)) form.append(name, value);
  form.append('file', new Blob([bytes]), filename);
  const res = await fetch(slot.url, { method: 'POST', body: form });
  expect(res.status).toBeLessThan(300);
  const key = slot.fields.key!;
  const deadline = Date.now() + 5_000;
  while (!events.includes(key) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(events).toContain(key);
  const started = Date.now();
  const outcome = await processUpload(deps, key);
  return { key, outcome, ms: Date.now() - started };
}

const lastRejection = async (id: string) => (await deps.revocations.get(id))!.letter!.rejections.at(-1);

describe('letter uploads through presigned POST to s3rver', () => {
  it.each([
    ['a JPG', 'application', () => files.jpegLetter(), 'scan.jpg', 'jpg'],
    ['a GIF', 'application', () => files.gifLetter(), 'scan.gif', 'gif'],
    ['a PNG', 'confirmation', () => files.pngLetter(), 'scan.png', 'png'],
    ['a PDF', 'application', () => files.pdfLetter(), 'scan.pdf', 'pdf'],
    ['a PDF of exactly 1,468,006 bytes', 'confirmation', () => files.pdfOfSize(LETTER_MAX_BYTES), 'big.pdf', 'pdf'],
    ['a PDF named .jpg (as a PDF)', 'application', () => files.pdfLetter(), 'scan.jpg', 'pdf'],
  ] as const)('accepts %s, keeps the bytes as evidence and moves to review', async (_label, kind, make, filename, type) => {
    const id = await letterRequest(kind);
    const bytes = await make();
    const { key, outcome } = await upload(id, bytes, filename);
    expect(outcome).toBe('accepted');
    const r = (await deps.revocations.get(id))!;
    expect(r.status).toBe('pending_review');
    // The store hashes the body as it arrives, chunk by chunk (the 1.4 MiB PDF comes in many).
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    expect(r.letter).toMatchObject({ status: 'accepted', type, bytes: bytes.length, sha256, evidenceKey: `evidence/${caller.account}/${id}/${sha256}.${type}` });
    expect(await deps.letters.headUpload(key)).toBeUndefined();
    // The reviewer's link, fetched over HTTP: the bytes, served as their type and as an attachment.
    const evidence = await fetch(await deps.links.presignEvidence(r.letter!.evidenceKey!, { contentType: r.letter!.contentType!, filename: `letter.${type}`, expiresSeconds: 60 }));
    expect(evidence.status).toBe(200);
    expect(evidence.headers.get('content-type')).toBe(r.letter!.contentType);
    expect(evidence.headers.get('content-disposition')).toBe(`attachment; filename="letter.${type}"`);
    expect(Buffer.from(await evidence.arrayBuffer()).equals(Buffer.from(bytes))).toBe(true);
  });

  it.each([
    ['a type not allowed for the route (PNG for an application)', () => files.pngLetter(), 'scan.png', ['LETTER_TYPE_NOT_ALLOWED']],
    ['1,023 bytes', async () => new Uint8Array(1023).fill(0x41), 'small.jpg', ['LETTER_TOO_SMALL']],
    ['1,468,007 bytes', async () => files.concat(await files.pdfOfSize(LETTER_MAX_BYTES), new Uint8Array([0x0a])), 'big.pdf', ['LETTER_TOO_LARGE']],
    ['HTML named .jpg', async () => files.htmlPage(), 'page.jpg', ['LETTER_TYPE_NOT_ALLOWED', 'LETTER_UNREADABLE']],
    ['a truncated PDF', async () => { const pdf = await files.pdfLetter(); return files.truncate(pdf, pdf.length - 200); }, 'cut.pdf', ['LETTER_UNREADABLE']],
    ['an encrypted PDF', async () => files.encryptedPdf(), 'locked.pdf', ['LETTER_UNREADABLE']],
    ['a tiny PNG declaring 30000×30000 pixels', async () => files.pngBomb(), 'bomb.png', ['LETTER_TYPE_NOT_ALLOWED', 'LETTER_UNREADABLE']],
    ['an SVG named .png', async () => files.svgWithDeclaration(), 'image.png', ['LETTER_TYPE_NOT_ALLOWED', 'LETTER_UNREADABLE']],
    ['a TIFF named .png', () => files.TIFF(), 'image.png', ['LETTER_TYPE_NOT_ALLOWED']],
    ['a truncated GIF', async () => { const gif = await files.gifLetter(); return files.truncate(gif, gif.length - 10); }, 'cut.gif', ['LETTER_UNREADABLE']],
    ['a GIF89a-prefixed PDF', async () => files.gifPrefixedPdf(await files.pdfLetter()), 'poly.gif', ['LETTER_UNREADABLE', 'LETTER_TYPE_NOT_ALLOWED']],
    ['a PDF with /OpenAction JavaScript', async () => files.openActionJavaScriptPdf(), 'js.pdf', ['LETTER_UNREADABLE']],
    ['a self-referencing page tree', async () => files.selfReferencingKidsPdf(), 'loop.pdf', ['LETTER_UNREADABLE']],
    ['a chained-Flate bomb', () => files.chainedFlateBombPdf(), 'bomb.pdf', ['LETTER_UNREADABLE']],
  ] as const)('rejects %s with its code, deletes the upload and keeps the one upload available', async (_label, make, filename, codes) => {
    const id = await letterRequest('application');
    const { key, outcome, ms } = await upload(id, await make(), filename);
    expect(outcome).toBe('rejected');
    expect(ms).toBeLessThan(10_000);
    expect(codes).toContain((await lastRejection(id))?.code);
    const r = (await deps.revocations.get(id))!;
    expect(r).toMatchObject({ status: 'pending_letter', letter: { status: 'awaiting' } });
    expect(await deps.letters.headUpload(key)).toBeUndefined();
    // The rejected file did not use up the upload: a good letter is still accepted.
    expect((await upload(id, await files.pdfLetter(), 'good.pdf')).outcome).toBe('accepted');
  });

  it('changes nothing on a duplicate event, and ignores and deletes an upload after acceptance', async () => {
    const id = await letterRequest('application');
    const first = await upload(id, await files.jpegLetter(), 'a.jpg');
    expect(first.outcome).toBe('accepted');
    const accepted = (await deps.revocations.get(id))!;
    expect(await processUpload(deps, first.key)).toBe('ignored');

    // A second upload to a slot of this request: s3rver stores it, the processor deletes it.
    const key = `uploads/${caller.account}/${id}/${accepted.letter?.slot?.id ?? 'late-slot'}`;
    const late = await deps.uploads.presignUpload(key, { minBytes: 1024, maxBytes: LETTER_MAX_BYTES, expiresSeconds: 60 });
    const form = new FormData();
    for (const [name, value] of Object.entries(late.fields)) form.append(name, value);
    form.append('file', new Blob([await files.pdfLetter()]), 'late.pdf');
    expect((await fetch(late.url, { method: 'POST', body: form })).status).toBeLessThan(300);
    expect(await processUpload(deps, key)).toBe('ignored');
    expect(await deps.letters.headUpload(key)).toBeUndefined();
    const after = (await deps.revocations.get(id))!;
    expect(after.letter).toEqual(accepted.letter);
    expect(after.version).toBe(accepted.version);
  });

  it('records a repeated event for the same rejected file once', async () => {
    const id = await letterRequest('application');
    const slot = await issueUploadSlot(deps, caller, id);
    const form = new FormData();
    for (const [name, value] of Object.entries(slot.fields)) form.append(name, value);
    form.append('file', new Blob([files.htmlPage()]), 'x.jpg');
    await fetch(slot.url, { method: 'POST', body: form });
    const outcomes = await Promise.all([processUpload(deps, slot.fields.key!), processUpload(deps, slot.fields.key!)]);
    expect(outcomes.filter((o) => o === 'rejected').length).toBeGreaterThanOrEqual(1);
    expect((await deps.revocations.get(id))!.letter!.rejections).toHaveLength(1);
  });

  it('ignores an upload to a closed slot: issuing a new slot closes the previous one', async () => {
    const id = await letterRequest('application');
    const old = await issueUploadSlot(deps, caller, id);
    await issueUploadSlot(deps, caller, id);
    const form = new FormData();
    for (const [name, value] of Object.entries(old.fields)) form.append(name, value);
    form.append('file', new Blob([await files.pdfLetter()]), 'old.pdf');
    await fetch(old.url, { method: 'POST', body: form });
    expect(await processUpload(deps, old.fields.key!)).toBe('ignored');
    expect(await deps.letters.headUpload(old.fields.key!)).toBeUndefined();
    expect((await deps.revocations.get(id))!.letter!.status).toBe('awaiting');
  });

  it('reconciles an upload that no event reported, and leaves recent ones to their events', async () => {
    const id = await letterRequest('application');
    const slot = await issueUploadSlot(deps, caller, id);
    const form = new FormData();
    for (const [name, value] of Object.entries(slot.fields)) form.append(name, value);
    form.append('file', new Blob([await files.pdfLetter()]), 'unreported.pdf');
    await fetch(slot.url, { method: 'POST', body: form });
    expect((await reconcileUploads(deps, 3600)).accepted).toBe(0);
    expect((await deps.revocations.get(id))!.letter!.status).toBe('awaiting');
    const counts = await reconcileUploads(deps, 0);
    expect(counts.accepted).toBe(1);
    expect((await deps.revocations.get(id))!.letter!.status).toBe('accepted');
    expect((await reconcileUploads(deps, 0)).accepted).toBe(0);
  });
});
