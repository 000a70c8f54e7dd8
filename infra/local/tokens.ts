import type { webcrypto } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, importJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';

export const LOCAL_ISSUER = 'urn:certrevoke:local';
export const LOCAL_AUDIENCE = 'certrevoke-api';
const ALG = 'RS256';
const TOKEN_TTL = '12h';

export interface TokenRequest {
  sub: string;
  account: string;
  roles: string[];
}

/** How many verified tokens are remembered; past that the oldest is forgotten. */
const VERIFIED_CACHE_SIZE = 1_000;

/** The local stand-in for the HTTP API's JWT authorizer: an RS256 key (kept in the data folder). */
export class LocalTokens {
  /**
   * Tokens whose signature, issuer and audience were verified, with their claims: a token's
   * bytes are signed, so the same string verifies the same way again, and an RSA check per
   * request was the gateway's largest cost under load. Expiry is checked on every use.
   */
  private readonly verified = new Map<string, JWTPayload>();

  private constructor(
    private readonly privateKey: webcrypto.CryptoKey,
    private readonly publicKey: webcrypto.CryptoKey,
  ) {}

  /** Reuses the key under `dir` so tokens survive restarts; without a folder the key lives in memory. */
  static async open(dir: string | undefined): Promise<LocalTokens> {
    const file = dir ? join(dir, 'jwt-key.json') : undefined;
    const stored = file ? await readFile(file, 'utf8').catch(() => undefined) : undefined;
    if (stored) {
      const { privateJwk, publicJwk } = JSON.parse(stored) as { privateJwk: JWK; publicJwk: JWK };
      return new LocalTokens((await importJWK(privateJwk, ALG)) as webcrypto.CryptoKey, (await importJWK(publicJwk, ALG)) as webcrypto.CryptoKey);
    }
    const { privateKey, publicKey } = await generateKeyPair(ALG, { extractable: true });
    if (file && dir) {
      await mkdir(dir, { recursive: true });
      const body = JSON.stringify({ privateJwk: await exportJWK(privateKey), publicJwk: await exportJWK(publicKey) });
      await writeFile(file, body, { mode: 0o600 });
    }
    return new LocalTokens(privateKey, publicKey);
  }

  mint(request: TokenRequest): Promise<string> {
    return new SignJWT({ account: request.account, roles: request.roles })
      .setProtectedHeader({ alg: ALG, typ: 'JWT' })
      .setSubject(request.sub)
      .setIssuer(LOCAL_ISSUER)
      .setAudience(LOCAL_AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(TOKEN_TTL)
      .sign(this.privateKey);
  }

  /** Checks signature, `iss`, `aud` and `exp` as the API Gateway JWT authorizer does; throws otherwise. */
  async verify(token: string): Promise<JWTPayload> {
    const known = this.verified.get(token);
    if (known && (known.exp ?? 0) * 1000 > Date.now()) return known;
    // Unknown or expired: the full check, which throws for an expired token as it always did.
    this.verified.delete(token);
    const { payload } = await jwtVerify(token, this.publicKey, { issuer: LOCAL_ISSUER, audience: LOCAL_AUDIENCE, algorithms: [ALG], requiredClaims: ['exp'] });
    if (this.verified.size >= VERIFIED_CACHE_SIZE) this.verified.delete(this.verified.keys().next().value as string);
    this.verified.set(token, payload);
    return payload;
  }
}

/**
 * Claims as an HTTP API JWT authorizer hands them to Lambda: every value a string, arrays
 * flattened to `"[a b]"`.
 */
export function flattenClaims(payload: JWTPayload): Record<string, string> {
  const claims: Record<string, string> = {};
  for (const [key, value] of Object.entries(payload)) {
    claims[key] = Array.isArray(value) ? `[${value.join(' ')}]` : typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return claims;
}
