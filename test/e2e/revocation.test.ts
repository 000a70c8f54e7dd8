import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, eventually, mintToken, showOutputOnFailure, startRuntimeProcess, type Json, type RuntimeProcess } from '../support/local-runtime.js';

/**
 * Revocation through the local runtime over HTTP: the real gateway, handlers, DynamoDB Local,
 * the ASL interpreted locally, the embedded CA and openssl. Time runs 10,000× faster in the
 * runtime so the 3-day validation deadline passes in about 26 s.
 */
const TIME_SCALE = 0.0001;
const DAY = 24 * 60 * 60 * 1000;

let rt: RuntimeProcess;
let operator: string;
let reviewer: string;
let alice: string;
let bob: string;
const account = `acme-${Date.now()}`;
const otherAccount = `globex-${Date.now()}`;
let domainCounter = 0;


const call = (method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) => apiCall(rt.url, method, path, token, body, headers);

/** Registers a platform certificate (operator) and returns it; defaults: GeoTrust DV, manual DNS → domain_validation. */
async function register(overrides: Json = {}): Promise<Json> {
  const now = Date.now();
  const res = await call('POST', '/admin/certificates', operator, {
    account,
    domain: `site${++domainCounter}-${now}.example.com`,
    source: 'platform',
    brand: 'GeoTrust',
    algorithm: 'international',
    productType: 'DV',
    domainValidation: 'dns',
    issuedAt: new Date(now - 10 * DAY).toISOString(),
    notAfter: new Date(now + 3 * 365 * DAY).toISOString(),
    ...overrides,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.certificate as Json;
}

const AUTO = { brand: 'TrustAsia', wildcard: true, validityYears: 2, domainValidation: 'dns_auto', dnsHostedHere: true };
const REVIEW = { brand: 'WoTrus' };
const LETTER = { brand: 'DNSPod', algorithm: 'sm2', productType: 'OV', enterprise: { name: 'Acme Ltd' } };

const submit = (id: string, body: Json = {}, token = alice, headers: Record<string, string> = {}) => call('POST', `/certificates/${id}/revocations`, token, body, headers);
const revocationOf = (id: string) => call('GET', `/revocations/${id}`, alice).then((r) => r.body.revocation as Json);
const certificateOf = (id: string) => call('GET', `/certificates/${id}`, alice).then((r) => r.body.certificate as Json);
const until = (id: string, status: string) => eventually(() => revocationOf(id), (r) => r?.status === status, 30_000);

showOutputOnFailure(() => rt);

beforeAll(async () => {
  rt = await startRuntimeProcess(['--in-memory', '--no-seed', '--time-scale', String(TIME_SCALE)], 60_000, { VALIDATION_POLL_SECONDS: '20000' });
  [operator, reviewer, alice, bob] = await Promise.all([
    mintToken(rt.url, 'oscar', 'ops', ['operator']),
    mintToken(rt.url, 'rita', 'ops', ['reviewer']),
    mintToken(rt.url, 'alice', account, ['customer']),
    mintToken(rt.url, 'bob', otherAccount, ['customer']),
  ]);
});

afterAll(async () => {
  await rt?.stop();
});

describe('revocation: auto route and the CA effect', () => {
  it('revokes at the CA: the CRL verifies with openssl and openssl rejects the revoked leaf', async () => {
    const cert = await register({ ...AUTO, domain: `*.auto-${Date.now()}.example.net` });
    const pem = await (await fetch(`${rt.url}/certificates/${cert.id}/download`, { headers: { authorization: `Bearer ${alice}` } })).text();
    const submitted = await submit(cert.id, { reasonCode: 'keyCompromise' });
    expect(submitted.status).toBe(202);
    expect(submitted.body.revocation).toMatchObject({ route: 'auto', status: 'revoking', reasonCode: 'keyCompromise', certificateId: cert.id });
    expect(JSON.stringify(submitted.body)).not.toMatch(/taskToken|version/);
    await until(submitted.body.revocation.id, 'revoked');
    expect((await certificateOf(cert.id)).status).toBe('revoked');

    const dir = await mkdtemp(join(tmpdir(), 'certrevoke-crl-'));
    await writeFile(join(dir, 'ca.pem'), await (await fetch(`${rt.url}/ca.pem`)).text());
    await writeFile(join(dir, 'leaf.pem'), pem.split(/(?<=-----END CERTIFICATE-----\n)/)[0]!);
    const crl = await fetch(`${rt.url}/crl`);
    expect(crl.headers.get('content-type')).toBe('application/pkix-crl');
    await writeFile(join(dir, 'crl.der'), Buffer.from(await crl.arrayBuffer()));
    execFileSync('openssl', ['crl', '-inform', 'DER', '-in', join(dir, 'crl.der'), '-out', join(dir, 'crl.pem')]);
    // `openssl crl -CAfile` exits 0 either way: the verdict is on stderr.
    const verified = spawnSync('openssl', ['crl', '-in', join(dir, 'crl.pem'), '-CAfile', join(dir, 'ca.pem'), '-noout'], { encoding: 'utf8' });
    expect(verified.stderr).toBe('verify OK\n');
    const text = execFileSync('openssl', ['crl', '-in', join(dir, 'crl.pem'), '-noout', '-text']).toString();
    expect(text).toContain(`Serial Number: ${cert.serialNumber}`);
    expect(text).toContain('Key Compromise');
    let verifyError = '';
    try {
      execFileSync('openssl', ['verify', '-crl_check', '-CAfile', join(dir, 'ca.pem'), '-CRLfile', join(dir, 'crl.pem'), join(dir, 'leaf.pem')], { stdio: 'pipe' });
    } catch (error) {
      verifyError = String((error as { stderr: Buffer }).stderr);
    }
    expect(verifyError).toContain('certificate revoked');
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses download once revoking and a second revocation once revoked; there is no cancel route', async () => {
    const cert = await register(AUTO);
    const { body } = await submit(cert.id);
    expect((await call('GET', `/certificates/${cert.id}/download`, alice)).body.code).toBe('CERT_NOT_DOWNLOADABLE');
    await until(body.revocation.id, 'revoked');
    expect((await submit(cert.id)).body).toMatchObject({ status: 409, code: 'ALREADY_REVOKED' });
    expect((await call('DELETE', `/revocations/${body.revocation.id}`, alice)).status).toBe(404);
    expect((await certificateOf(cert.id)).actions).toMatchObject({ revoke: { allowed: false, code: 'ALREADY_REVOKED' }, download: { allowed: false }, delete: { allowed: true } });
  });
});

describe('revocation: eligibility and input rules over HTTP', () => {
  it.each([
    ['NOT_PLATFORM_ISSUED', { source: 'uploaded' }],
    ['CERT_EXPIRED', { issuedAt: new Date(Date.now() - 400 * DAY).toISOString(), notAfter: new Date(Date.now() - DAY).toISOString() }],
    ['ISSUED_BEFORE_SELF_SERVICE', { issuedAt: '2020-03-24T23:59:59Z' }],
    ['EXPIRING_TO_BE_RENEWED', { renewalStatus: 'to_be_renewed', notAfter: new Date(Date.now() + 20 * DAY).toISOString() }],
    ['DOMAIN_DELETED_CONTACT_SUPPORT', { domainStatus: 'deleted' }],
  ])('answers 409 %s', async (code, overrides) => {
    const cert = await register(overrides);
    expect((await submit(cert.id, { reason: 'x' })).body).toMatchObject({ status: 409, code });
    expect((await certificateOf(cert.id)).actions.revoke).toEqual({ allowed: false, code });
  });

  it('names the original order when a reissued standard-group certificate is revoked directly', async () => {
    const original = await register();
    const reissued = await register({ originalCertificateId: original.id });
    const res = await submit(reissued.id);
    expect(res.body).toMatchObject({ status: 409, code: 'REVOKE_ORIGINAL_ORDER', originalCertificateId: original.id });
  });

  it('requires a reason where the route does, limits it to 500 characters, and allows only subscriber reason codes', async () => {
    const cert = await register(REVIEW);
    expect((await submit(cert.id, { reason: '   ' })).body).toMatchObject({ status: 400, code: 'REASON_REQUIRED' });
    expect((await submit(cert.id, { reason: 'x'.repeat(501) })).body).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect((await submit(cert.id, { reason: 'ok', reasonCode: 'cACompromise' })).body).toMatchObject({ status: 400, code: 'REASON_CODE_NOT_ALLOWED' });
    expect((await certificateOf(cert.id)).status).toBe('issued');
  });

  it("answers 404 for another account's certificate and revocation", async () => {
    const cert = await register(AUTO);
    expect((await submit(cert.id, {}, bob)).status).toBe(404);
    const { body } = await submit(cert.id);
    expect((await call('GET', `/revocations/${body.revocation.id}`, bob)).status).toBe(404);
  });
});

describe('revocation: concurrency and idempotency', () => {
  it('lets exactly one of 20 concurrent submissions through; the rest get ALREADY_REVOKING', async () => {
    const cert = await register();
    const results = await Promise.all(Array.from({ length: 20 }, () => submit(cert.id)));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409 && r.body.code === 'ALREADY_REVOKING')).toHaveLength(19);
    const events = (await call('GET', `/certificates/${cert.id}/events`, alice)).body.items as Json[];
    expect(events.filter((e) => e.type === 'revocation.submitted')).toHaveLength(1);
  });

  it('replays the same reply for the same Idempotency-Key and body, and refuses the key with another body', async () => {
    const cert = await register();
    const key = { 'idempotency-key': `key-${Date.now()}` };
    const first = await submit(cert.id, { reason: 'lost key' }, alice, key);
    const again = await Promise.all([submit(cert.id, { reason: 'lost key' }, alice, key), submit(cert.id, { reason: 'lost key' }, alice, key)]);
    expect(first.status).toBe(202);
    for (const r of again) expect(r).toEqual(first);
    expect((await submit(cert.id, { reason: 'another' }, alice, key)).body).toMatchObject({ status: 409, code: 'IDEMPOTENCY_KEY_REUSED' });
    // The key is per account: Bob's same key is his own and never replays Alice's reply.
    const bobCert = (await call('POST', '/admin/certificates', operator, {
      account: otherAccount, domain: `bob-${Date.now()}.example.com`, source: 'platform', brand: 'GeoTrust', algorithm: 'international', productType: 'DV',
      issuedAt: new Date(Date.now() - DAY).toISOString(), notAfter: new Date(Date.now() + 300 * DAY).toISOString(),
    })).body.certificate as Json;
    const bobReply = await submit(bobCert.id, { reason: 'lost key' }, bob, key);
    expect(bobReply.status).toBe(202);
    expect(bobReply.body.revocation.id).not.toBe(first.body.revocation.id);
  });
});

