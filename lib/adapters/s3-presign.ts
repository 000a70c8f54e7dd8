import { createHash, createHmac } from 'node:crypto';
import type { EvidenceLinks, PresignedPost, UploadSigner } from '../app/ports.js';

/**
 * S3's two presigned forms, a GET link and a browser POST form, signed here with SigV4 over
 * node:crypto. The functions that only sign (the upload slot, the reviewer's letter links) then
 * bundle no S3 client: @aws-sdk/client-s3 with its XML protocol and @aws-sdk/s3-presigned-post
 * are ≈ 230 KB of such a bundle and a third of its load time. What is signed matches the SDK's
 * own presigners field for field (test/unit/s3-presign.test.ts compares them).
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface S3PresignOptions {
  region: string;
  /** s3rver locally (path-style, its fixed keys); unset in AWS (virtual-hosted style). */
  endpoint?: string | undefined;
  /** @default s3rver's keys with an endpoint, else the Lambda role's from the environment */
  credentials?: () => AwsCredentials;
  /** @default the system clock */
  now?: () => Date;
}

const ALGORITHM = 'AWS4-HMAC-SHA256';
const S3RVER_CREDENTIALS: AwsCredentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/**
 * The execution role's credentials, which Lambda puts in the function's environment (what the
 * SDK clients of the bundles read too: lib/lambda/credentials.ts).
 */
export function credentialsFromEnv(env: NodeJS.ProcessEnv = process.env): AwsCredentials {
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  if (!accessKeyId || !secretAccessKey) throw new Error('No AWS credentials in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY) to sign S3 links with.');
  return { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined };
}

export class S3Presigner {
  private readonly credentials: () => AwsCredentials;
  private readonly now: () => Date;

  constructor(private readonly options: S3PresignOptions) {
    this.credentials = options.credentials ?? (options.endpoint ? () => S3RVER_CREDENTIALS : () => credentialsFromEnv());
    this.now = options.now ?? (() => new Date());
  }

  /** A GET link to `key`, valid `expiresSeconds`, with `query` (S3's `response-…` overrides) signed in. */
  presignGet(bucket: string, key: string, query: Record<string, string>, expiresSeconds: number): string {
    const { origin, host, path } = this.address(bucket);
    const signing = this.signing();
    const uri = `${path}/${key.split('/').map(rfc3986).join('/')}`;
    const params: Record<string, string> = {
      ...query,
      'x-id': 'GetObject',
      'X-Amz-Algorithm': ALGORITHM,
      'X-Amz-Content-Sha256': 'UNSIGNED-PAYLOAD',
      'X-Amz-Credential': `${signing.credentials.accessKeyId}/${signing.scope}`,
      'X-Amz-Date': signing.amzDate,
      'X-Amz-Expires': String(expiresSeconds),
      ...(signing.credentials.sessionToken ? { 'X-Amz-Security-Token': signing.credentials.sessionToken } : {}),
      'X-Amz-SignedHeaders': 'host',
    };
    const canonicalQuery = Object.keys(params)
      .sort()
      .map((name) => `${rfc3986(name)}=${rfc3986(params[name]!)}`)
      .join('&');
    const canonicalRequest = ['GET', uri, canonicalQuery, `host:${host}`, '', 'host', 'UNSIGNED-PAYLOAD'].join('\n');
    const stringToSign = [ALGORITHM, signing.amzDate, signing.scope, sha256Hex(canonicalRequest)].join('\n');
    return `${origin}${uri}?${canonicalQuery}&X-Amz-Signature=${hmac(signing.key, stringToSign).toString('hex')}`;
  }

