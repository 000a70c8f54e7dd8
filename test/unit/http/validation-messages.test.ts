import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { apiHandler, type ApiEvent } from '../../../lib/http/api.js';
import { ROUTES } from '../../../lib/http/contract.js';
import { json } from '../../../lib/http/problem.js';

// No classic zod in this file: it would install its English messages and hide a zod/mini
// runtime without them (every message would read "Invalid input").

const registerCertificate = apiHandler(ROUTES.registerCertificate, async () => json(201, {}));

function event(body: unknown): ApiEvent {
  return {
    routeKey: 'POST /admin/certificates',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    requestContext: { authorizer: { jwt: { claims: { sub: 'olga', account: 'ops', roles: '[operator]' }, scopes: [] } } },
  } as unknown as ApiEvent;
}

describe('the fields of a 400', () => {
  it('name each problem of a contract body in English', async () => {
    const body = { account: 'bad id!', domain: '', source: 'platform', brand: 'Nope', algorithm: 'sm2', productType: 'DV', free: 'no', validityYears: 9, issuedAt: 'x', notAfter: '2025-01-01T00:00:00Z', extra: 1 };
    const res = await registerCertificate(event(body), {} as Context);
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body ?? '{}').fields).toEqual([
      { path: 'body.account', message: 'letters, digits, and . _ : - only' },
      { path: 'body.domain', message: 'Too small: expected string to have >=1 characters' },
      { path: 'body.brand', message: 'Invalid option: expected one of "TrustAsia"|"WoTrus"|"DNSPod"|"GeoTrust"|"DigiCert"|"GlobalSign"|"Sectigo"|"SecureSite"' },
      { path: 'body.free', message: 'Invalid input: expected boolean, received string' },
      { path: 'body.validityYears', message: 'Too big: expected number to be <=5' },
      { path: 'body.issuedAt', message: 'Invalid ISO datetime' },
      { path: 'body', message: 'Unrecognized key: "extra"' },
    ]);
  });
});