describe('revocation: review route', () => {
  it('queues the request oldest first, refuses self-review, approves once, and a second decision is WRONG_STATE', async () => {
    const cert = await register(REVIEW);
    const { body } = await submit(cert.id, { reason: 'key leaked' });
    const id = body.revocation.id as string;
    expect(body.revocation).toMatchObject({ route: 'review', status: 'pending_review' });
    const queue = await eventually(() => call('GET', '/reviews?status=pending&limit=100', reviewer), (r) => (r.body.items as Json[]).some((i) => i.id === id));
    const queuedAt = (queue.body.items as Json[]).map((i) => i.queuedAt as string);
    expect([...queuedAt].sort()).toEqual(queuedAt);
    // Each queued request comes with its certificate, so the queue can name what is to be decided.
    expect((queue.body.items as Json[]).find((i) => i.id === id)).toMatchObject({ certificate: { id: cert.id, domain: cert.domain } });
    expect((await call('GET', '/reviews', alice)).status).toBe(403);

    const detail = await call('GET', `/reviews/${id}`, reviewer);
    expect(detail.body.review).toMatchObject({ id, revocation: { reason: 'key leaked' }, certificate: { id: cert.id } });
    expect(JSON.stringify(detail.body)).not.toMatch(/taskToken/);

    const selfReviewer = await mintToken(rt.url, 'alice', 'ops', ['reviewer']);
    expect((await call('POST', `/reviews/${id}/decision`, selfReviewer, { decision: 'approve' })).body).toMatchObject({ status: 403, code: 'FORBIDDEN' });

    const [a, b] = await Promise.all([
      call('POST', `/reviews/${id}/decision`, reviewer, { decision: 'approve' }),
      call('POST', `/reviews/${id}/decision`, reviewer, { decision: 'reject', note: 'no' }),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 409]);
    expect([a, b].find((r) => r.status === 409)!.body.code).toBe('WRONG_STATE');
    const winner = a.status === 200 ? 'revoked' : 'failed';
    await until(id, winner);
    expect((await call('POST', `/reviews/${id}/decision`, reviewer, { decision: 'approve' })).body).toMatchObject({ status: 409, code: 'WRONG_STATE' });
  });

  it('rejects with a required note shown to the customer; the certificate returns to issued and may be revoked again', async () => {
    const cert = await register(REVIEW);
    const first = (await submit(cert.id, { reason: 'first try' })).body.revocation as Json;
    await eventually(() => call('GET', `/reviews/${first.id}`, reviewer), (r) => r.body.review?.queuedAt !== undefined);
    expect((await call('POST', `/reviews/${first.id}/decision`, reviewer, { decision: 'reject' })).body).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
    expect((await call('POST', `/reviews/${first.id}/decision`, reviewer, { decision: 'reject', note: 'Seal missing' })).status).toBe(200);
    const failed = await until(first.id, 'failed');
    expect(failed).toMatchObject({ failureCode: 'REJECTED_BY_REVIEWER', reviewerNote: 'Seal missing' });
    expect((await certificateOf(cert.id)).status).toBe('issued');

    const second = await submit(cert.id, { reason: 'second try' });
    expect(second.status).toBe(202);
    expect(second.body.revocation.id).not.toBe(first.id);
    const types = ((await call('GET', `/certificates/${cert.id}/events`, alice)).body.items as Json[]).map((e) => e.type);
    expect(types).toEqual(['certificate.registered', 'revocation.submitted', 'revocation.failed', 'revocation.submitted']);
  });
});