  /** A browser POST form for `bucket`: `conditions` first, then the fields S3 needs, each pinned in the policy. */
  presignPost(bucket: string, key: string, conditions: unknown[], expiresSeconds: number): PresignedPost {
    const signing = this.signing();
    const fields: Record<string, string> = {
      bucket,
      'X-Amz-Algorithm': ALGORITHM,
      'X-Amz-Credential': `${signing.credentials.accessKeyId}/${signing.scope}`,
      'X-Amz-Date': signing.amzDate,
      ...(signing.credentials.sessionToken ? { 'X-Amz-Security-Token': signing.credentials.sessionToken } : {}),
    };
    const pinned = [...conditions, ...Object.entries(fields).map(([name, value]) => ({ [name]: value })), { key }];
    // Once each, in order: a condition the caller gave that S3 needs anyway is not repeated.
    const unique = [...new Set(pinned.map((c) => JSON.stringify(c)))].map((c) => JSON.parse(c) as unknown);
    const expiration = iso8601(new Date(signing.at.getTime() + expiresSeconds * 1000));
    const policy = Buffer.from(JSON.stringify({ expiration, conditions: unique }), 'utf8').toString('base64');
    const { origin, path } = this.address(bucket);
    return { url: `${origin}${path || '/'}`, fields: { ...fields, key, Policy: policy, 'X-Amz-Signature': hmac(signing.key, policy).toString('hex') } };
  }

  /** Virtual-hosted in AWS (`bucket.s3.region.amazonaws.com`), path-style at a local endpoint. */
  private address(bucket: string): { origin: string; host: string; path: string } {
    if (this.options.endpoint) {
      const url = new URL(this.options.endpoint);
      return { origin: url.origin, host: url.host, path: `/${bucket}` };
    }
    if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`Bucket "${bucket}" cannot be addressed virtual-hosted style.`);
    const host = `${bucket}.s3.${this.options.region}.${this.options.region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
    return { origin: `https://${host}`, host, path: '' };
  }

  /** The moment, its credential scope and the day's signing key (kSecret → date → region → s3 → aws4_request). */
  private signing() {
    const at = new Date(Math.floor(this.now().getTime() / 1000) * 1000);
    const amzDate = iso8601(at).replace(/[-:]/g, '');
    const day = amzDate.slice(0, 8);
    const credentials = this.credentials();
    const scope = `${day}/${this.options.region}/s3/aws4_request`;
    let key = hmac(`AWS4${credentials.secretAccessKey}`, day);
    for (const part of [this.options.region, 's3', 'aws4_request']) key = hmac(key, part);
    return { at, amzDate, scope, credentials, key };
  }
}

/** Links to the letters' evidence for the reviewer, from the evidence bucket. */
export class S3EvidenceLinks implements EvidenceLinks {
  private readonly presigner: S3Presigner;

  constructor(private readonly options: S3PresignOptions & { evidenceBucket: string | (() => string) }) {
    this.presigner = new S3Presigner(options);
  }

  async presignEvidence(key: string, options: { contentType: string; filename: string; expiresSeconds: number }): Promise<string> {
    const query = { 'response-content-disposition': `attachment; filename="${options.filename}"`, 'response-content-type': options.contentType };
    return this.presigner.presignGet(bucketName(this.options.evidenceBucket), key, query, options.expiresSeconds);
  }
}

/** Presigned POSTs into the intake bucket, for the upload slots. */
export class S3UploadSigner implements UploadSigner {
  private readonly presigner: S3Presigner;

  constructor(private readonly options: S3PresignOptions & { intakeBucket: string | (() => string) }) {
    this.presigner = new S3Presigner(options);
  }

  async presignUpload(key: string, limits: { minBytes: number; maxBytes: number; expiresSeconds: number }): Promise<PresignedPost> {
    // The policy pins the key and the size; the processor checks both again (s3rver enforces neither).
    const conditions = [
      ['eq', '$key', key],
      ['content-length-range', limits.minBytes, limits.maxBytes],
    ];
    return this.presigner.presignPost(bucketName(this.options.intakeBucket), key, conditions, limits.expiresSeconds);
  }
}

/** Bucket names are read when first used: a function granted one bucket needs only its name. */
export const bucketName = (bucket: string | (() => string)): string => (typeof bucket === 'string' ? bucket : bucket());

/** SigV4's encoding: everything but A–Z a–z 0–9 - _ . ~ as %XX of its UTF-8 bytes. */
function rfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const iso8601 = (date: Date): string => date.toISOString().replace(/\.\d{3}Z$/, 'Z');
const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');
const hmac = (key: string | Buffer, data: string): Buffer => createHmac('sha256', key).update(data, 'utf8').digest();
