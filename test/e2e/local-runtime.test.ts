import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../lib/http/contract.js';
import { planRevocationRoute, type CertificateFacts } from '../../lib/domain/index.js';
import { eventually, mintToken, runToExit, showOutputOnFailure, startRuntimeProcess, type RuntimeProcess } from '../support/local-runtime.js';

let runtime: RuntimeProcess;
let dataDir: string;
let operator: string;
let customerA: string;
let customerB: string;
const accountA = `acct-a-${Date.now()}`;
const accountB = `acct-b-${Date.now()}`;

interface CertificateReply {
  certificate: CertificateFacts & { id: string; account: string; domain: string; serialNumber: string; actions: Record<string, { allowed: boolean; code?: string }> };
}

const json = (token: string | undefined, body?: unknown): RequestInit => ({
  method: body === undefined ? 'GET' : 'POST',
  headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
  ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
});

const registration = (overrides: Record<string, unknown> = {}) => ({
  account: accountA,
  domain: 'api.example.com',
  sans: ['www.api.example.com'],
  source: 'platform',
  brand: 'GeoTrust',
  algorithm: 'international',
  productType: 'DV',
  issuedAt: '2026-01-01T00:00:00Z',
  notAfter: '2030-01-01T00:00:00Z',
  ...overrides,
});

async function register(body: unknown): Promise<CertificateReply['certificate']> {
  const res = await fetch(`${runtime.url}/admin/certificates`, json(operator, body));
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as CertificateReply).certificate;
}

showOutputOnFailure(() => runtime);

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'certrevoke-e2e-'));
  runtime = await startRuntimeProcess(['--data', dataDir]);
  [operator, customerA, customerB] = await Promise.all([
    mintToken(runtime.url, 'oscar', 'ops', ['operator']),
    mintToken(runtime.url, 'alice', accountA, ['customer']),
    mintToken(runtime.url, 'bob', accountB, ['customer']),
  ]);
});

