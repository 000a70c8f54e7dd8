import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, type RouteName, type RouteSpec } from '../../lib/http/contract.js';
import { apiCall, startRuntimeProcess, type Json, type RuntimeProcess } from '../support/local-runtime.js';
import { AccountFixtures, PROFILES } from './support/fixtures.js';
import { TokenForge, type TokenClaims } from './support/forged-tokens.js';

/**
 * Tenancy and roles: every route of ROUTES (a route added there is in the matrix without an
 * edit here) against every kind of caller — no token, tokens wrong in exactly one way (signed
 * with the runtime's own key, read from its data folder), a token without a role, the owning
 * account's customer, another account's customer, a reviewer and an operator.
 *
 * Every forged token claims every role in the owning account: had the gateway accepted it, the
 * call would succeed, so its 401 proves the check. Every refused call targets a resource the
 * owner could act on right now (a revocable certificate, a queued review, a key not yet
 * downloaded), so a refusal is about the caller, never the resource's state; the owner's own
 * call on a route that uses its target up gets a fresh one. The last test checks that none of
 * the refused calls changed anything.
 */

const owner = `acme-${randomUUID()}`;
const other = `globex-${randomUUID()}`;
const staff = `ops-${randomUUID()}`;
const ALL_ROLES = ['customer', 'reviewer', 'operator'];
const ALICE: TokenClaims = { sub: 'alice', account: owner, roles: ['customer'] };
const BOB: TokenClaims = { sub: 'bob', account: other, roles: ['customer'] };
const RITA: TokenClaims = { sub: 'rita', account: staff, roles: ['reviewer'] };
const OSCAR: TokenClaims = { sub: 'oscar', account: staff, roles: ['operator'] };
/** What every forged token claims: all of it. */
const EVERYTHING: TokenClaims = { sub: 'mallory', account: owner, roles: ALL_ROLES };

type Role = 'customer' | 'reviewer' | 'operator';
interface Case {
  name: string;
  make: (forge: TokenForge) => Promise<string | undefined>;
  /** A verified caller with one role; absent for the refused tokens. */
  caller?: { role: Role; account: 'owner' | 'other' | 'staff' };
  /** For callers without a verified identity or role. */
  refusal?: 401 | 403;
}

const CASES: Case[] = [
  { name: 'no token', make: async () => undefined, refusal: 401 },
  { name: 'an expired token', make: (f) => f.expired(EVERYTHING), refusal: 401 },
  { name: 'a token not valid yet', make: (f) => f.notYetValid(EVERYTHING), refusal: 401 },
  { name: 'a token signed by another key', make: (f) => f.wrongSignature(EVERYTHING), refusal: 401 },
  { name: "a customer's token given every role after signing", make: (f) => f.tampered(ALICE, EVERYTHING), refusal: 401 },
  { name: 'an alg:none token', make: (f) => f.algNone(EVERYTHING), refusal: 401 },
  { name: 'an HS256 token keyed with the public key', make: (f) => f.algConfusion(EVERYTHING), refusal: 401 },
  { name: 'a token from another issuer', make: (f) => f.wrongIssuer(EVERYTHING), refusal: 401 },
  { name: 'a token for another audience', make: (f) => f.wrongAudience(EVERYTHING), refusal: 401 },
  { name: 'a token without an account', make: (f) => f.valid({ sub: 'mallory', roles: ALL_ROLES }), refusal: 401 },
  { name: 'a token without a role', make: (f) => f.valid({ sub: 'mallory', account: owner, roles: [] }), refusal: 403 },
  { name: 'the customer of the owning account', make: (f) => f.valid(ALICE), caller: { role: 'customer', account: 'owner' } },
  { name: 'a customer of another account', make: (f) => f.valid(BOB), caller: { role: 'customer', account: 'other' } },
  { name: 'a reviewer', make: (f) => f.valid(RITA), caller: { role: 'reviewer', account: 'staff' } },
  { name: 'an operator', make: (f) => f.valid(OSCAR), caller: { role: 'operator', account: 'staff' } },
];

const ROUTE_NAMES = Object.keys(ROUTES) as RouteName[];
const spec = (name: RouteName): RouteSpec => ROUTES[name];
const hasId = (name: RouteName) => spec(name).path.includes('{id}');

interface Expected {
  status: number;
  code?: string;
}

function expectation(route: RouteSpec, c: Case): Expected {
  if (route.auth === 'public') return { status: route.success.status };
  if (c.refusal === 401) return { status: 401, code: 'UNAUTHENTICATED' };
  if (!c.caller || c.caller.role !== route.auth) return { status: 403, code: 'FORBIDDEN' };
  // Another account's resource is a plain 404: its existence is never revealed.
  if (c.caller.account === 'other' && route.path.includes('{id}')) return { status: 404, code: 'NOT_FOUND' };
  return { status: route.success.status };
}

