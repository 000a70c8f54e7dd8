import type { Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { RuleViolationError } from '../../../lib/app/errors.js';
import { apiHandler, MAX_BODY_BYTES, type ApiEvent } from '../../../lib/http/api.js';
import { callerFromClaims, parseRoles } from '../../../lib/http/auth.js';
import type { RouteSpec } from '../../../lib/http/contract.js';
import { logger } from '../../../lib/http/logger.js';
import { json } from '../../../lib/http/problem.js';

const route = {
  method: 'POST',
  path: '/things/{id}',
  auth: 'customer',
  handler: 'test',
  summary: 'test route',
  params: z.object({ id: z.string().min(3) }),
  body: z.object({ reason: z.string().max(5) }).strict(),
  success: { status: 200 },
} as const satisfies RouteSpec;

const echo = apiHandler(route, async ({ caller, params, body }) => json(200, { caller, params, body }));
const context = {} as Context;

function event(overrides: Partial<ApiEvent> & { claims?: Record<string, string> } = {}): ApiEvent {
  const { claims = { sub: 'alice', account: 'acme', roles: '[customer]' }, ...rest } = overrides;
  return {
    version: '2.0',
    routeKey: 'POST /things/{id}',
    rawPath: '/things/abc',
    rawQueryString: '',
    headers: { 'content-type': 'application/json' },
    pathParameters: { id: 'abc' },
    body: JSON.stringify({ reason: 'ok' }),
    isBase64Encoded: false,
    requestContext: { authorizer: { jwt: { claims, scopes: [] } } },
    ...rest,
  } as unknown as ApiEvent;
}

async function call(e: ApiEvent, handler = echo) {
  const res = await handler(e, context);
  return { status: res.statusCode, type: res.headers?.['content-type'], body: JSON.parse(res.body ?? '{}') as Record<string, unknown> };
}

describe('parseRoles', () => {
  it.each([
    [['customer', 'reviewer'], ['customer', 'reviewer']],
    ['[customer reviewer]', ['customer', 'reviewer']],
    ['[operator]', ['operator']],
    ['customer', ['customer']],
    ['["customer","operator"]', ['customer', 'operator']],
    ['[admin superuser]', []],
    [undefined, []],
    [42, []],
  ])('reads %j as %j', (claim, roles) => {
    expect(parseRoles(claim)).toEqual(roles);
  });
});

describe('callerFromClaims', () => {
  it('rejects claims without sub or account as unauthenticated', () => {
    expect(() => callerFromClaims({ account: 'acme' })).toThrow(expect.objectContaining({ status: 401, code: 'UNAUTHENTICATED' }));
    expect(() => callerFromClaims({ sub: 'alice', account: '' })).toThrow(expect.objectContaining({ status: 401 }));
    expect(() => callerFromClaims(undefined)).toThrow(expect.objectContaining({ status: 401 }));
  });
});

describe('apiHandler pipeline', () => {
  it('hands the handler the caller from the claims and the validated input', async () => {
    const res = await call(event());
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ caller: { sub: 'alice', account: 'acme', roles: ['customer'] }, params: { id: 'abc' }, body: { reason: 'ok' } });
  });

  it('rejects a caller without the route role with 403 FORBIDDEN', async () => {
    const res = await call(event({ claims: { sub: 'rita', account: 'x', roles: '[reviewer]' } }));
    expect(res).toMatchObject({ status: 403, type: 'application/problem+json', body: { code: 'FORBIDDEN' } });
  });

  it('rejects a request without claims with 401 UNAUTHENTICATED', async () => {
    expect((await call(event({ claims: {} }))).body).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
  });

  it('rejects malformed JSON with 400 BAD_REQUEST', async () => {
    expect((await call(event({ body: '{"reason":' }))).body).toMatchObject({ status: 400, code: 'BAD_REQUEST' });
  });

  it('lists every schema problem in fields', async () => {
    const res = await call(event({ pathParameters: { id: 'a' }, body: JSON.stringify({ reason: 'too long', extra: 1 }) }));
    expect(res.status).toBe(400);
    const paths = (res.body.fields as { path: string }[]).map((f) => f.path).sort();
    expect(paths).toEqual(['body', 'body.reason', 'path.id']);
  });

  it('rejects a body that is not JSON with 415', async () => {
    const res = await call(event({ headers: { 'content-type': 'text/plain' } }));
    expect(res.body).toMatchObject({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
  });

  it('accepts application/json with a charset and +json types', async () => {
    expect((await call(event({ headers: { 'content-type': 'application/json; charset=utf-8' } }))).status).toBe(200);
    expect((await call(event({ headers: { 'content-type': 'application/merge-patch+json' } }))).status).toBe(200);
  });

  it('rejects a body over 64 KiB with 413, counting decoded bytes of base64 bodies', async () => {
    const big = JSON.stringify({ reason: 'x'.repeat(MAX_BODY_BYTES) });
    expect((await call(event({ body: big }))).body).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
    const exactly = Buffer.alloc(MAX_BODY_BYTES, ' ');
    exactly.write('{"reason":"ok"}');
    expect((await call(event({ body: exactly.toString('base64'), isBase64Encoded: true }))).status).toBe(200);
  });

  it('maps a rule refusal to 409 with its code and extra fields', async () => {
    const refusing = apiHandler(route, async () => {
      throw new RuleViolationError({ ok: false, code: 'REVOKE_ORIGINAL_ORDER', details: { originalCertificateId: 'crt_1' } });
    });
    const res = await call(event(), refusing);
    expect(res).toMatchObject({ status: 409, body: { code: 'REVOKE_ORIGINAL_ORDER', originalCertificateId: 'crt_1' } });
  });

  it('answers an unexpected error with a 500 that reveals nothing internal', async () => {
    const failing = apiHandler(route, async () => {
      throw new Error('ConditionalCheckFailed on table secret-table arn:aws:dynamodb:…');
    });
    const res = await call(event(), failing);
    expect(res.status).toBe(500);
    expect(JSON.stringify(res.body)).not.toMatch(/secret-table|arn:aws|ConditionalCheck/);
  });

  it('logs of an unexpected error only its name, message and stack, never the data it carries', async () => {
    // A version conflict carries the stored item, task token and all.
    const conflict = Object.assign(new Error('version conflict'), { name: 'VersionConflictError', current: { taskToken: 'AAAA-task-token-secret', reason: 'x' } });
    const logged = vi.spyOn(logger, 'error').mockImplementation(() => undefined);
    try {
      const res = await call(event(), apiHandler(route, async () => Promise.reject(conflict)));
      expect(res.status).toBe(500);
      expect(logged).toHaveBeenCalledTimes(1);
      const line = JSON.stringify(logged.mock.calls[0]);
      expect(line).toContain('VersionConflictError');
      expect(line).toContain('version conflict');
      expect(line).not.toContain('AAAA-task-token-secret');
    } finally {
      logged.mockRestore();
    }
  });
});
