import { createHmac, hash } from 'node:crypto';

/** AWS Signature Version 4 over node:crypto: the header form for API calls, the parts S3's presigned forms share. */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export const ALGORITHM = 'AWS4-HMAC-SHA256';

/**
 * The execution role's credentials, which Lambda puts in the function's environment. Read per
 * call: Lambda may hand a new set to a warm environment.
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error('No AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) to sign with.');
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

/** A moment's `X-Amz-Date`, credential scope and signing key (kSecret → date → region → service → aws4_request). */
export interface Signing {
  at: Date;
  amzDate: string;
  scope: string;
  credentials: AwsCredentials;
  key: Buffer;
}

/** The last signing key derived, by what it is derived from: it changes once a day (or with the credentials). */
let lastKey: { secret: string; scope: string; key: Buffer } | undefined;

export function signingFor(credentials: AwsCredentials, region: string, service: string, now: Date): Signing {
  const at = new Date(Math.floor(now.getTime() / 1000) * 1000);
  const amzDate = iso8601(at).replace(/[-:]/g, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${region}/${service}/aws4_request`;
  if (lastKey?.secret !== credentials.secretAccessKey || lastKey.scope !== scope) {
    let key = hmac(`AWS4${credentials.secretAccessKey}`, day);
    for (const part of [region, service, 'aws4_request']) key = hmac(key, part);
    lastKey = { secret: credentials.secretAccessKey, scope, key };
  }
  return { at, amzDate, scope, credentials, key: lastKey.key };
}

export interface SignableRequest {
  method: string;
  /** Already encoded as it goes on the wire (S3 keys segment by segment with rfc3986). */
  path: string;
  query: Record<string, string>;
  /** Lower-case names. `host` included. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Adds `x-amz-date`, `x-amz-content-sha256`, the session token and `authorization` to the
 * request's headers, signing every header it has.
 */
export function signRequest(request: SignableRequest, signing: Signing): void {
  const headers = request.headers;
  headers['x-amz-date'] = signing.amzDate;
  headers['x-amz-content-sha256'] = hash('sha256', request.body, 'hex');
  if (signing.credentials.sessionToken) headers['x-amz-security-token'] = signing.credentials.sessionToken;
  const names = Object.keys(headers).sort();
  const signedHeaders = names.join(';');
  const canonicalRequest = [
    request.method,
    request.path,
    canonicalQuery(request.query),
    ...names.map((name) => `${name}:${headers[name]!.trim().replace(/\s+/g, ' ')}`),
    '',
    signedHeaders,
    headers['x-amz-content-sha256'],
  ].join('\n');
  const stringToSign = [ALGORITHM, signing.amzDate, signing.scope, sha256Hex(canonicalRequest)].join('\n');
  headers.authorization = `${ALGORITHM} Credential=${signing.credentials.accessKeyId}/${signing.scope}, SignedHeaders=${signedHeaders}, Signature=${hmac(signing.key, stringToSign).toString('hex')}`;
}

export function canonicalQuery(query: Record<string, string>): string {
  return Object.keys(query)
    .sort()
    .map((name) => `${rfc3986(name)}=${rfc3986(query[name]!)}`)
    .join('&');
}

/** SigV4's encoding: everything but A–Z a–z 0–9 - _ . ~ as %XX of its UTF-8 bytes. */
export function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export const iso8601 = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
/** One-shot `crypto.hash`: no Hash object per call (two per signed request). */
export const sha256Hex = (text: string): string => hash('sha256', text, 'hex');
export const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
