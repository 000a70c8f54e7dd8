import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, eventually, mintToken, registrationBody, showOutputOnFailure, startRuntimeProcess, uploadToSlot, type Json, type RuntimeProcess } from '../support/local-runtime.js';

/**
 * The letter route through the local runtime over HTTP: the real gateway, s3rver with real
 * multipart uploads, the processor on its S3 events, the ASL interpreted locally. Time runs at
 * its real pace here: an upload slot lasts 15 minutes, and at the 10,000× of the other
 * revocation tests it would close (the scheduled sweep closes expired slots) 90 ms after it was
 * issued, before the test's second upload to it.
 */
let rt: RuntimeProcess;
let operator: string;
let reviewer: string;
let alice: string;
let bob: string;
const account = `acme-${Date.now()}`;

const call = (method: string, path: string, token?: string, body?: unknown) => apiCall(rt.url, method, path, token, body);
const revocationOf = (id: string) => call('GET', `/revocations/${id}`, alice).then((r) => r.body.revocation as Json);
const until = (id: string, status: string) => eventually(() => revocationOf(id), (r) => r?.status === status, 30_000);

/** An SM2 OV certificate of DNSPod: its revocation needs an application letter (jpg, gif or pdf). */
async function register(): Promise<Json> {
  const res = await call('POST', '/admin/certificates', operator, registrationBody(account, { brand: 'DNSPod', algorithm: 'sm2', productType: 'OV', enterprise: { name: 'Acme Ltd' } }));
  expect(res.status, res.text).toBe(201);
  return res.body.certificate as Json;
}

const submit = (id: string, body: Json) => call('POST', `/certificates/${id}/revocations`, alice, body);

showOutputOnFailure(() => rt);

beforeAll(async () => {
  rt = await startRuntimeProcess(['--in-memory', '--no-seed']);
  [operator, reviewer, alice, bob] = await Promise.all([
    mintToken(rt.url, 'oscar', 'ops', ['operator']),
    mintToken(rt.url, 'rita', 'ops', ['reviewer']),
    mintToken(rt.url, 'alice', account, ['customer']),
    mintToken(rt.url, 'bob', `globex-${Date.now()}`, ['customer']),
  ]);
});

afterAll(async () => {
  await rt?.stop();
});

describe('revocation: letter route end to end', () => {
  it('template → slot → a rejected file → an accepted letter → reviewer sees the evidence → approved → revoked', async () => {
    const cert = await register();
    const r = (await submit(cert.id, { reason: 'The company was dissolved', reasonCode: 'cessationOfOperation' })).body.revocation as Json;

    const template = await fetch(`${rt.url}/revocations/${r.id}/letter-template`, { headers: { authorization: `Bearer ${alice}` } });
    expect(template.status).toBe(200);
    expect(template.headers.get('content-type')).toBe('application/pdf');
    const pdf = new Uint8Array(await template.arrayBuffer());
    expect(Buffer.from(pdf.subarray(0, 5)).toString()).toBe('%PDF-');
    expect((await call('GET', `/revocations/${r.id}/letter-template`, bob)).status).toBe(404);

    const slot = (await call('POST', `/revocations/${r.id}/letter-upload`, alice)).body;
    expect(slot).toMatchObject({ method: 'POST', minBytes: 1024, maxBytes: 1468006, allowedTypes: ['jpg', 'gif', 'pdf'] });
    expect(slot.fields.key).toMatch(new RegExp(`^uploads/${account}/${r.id}/`));

    // A PNG is not allowed for an application letter, whatever its name says: rejected, slot kept.
    const png = Uint8Array.from(Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.alloc(2048, 1)]));
    expect(await uploadToSlot(slot, png, 'scan.jpg', 'image/jpeg')).toBeLessThan(300);
    const rejected = await eventually(() => revocationOf(r.id), (x) => (x.letter.rejections as Json[]).length > 0);
    expect(rejected.status).toBe('pending_letter');
    expect(rejected.letter.rejections[0]).toMatchObject({ code: expect.stringMatching(/^LETTER_(TYPE_NOT_ALLOWED|UNREADABLE)$/), detail: expect.any(String) });

    // The signed, stamped and scanned letter (here: the template itself, a real PDF).
    expect(await uploadToSlot(slot, pdf, 'letter.pdf', 'application/pdf')).toBeLessThan(300);
    const accepted = await eventually(() => revocationOf(r.id), (x) => x.letter.status === 'accepted');
    expect(accepted.letter.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(accepted.letter.rejections).toHaveLength(1);
    expect((await call('POST', `/revocations/${r.id}/letter-upload`, alice)).body).toMatchObject({ status: 409, code: 'LETTER_ALREADY_UPLOADED' });
    // An upload to the old slot after acceptance changes nothing.
    await uploadToSlot(slot, pdf, 'again.pdf', 'application/pdf');

    const review = await eventually(() => call('GET', `/reviews/${r.id}`, reviewer), (x) => x.body.review?.queuedAt !== undefined);
    const { letterUrl, thumbnailUrl } = review.body.review as { letterUrl: string; thumbnailUrl: string };
    const evidence = await fetch(letterUrl);
    expect(evidence.headers.get('content-type')).toBe('application/pdf');
    expect(evidence.headers.get('content-disposition')).toContain('attachment');
    expect(createHash('sha256').update(Buffer.from(await evidence.arrayBuffer())).digest('hex')).toBe(accepted.letter.sha256);
    const thumbnail = Buffer.from(await (await fetch(thumbnailUrl)).arrayBuffer());
    expect(thumbnail.subarray(8, 12).toString()).toBe('WEBP');

    expect((await call('POST', `/reviews/${r.id}/decision`, reviewer, { decision: 'approve' })).status).toBe(200);
    await until(r.id, 'revoked');
    const types = ((await call('GET', `/certificates/${cert.id}/events`, alice)).body.items as Json[]).map((e) => e.type);
    expect(types).toEqual(['certificate.registered', 'revocation.submitted', 'letter.rejected', 'letter.accepted', 'review.approved', 'revocation.revoked']);
  });
});
