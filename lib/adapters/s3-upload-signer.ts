import type { S3Client } from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import type { PresignedPost, UploadSigner } from '../app/ports.js';
import { bucketName, letterS3Client, type S3LetterStoreOptions } from './s3-letter-store.js';

/**
 * Presigned POSTs into the intake bucket, apart from S3LetterStore so that only the function
 * issuing upload slots bundles the presigned-POST client (75 KB).
 */
export class S3UploadSigner implements UploadSigner {
  private readonly s3: S3Client;

  constructor(private readonly options: Pick<S3LetterStoreOptions, 'intakeBucket' | 'region' | 'endpoint' | 'client'>) {
    this.s3 = letterS3Client(options);
  }

  async presignUpload(key: string, limits: { minBytes: number; maxBytes: number; expiresSeconds: number }): Promise<PresignedPost> {
    // The policy pins the key and the size; the processor checks both again (s3rver enforces neither).
    return createPresignedPost(this.s3, {
      Bucket: bucketName(this.options.intakeBucket),
      Key: key,
      Conditions: [
        ['eq', '$key', key],
        ['content-length-range', limits.minBytes, limits.maxBytes],
      ],
      Expires: limits.expiresSeconds,
    });
  }
}
