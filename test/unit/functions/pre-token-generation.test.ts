import { describe, expect, it } from 'vitest';
import { preTokenGeneration } from '../../../functions/pre-token-generation.js';

/** A V2_0 event as Cognito sends it for a sign-in through managed login. */
function event(userAttributes: Record<string, string>, groupsToOverride?: string[]) {
  return {
    version: '2',
    triggerSource: 'TokenGeneration_HostedAuth',
    region: 'eu-west-1',
    userPoolId: 'eu-west-1_abc',
    userName: 'a1b2c3',
    callerContext: { awsSdkVersion: 'aws-sdk-unknown-unknown', clientId: 'client-1' },
    request: {
      userAttributes: { sub: 'a1b2c3', email: 'alice@acme.example', ...userAttributes },
      groupConfiguration: { groupsToOverride, iamRolesToOverride: [], preferredRole: null },
      scopes: ['openid', 'email', 'certrevoke/api'],
    },
    response: { claimsAndScopeOverrideDetails: null },
  };
}

describe('the Pre Token Generation trigger', () => {
  it("answers with the event and the access token's account and roles", () => {
    const input = event({ 'custom:account': 'acme' }, ['customer', 'beta']);
    expect(preTokenGeneration(input)).toEqual({
      ...input,
      response: { claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: { account: 'acme', roles: ['customer'] } } } },
    });
  });

  it('adds no account for a user without custom:account, and no roles for a user in no role group', () => {
    expect(preTokenGeneration(event({}, [])).response).toEqual({ claimsAndScopeOverrideDetails: { accessTokenGeneration: { claimsToAddOrOverride: {} } } });
  });

  it('accepts an event whose user is in no group at all (no list, or null)', () => {
    const input = event({ 'custom:account': 'acme' });
    expect(preTokenGeneration(input).response.claimsAndScopeOverrideDetails.accessTokenGeneration.claimsToAddOrOverride).toEqual({ account: 'acme' });
    const nulls = { ...input, request: { ...input.request, groupConfiguration: { groupsToOverride: null, iamRolesToOverride: null, preferredRole: null } } };
    expect(preTokenGeneration(nulls).response.claimsAndScopeOverrideDetails.accessTokenGeneration.claimsToAddOrOverride).toEqual({ account: 'acme' });
  });

  it('fails on an event that is not a token generation event rather than issue claims from it', () => {
    expect(() => preTokenGeneration({ triggerSource: 'TokenGeneration_HostedAuth', userName: 'x' })).toThrow();
  });
});