function title(c: Case, e: Expected): string {
  if (e.status === 404) return `hides the resource from ${c.name} with 404`;
  return e.status >= 400 ? `rejects ${c.name} with ${e.status}` : `serves ${c.name} with ${e.status}`;
}

let rt: RuntimeProcess;
let dataDir: string;
let fx: AccountFixtures;
const tokens = new Map<string, string | undefined>();
const token = (c: Case) => tokens.get(c.name);
const CUSTOMER = CASES.find((c) => c.caller?.account === 'owner')!;
const OTHER = CASES.find((c) => c.caller?.account === 'other')!;
const REVIEWER = CASES.find((c) => c.caller?.role === 'reviewer')!;

/** Resources of the owning account the matrix points at; each stays usable by its owner. */
interface Shared {
  certificate: Json;
  /** Targets of routes that use their resource up, touched only by refused calls. */
  revocable: Json;
  reissuable: Json;
  uploaded: Json;
  letterRevocation: Json;
  validationRevocation: Json;
  review: Json;
  reissue: Json;
}
let shared: Shared;
/** Every certificate this file registers in the owning account. */
const registered = new Set<string>();

/** The resource each id route points at, by the path's first segment, unless the route names its own. */
const BY_SEGMENT: Record<string, keyof Shared> = { certificates: 'certificate', revocations: 'letterRevocation', reviews: 'review', reissues: 'reissue' };
const TARGETS: Partial<Record<RouteName, { shared: keyof Shared; fresh?: () => Promise<Json> }>> = {
  checkValidation: { shared: 'validationRevocation' },
  submitRevocation: { shared: 'revocable', fresh: () => certificate(PROFILES.review) },
  submitReissue: { shared: 'reissuable', fresh: () => certificate() },
  deleteCertificate: { shared: 'uploaded', fresh: () => certificate(PROFILES.uploaded) },
  decideReview: { shared: 'review', fresh: async () => track(await fx.queuedReview()) },
  reissuePrivateKey: { shared: 'reissue', fresh: async () => track(await fx.issuedGeneratedReissue()) },
};
/** A valid body for each route that takes one, for the target it is sent to. */
const BODIES: Partial<Record<RouteName, (target: Json | undefined) => Json>> = {
  registerCertificate: () => fx.registration(),
  submitRevocation: () => ({ reason: 'authorization matrix' }),
  submitReissue: (target) => ({ csrMode: 'original', domain: target?.domain, reason: 'authorization matrix' }),
  decideReview: () => ({ decision: 'approve' }),
};

async function certificate(overrides: Json = {}): Promise<Json> {
  return track(await fx.certificate(overrides));
}

/** Notes the certificates a fixture made: its own id, the certificate it is about, the one a reissue issued. */
function track<T extends Json>(resource: T): T {
  for (const id of [resource.certificateId ?? resource.id, resource.newCertificateId]) if (typeof id === 'string') registered.add(id);
  return resource;
}

function sharedTarget(name: RouteName): Json {
  const key = TARGETS[name]?.shared ?? BY_SEGMENT[spec(name).path.split('/')[1]!];
  if (!key) throw new Error(`${name}: no fixture for ${spec(name).path}; add one to TARGETS`);
  return shared[key];
}

function bodyFor(name: RouteName, target: Json | undefined): Json | undefined {
  if (!spec(name).body) return undefined;
  const make = BODIES[name];
  if (!make) throw new Error(`${name} takes a body: add a valid one to BODIES`);
  return make(target);
}

interface Reply {
  status: number;
  type: string;
  text: string;
  body: Json;
}

