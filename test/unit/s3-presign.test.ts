import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { credentialsFromEnv, S3Presigner } from '../../lib/adapters/s3-presign.js';

/**
 * Our SigV4 presigning against the AWS SDK's own presigners, on the same moment and keys: equal
 * output means S3 accepts ours exactly as it accepts the SDK's (s3rver checks no V4 signature,
 * so this is where the signatures are proven). No request is sent.
 */
const AT = new Date('2026-12-02T23:31:07.456Z');
const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE/+token==' };

const targets = [
  ['in AWS (virtual-hosted)', { region: 'eu-west-1' }],
  ['in AWS us-east-1 (no global endpoint)', { region: 'us-east-1' }],
  ['in AWS China (amazonaws.com.cn)', { region: 'cn-north-1' }],
  ['at a local endpoint (path-style)', { region: 'us-east-1', endpoint: 'http://127.0.0.1:4569' }],
] as const;

function sdkClient(target: { region: string; endpoint?: string }, creds: typeof credentials | Omit<typeof credentials, 'sessionToken'>): S3Client {
  // WHEN_REQUIRED: the SDK otherwise signs in x-amz-checksum-mode=ENABLED and the CRC32 of the
  // empty request body, checksums a browser link has no use for.
  return new S3Client({ ...target, credentials: creds, responseChecksumValidation: 'WHEN_REQUIRED', requestChecksumCalculation: 'WHEN_REQUIRED', ...(target.endpoint ? { forcePathStyle: true } : {}) });
}

describe.each(targets)('S3Presigner %s', (_label, target) => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(AT);
  });
  afterEach(() => vi.useRealTimers());

  it.each([
    ['with a session token', credentials],
    ['without one', { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey }],
  ])('signs a GET link with response overrides exactly as getSignedUrl does (%s)', async (_c, creds) => {
    const key = 'evidence/acct-1/rev_1/9f86d081884c7d65.pdf';
    const query = { 'response-content-disposition': 'attachment; filename="letter-rev_1 (1).pdf"', 'response-content-type': 'application/pdf' };
    const ours = new URL(new S3Presigner({ ...target, credentials: () => creds, now: () => AT }).presignGet('evidence-bucket', key, query, 300));
    const sdk = new URL(
      await getSignedUrl(sdkClient(target, creds), new GetObjectCommand({ Bucket: 'evidence-bucket', Key: key, ResponseContentDisposition: query['response-content-disposition'], ResponseContentType: query['response-content-type'] }), { expiresIn: 300 }),
    );
    expect(ours.origin + ours.pathname).toBe(sdk.origin + sdk.pathname);
    expect(Object.fromEntries(ours.searchParams)).toEqual(Object.fromEntries(sdk.searchParams));
    expect(ours.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('signs an upload form exactly as createPresignedPost does: the same url, fields, policy and signature', async () => {
    const key = 'uploads/acct-1/rev_1/slot_1';
    const conditions = [
      ['eq', '$key', key],
      ['content-length-range', 1024, 1_468_006],
    ];
    const ours = new S3Presigner({ ...target, credentials: () => credentials, now: () => AT }).presignPost('intake-bucket', key, conditions, 900);
    const sdk = await createPresignedPost(sdkClient(target, credentials), { Bucket: 'intake-bucket', Key: key, Conditions: conditions as Parameters<typeof createPresignedPost>[1]['Conditions'], Expires: 900 });
    expect(ours).toEqual(sdk);
  });
});

describe('S3Presigner', () => {
  it('changes the signature when anything signed changes (the key, the expiry, an override)', () => {
    const presigner = new S3Presigner({ region: 'eu-west-1', credentials: () => credentials, now: () => AT });
    const signature = (url: string) => new URL(url).searchParams.get('X-Amz-Signature');
    const base = signature(presigner.presignGet('b-1', 'evidence/a/x.pdf', { 'response-content-type': 'application/pdf' }, 300));
    expect(signature(presigner.presignGet('b-1', 'evidence/a/y.pdf', { 'response-content-type': 'application/pdf' }, 300))).not.toBe(base);
    expect(signature(presigner.presignGet('b-1', 'evidence/a/x.pdf', { 'response-content-type': 'application/pdf' }, 301))).not.toBe(base);
    expect(signature(presigner.presignGet('b-1', 'evidence/a/x.pdf', { 'response-content-type': 'text/html' }, 300))).not.toBe(base);
  });

  it("reads the Lambda role's credentials from the environment, and says so when they are missing", () => {
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' })).toEqual({ accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: 'token' });
    expect(credentialsFromEnv({ AWS_ACCESS_KEY_ID: 'AKID', AWS_SECRET_ACCESS_KEY: 'secret' })).toEqual({ accessKeyId: 'AKID', secretAccessKey: 'secret', sessionToken: undefined });
    expect(() => credentialsFromEnv({})).toThrow(/AWS_ACCESS_KEY_ID/);
  });

  it('refuses a bucket name that cannot be a host name in AWS rather than signing a link that cannot work', () => {
    expect(() => new S3Presigner({ region: 'eu-west-1', credentials: () => credentials }).presignGet('my.dotted.bucket', 'k', {}, 60)).toThrow(/virtual-hosted/);
  });
});
