import { describe, expect, it } from 'vitest';
import { callerFromClaims } from '../../../lib/http/auth.js';
import { accessTokenClaims, ACCOUNT_ATTRIBUTE, apiClaimsFor } from '../../../lib/http/token-claims.js';

const attributes = (account?: string) => ({ sub: 'u-1', email: 'alice@acme.example', ...(account === undefined ? {} : { [ACCOUNT_ATTRIBUTE]: account }) });

/** What the HTTP API's JWT authorizer hands a handler: every claim a string, arrays flattened. */
function asAuthorizerClaims(claims: object, sub = 'u-1'): Record<string, string> {
  return Object.fromEntries([['sub', sub], ...Object.entries(claims).map(([name, value]) => [name, Array.isArray(value) ? `[${value.join(' ')}]` : String(value)])]);
}

describe('the account claim', () => {
  it('is custom:account, exactly', () => {
    expect(apiClaimsFor({ userAttributes: attributes('acme'), groups: ['customer'] })).toEqual({ account: 'acme', roles: ['customer'] });
  });

  it('is absent when the user has no custom:account', () => {
    expect(apiClaimsFor({ userAttributes: attributes(), groups: ['customer'] })).toEqual({ roles: ['customer'] });
  });

  it.each(['', ' ', ' acme', 'acme '])('is absent when custom:account is blank or padded (%j): no tenant is guessed', (account) => {
    expect(apiClaimsFor({ userAttributes: attributes(account), groups: ['customer'] })).not.toHaveProperty('account');
  });

  it('comes from custom:account only, not from any other attribute', () => {
    expect(apiClaimsFor({ userAttributes: { account: 'acme', 'custom:tenant': 'acme', 'dev:custom:account': 'acme' }, groups: [] })).toEqual({});
  });
});

describe('the roles claim', () => {
  it('is the groups that are roles, in role order, once each', () => {
    expect(apiClaimsFor({ userAttributes: attributes('acme'), groups: ['operator', 'customer', 'operator'] }).roles).toEqual(['customer', 'operator']);
    expect(apiClaimsFor({ userAttributes: attributes('acme'), groups: ['reviewer', 'customer', 'operator'] }).roles).toEqual(['customer', 'reviewer', 'operator']);
  });

  it.each([
    ['other groups', ['admins', 'beta-testers']],
    ['names that only resemble a role', ['Operator', ' operator', 'operators', 'operator ', '[operator]', 'customer,operator']],
    ['no groups', []],
  ])('is absent for %s: a role is never granted without its group', (_, groups) => {
    expect(apiClaimsFor({ userAttributes: attributes('acme'), groups })).toEqual({ account: 'acme' });
  });

  it('is absent when Cognito sends no group list', () => {
    expect(apiClaimsFor({ userAttributes: attributes('acme') })).toEqual({ account: 'acme' });
  });

  it('ignores a group named like the account attribute', () => {
    expect(apiClaimsFor({ userAttributes: attributes('acme'), groups: ['custom:account', 'account'] })).toEqual({ account: 'acme' });
  });
});

describe('the Pre Token Generation V2_0 reply', () => {
  it('adds the claims to the access token only', () => {
    expect(accessTokenClaims({ userAttributes: attributes('acme'), groups: ['reviewer'] })).toEqual({
      accessTokenGeneration: { claimsToAddOrOverride: { account: 'acme', roles: ['reviewer'] } },
    });
  });

  it('gives a token the API reads as that account and those roles', () => {
    const claims = accessTokenClaims({ userAttributes: attributes('acme'), groups: ['customer', 'reviewer', 'staff'] }).accessTokenGeneration.claimsToAddOrOverride;
    expect(callerFromClaims(asAuthorizerClaims(claims))).toEqual({ sub: 'u-1', account: 'acme', roles: ['customer', 'reviewer'] });
  });

  it('gives a user without custom:account a token the API refuses (401)', () => {
    const claims = accessTokenClaims({ userAttributes: attributes(), groups: ['operator'] }).accessTokenGeneration.claimsToAddOrOverride;
    expect(() => callerFromClaims(asAuthorizerClaims(claims))).toThrow(expect.objectContaining({ status: 401 }));
  });
});
