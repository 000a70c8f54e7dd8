import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, eventually, mintToken, registrationBody, startRuntimeProcess, type Json, type RuntimeProcess } from '../support/local-runtime.js';

/**
 * Races through the whole local runtime over HTTP (gateway, handlers, DynamoDB Local, the ASL
 * interpreter): concurrent submissions, decisions, sweeps and reissues. After each, the audit
 * history must tell exactly what happened: every change that happened once, none that did not.
 */
const DAY = 24 * 60 * 60 * 1000;
let rt: RuntimeProcess;
let operator: string;
let reviewer: string;
let alice: string;
const account = `race-${randomUUID()}`;

const call = (method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}) => apiCall(rt.url, method, path, token, body, headers);
const types = (events: Json[]) => events.map((e) => e.type as string);
const eventsOf = async (certificateId: string) => (await call('GET', `/certificates/${certificateId}/events`, alice)).body.items as Json[];
const certificateOf = async (id: string) => (await call('GET', `/certificates/${id}`, alice)).body.certificate as Json;

async function register(overrides: Json = {}): Promise<Json> {
  const res = await call('POST', '/admin/certificates', operator, registrationBody(account, overrides));
  expect(res.status, res.text).toBe(201);
  return res.body.certificate as Json;
}

/** Every reply of `n` calls started together. */
function together<T>(n: number, run: (i: number) => Promise<T>): Promise<T[]> {
  return Promise.all(Array.from({ length: n }, (_, i) => run(i)));
}

/** Statuses of the replies, counted: `{ 202: 1, 409: 19 }`. */
const tally = (replies: { status: number }[]) => replies.reduce<Record<number, number>>((t, r) => ({ ...t, [r.status]: (t[r.status] ?? 0) + 1 }), {});

