import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exportSPKI, generateKeyPair, importJWK, SignJWT, type CryptoKey, type JWK, type JWTPayload } from 'jose';
import { LOCAL_AUDIENCE, LOCAL_ISSUER } from '../../../infra/local/tokens.js';

/** Claims of a caller, as POST /local/token takes them. */
export interface TokenClaims {
  sub: string;
  account?: string;
  roles: string[];
}

/**
 * Tokens the runtime must refuse, made from outside it. The runtime keeps its RS256 key in
 * `<data>/keys/jwt-key.json` when started with `--data`; with that key a token can be wrong in
 * exactly one way (expired, wrong issuer, …) and right in every other, so a 401 proves the
 * gateway checked that one thing.
 */
export class TokenForge {
  private constructor(
    private readonly runtimeKey: CryptoKey,
    private readonly publicPem: string,
    private readonly strangerKey: CryptoKey,
  ) {}

  static async fromDataDir(dataDir: string): Promise<TokenForge> {
    const { privateJwk, publicJwk } = JSON.parse(await readFile(join(dataDir, 'keys', 'jwt-key.json'), 'utf8')) as { privateJwk: JWK; publicJwk: JWK };
    const runtimeKey = (await importJWK(privateJwk, 'RS256')) as CryptoKey;
    const publicPem = await exportSPKI((await importJWK(publicJwk, 'RS256', { extractable: true })) as CryptoKey);
    const { privateKey } = await generateKeyPair('RS256');
    return new TokenForge(runtimeKey, publicPem, privateKey);
  }

  /** Signed with the runtime's key; `overrides` set or (undefined) remove registered claims. */
  sign(claims: TokenClaims, overrides: { iss?: string; aud?: string; exp?: number; nbf?: number } = {}, key: CryptoKey = this.runtimeKey): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ ...(claims.account === undefined ? {} : { account: claims.account }), roles: claims.roles })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setSubject(claims.sub)
      .setIssuer(overrides.iss ?? LOCAL_ISSUER)
      .setAudience(overrides.aud ?? LOCAL_AUDIENCE)
      .setIssuedAt(now - 60)
      .setExpirationTime(overrides.exp ?? now + 3600);
    if (overrides.nbf !== undefined) jwt.setNotBefore(overrides.nbf);
    return jwt.sign(key);
  }

  valid = (claims: TokenClaims) => this.sign(claims);
  expired = (claims: TokenClaims) => this.sign(claims, { exp: Math.floor(Date.now() / 1000) - 120 });
  notYetValid = (claims: TokenClaims) => this.sign(claims, { nbf: Math.floor(Date.now() / 1000) + 3600 });
  wrongIssuer = (claims: TokenClaims) => this.sign(claims, { iss: 'https://issuer.example.org' });
  wrongAudience = (claims: TokenClaims) => this.sign(claims, { aud: 'another-api' });
  /** Well formed, but signed by a key the runtime never saw. */
  wrongSignature = (claims: TokenClaims) => this.sign(claims, {}, this.strangerKey);

  /** A real token whose payload was swapped for `claims` after signing. */
  async tampered(signedFor: TokenClaims, claims: TokenClaims): Promise<string> {
    const [header, , signature] = (await this.valid(signedFor)).split('.');
    const payload = JSON.parse(Buffer.from((await this.valid(claims)).split('.')[1]!, 'base64url').toString('utf8')) as JWTPayload;
    return `${header}.${b64(payload)}.${signature}`;
  }

  /** `alg: none` with an empty signature: accepted by a verifier that trusts the header. */
  async algNone(claims: TokenClaims): Promise<string> {
    const payload = JSON.parse(Buffer.from((await this.valid(claims)).split('.')[1]!, 'base64url').toString('utf8')) as JWTPayload;
    return `${b64({ alg: 'none', typ: 'JWT' })}.${b64(payload)}.`;
  }

  /** HS256 keyed with the public key's PEM: accepted by a verifier that lets the header pick the algorithm. */
  async algConfusion(claims: TokenClaims): Promise<string> {
    const payload = JSON.parse(Buffer.from((await this.valid(claims)).split('.')[1]!, 'base64url').toString('utf8')) as JWTPayload;
    return new SignJWT(payload).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).sign(new TextEncoder().encode(this.publicPem));
  }
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
