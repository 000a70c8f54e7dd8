import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiCall, mintToken, startRuntimeProcess, type Json, type RuntimeProcess } from '../support/local-runtime.js';
import { AccountFixtures, PROFILES } from './support/fixtures.js';
import { rawRequest } from './support/raw-http.js';

/**
 * Hostile inputs over HTTP through the local runtime: oversized, mislabelled, malformed, deeply
 * nested and huge bodies; reasons in every script and with control characters; path ids that
 * are not ids; Idempotency-Key replays; bad limits and cursors. Each is answered with a 4xx
 * problem+json (or, where it is valid, served exactly as sent): never a 5xx, never a crash, and
 * never another account's data. The last test reads the runtime's own log for any unhandled error.
 *
 * The reason's rule (lib/app/schemas.ts): text is stored and returned exactly as sent — emoji,
 * right-to-left text and its direction marks, markup — because replies are JSON (nosniff), never
 * HTML. What cannot be kept exactly is refused with 400 rather than altered: control characters
 * other than tab and line breaks (NUL, ESC, DEL, C1), unpaired surrogates, bytes that are not
 * UTF-8. The one normalisation is the blank-reason rule's trim of surrounding whitespace.
 */

const KIB = 1024;
let rt: RuntimeProcess;
let operator: string;
let reviewer: string;
let alice: string;
let bob: string;
let a: AccountFixtures;
let b: AccountFixtures;

interface Reply {
  status: number;
  type: string;
  text: string;
  body: Json;
  headers: Headers;
}

