import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, eventually, mintToken, runToExit, startRuntimeProcess, type Json, type RuntimeProcess } from '../support/local-runtime.js';

/**
 * The expiry sweep through the local runtime over HTTP: on demand (`POST /admin/sweeps`) and
 * on the runtime's own timer, against DynamoDB Local with the real handlers.
 */
const DAY = 24 * 60 * 60 * 1000;
const account = `sweep-${Date.now()}`;
let counter = 0;

async function tokens(url: string) {
  const [operator, customer] = await Promise.all([mintToken(url, 'oscar', 'ops', ['operator']), mintToken(url, 'alice', account, ['customer'])]);
  return { operator, customer };
}

/** Registers a platform certificate expiring `notAfterIn` ms from now (the runtime's clock may run faster). */
async function register(url: string, operator: string, notAfter: string): Promise<Json> {
  const res = await apiCall(url, 'POST', '/admin/certificates', operator, {
    account,
    domain: `sweep${++counter}-${Date.now()}.example.com`,
    source: 'platform',
    brand: 'GeoTrust',
    algorithm: 'international',
    productType: 'DV',
    issuedAt: new Date(Date.now() - 300 * DAY).toISOString(),
    notAfter,
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.certificate as Json;
}

describe('POST /admin/sweeps', () => {
  let rt: RuntimeProcess;
  let operator: string;
  let customer: string;

  beforeAll(async () => {
    // The timer is pushed far out, so only the route sweeps here.
    rt = await startRuntimeProcess(['--in-memory', '--no-seed', '--sweep-every', '100000000']);
    ({ operator, customer } = await tokens(rt.url));
  });
  afterAll(async () => {
    await rt?.stop();
  });

  it('is for operators only: a customer gets 403 FORBIDDEN and no token gets 401', async () => {
    const asCustomer = await apiCall(rt.url, 'POST', '/admin/sweeps', customer);
    expect(asCustomer.status).toBe(403);
    expect(asCustomer.body.code).toBe('FORBIDDEN');
    expect((await apiCall(rt.url, 'POST', '/admin/sweeps')).status).toBe(401);
  });

  it('flags a certificate inside its renewal window, reports the counts, and a second sweep changes nothing', async () => {
    const soon = await register(rt.url, operator, new Date(Date.now() + 10 * DAY).toISOString());
    const later = await register(rt.url, operator, new Date(Date.now() + 90 * DAY).toISOString());

    const first = await apiCall(rt.url, 'POST', '/admin/sweeps', operator);
    expect(first.status).toBe(200);
    expect(first.body, JSON.stringify(first.body)).toMatchObject({ expired: 0, toBeRenewed: 1, validationsExpired: 0, slotsClosed: 0, locksFreed: 0, failures: 0, complete: true });
    expect(first.body.itemsRead).toBe(1);

    const flagged = await apiCall(rt.url, 'GET', `/certificates/${soon.id}`, customer);
    expect((flagged.body.certificate as Json).renewalStatus).toBe('to_be_renewed');
    expect(((await apiCall(rt.url, 'GET', `/certificates/${later.id}`, customer)).body.certificate as Json).renewalStatus).toBe('none');
    const events = (await apiCall(rt.url, 'GET', `/certificates/${soon.id}/events`, customer)).body.items as Json[];
    expect(events.filter((e) => e.type === 'certificate.to_be_renewed')).toHaveLength(1);

    const second = await apiCall(rt.url, 'POST', '/admin/sweeps', operator);
    expect(second.body).toMatchObject({ expired: 0, toBeRenewed: 0, itemsRead: 0, complete: true });
  });
});

describe('the local runtime sweeps on its own timer', () => {
  let rt: RuntimeProcess;

  beforeAll(async () => {
    // 10,000× faster service time: a sweep every service hour is one every real second (the floor), and a service day passes in 8.6 s.
    rt = await startRuntimeProcess(['--in-memory', '--no-seed', '--time-scale', '0.0001', '--sweep-every', '3600']);
  });
  afterAll(async () => {
    await rt?.stop();
  });

  it('flags a certificate entering its renewal window and expires it once notAfter passes, without being asked', async () => {
    const { operator, customer } = await tokens(rt.url);
    // Service time: the runtime's clock is ahead of the real one, so read its notion of now from a fresh registration.
    const probe = await register(rt.url, operator, new Date(Date.now() + 3650 * DAY).toISOString());
    const serviceNow = Date.parse(probe.createdAt as string);
    const cert = await register(rt.url, operator, new Date(serviceNow + DAY / 2).toISOString());
    const get = async () => (await apiCall(rt.url, 'GET', `/certificates/${cert.id}`, customer)).body.certificate as Json;

    await eventually(get, (c) => c?.status === 'expired', 30_000);
    const types = ((await apiCall(rt.url, 'GET', `/certificates/${cert.id}/events`, customer)).body.items as Json[]).map((e) => e.type);
    expect(types).toEqual(['certificate.registered', 'certificate.to_be_renewed', 'certificate.expired']);
    expect((await get()).renewalStatus).toBe('to_be_renewed');
  });
});

describe('npm start --sweep-every', () => {
  it.each(['0', '-5', 'hourly'])('refuses %s with a clear message and exit code 2', async (value) => {
    const { code, output } = await runToExit(['--in-memory', `--sweep-every=${value}`]);
    expect(code).toBe(2);
    expect(output).toContain(`--sweep-every must be a positive number; got ${value}.`);
  });

  it('refuses an unknown flag with the usage line and exit code 2', async () => {
    const { code, output } = await runToExit(['--sweep-evry', '60']);
    expect(code).toBe(2);
    expect(output).toContain("Unknown option '--sweep-evry'");
    expect(output).toContain('Usage: npm start --');
  });
});
