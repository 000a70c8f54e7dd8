import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RateLimiter } from '../../infra/local/gateway.js';
import { mintToken, startRuntimeProcess, type RuntimeProcess } from '../support/local-runtime.js';
import { rawRequest, type RawReply } from './support/raw-http.js';

/**
 * The local gateway's per-account rate limit. HTTP APIs throttle per route, shared by every
 * caller (infra/api.ts ROUTE_THROTTLING), and have no per-client quota: one account could use up
 * a route for all. So the service limits each account: a token bucket keyed by the verified
 * token's `account` claim; requests without a verified token (public routes, missing or forged
 * tokens) are keyed by the client's address, never by the account an unverified token names.
 * Beyond it: 429 problem+json RATE_LIMITED with Retry-After in whole seconds.
 *
 * The runtime here refills 0.5 requests a second into a bucket of 5, so a 6th request at once is
 * refused and Retry-After is 2 s. Each test uses accounts and loopback addresses of its own.
 */

const PER_SECOND = 0.5;
const BURST = 5;
let rt: RuntimeProcess;

/** A customer of a new account (POST /local/token is local-only and never limited). */
const customer = (account = `acct-${randomUUID()}`, sub = 'alice') => mintToken(rt.url, sub, account, ['customer']);

const get = (path: string, token?: string, from = '127.0.0.1', headers: Record<string, string> = {}) =>
  rawRequest(rt.url, { path, localAddress: from, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });

const together = <T>(n: number, run: () => Promise<T>) => Promise.all(Array.from({ length: n }, run));
const statuses = (replies: RawReply[]) => replies.map((r) => r.status).sort();

function expectRateLimited(res: RawReply): number {
  expect(res.status, res.text).toBe(429);
  expect(res.headers['content-type']).toBe('application/problem+json');
  expect(JSON.parse(res.text)).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
  expect(res.headers['retry-after']).toMatch(/^[1-9]\d*$/);
  return Number(res.headers['retry-after']);
}

/** `alg: none` claiming `account`: never verified, so it must never count against that account. */
const unsignedFor = (account: string) =>
  `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'mallory', account, roles: ['customer'] })).toString('base64url')}.`;

beforeAll(async () => {
  rt = await startRuntimeProcess(['--in-memory', '--no-seed'], 60_000, { RATE_LIMIT_PER_SECOND: String(PER_SECOND), RATE_LIMIT_BURST: String(BURST) });
});

afterAll(async () => {
  await rt?.stop();
});

describe('per-account rate limit', () => {
  it('rejects a burst beyond the limit with 429 and Retry-After for that account only', async () => {
    const account = `acct-${randomUUID()}`;
    const [alice, carol, bob] = await Promise.all([customer(account, 'alice'), customer(account, 'carol'), customer()]);
    // Alice's burst and Bob's requests in the same moment.
    const [burst, others] = await Promise.all([together(BURST + 7, () => get('/certificates', alice)), together(3, () => get('/certificates', bob))]);
    expect(statuses(burst)).toEqual([...Array<number>(BURST).fill(200), ...Array<number>(7).fill(429)]);
    for (const r of burst.filter((r) => r.status === 429)) expect(expectRateLimited(r)).toBe(Math.ceil(1 / PER_SECOND));
    expect(statuses(others)).toEqual([200, 200, 200]);
    // The limit is the account's: another user of the same account shares it.
    expectRateLimited(await get('/certificates', carol));
  });

  it('rejects the account until Retry-After has passed, then serves it again at the refill rate', async () => {
    const token = await customer();
    await together(BURST, () => get('/certificates', token));
    const retryAfter = expectRateLimited(await get('/certificates', token));
    await new Promise((r) => setTimeout(r, retryAfter * 1000));
    expect((await get('/certificates', token)).status).toBe(200);
    // One request came back in that time, not a whole new burst.
    expectRateLimited(await get('/certificates', token));
  });

  it('keys requests without a verified token by address: tokens naming an account do not use up its limit', async () => {
    const victim = `acct-${randomUUID()}`;
    const flood = await together(BURST + 5, () => get('/certificates', unsignedFor(victim), '127.0.0.2'));
    expect(statuses(flood)).toEqual([...Array<number>(BURST).fill(401), ...Array<number>(5).fill(429)]);
    // The flooding address is refused everywhere, public routes too; the account it named is not.
    expectRateLimited(await get('/health', undefined, '127.0.0.2'));
    expect((await get('/certificates', await customer(victim), '127.0.0.2')).status).toBe(200);
    // Another client is unaffected in the same moment.
    expect((await get('/health', undefined, '127.0.0.3')).status).toBe(200);
  });

  it('rejects a public-route burst from one address, whatever X-Forwarded-For claims', async () => {
    let n = 0;
    const burst = await together(BURST + 3, () => get('/health', undefined, '127.0.0.4', { 'x-forwarded-for': `203.0.113.${++n}` }));
    expect(statuses(burst)).toEqual([...Array<number>(BURST).fill(200), ...Array<number>(3).fill(429)]);
  });

  it('refuses to start with a malformed limit', async () => {
    await expect(startRuntimeProcess(['--in-memory', '--no-seed'], 30_000, { RATE_LIMIT_PER_SECOND: 'fast' })).rejects.toThrow(/RATE_LIMIT_PER_SECOND must be a positive number/);
  });
});

describe('RateLimiter', () => {
  it('refills at its rate, never beyond its burst, and names the whole seconds to wait', () => {
    let now = 0;
    const limiter = new RateLimiter({ perSecond: 2, burst: 3 }, () => now);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([undefined, undefined, undefined]);
    expect(limiter.take('a')).toBe(1);
    expect(limiter.take('b')).toBeUndefined();
    now = 500; // one request back
    expect(limiter.take('a')).toBeUndefined();
    expect(limiter.take('a')).toBe(1);
    now = 60_000; // an idle minute refills to the burst, not to 120
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([undefined, undefined, undefined, 1]);
    const slow = new RateLimiter({ perSecond: 0.25, burst: 1 }, () => now);
    slow.take('c');
    expect(slow.take('c')).toBe(4);
  });
});
