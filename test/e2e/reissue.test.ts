import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, eventually, mintToken, showOutputOnFailure, startRuntimeProcess, type Json, type RuntimeProcess } from '../support/local-runtime.js';

/** Reissue through the local runtime over HTTP, with openssl checking what the CA issued. Time runs 10,000× faster. */
const DAY = 24 * 60 * 60 * 1000;

let rt: RuntimeProcess;
let operator: string;
let reviewer: string;
let alice: string;
let dir: string;
const account = `acme-${Date.now()}`;
let n = 0;

const call = (method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) => apiCall(rt.url, method, path, token, body, headers);

/** A platform certificate; by default issued "just now" (so validation is skipped) and valid for a year. */
async function register(overrides: Json = {}): Promise<Json> {
  const res = await call('POST', '/admin/certificates', operator, {
    account,
    // Each its own registrable domain: the reissue lock is per registrable domain.
    domain: `www.r${++n}x${Date.now()}.com`,
    source: 'platform',
    brand: 'GeoTrust',
    algorithm: 'international',
    productType: 'DV',
    domainValidation: 'dns',
    // A day ahead of the runtime's fast clock, so "less than 3 days after issuance" holds for the test's duration.
    issuedAt: new Date(Date.now() + DAY).toISOString(),
    notAfter: new Date(Date.now() + 365 * DAY).toISOString(),
    ...overrides,
  });
  expect(res.status, res.text).toBe(201);
  return res.body.certificate as Json;
}

const reissue = (id: string, body: Json) => call('POST', `/certificates/${id}/reissues`, alice, { reason: 'key rotation', ...body });
const reissueOf = (id: string) => call('GET', `/reissues/${id}`, alice).then((r) => r.body.reissue as Json);
const untilStatus = (id: string, status: string) => eventually(() => reissueOf(id), (r) => r?.status === status, 30_000);
const certificateOf = (id: string) => call('GET', `/certificates/${id}`, alice).then((r) => r.body.certificate as Json);

async function download(id: string): Promise<string> {
  const file = join(dir, `${id}.pem`);
  await writeFile(file, (await call('GET', `/certificates/${id}/download`, alice)).text);
  return file;
}

function openssl(args: string[], input?: string): string {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] }).toString();
}

showOutputOnFailure(() => rt);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certrevoke-reissue-'));
  rt = await startRuntimeProcess(['--in-memory', '--no-seed', '--time-scale', '0.0001'], 60_000, { VALIDATION_POLL_SECONDS: '20000' });
  [operator, reviewer, alice] = await Promise.all([
    mintToken(rt.url, 'oscar', 'ops', ['operator']),
    mintToken(rt.url, 'rita', 'ops', ['reviewer']),
    mintToken(rt.url, 'alice', account, ['customer']),
  ]);
  await writeFile(join(dir, 'ca.pem'), await (await fetch(`${rt.url}/ca.pem`)).text());
});

