import type { webcrypto } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalTokens } from '../../infra/local/tokens.js';

/** The local JWT authorizer remembers verified tokens; what it remembers must never let a bad token through. */
describe('LocalTokens.verify', () => {
  afterEach(() => vi.useRealTimers());

  const tamper = (token: string): string => {
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
    return [header, Buffer.from(JSON.stringify({ ...claims, account: 'someone-else' })).toString('base64url'), signature].join('.');
  };

  it('accepts a good token again and again, and still refuses a tampered copy of it afterwards', async () => {
    const tokens = await LocalTokens.open(undefined);
    const token = await tokens.mint({ sub: 'alice', account: 'acme', roles: ['customer'] });
    expect(await tokens.verify(token)).toMatchObject({ sub: 'alice', account: 'acme' });
    expect(await tokens.verify(token)).toMatchObject({ sub: 'alice', account: 'acme' });
    await expect(tokens.verify(tamper(token))).rejects.toThrow(/signature/);
  });

  it('refuses a remembered token once it has expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const tokens = await LocalTokens.open(undefined);
    const token = await tokens.mint({ sub: 'alice', account: 'acme', roles: ['customer'] });
    await tokens.verify(token);
    vi.setSystemTime(Date.now() + 13 * 3600_000); // tokens live 12 hours
    await expect(tokens.verify(token)).rejects.toThrow(/exp/);
  });

  it('refuses a token signed by another key, even one with the same claims as a remembered token', async () => {
    const tokens = await LocalTokens.open(undefined);
    const other = await LocalTokens.open(undefined);
    await tokens.verify(await tokens.mint({ sub: 'alice', account: 'acme', roles: ['customer'] }));
    await expect(tokens.verify(await other.mint({ sub: 'alice', account: 'acme', roles: ['customer'] }))).rejects.toThrow(/signature/);
  });

  it('refuses a token without an expiry', async () => {
    const tokens = await LocalTokens.open(undefined);
    // A token the local key signed without `exp` cannot be minted through mint(): sign one by hand.
    const key = (tokens as unknown as { privateKey: webcrypto.CryptoKey }).privateKey;
    const token = await new SignJWT({ account: 'acme', roles: ['customer'] }).setProtectedHeader({ alg: 'RS256' }).setSubject('alice').setIssuer('urn:certrevoke:local').setAudience('certrevoke-api').sign(key);
    await expect(tokens.verify(token)).rejects.toThrow(/exp/);
  });
});
