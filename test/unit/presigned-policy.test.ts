import { describe, expect, it } from 'vitest';
import { S3UploadSigner } from '../../lib/adapters/s3-presign.js';
import { LETTER_MAX_BYTES, LETTER_MIN_BYTES } from '../../lib/domain/letter.js';

/**
 * s3rver enforces no POST policy, so the policy S3 will enforce in AWS is checked here by
 * decoding it. Signing happens locally: no request is sent.
 */
describe('presigned letter upload policy', () => {
  const store = new S3UploadSigner({ region: 'eu-west-1', intakeBucket: 'intake-bucket', credentials: () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }) });
  const key = 'uploads/acme/rev_1/slot_1';

  it('pins the exact key, the bucket, the 1 KiB … 1.4 MiB size range and a 15-minute expiry', async () => {
    const before = Date.now();
    const post = await store.presignUpload(key, { minBytes: LETTER_MIN_BYTES, maxBytes: LETTER_MAX_BYTES, expiresSeconds: 900 });
    expect(post.url).toContain('intake-bucket');
    expect(post.fields.key).toBe(key);
    const policy = JSON.parse(Buffer.from(post.fields.Policy!, 'base64').toString('utf8')) as { expiration: string; conditions: unknown[] };
    expect(policy.conditions).toContainEqual(['eq', '$key', key]);
    expect(policy.conditions).toContainEqual(['content-length-range', 1024, 1_468_006]);
    expect(policy.conditions).toContainEqual({ bucket: 'intake-bucket' });
    const expiresIn = Date.parse(policy.expiration) - before;
    expect(expiresIn).toBeGreaterThan(895_000);
    expect(expiresIn).toBeLessThanOrEqual(901_000);
    // Signed with SigV4, so S3 checks the policy was not altered.
    expect(post.fields['X-Amz-Algorithm']).toBe('AWS4-HMAC-SHA256');
    expect(post.fields['X-Amz-Signature']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('never lets the uploader pick the key or the content type', async () => {
    const post = await store.presignUpload(key, { minBytes: LETTER_MIN_BYTES, maxBytes: LETTER_MAX_BYTES, expiresSeconds: 900 });
    const policy = JSON.parse(Buffer.from(post.fields.Policy!, 'base64').toString('utf8')) as { conditions: unknown[] };
    expect(policy.conditions.some((c) => Array.isArray(c) && c[0] === 'starts-with')).toBe(false);
    expect(post.fields).not.toHaveProperty('Content-Type');
  });
});