afterAll(async () => {
  await rt?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('reissue: CSR modes and the issued certificate', () => {
  it('original CSR: skips validation and approval, issues a certificate that verifies and keeps notAfter, and frees the original', async () => {
    const cert = await register();
    const res = await reissue(cert.id, { csrMode: 'original', domain: cert.domain });
    expect(res.status, res.text).toBe(202);
    expect(res.body.reissue).toMatchObject({ csrMode: 'original', needsReview: false, certificateId: cert.id });
    expect(res.body.reissue.validation).toBeUndefined();
    const done = await untilStatus(res.body.reissue.id, 'issued');
    const fresh = await certificateOf(done.newCertificateId);
    expect(fresh).toMatchObject({ status: 'issued', originalCertificateId: cert.id, notAfter: cert.notAfter, domain: cert.domain });
    // The runtime's clock runs ahead (time scale), so the new notBefore is in the real future.
    expect(openssl(['verify', '-no_check_time', '-CAfile', join(dir, 'ca.pem'), await download(fresh.id)])).toContain(': OK');
    expect((await certificateOf(cert.id)).status).toBe('issued');
    const types = ((await call('GET', `/certificates/${cert.id}/events`, alice)).body.items as Json[]).map((e) => e.type);
    expect(types).toEqual(['certificate.registered', 'reissue.submitted', 'reissue.issued']);
  });

  it('generated key: offered once (then 410) and it matches the new certificate', async () => {
    const cert = await register();
    const res = await reissue(cert.id, { csrMode: 'generate', keyAlgorithm: 'ECC', keySize: 256, domain: cert.domain });
    expect(res.status, res.text).toBe(202);
    const done = await untilStatus(res.body.reissue.id, 'issued');
    expect(done.privateKeyAvailable).toBe(true);
    const key = await call('GET', `/reissues/${done.id}/private-key`, alice);
    expect(key.status).toBe(200);
    expect(key.text).toContain('PRIVATE KEY');
    expect((await call('GET', `/reissues/${done.id}/private-key`, alice)).body).toMatchObject({ status: 410, code: 'PRIVATE_KEY_GONE' });
    expect((await reissueOf(done.id)).privateKeyAvailable).toBe(false);
    const fromKey = openssl(['pkey', '-pubout'], key.text);
    const fromCert = openssl(['x509', '-noout', '-pubkey', '-in', await download(done.newCertificateId)]);
    expect(fromCert).toBe(fromKey);
  });

  it.each([
    ['RSA', 2048],
    ['SM2', undefined],
  ])('generated %s key with a password: the encrypted PKCS#8 key matches the new certificate', async (keyAlgorithm, keySize) => {
    const cert = await register({ algorithm: keyAlgorithm === 'SM2' ? 'sm2' : 'international', brand: keyAlgorithm === 'SM2' ? 'DNSPod' : 'GeoTrust' });
    const res = await reissue(cert.id, { csrMode: 'generate', keyAlgorithm, ...(keySize ? { keySize } : {}), keyPassword: 'correct horse', domain: cert.domain });
    expect(res.status, res.text).toBe(202);
    const done = await untilStatus(res.body.reissue.id, 'issued');
    const key = (await call('GET', `/reissues/${done.id}/private-key`, alice)).text;
    expect(key).toContain('ENCRYPTED PRIVATE KEY');
    const fromKey = openssl(['pkey', '-pubout', '-passin', 'pass:correct horse'], key);
    expect(openssl(['x509', '-noout', '-pubkey', '-in', await download(done.newCertificateId)])).toBe(fromKey);
  });

  it('refuses a key password under 8 characters and a pasted CSR that does not verify or name the domain', async () => {
    const cert = await register();
    expect((await reissue(cert.id, { csrMode: 'generate', keyPassword: 'short', domain: cert.domain })).body).toMatchObject({ status: 400, code: 'CSR_INVALID' });
    const other = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=other.example.com']);
    expect((await reissue(cert.id, { csrMode: 'paste', csr: other, domain: cert.domain })).body).toMatchObject({ status: 400, code: 'CSR_INVALID' });
    expect((await reissue(cert.id, { csrMode: 'paste', csr: 'not a csr', domain: cert.domain })).body).toMatchObject({ status: 400, code: 'CSR_INVALID' });
    expect((await reissue(cert.id, { csrMode: 'original', domain: 'not a domain' })).body).toMatchObject({ status: 400, code: 'DOMAIN_INVALID' });
    expect((await reissue(cert.id, { csrMode: 'original', domain: cert.domain, reason: '  ' })).body).toMatchObject({ status: 400, code: 'REASON_REQUIRED' });
    expect((await certificateOf(cert.id)).status).toBe('issued');
  });

  it('pasted CSR made by openssl req: issued with that key', async () => {
    const cert = await register();
    const keyFile = join(dir, `paste-${cert.id}.key`);
    const csr = openssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-subj', `/CN=${cert.domain}`, '-addext', `subjectAltName=DNS:${cert.domain}`]);
    const res = await reissue(cert.id, { csrMode: 'paste', csr, domain: cert.domain });
    expect(res.status, res.text).toBe(202);
    const done = await untilStatus(res.body.reissue.id, 'issued');
    expect(openssl(['x509', '-noout', '-pubkey', '-in', await download(done.newCertificateId)])).toBe(openssl(['pkey', '-pubout', '-in', keyFile]));
  });
});

describe('reissue: the order', () => {
  it('revoking the original later revokes the reissued certificate in the same change', async () => {
    const cert = await register({ brand: 'TrustAsia', domain: `*.o${Date.now()}.com`, wildcard: true, validityYears: 2, domainValidation: 'dns_auto', dnsHostedHere: true });
    const done = await untilStatus((await reissue(cert.id, { csrMode: 'original', domain: cert.domain })).body.reissue.id, 'issued');
    const revocation = await call('POST', `/certificates/${cert.id}/revocations`, alice, { reasonCode: 'superseded' });
    expect(revocation.status, revocation.text).toBe(202);
    expect(revocation.body.revocation.cascadeCertificateIds).toEqual([done.newCertificateId]);
    await eventually(() => certificateOf(done.newCertificateId), (c) => c.status === 'revoked', 30_000);
  });
});

describe('reissue: validation and approval', () => {
  it('requires domain validation more than 3 days after issuance with a new key, and issues once the TXT record is seen', async () => {
    const cert = await register({ issuedAt: new Date(Date.now() - 10 * DAY).toISOString() });
    const res = await reissue(cert.id, { csrMode: 'generate', domain: cert.domain });
    const r = res.body.reissue as Json;
    expect(r.status).toBe('pending_validation');
    expect(r.validation.dns.name).toBe(`_dnsauth.${cert.domain}`);
    // Published only after the workflow has looked once and found nothing: the workflow must
    // wait and look again (a not-yet-validated check once ended the execution).
    await eventually(() => call('GET', `/reissues/${r.id}`, alice), (x) => typeof x.body.reissue.validation?.lastCheckedAt === 'string');
    await fetch(`${rt.url}/local/dns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: r.validation.dns.name, value: r.validation.dns.value }) });
    await untilStatus(r.id, 'issued');
  });

  it('skips validation for the same public key even long after issuance', async () => {
    const cert = await register({ issuedAt: new Date(Date.now() - 10 * DAY).toISOString() });
    const res = await reissue(cert.id, { csrMode: 'original', domain: cert.domain });
    expect(res.body.reissue.validation).toBeUndefined();
    await untilStatus(res.body.reissue.id, 'issued');
  });

  it('needs a reviewer for OV with changed enterprise details, and not for unchanged ones', async () => {
    const enterprise = { name: 'Acme Ltd', city: 'Shanghai' };
    const unchanged = await register({ productType: 'OV', enterprise });
    const same = await reissue(unchanged.id, { csrMode: 'original', domain: unchanged.domain, enterprise: { name: ' Acme  Ltd', city: 'Shanghai' } });
    expect(same.body.reissue.needsReview).toBe(false);
    await untilStatus(same.body.reissue.id, 'issued');

    const changed = await register({ productType: 'OV', enterprise });
    const moved = await reissue(changed.id, { csrMode: 'original', domain: changed.domain, enterprise: { name: 'Acme Ltd', city: 'Beijing' } });
    expect(moved.body.reissue).toMatchObject({ needsReview: true, status: 'pending_review' });
    const id = moved.body.reissue.id as string;
    await eventually(() => call('GET', '/reviews?limit=100', reviewer), (r) => (r.body.items as Json[]).some((i) => i.id === id && i.kind === 'reissue'));
    expect((await call('POST', `/reviews/${id}/decision`, reviewer, { decision: 'approve' })).status).toBe(200);
    const done = await untilStatus(id, 'issued');
    expect((await certificateOf(done.newCertificateId)).enterprise).toMatchObject({ city: 'Beijing' });
  });

  it('a rejected reissue fails with the note, and the original returns to issued with its lock freed', async () => {
    const cert = await register({ productType: 'EV', enterprise: { name: 'Acme Ltd' } });
    const r = (await reissue(cert.id, { csrMode: 'original', domain: cert.domain, enterprise: { name: 'Other Ltd' } })).body.reissue as Json;
    await eventually(() => call('GET', `/reviews/${r.id}`, reviewer), (x) => x.body.review?.queuedAt !== undefined);
    expect((await call('POST', `/reviews/${r.id}/decision`, reviewer, { decision: 'reject', note: 'Not the registered company' })).status).toBe(200);
    expect(await untilStatus(r.id, 'failed')).toMatchObject({ failureCode: 'REJECTED_BY_REVIEWER', reviewerNote: 'Not the registered company' });
    expect((await certificateOf(cert.id)).status).toBe('issued');
    expect((await reissue(cert.id, { csrMode: 'original', domain: cert.domain })).status).toBe(202);
  });
});

describe('reissue: eligibility and the registrable-domain lock', () => {
  it.each([
    ['NOT_PLATFORM_ISSUED', { source: 'uploaded' }],
    ['CERT_NOT_ISSUED', { issuedAt: new Date(Date.now() - 400 * DAY).toISOString(), notAfter: new Date(Date.now() - DAY).toISOString() }],
    ['REISSUE_TOO_CLOSE_TO_EXPIRY', { notAfter: new Date(Date.now() + 20 * DAY).toISOString() }],
  ])('answers 409 %s', async (code, overrides) => {
    const cert = await register(overrides);
    expect((await reissue(cert.id, { csrMode: 'original', domain: cert.domain })).body).toMatchObject({ status: 409, code });
    expect((await certificateOf(cert.id)).actions.reissue).toEqual({ allowed: false, code });
  });

  it('answers REISSUE_IN_PROGRESS while one is pending and refuses revocation meanwhile', async () => {
    const cert = await register({ issuedAt: new Date(Date.now() - 10 * DAY).toISOString() });
    expect((await reissue(cert.id, { csrMode: 'generate', domain: cert.domain })).status).toBe(202);
    expect((await reissue(cert.id, { csrMode: 'original', domain: cert.domain })).body).toMatchObject({ status: 409, code: 'REISSUE_IN_PROGRESS' });
    expect((await call('POST', `/certificates/${cert.id}/revocations`, alice, {})).body).toMatchObject({ status: 409, code: 'REISSUE_PENDING' });
  });

  it('allows a free DV certificate one reissue per order: FREE_REISSUE_LIMIT after that', async () => {
    const cert = await register({ free: true });
    const first = await reissue(cert.id, { csrMode: 'original', domain: cert.domain });
    expect(first.status, first.text).toBe(202);
    await untilStatus(first.body.reissue.id, 'issued');
    expect((await reissue(cert.id, { csrMode: 'original', domain: cert.domain })).body).toMatchObject({ status: 409, code: 'FREE_REISSUE_LIMIT' });
    const reissued = (await reissueOf(first.body.reissue.id)).newCertificateId as string;
    expect((await reissue(reissued, { csrMode: 'original', domain: cert.domain })).body).toMatchObject({ status: 409, code: 'FREE_REISSUE_LIMIT' });
  });

  it('locks the registrable domain across a.example.co.uk and b.example.co.uk, but not a.example.com and b.example.org', async () => {
    const base = `lock${Date.now()}`;
    const a = await register({ domain: `a.${base}.co.uk`, issuedAt: new Date(Date.now() - 10 * DAY).toISOString() });
    const b = await register({ domain: `b.${base}.co.uk`, issuedAt: new Date(Date.now() - 10 * DAY).toISOString() });
    expect((await reissue(a.id, { csrMode: 'generate', domain: a.domain })).status).toBe(202);
    expect((await reissue(b.id, { csrMode: 'generate', domain: b.domain })).body).toMatchObject({ status: 409, code: 'DOMAIN_REISSUE_IN_PROGRESS' });

    const c = await register({ domain: `a.${base}.com`, issuedAt: new Date(Date.now() - 10 * DAY).toISOString() });
    const d = await register({ domain: `b.${base}.org`, issuedAt: new Date(Date.now() - 10 * DAY).toISOString() });
    expect((await reissue(c.id, { csrMode: 'generate', domain: c.domain })).status).toBe(202);
    expect((await reissue(d.id, { csrMode: 'generate', domain: d.domain })).status).toBe(202);
  });

  it('lets exactly one of two concurrent reissues for sub-domains of one registrable domain win', async () => {
    const base = `race${Date.now()}`;
    const a = await register({ domain: `a.${base}.co.uk`, issuedAt: new Date(Date.now() - 10 * DAY).toISOString() });
    const b = await register({ domain: `b.${base}.co.uk`, issuedAt: new Date(Date.now() - 10 * DAY).toISOString() });
    // New keys long after issuance: the winner waits for validation, so it is still reissuing below.
    const results = await Promise.all([reissue(a.id, { csrMode: 'generate', domain: a.domain }), reissue(b.id, { csrMode: 'generate', domain: b.domain })]);
    expect(results.map((r) => r.status).sort()).toEqual([202, 409]);
    expect(results.find((r) => r.status === 409)!.body.code).toBe('DOMAIN_REISSUE_IN_PROGRESS');
    const statuses = [(await certificateOf(a.id)).status, (await certificateOf(b.id)).status].sort();
    expect(statuses).toEqual(['issued', 'reissuing']);
  });
});