afterAll(async () => {
  await runtime?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Command lines of live processes that name this folder (DynamoDB Local's java gets `-dbPath` in it). */
function processesMentioning(text: string): string[] {
  return execFileSync('ps', ['-eo', 'args']).toString().split('\n').filter((line) => line.includes(text) && !line.includes('ps -eo'));
}

describe('local runtime (npm start) over HTTP', () => {
  it('prints the URL and a ready token for each role', () => {
    const out = runtime.output();
    expect(out).toContain(`certrevoke is running at ${runtime.url}`);
    for (const role of ['customer', 'reviewer', 'operator']) expect(out).toMatch(new RegExp(`${role} — sub=\\w+ account=\\S+\\n\\s+eyJ`));
  });

  it('answers /health', async () => {
    const res = await fetch(`${runtime.url}/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('seeds demo certificates covering every revocation route and letter kind', async () => {
    const token = await mintToken(runtime.url, 'alice', 'acme', ['customer']);
    const res = await fetch(`${runtime.url}/certificates?limit=100`, json(token));
    const { items } = (await res.json()) as { items: CertificateReply['certificate'][] };
    const plans = items.filter((c) => c.source === 'platform').map((c) => planRevocationRoute(c));
    expect(new Set(plans.map((p) => p.route))).toEqual(new Set(['review', 'letter', 'domain_validation', 'auto']));
    expect(new Set(plans.map((p) => p.letter?.kind).filter(Boolean))).toEqual(new Set(['application', 'confirmation']));
    expect(items.every((c) => c.account === 'acme')).toBe(true);
  });

  it("registers a platform certificate whose customer reads it with actions, and another account gets 404", async () => {
    const created = await register(registration());
    expect(created).toMatchObject({ account: accountA, domain: 'api.example.com', status: 'issued', renewalStatus: 'none' });
    expect(created.serialNumber).toMatch(/^[0-9A-F]{32}$/);

    const mine = await fetch(`${runtime.url}/certificates/${created.id}`, json(customerA));
    expect(mine.status).toBe(200);
    const { certificate } = (await mine.json()) as CertificateReply;
    expect(certificate.actions).toEqual({
      revoke: { allowed: true },
      reissue: { allowed: true },
      delete: { allowed: false, code: 'REVOKE_BEFORE_DELETE' },
      download: { allowed: true },
    });
    expect(certificate).not.toHaveProperty('chainPem');
    expect(certificate).not.toHaveProperty('csrPem');

    const theirs = await fetch(`${runtime.url}/certificates/${created.id}`, json(customerB));
    expect(theirs.status).toBe(404);
    expect(theirs.headers.get('content-type')).toBe('application/problem+json');
    expect(await theirs.json()).toMatchObject({ status: 404, code: 'NOT_FOUND' });
    const theirDownload = await fetch(`${runtime.url}/certificates/${created.id}/download`, json(customerB));
    expect(theirDownload.status).toBe(404);
  });

  it('serves a downloaded PEM chain that openssl verifies against /ca.pem, with the same serial', async () => {
    const created = await register(registration({ domain: 'pay.example.com', sans: [] }));
    const pem = await (await fetch(`${runtime.url}/certificates/${created.id}/download`, json(customerA))).text();
    const ca = await (await fetch(`${runtime.url}/ca.pem`)).text();
    const dir = await mkdtemp(join(tmpdir(), 'certrevoke-pem-'));
    await writeFile(join(dir, 'ca.pem'), ca);
    await writeFile(join(dir, 'chain.pem'), pem);
    expect(execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ca.pem'), join(dir, 'chain.pem')]).toString()).toContain(': OK');
    const serial = execFileSync('openssl', ['x509', '-in', join(dir, 'chain.pem'), '-noout', '-serial']).toString().trim();
    expect(serial).toBe(`serial=${created.serialNumber}`);
    await rm(dir, { recursive: true, force: true });
  });

  it("lists only the caller's account, in pages", async () => {
    const ids = new Set<string>();
    for (const domain of ['a.example.net', 'b.example.net', 'c.example.net']) ids.add((await register(registration({ account: accountB, domain, sans: [] }))).id);
    const first = (await (await fetch(`${runtime.url}/certificates?limit=2`, json(customerB))).json()) as { items: { id: string; account: string }[]; nextCursor: string };
    expect(first.items).toHaveLength(2);
    const second = (await (await fetch(`${runtime.url}/certificates?limit=2&cursor=${first.nextCursor}`, json(customerB))).json()) as { items: { id: string }[]; nextCursor: string | null };
    expect(new Set([...first.items, ...second.items].map((c) => c.id))).toEqual(ids);
    expect(second.nextCursor).toBeNull();
    // Bob's cursor is no good for Alice.
    const stolen = await fetch(`${runtime.url}/certificates?limit=2&cursor=${first.nextCursor}`, json(customerA));
    expect(stolen.status).toBe(400);
  });

  it('answers every rejection as problem+json with its stable code', async () => {
    const cases: [string, RequestInit, number, string][] = [
      ['/certificates', json(undefined), 401, 'UNAUTHENTICATED'],
      ['/certificates', json(`${customerA.slice(0, -4)}AAAA`), 401, 'UNAUTHENTICATED'],
      ['/certificates', json('not.a.jwt'), 401, 'UNAUTHENTICATED'],
      ['/certificates', json(operator), 403, 'FORBIDDEN'],
      ['/admin/certificates', json(customerA, registration()), 403, 'FORBIDDEN'],
      ['/admin/certificates', json(operator, '{"account":'), 400, 'BAD_REQUEST'],
      ['/admin/certificates', json(operator, { ...registration(), brand: 'Nope' }), 400, 'BAD_REQUEST'],
      ['/admin/certificates', json(operator, registration({ domain: 'not a domain' })), 400, 'DOMAIN_INVALID'],
      ['/admin/certificates', { ...json(operator, registration()), headers: { authorization: `Bearer ${operator}`, 'content-type': 'text/plain' } }, 415, 'UNSUPPORTED_MEDIA_TYPE'],
      ['/admin/certificates', json(operator, { ...registration(), padding: 'x'.repeat(70_000) }), 413, 'PAYLOAD_TOO_LARGE'],
      ['/certificates?limit=1000', json(customerA), 400, 'BAD_REQUEST'],
      ['/certificates/crt_missing', json(customerA), 404, 'NOT_FOUND'],
      ['/no/such/route', json(customerA), 404, 'NOT_FOUND'],
    ];
    for (const [path, init, status, code] of cases) {
      const res = await fetch(`${runtime.url}${path}`, init);
      expect(res.status, `${path} → ${status}`).toBe(status);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      const body = (await res.json()) as { code: string; status: number; detail: string; fields?: unknown[] };
      expect(body).toMatchObject({ code, status });
      expect(body.detail.length).toBeGreaterThan(10);
      if (code === 'BAD_REQUEST' && path !== '/admin/certificates') expect(body.fields?.length).toBeGreaterThan(0);
    }
  });

  it('refuses an account in the body of a customer request: the account comes only from the token', async () => {
    const res = await fetch(`${runtime.url}/certificates?account=${accountB}`, json(customerA));
    expect(res.status).toBe(400);
  });

  it('describes every route of the contract in /openapi.json', async () => {
    const doc = (await (await fetch(`${runtime.url}/openapi.json`)).json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).toBe('3.1.0');
    for (const route of Object.values(ROUTES)) expect(doc.paths[route.path]?.[route.method.toLowerCase()], route.path).toBeDefined();
  });

  it('refuses a second runtime on the same data folder with a clear message', async () => {
    const second = await runToExit(['--data', dataDir, '--port', '0']);
    expect(second.code).toBe(1);
    expect(second.output).toMatch(/already running \(pid \d+/);
  });

  it('refuses a port in use before it starts anything, so no emulator can be handed that port meanwhile', async () => {
    const port = new URL(runtime.url).port;
    const other = await mkdtemp(join(tmpdir(), 'certrevoke-port-'));
    try {
      const second = await runToExit(['--data', other, '--port', port]);
      expect(second.code).toBe(1);
      expect(second.output).toContain(`Port ${port} is in use`);
      expect(second.output).not.toContain('starting DynamoDB Local');
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('answers 503 SERVICE_UNAVAILABLE on its port while it is still starting, and a Ctrl-C then stops it cleanly once started', async () => {
    const starting = await startRuntimeProcess(['--in-memory', '--no-seed'], 60_000, {}, { waitFor: 'starting DynamoDB Local' });
    try {
      const res = await fetch(`${starting.url}/certificates`);
      expect(starting.output()).not.toContain('certrevoke is running at');
      expect(res.status).toBe(503);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ code: 'SERVICE_UNAVAILABLE', status: 503 });
    } finally {
      expect(await starting.stop()).toBe(0);
    }
    expect(starting.output()).toContain('SIGINT: stopping as soon as the start has finished');
  });

  it('stops every child process on Ctrl-C, keeps data, and resumes requests in flight on the next start', async () => {
    const created = await register(registration({ domain: 'keep.example.com', sans: [] }));
    const waiting = await register(registration({ domain: 'wait.example.com', sans: [], brand: 'WoTrus' }));
    const submitted = await fetch(`${runtime.url}/certificates/${waiting.id}/revocations`, json(customerA, { reason: 'restart test' }));
    const revocationId = ((await submitted.json()) as { revocation: { id: string } }).revocation.id;
    const reviewer = await mintToken(runtime.url, 'rita', 'ops', ['reviewer']);
    await eventually(() => fetch(`${runtime.url}/reviews/${revocationId}`, json(reviewer)).then((r) => r.json() as Promise<{ review?: { queuedAt?: string } }>), (r) => r.review?.queuedAt !== undefined);
    expect(await runtime.stop()).toBe(0);
    expect(existsSync(join(dataDir, 'runtime.lock'))).toBe(false);
    expect(processesMentioning(dataDir)).toEqual([]);
    runtime = await startRuntimeProcess(['--data', dataDir]);
    expect(runtime.output()).not.toContain('seeded');
    // Tokens survive too: the signing key is kept in the data folder.
    const res = await fetch(`${runtime.url}/certificates/${created.id}`, json(customerA));
    expect(res.status).toBe(200);
    expect(runtime.output()).toContain('resumed 1 request(s) still in flight');
    const decided = await fetch(`${runtime.url}/reviews/${revocationId}/decision`, json(reviewer, { decision: 'approve' }));
    expect(decided.status).toBe(200);
    await eventually(
      () => fetch(`${runtime.url}/revocations/${revocationId}`, json(customerA)).then((r) => r.json() as Promise<{ revocation: { status: string } }>),
      (r) => r.revocation.status === 'revoked',
    );
  });
});