async function send(name: RouteName, id: string | undefined, bearer: string | undefined, body: Json | undefined): Promise<Reply> {
  const route = spec(name);
  const res = await fetch(`${rt.url}${route.path.replace('{id}', id ?? '')}`, {
    method: route.method,
    headers: { ...(bearer ? { authorization: `Bearer ${bearer}` } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  const type = res.headers.get('content-type') ?? '';
  const text = /pdf|pkix/.test(type) ? `<${(await res.arrayBuffer()).byteLength} bytes>` : await res.text();
  let parsed: Json = {};
  try {
    parsed = /json/.test(type) ? (JSON.parse(text) as Json) : {};
  } catch {
    parsed = {};
  }
  return { status: res.status, type, text, body: parsed };
}

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'certrevoke-authz-'));
  // The matrix is about identity, not load: the rate limit is out of its way.
  rt = await startRuntimeProcess(['--data', dataDir, '--no-seed'], 90_000, { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', VALIDATION_POLL_SECONDS: '3600' });
  const forge = await TokenForge.fromDataDir(dataDir);
  for (const c of CASES) tokens.set(c.name, await c.make(forge));
  fx = new AccountFixtures(rt.url, owner, await forge.valid(OSCAR), token(CUSTOMER)!, token(REVIEWER)!);
  const [cert, revocable, reissuable, uploaded, letterRevocation, validationRevocation, review, reissue] = await Promise.all([
    certificate(),
    certificate(PROFILES.review),
    certificate(),
    certificate(PROFILES.uploaded),
    fx.revocation(PROFILES.letter),
    fx.revocation(PROFILES.domainValidation),
    fx.queuedReview(),
    fx.issuedGeneratedReissue(),
  ]);
  for (const r of [letterRevocation, validationRevocation, review, reissue]) track(r);
  shared = { certificate: cert, revocable, reissuable, uploaded, letterRevocation, validationRevocation, review, reissue };
});

afterAll(async () => {
  await rt?.stop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe.each(ROUTE_NAMES.map((name) => [`${spec(name).method} ${spec(name).path}`, name] as const))('%s', (_, name) => {
  const route = spec(name);
  for (const c of CASES) {
    const expected = expectation(route, c);
    it(title(c, expected), async () => {
      const success = expected.status < 400;
      const fresh = TARGETS[name]?.fresh;
      // Only a call expected to succeed may use its target up: it gets one of its own.
      const target = hasId(name) ? (success && fresh ? await fresh() : sharedTarget(name)) : undefined;
      const res = await send(name, target?.id as string | undefined, token(c), bodyFor(name, target));

      expect(res.status, res.text).toBe(expected.status);
      if (!success) {
        expect(res.type).toBe('application/problem+json');
        expect(res.body).toMatchObject({ status: expected.status, code: expected.code });
        return;
      }
      if (route.success.json) {
        expect(res.type).toBe('application/json');
        const parsed = route.success.json.safeParse(res.body);
        expect(parsed.success, JSON.stringify(parsed.error?.issues)).toBe(true);
      } else if (route.success.contentType) {
        expect(res.type.startsWith(route.success.contentType), res.type).toBe(true);
      } else {
        expect(res.text).toBe('');
      }
      if (name === 'registerCertificate') registered.add(res.body.certificate.id as string);
      if (name === 'listCertificates') {
        const items = res.body.items as Json[];
        // Each customer sees only their account: the owner's certificates, and none of them for anyone else.
        if (c.caller?.account === 'owner') expect(items.map((i) => i.id)).toContain(shared.certificate.id);
        else expect(items.filter((i) => i.account !== other)).toEqual([]);
      }
    });
  }
});

describe("another account's ids", () => {
  const idRoutes = ROUTE_NAMES.filter(hasId);

  it.each(idRoutes.map((name) => [`${spec(name).method} ${spec(name).path}`, name] as const))(
    'rejects another account on %s exactly as it rejects an id that does not exist',
    async (_, name) => {
      const target = sharedTarget(name);
      const missing = `${String(target.id).split('_')[0]}_${randomUUID().replaceAll('-', '')}`;
      const body = bodyFor(name, target);
      const shape = (r: Reply) => ({ status: r.status, type: r.type, text: r.text });
      const theirs = await send(name, target.id as string, token(OTHER), body);
      const nobodys = await send(name, missing, token(OTHER), body);
      expect(shape(theirs)).toEqual(shape(nobodys));
      if (spec(name).auth === 'customer') {
        expect(theirs.body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
        // The owner asking for an id that does not exist gets the very same reply.
        expect(shape(await send(name, missing, token(CUSTOMER), body))).toEqual(shape(theirs));
      } else {
        expect(theirs.body).toMatchObject({ status: 403, code: 'FORBIDDEN' });
        expect((await send(name, missing, token(REVIEWER), body)).body).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      }
    },
  );
});

describe('the refused calls', () => {
  it('rejects every refused call without an effect: each target is as it was made', async () => {
    const get = (path: string, c: Case = CUSTOMER) => apiCall(rt.url, 'GET', path, token(c)).then((r) => r.body);
    expect((await get(`/certificates/${shared.revocable.id}`)).certificate).toMatchObject({ status: 'issued', actions: { revoke: { allowed: true } } });
    expect((await get(`/certificates/${shared.reissuable.id}`)).certificate).toMatchObject({ status: 'issued', actions: { reissue: { allowed: true } } });
    expect((await get(`/certificates/${shared.uploaded.id}`)).certificate).toMatchObject({ id: shared.uploaded.id });
    expect((await get(`/reviews/${shared.review.id}`, REVIEWER)).review).toMatchObject({ revocation: { status: 'pending_review' } });
    expect((await get(`/reissues/${shared.reissue.id}`)).reissue).toMatchObject({ status: 'issued', privateKeyAvailable: true });
    // Nothing entered the account but by the operator's calls and the reissues of what they registered.
    const listed = (await get('/certificates?limit=100')).items as Json[];
    const stray = listed.filter((c) => !registered.has(c.id as string) && !registered.has(c.originalCertificateId as string));
    expect(stray).toEqual([]);
  });
});
