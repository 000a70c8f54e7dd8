import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, eventually, mintToken, registrationBody, startRuntimeProcess, type Json, type RuntimeProcess } from '../support/local-runtime.js';

/**
 * A transient error inside a workflow task (a service the function calls throttles it) is
 * retried by the state machine, not turned into a failed request: the review and validation
 * tasks of the revocation workflow each fail twice with ThrottlingException, through the
 * local runtime's test-only fault hook, and each request still ends revoked, once.
 */
let rt: RuntimeProcess;
let operator: string;
let reviewer: string;
let alice: string;
const account = `transient-${randomUUID()}`;
const call = (method: string, path: string, token?: string, body?: unknown) => apiCall(rt.url, method, path, token, body);

beforeAll(async () => {
  rt = await startRuntimeProcess(['--in-memory', '--no-seed', '--time-scale', '0.01'], 60_000, {
    CERTREVOKE_FAULTS: 'revocation-await-callback:2:throttled,revocation-check-validation:2:throttled',
    VALIDATION_POLL_SECONDS: '60',
  });
  [operator, reviewer, alice] = await Promise.all([mintToken(rt.url, 'oscar', 'ops', ['operator']), mintToken(rt.url, 'rita', 'ops', ['reviewer']), mintToken(rt.url, 'alice', account, ['customer'])]);
});

afterAll(async () => {
  await rt?.stop();
});

async function register(overrides: Json): Promise<Json> {
  const res = await call('POST', '/admin/certificates', operator, registrationBody(account, overrides));
  expect(res.status, res.text).toBe(201);
  return res.body.certificate as Json;
}

describe('transient errors in workflow tasks', () => {
  it('retries a review wait that was throttled, and the approved request is revoked once', async () => {
    const cert = await register({ brand: 'WoTrus' });
    const id = (await call('POST', `/certificates/${cert.id}/revocations`, alice, { reason: 'throttled' })).body.revocation.id as string;
    await eventually(() => call('GET', `/reviews/${id}`, reviewer), (r) => r.body.review?.queuedAt !== undefined, 30_000); // queued, not only readable
    expect((await call('POST', `/reviews/${id}/decision`, reviewer, { decision: 'approve' })).status).toBe(200);
    await eventually(() => call('GET', `/revocations/${id}`, alice), (r) => r.body.revocation.status === 'revoked', 30_000);
    const events = ((await call('GET', `/certificates/${cert.id}/events`, alice)).body.items as Json[]).map((e) => e.type);
    expect(events).toEqual(['certificate.registered', 'revocation.submitted', 'review.approved', 'revocation.revoked']);
    expect(rt.output()).toMatch(/revocation-await-callback fails \(throttled\)[\s\S]*revocation-await-callback fails \(throttled\)/);
  });

  it('retries a domain check that was throttled, and the request is revoked once the record is published', async () => {
    const cert = await register({ brand: 'GeoTrust' });
    const r = (await call('POST', `/certificates/${cert.id}/revocations`, alice, {})).body.revocation as Json;
    await fetch(`${rt.url}/local/dns`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: r.validation.dns.name, value: r.validation.dns.value }) });
    await eventually(() => call('GET', `/revocations/${r.id}`, alice), (x) => x.body.revocation.status === 'revoked', 40_000);
    expect(rt.output()).toMatch(/revocation-check-validation fails \(throttled\)/);
    const revoked = ((await call('GET', `/certificates/${cert.id}/events`, alice)).body.items as Json[]).filter((e) => e.type === 'revocation.revoked');
    expect(revoked).toHaveLength(1);
  });
});