beforeAll(async () => {
  // Real time, and no sweep of its own: the sweeps here are the test's. One account fires bursts
  // of 20 and polls between them, near the default per-account limit (40, then 20 a second), so
  // the limit is lifted: it has its own test (rate-limit.test.ts), and a 429 here is no race.
  rt = await startRuntimeProcess(['--in-memory', '--no-seed', '--sweep-every', '86400'], 60_000, { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000' });
  [operator, reviewer, alice] = await Promise.all([
    mintToken(rt.url, 'oscar', 'ops', ['operator']),
    mintToken(rt.url, 'rita', 'ops', ['reviewer']),
    mintToken(rt.url, 'alice', account, ['customer']),
  ]);
});

afterAll(async () => {
  await rt?.stop();
});

describe('races', () => {
  it('runs two sweeps at once: every due certificate expires exactly once, with one event each', async () => {
    // Due two seconds from now: issued when registered, expired when swept.
    const notAfter = new Date(Date.now() + 2_000).toISOString();
    const due = await together(6, () => register({ issuedAt: new Date(Date.now() - 400 * DAY).toISOString(), notAfter }));
    for (const c of due) expect(c.status).toBe('issued');
    await new Promise((done) => setTimeout(done, Date.parse(notAfter) - Date.now() + 200));
    const [a, b] = await together(2, () => call('POST', '/admin/sweeps', operator));
    expect([a!.status, b!.status]).toEqual([200, 200]);
    expect(a!.body.expired + b!.body.expired).toBe(due.length);
    for (const c of due) {
      expect((await certificateOf(c.id)).status).toBe('expired');
      expect(types(await eventsOf(c.id))).toEqual(['certificate.registered', 'certificate.expired']);
    }
    // A third sweep finds nothing left and writes nothing.
    const again = await call('POST', '/admin/sweeps', operator);
    expect(again.body.expired).toBe(0);
    for (const c of due) expect(await eventsOf(c.id)).toHaveLength(2);
  });

  it('accepts exactly one of 20 concurrent revocation submissions for one certificate; the history has one submission', async () => {
    const cert = await register({ brand: 'WoTrus' });
    const replies = await together(20, (i) => call('POST', `/certificates/${cert.id}/revocations`, alice, { reason: `attempt ${i}` }));
    expect(tally(replies)).toEqual({ 202: 1, 409: 19 });
    expect(new Set(replies.filter((r) => r.status === 409).map((r) => r.body.code))).toEqual(new Set(['ALREADY_REVOKING']));
    const winner = replies.find((r) => r.status === 202)!.body.revocation as Json;
    const submitted = (await eventsOf(cert.id)).filter((e) => e.type === 'revocation.submitted');
    expect(submitted).toHaveLength(1);
    expect(submitted[0]!.detail).toMatchObject({ revocationId: winner.id, reason: winner.reason });
    expect((await certificateOf(cert.id)).status).toBe('revoking');
  });

  it('lets exactly one of a concurrent approve and reject win; the other is WRONG_STATE and leaves no trace', async () => {
    for (let round = 0; round < 3; round++) {
      const cert = await register({ brand: 'WoTrus' });
      const { body } = await call('POST', `/certificates/${cert.id}/revocations`, alice, { reason: 'key leaked' });
      const id = body.revocation.id as string;
      await eventually(() => call('GET', `/reviews/${id}`, reviewer), (r) => r.body.review?.queuedAt !== undefined); // queued, not only readable
      const [approve, reject] = await Promise.all([
        call('POST', `/reviews/${id}/decision`, reviewer, { decision: 'approve' }),
        call('POST', `/reviews/${id}/decision`, reviewer, { decision: 'reject', note: 'no seal' }),
      ]);
      expect([approve.status, reject.status].sort()).toEqual([200, 409]);
      const loser = approve.status === 409 ? approve : reject;
      expect(loser.body.code).toBe('WRONG_STATE');
      const approved = approve.status === 200;
      const final = await eventually(() => call('GET', `/revocations/${id}`, alice), (r) => ['revoked', 'failed'].includes(r.body.revocation.status), 30_000);
      expect(final.body.revocation.status).toBe(approved ? 'revoked' : 'failed');
      // The history holds the winner's outcome once and nothing of the loser's.
      const history = types(await eventsOf(cert.id));
      expect(history).toEqual(
        approved
          ? ['certificate.registered', 'revocation.submitted', 'review.approved', 'revocation.revoked']
          : ['certificate.registered', 'revocation.submitted', 'revocation.failed'],
      );
      expect((await certificateOf(cert.id)).status).toBe(approved ? 'revoked' : 'issued');
    }
  });

  it('takes one reissue of a registrable domain at a time: one of concurrent reissues across a.X.co.uk, b.X.co.uk, c.X.co.uk wins', async () => {
    const registrable = `r${randomUUID().slice(0, 8)}.co.uk`;
    const certs = await Promise.all(['a', 'b', 'c'].map((label) => register({ domain: `${label}.${registrable}` })));
    const replies = await Promise.all(
      certs.flatMap((c) => [0, 1].map(() => call('POST', `/certificates/${c.id}/reissues`, alice, { csrMode: 'original', domain: c.domain, reason: 'rotate' }))),
    );
    expect(tally(replies)).toEqual({ 202: 1, 409: 5 });
    for (const r of replies.filter((x) => x.status === 409)) expect(['DOMAIN_REISSUE_IN_PROGRESS', 'REISSUE_IN_PROGRESS']).toContain(r.body.code);
    const winner = replies.find((r) => r.status === 202)!.body.reissue as Json;
    await eventually(() => call('GET', `/reissues/${winner.id}`, alice), (r) => r.body.reissue.status === 'issued', 30_000);
    for (const c of certs) {
      const history = types(await eventsOf(c.id));
      // The winner's one reissue, start to end; nothing at all on the others.
      expect(history).toEqual(c.id === winner.certificateId ? ['certificate.registered', 'reissue.submitted', 'reissue.issued'] : ['certificate.registered']);
      expect((await certificateOf(c.id)).status).toBe('issued');
    }
    // The lock is free again, and a sibling may reissue.
    const sibling = certs.find((c) => c.id !== winner.certificateId)!;
    const next = await call('POST', `/certificates/${sibling.id}/reissues`, alice, { csrMode: 'original', domain: sibling.domain, reason: 'rotate' });
    expect(next.status, next.text).toBe(202);
  });
});