describe('revocation: domain validation route', () => {
  it('gives the DNS record and file to publish, and revokes once the TXT record is seen', async () => {
    const cert = await register();
    const { body } = await submit(cert.id);
    const r = body.revocation as Json;
    expect(r).toMatchObject({ route: 'domain_validation', status: 'pending_validation', validation: { automatic: false } });
    expect(r.validation.dns).toEqual({ name: `_dnsauth.${cert.domain}`, type: 'TXT', value: expect.stringMatching(/^[\w-]{20,}$/) });
    expect(r.validation.file).toEqual({ url: `http://${cert.domain}/.well-known/pki-validation/fileauth.txt`, content: r.validation.dns.value });

    const early = await call('POST', `/revocations/${r.id}/validation/check`, alice);
    expect(early.status).toBe(202);
    expect(early.body.revocation.status).toBe('pending_validation');
    expect(early.body.revocation.validation.lastCheckedAt).toBeDefined();

    expect((await fetch(`${rt.url}/local/dns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: r.validation.dns.name, value: r.validation.dns.value }) })).status).toBe(204);
    const checked = await call('POST', `/revocations/${r.id}/validation/check`, alice);
    expect(checked.body.revocation.validation.validatedAt).toBeDefined();
    await until(r.id, 'revoked');
    expect((await certificateOf(cert.id)).status).toBe('revoked');
  });

  it('publishes the record itself for dns_auto with DNS hosted here', async () => {
    const cert = await register({ domainValidation: 'dns_auto', dnsHostedHere: true });
    const { body } = await submit(cert.id);
    expect(body.revocation.validation.automatic).toBe(true);
    await until(body.revocation.id, 'revoked');
  });

  it('fails with VALIDATION_EXPIRED after 3 days without validation; the certificate returns to issued', async () => {
    const cert = await register();
    const { body } = await submit(cert.id);
    const failed = await eventually(() => revocationOf(body.revocation.id), (r) => r.status === 'failed', 60_000);
    expect(failed.failureCode).toBe('VALIDATION_EXPIRED');
    expect((await certificateOf(cert.id)).status).toBe('issued');
  }, 90_000);
});

describe('revocation: cascade, letter route, delete and history', () => {
  it('revokes every certificate reissued from an original order in the same state change', async () => {
    const original = await register(AUTO);
    const reissued = await register({ ...AUTO, originalCertificateId: original.id });
    const { body } = await submit(original.id);
    expect(body.revocation.cascadeCertificateIds).toEqual([reissued.id]);
    expect((await certificateOf(reissued.id)).status).toBe('revoking');
    await until(body.revocation.id, 'revoked');
    expect((await certificateOf(reissued.id)).status).toBe('revoked');
    const crl = await fetch(`${rt.url}/crl`);
    const text = execFileSync('openssl', ['crl', '-inform', 'DER', '-noout', '-text'], { input: Buffer.from(await crl.arrayBuffer()) }).toString();
    expect(text).toContain(original.serialNumber);
    expect(text).toContain(reissued.serialNumber);
  });

  it('waits for a letter with the allowed types of its kind', async () => {
    const cert = await register(LETTER);
    const { body } = await submit(cert.id, { reason: 'company closed', reasonCode: 'cessationOfOperation' });
    expect(body.revocation).toMatchObject({
      route: 'letter',
      status: 'pending_letter',
      letter: { kind: 'application', allowedTypes: ['jpg', 'gif', 'pdf'], minBytes: 1024, maxBytes: 1468006, status: 'awaiting', rejections: [] },
    });
  });

  it('deletes only what the rules allow and keeps the history', async () => {
    const issued = await register();
    expect((await call('DELETE', `/certificates/${issued.id}`, alice)).body).toMatchObject({ status: 409, code: 'REVOKE_BEFORE_DELETE' });
    const pending = await register();
    await submit(pending.id);
    expect((await call('DELETE', `/certificates/${pending.id}`, alice)).body).toMatchObject({ status: 409, code: 'OPERATION_IN_PROGRESS' });
    expect((await call('DELETE', `/certificates/${pending.id}`, bob)).status).toBe(404);

    const uploaded = await register({ source: 'uploaded' });
    expect((await call('DELETE', `/certificates/${uploaded.id}`, alice)).status).toBe(204);
    expect((await call('GET', `/certificates/${uploaded.id}`, alice)).status).toBe(404);
    const history = (await call('GET', `/certificates/${uploaded.id}/events`, alice)).body.items as Json[];
    expect(history.map((e) => e.type)).toEqual(['certificate.registered', 'certificate.deleted']);
    expect((await call('GET', `/certificates/${uploaded.id}/events`, bob)).status).toBe(404);
    const listed = (await call('GET', '/certificates?limit=100', alice)).body.items as Json[];
    expect(listed.some((c) => c.id === uploaded.id)).toBe(false);
  });
});
