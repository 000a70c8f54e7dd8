import type { EvidenceLinks, PresignedPost, UploadSigner } from '../app/ports.js';
import { s3Address, S3RVER_CREDENTIALS } from './aws/endpoints.js';
import { ALGORITHM, canonicalQuery, credentialsFromEnv, hmac, iso8601, rfc3986, sha256Hex, signingFor, type AwsCredentials } from './aws/sigv4.js';

export { credentialsFromEnv, type AwsCredentials };

/**
 * S3's two presigned forms, a GET link and a browser POST form, signed here with SigV4 over
 * node:crypto. The functions that only sign (the upload slot, the reviewer's letter links) then
 * bundle no S3 client: @aws-sdk/client-s3 with its XML protocol and @aws-sdk/s3-presigned-post
 * are ≈ 230 KB of such a bundle and a third of its load time. What is signed matches the SDK's
 * own presigners field for field (test/unit/s3-presign.test.ts compares them).
 */

export interface S3PresignOptions {
  region: string;
  /** s3rver locally (path-style, its fixed keys); unset in AWS (virtual-hosted style). */
  endpoint?: string | undefined;
  /** @default s3rver's keys with an endpoint, else the Lambda role's from the environment */
  credentials?: () => AwsCredentials;
  /** @default the system clock */
  now?: () => Date;
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
    const signedQuery = canonicalQuery(params);
    const canonicalRequest = ['GET', uri, signedQuery, `host:${host}`, '', 'host', 'UNSIGNED-PAYLOAD'].join('\n');
    const stringToSign = [ALGORITHM, signing.amzDate, signing.scope, sha256Hex(canonicalRequest)].join('\n');
    return `${origin}${uri}?${signedQuery}&X-Amz-Signature=${hmac(signing.key, stringToSign).toString('hex')}`;
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

  private address(bucket: string): { origin: string; host: string; path: string } {
    return s3Address(bucket, this.options.region, this.options.endpoint);
  }

  private signing() {
    return signingFor(this.credentials(), this.options.region, 's3', this.now());
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

