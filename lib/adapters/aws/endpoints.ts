/** Where AWS services and S3 buckets are addressed, shared by the client and the S3 presigner. */

/** s3rver's fixed keys: it checks signatures with them. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** A service's regional host: `dynamodb.eu-west-1.amazonaws.com` (`.com.cn` in the China regions). */
export function serviceHost(service: string, region: string): string {
  return `${service}.${region}.${region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com'}`;
}

/** A bucket virtual-hosted in AWS (`bucket.s3.region.amazonaws.com`, path ''), path-style at a local endpoint (path `/bucket`). */
export function s3Address(bucket: string, region: string, endpoint: string | undefined): { origin: string; host: string; path: string; virtual: boolean } {
  if (endpoint) {
    const url = new URL(endpoint);
    return { origin: url.origin, host: url.host, path: `/${bucket}`, virtual: false };
  }
  if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) throw new Error(`Bucket "${bucket}" cannot be addressed virtual-hosted style.`);
  const host = `${bucket}.${serviceHost('s3', region)}`;
  return { origin: `https://${host}`, host, path: '', virtual: true };
}