/** A request with the body sent exactly as given (string, bytes or stream) and the content type named (null: none). */
async function send(
  method: string,
  path: string,
  token: string | undefined,
  body?: string | Buffer | Readable,
  contentType: string | null = 'application/json',
  headers: Record<string, string> = {},
): Promise<Reply> {
  const res = await fetch(`${rt.url}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(contentType ? { 'content-type': contentType } : {}), ...headers },
    ...(body instanceof Readable ? { body: Readable.toWeb(body) as ReadableStream, duplex: 'half' } : body === undefined ? {} : { body }),
  } as RequestInit);
  const text = await res.text();
  let parsed: Json = {};
  try {
    parsed = text ? (JSON.parse(text) as Json) : {};
  } catch {
    parsed = {};
  }
  return { status: res.status, type: res.headers.get('content-type') ?? '', text, body: parsed, headers: res.headers };
}

const revoke = (certificateId: string, body: string | Buffer, contentType: string | null = 'application/json', headers: Record<string, string> = {}) =>
  send('POST', `/certificates/${certificateId}/revocations`, alice, body, contentType, headers);

function expectProblem(res: { status: number; type?: string; text: string }, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.type).toBe('application/problem+json');
  expect(JSON.parse(res.text)).toMatchObject({ status, code });
}

/** The certificate is as registered: a refused request changed nothing. */
async function expectUntouched(certificateId: string): Promise<void> {
  const cert = await apiCall(rt.url, 'GET', `/certificates/${certificateId}`, alice);
  expect(cert.body.certificate.status).toBe('issued');
  const events = await apiCall(rt.url, 'GET', `/certificates/${certificateId}/events`, alice);
  expect((events.body.items as Json[]).map((e) => e.type)).toEqual(['certificate.registered']);
}

beforeAll(async () => {
  rt = await startRuntimeProcess(['--in-memory', '--no-seed'], 60_000, { RATE_LIMIT_PER_SECOND: '100000', RATE_LIMIT_BURST: '100000', VALIDATION_POLL_SECONDS: '3600' });
  const accountA = `acme-${randomUUID()}`;
  const accountB = `globex-${randomUUID()}`;
  [operator, reviewer, alice, bob] = await Promise.all([
    mintToken(rt.url, 'oscar', 'ops', ['operator']),
    mintToken(rt.url, 'rita', 'ops', ['reviewer']),
    mintToken(rt.url, 'alice', accountA, ['customer']),
    mintToken(rt.url, 'bob', accountB, ['customer']),
  ]);
  a = new AccountFixtures(rt.url, accountA, operator, alice, reviewer);
  b = new AccountFixtures(rt.url, accountB, operator, bob, reviewer);
});

afterAll(async () => {
  await rt?.stop();
});

describe('body size', () => {
  it('rejects a JSON body over 64 KiB with 413 PAYLOAD_TOO_LARGE and accepts one of exactly 64 KiB', async () => {
    const cert = await a.certificate(PROFILES.review);
    const padded = (size: number) => {
      const body = Buffer.alloc(size, ' ');
      body.write('{"reason":"padded with spaces"}');
      return body;
    };
    expectProblem(await revoke(cert.id, padded(64 * KIB + 1)), 413, 'PAYLOAD_TOO_LARGE');
    await expectUntouched(cert.id);
    expect((await revoke(cert.id, padded(64 * KIB))).status).toBe(202);
  });

  it('rejects a body over 64 KiB with 413 also on a route that reads none', async () => {
    const revocation = await a.revocation(PROFILES.letter);
    expectProblem(await send('POST', `/revocations/${revocation.id}/letter-upload`, alice, 'x'.repeat(70 * KIB), 'text/plain'), 413, 'PAYLOAD_TOO_LARGE');
  });

  it.each([
    ['with a Content-Length', () => Buffer.alloc(11 * 1024 * 1024, ' ')],
    ['chunked, with no length given', () => Readable.from((function* () { for (let i = 0; i < 11; i++) yield Buffer.alloc(1024 * 1024, ' '); })())],
  ])('rejects a body over the gateway’s 10 MB %s with 413, and the connection still serves', async (_, body) => {
    expectProblem(await send('POST', '/certificates/crt_any/revocations', alice, body()), 413, 'PAYLOAD_TOO_LARGE');
    expect((await send('GET', '/health', undefined)).status).toBe(200);
  });

  it('rejects a 10 MB+ body on a kept-alive connection with 413, and the same connection serves the next request', async () => {
    // One socket for both requests: a refused body must neither reset it nor leave it stuck.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const { hostname, port } = new URL(rt.url);
    const once = (method: string, path: string, body?: Buffer) =>
      new Promise<{ status: number; socket: unknown }>((resolve, reject) => {
        const req = request({ host: hostname, port, method, path, agent, headers: { authorization: `Bearer ${alice}`, 'content-type': 'application/json' } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, socket: req.socket }));
        });
        req.on('error', reject);
        req.end(body);
      });
    const refused = await once('POST', '/certificates/crt_any/revocations', Buffer.alloc(12 * 1024 * 1024, ' '));
    const next = await once('GET', '/health');
    agent.destroy();
    expect(refused.status).toBe(413);
    expect(next.status).toBe(200);
    expect(next.socket).toBe(refused.socket);
  });
});

describe('content types', () => {
  it.each(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml', 'text/json', 'application/jsonp', null])(
    'rejects a JSON body sent as %s with 415 UNSUPPORTED_MEDIA_TYPE',
    async (contentType) => {
      const cert = await a.certificate(PROFILES.review);
      // Bytes, not a string: fetch labels a string body text/plain when no type is given.
      expectProblem(await revoke(cert.id, Buffer.from('{"reason":"sent as something else"}'), contentType), 415, 'UNSUPPORTED_MEDIA_TYPE');
      await expectUntouched(cert.id);
    },
  );

  it('accepts application/json with a charset', async () => {
    const cert = await a.certificate(PROFILES.review);
    expect((await revoke(cert.id, '{"reason":"with a charset"}', 'application/json; charset=utf-8')).status).toBe(202);
  });
});

describe('malformed JSON', () => {
  it.each([
    ['truncated', '{"reason":'],
    ['single-quoted', "{'reason':'x'}"],
    ['with a trailing comma', '{"reason":"x",}'],
    ['two documents', '{} {}'],
    ['NaN', 'NaN'],
    ['a bad escape', '{"reason":"\\x41"}'],
    ['with a byte order mark', '\uFEFF{"reason":"x"}'],
    ['a bare string', '"a reason"'],
    ['null', 'null'],
    ['a raw control character inside a string', Buffer.from('{"reason":"a\u0000b"}')],
  ])('rejects a body that is %s with 400 BAD_REQUEST', async (_, body) => {
    const cert = await a.certificate(PROFILES.review);
    expectProblem(await revoke(cert.id, body), 400, 'BAD_REQUEST');
    await expectUntouched(cert.id);
  });

  it('rejects bytes that are not UTF-8 with 400 rather than storing U+FFFD', async () => {
    const cert = await a.certificate(PROFILES.review);
    const body = Buffer.concat([Buffer.from('{"reason":"caf'), Buffer.from([0xe9, 0xff]), Buffer.from('"}')]);
    expectProblem(await revoke(cert.id, body), 400, 'BAD_REQUEST');
    await expectUntouched(cert.id);
  });

  it.each([
    ['10,000 levels of arrays', '['.repeat(10_000) + ']'.repeat(10_000)],
    ['10,000 levels of objects', '{"a":'.repeat(10_000) + '1' + '}'.repeat(10_000)],
    ['30,000 levels of arrays in the reason', `{"reason":${'['.repeat(30_000)}${']'.repeat(30_000)}}`],
    ['5,000 keys', `{${Array.from({ length: 5_000 }, (_, i) => `"k${i}":${i}`).join(',')}}`],
    ['a 30,000-element array', `{"reason":[${Array.from({ length: 30_000 }, () => '0').join(',')}]}`],
    ['a __proto__ key', '{"__proto__":{"polluted":true},"reason":"x"}'],
  ])('rejects a body of %s with 400 BAD_REQUEST and a reply of bounded size', async (_, body) => {
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(64 * KIB);
    const cert = await a.certificate(PROFILES.review);
    const res = await revoke(cert.id, body);
    expectProblem(res, 400, 'BAD_REQUEST');
    // Each problem's message is cut short: 5,000 unknown keys are not named back one by one.
    expect(Buffer.byteLength(res.text)).toBeLessThan(2 * KIB);
    await expectUntouched(cert.id);
    expect((await send('GET', '/health', undefined)).status).toBe(200);
  });
});

describe('the reason as written', () => {
  it.each([
    ['a right-to-left override', 'invoice for \u202Egpj.exe\u202C and \u05E9\u05DC\u05D5\u05DD \u0645\u0631\u062D\u0628\u0627'],
    ['emoji, a ZWJ sequence and a flag', 'key leaked 🔑 by 👩‍💻 in 🇩🇪'],
    ['markup', '<script>alert(document.cookie)</script><img src=x onerror=alert(1)>'],
    ['CJK and combining marks', '私钥泄露 — cafe\u0301 n\u0303'],
    ['quotes, backslashes and JSON-looking text', '"},"status":"revoked","x":{"\\u0000":"\\\\'],
    ['tabs and line breaks', 'line one\nline two\r\n\tindented'],
    ['zero-width and non-characters', 'a\u200Bb\u2060c\uFEFFd\uFFFFe'],
    ['500 characters of astral text', '𝔘'.repeat(250)],
  ])('stores and returns a reason with %s exactly as sent, as JSON', async (_, reason) => {
    const cert = await a.certificate(PROFILES.review);
    const submitted = await revoke(cert.id, JSON.stringify({ reason }));
    expect(submitted.status, submitted.text).toBe(202);
    expect(submitted.body.revocation.reason).toBe(reason);
    const id = submitted.body.revocation.id as string;

    // Every place it is read back: the customer's request, the reviewer's view, the audit history.
    const own = await send('GET', `/revocations/${id}`, alice);
    const review = await send('GET', `/reviews/${id}`, reviewer);
    const events = await send('GET', `/certificates/${cert.id}/events`, alice);
    for (const res of [own, review, events]) {
      expect(res.status).toBe(200);
      expect(res.type).toBe('application/json');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    }
    expect(own.body.revocation.reason).toBe(reason);
    expect(review.body.review.revocation.reason).toBe(reason);
    expect((events.body.items as Json[]).find((e) => e.type === 'revocation.submitted')?.detail?.reason).toBe(reason);
  });

  it('renders the letter template for a reason in any script', async () => {
    const revocation = await a.revocation(PROFILES.letter, 'clé perdue 🔑 \u202Eabc\u202C 私钥 <b>');
    const pdf = await fetch(`${rt.url}/revocations/${revocation.id}/letter-template`, { headers: { authorization: `Bearer ${alice}` } });
    expect(pdf.status).toBe(200);
    expect(pdf.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await pdf.arrayBuffer()).subarray(0, 5).toString()).toBe('%PDF-');
  });

  it('trims only the surrounding whitespace, the blank-reason rule', async () => {
    const cert = await a.certificate(PROFILES.review);
    const res = await revoke(cert.id, JSON.stringify({ reason: ' \n inner  spaces\tkept \n ' }));
    expect(res.body.revocation.reason).toBe('inner  spaces\tkept');
  });

  it.each([
    ['NUL', '{"reason":"before\\u0000after"}'],
    ['an ANSI escape', '{"reason":"\\u001b[31mred\\u001b[0m"}'],
    ['a bell', '{"reason":"ding\\u0007"}'],
    ['DEL', '{"reason":"x\\u007f"}'],
    ['a C1 control (NEL)', '{"reason":"x\\u0085y"}'],
    ['an unpaired high surrogate', '{"reason":"half \\ud83d of an emoji"}'],
    ['an unpaired low surrogate', '{"reason":"\\udc00"}'],
  ])('rejects a reason with %s with 400 BAD_REQUEST naming body.reason', async (_, body) => {
    const cert = await a.certificate(PROFILES.review);
    const res = await revoke(cert.id, body);
    expectProblem(res, 400, 'BAD_REQUEST');
    expect(res.body.fields).toEqual([expect.objectContaining({ path: 'body.reason' })]);
    await expectUntouched(cert.id);
  });

  it('rejects a reviewer note with a control character with 400, leaving the review pending', async () => {
    const review = await a.queuedReview();
    expectProblem(await send('POST', `/reviews/${review.id}/decision`, reviewer, '{"decision":"reject","note":"seal\\u0000missing"}'), 400, 'BAD_REQUEST');
    expect((await apiCall(rt.url, 'GET', `/reviews/${review.id}`, reviewer)).body.review.revocation.status).toBe('pending_review');
  });
});

describe('path ids that are not ids', () => {
  const paths = [
    '/certificates/..%2F..%2Fetc%2Fpasswd',
    '/revocations/..%5C..%5Cwindows',
    '/certificates/%2e%2e/events',
    '/certificates/%00',
    '/certificates/crt_x%00.pem',
    `/certificates/${'a'.repeat(129)}`,
    `/certificates/${'a'.repeat(5_000)}/download`,
    '/certificates/%E2%80%AE',
    '/certificates/caf%C3%A9',
    '/revocations/%F0%9F%94%91',
    '/revocations/%3Cscript%3E/letter-template',
    '/reissues/%20',
    '/reissues/%ZZ',
    '/reissues/%',
    '/certificates/%C0%AF',
    '/certificates/%ED%A0%80',
    '/certificates/a/b/c',
    '/../../etc/passwd',
    '/certificates/crt_x?id=../../etc',
  ];

  it.each(paths)('rejects GET %s with 400 or 404 problem+json', async (path) => {
    const res = await rawRequest(rt.url, { path, headers: { authorization: `Bearer ${alice}` } });
    expect([400, 404], `${res.status} ${res.text}`).toContain(res.status);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(res.text)).toMatchObject({ code: res.status === 400 ? 'BAD_REQUEST' : 'NOT_FOUND' });
  });

  it('rejects a request line over 16 KiB with 400 problem+json', async () => {
    const res = await rawRequest(rt.url, { path: `/certificates/${'a'.repeat(20 * KIB)}`, headers: { authorization: `Bearer ${alice}` } });
    expectProblem({ status: res.status, type: String(res.headers['content-type']), text: res.text }, 400, 'BAD_REQUEST');
    expect((await send('GET', '/health', undefined)).status).toBe(200);
  });
});

describe('Idempotency-Key', () => {
  it('replays the same reply byte for byte for the same key and body, and submits once', async () => {
    const cert = await a.certificate(PROFILES.review);
    const key = { 'idempotency-key': `k-${randomUUID()}` };
    const first = await revoke(cert.id, JSON.stringify({ reason: 'lost the key 🔑' }), 'application/json', key);
    expect(first.status, first.text).toBe(202);
    const again = await Promise.all(Array.from({ length: 5 }, () => revoke(cert.id, JSON.stringify({ reason: 'lost the key 🔑' }), 'application/json', key)));
    for (const r of again) {
      expect(r.status).toBe(202);
      expect(r.text).toBe(first.text);
      expect(r.headers.get('location')).toBe(first.headers.get('location'));
    }
    const events = (await apiCall(rt.url, 'GET', `/certificates/${cert.id}/events`, alice)).body.items as Json[];
    expect(events.filter((e) => e.type === 'revocation.submitted')).toHaveLength(1);
  });

  it('rejects the key with another body, or for another certificate, with 409 IDEMPOTENCY_KEY_REUSED', async () => {
    const [cert, another] = await Promise.all([a.certificate(PROFILES.review), a.certificate(PROFILES.review)]);
    const key = { 'idempotency-key': `k-${randomUUID()}` };
    expect((await revoke(cert.id, '{"reason":"first"}', 'application/json', key)).status).toBe(202);
    expectProblem(await revoke(cert.id, '{"reason":"second"}', 'application/json', key), 409, 'IDEMPOTENCY_KEY_REUSED');
    expectProblem(await revoke(cert.id, '{"reason":"first","reasonCode":"keyCompromise"}', 'application/json', key), 409, 'IDEMPOTENCY_KEY_REUSED');
    expectProblem(await revoke(another.id, '{"reason":"first"}', 'application/json', key), 409, 'IDEMPOTENCY_KEY_REUSED');
    await expectUntouched(another.id);
    const events = (await apiCall(rt.url, 'GET', `/certificates/${cert.id}/events`, alice)).body.items as Json[];
    expect(events.filter((e) => e.type === 'revocation.submitted')).toHaveLength(1);
  });

  it.each([
    ['too long', 'k'.repeat(129)],
    ['with a space', 'two words'],
    ['with a slash', '../key'],
    ['empty', ''],
  ])('rejects an Idempotency-Key that is %s with 400', async (_, value) => {
    const cert = await a.certificate(PROFILES.review);
    expectProblem(await revoke(cert.id, '{"reason":"x"}', 'application/json', { 'idempotency-key': value }), 400, 'BAD_REQUEST');
    await expectUntouched(cert.id);
  });
});

describe('query parameters', () => {
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const decode = (cursor: string) => JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
  let cursorA: string;
  let cursorB: string;
  let reviewCursor: string;
  let certificatesOfA: Set<string>;

  beforeAll(async () => {
    await Promise.all([a.certificate(PROFILES.uploaded), a.certificate(PROFILES.uploaded), b.certificate(PROFILES.uploaded), b.certificate(PROFILES.uploaded)]);
    await Promise.all([a.queuedReview(), a.queuedReview()]);
    cursorA = (await apiCall(rt.url, 'GET', '/certificates?limit=1', alice)).body.nextCursor as string;
    cursorB = (await apiCall(rt.url, 'GET', '/certificates?limit=1', bob)).body.nextCursor as string;
    reviewCursor = (await apiCall(rt.url, 'GET', '/reviews?limit=1', reviewer)).body.nextCursor as string;
    certificatesOfA = new Set(((await apiCall(rt.url, 'GET', '/certificates?limit=100', alice)).body.items as Json[]).map((c) => c.id as string));
    for (const c of [cursorA, cursorB, reviewCursor]) expect(c).toEqual(expect.any(String));
  });

  it.each(['limit=abc', 'limit=0', 'limit=-1', 'limit=101', 'limit=1.5', 'limit=', 'limit=1&limit=2', 'limit=Infinity', 'limit=1e400', 'status=bogus', 'account=other', `cursor=${'x'.repeat(3_000)}`])(
    'rejects GET /certificates?%s with 400 BAD_REQUEST naming the field',
    async (query) => {
      const res = await send('GET', `/certificates?${query}`, alice);
      expectProblem(res, 400, 'BAD_REQUEST');
      expect((res.body.fields as Json[]).length).toBeGreaterThan(0);
    },
  );

  it('pages through its own certificates with its own cursor', async () => {
    const res = await send('GET', `/certificates?limit=100&cursor=${cursorA}`, alice);
    expect(res.status).toBe(200);
    for (const c of res.body.items as Json[]) expect(certificatesOfA.has(c.id as string)).toBe(true);
  });

  const tampered: [string, () => string][] = [
    ['garbage', () => '%%%not-base64%%%'],
    ['base64 of text', () => Buffer.from('hello').toString('base64url')],
    ['JSON null', () => encode(null)],
    ['a JSON array', () => encode([1, 2])],
    ['an empty object', () => encode({})],
    ['an extra attribute', () => encode({ ...decode(cursorA), extra: 'x' })],
    ['no index sort key', () => encode(Object.fromEntries(Object.entries(decode(cursorA)).filter(([k]) => k !== 'accountSk')))],
    ['the index sort key renamed', () => encode(Object.fromEntries(Object.entries(decode(cursorA)).map(([k, v]) => [k === 'accountSk' ? 'otherSk' : k, v])))],
    ['a numeric sort key', () => encode({ ...decode(cursorA), accountSk: 5 })],
    ['an empty sort key', () => encode({ ...decode(cursorA), accountSk: '' })],
    ['an object for a key', () => encode({ ...decode(cursorA), sk: { S: 'CERT' } })],
    ["another account's cursor", () => cursorB],
    ["another account's partition in its own cursor", () => encode({ ...decode(cursorA), accountPk: decode(cursorB).accountPk })],
    ["the review queue's cursor", () => reviewCursor],
  ];

  it.each(tampered)('rejects a certificate cursor that is %s with 400, never another account’s data', async (_, cursor) => {
    const res = await send('GET', `/certificates?limit=100&cursor=${encodeURIComponent(cursor())}`, alice);
    expectProblem(res, 400, 'BAD_REQUEST');
    expect(res.text).not.toContain('"items"');
  });

  it.each([
    ['garbage', () => '%%%'],
    ['a certificate cursor', () => cursorA],
    ['an extra attribute', () => encode({ ...decode(reviewCursor), extra: 'x' })],
    ['no index sort key', () => encode(Object.fromEntries(Object.entries(decode(reviewCursor)).filter(([k]) => k !== 'reviewSk')))],
    ['a numeric sort key', () => encode({ ...decode(reviewCursor), reviewSk: 1 })],
  ])('rejects a review-queue cursor that is %s with 400', async (_, cursor) => {
    expectProblem(await send('GET', `/reviews?cursor=${encodeURIComponent(cursor())}`, reviewer), 400, 'BAD_REQUEST');
  });

  it.each(['limit=0', 'limit=abc', 'status=decided', 'account=x'])('rejects GET /reviews?%s with 400', async (query) => {
    expectProblem(await send('GET', `/reviews?${query}`, reviewer), 400, 'BAD_REQUEST');
  });
});

describe('the runtime', () => {
  it('logged no unhandled error for any of these inputs', () => {
    expect(rt.output()).not.toMatch(/unhandled error|gateway error|RangeError/);
  });
});
