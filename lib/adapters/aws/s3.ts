import { createHash } from 'node:crypto';
import { AwsClient, AwsServiceError, type AwsMetadata, type AwsResponse } from './client.js';
import { s3Address, S3RVER_CREDENTIALS } from './endpoints.js';
import { rfc3986 } from './sigv4.js';

/**
 * The S3 calls of the letter store over S3's REST protocol: virtual-hosted buckets in AWS,
 * path-style at a local endpoint (s3rver), error replies as `<Error><Code>…` (or, for HEAD, the
 * status alone).
 */
export interface S3ClientOptions {
  region: string;
  endpoint?: string | undefined;
  requestTimeoutMs: number;
  credentials?: () => { accessKeyId: string; secretAccessKey: string; sessionToken?: string | undefined };
}

export interface ListedObject {
  key: string;
  lastModified: Date;
}

/** HEAD replies carry no body: S3's names for their statuses. */
const STATUS_NAMES: Record<number, string> = { 304: 'NotModified', 403: 'Forbidden', 404: 'NotFound', 412: 'PreconditionFailed' };

export class S3Client extends AwsClient {
  constructor(private readonly s3: S3ClientOptions) {
    const credentials = s3.credentials ?? (s3.endpoint ? () => S3RVER_CREDENTIALS : undefined);
    super({ service: 's3', name: 'S3', region: s3.region, endpoint: s3.endpoint, requestTimeoutMs: s3.requestTimeoutMs, ...(credentials ? { credentials } : {}) });
  }

  async headObject(bucket: string, key: string): Promise<{ contentLength: number; etag: string }> {
    const reply = await this.object('HeadObject', 'HEAD', bucket, key);
    return { contentLength: Number(reply.headers['content-length'] ?? 0), etag: String(reply.headers.etag ?? '') };
  }

  /** The object's bytes (from `range`, e.g. `bytes=0-99`), each chunk also to `onChunk` as it arrives. */
  async getObject(bucket: string, key: string, options: { range?: string; onChunk?: (chunk: Buffer, attempt: number) => void } = {}): Promise<Buffer> {
    const reply = await this.object('GetObject', 'GET', bucket, key, { headers: options.range ? { range: options.range } : {}, ...(options.onChunk ? { onChunk: options.onChunk } : {}) });
    return reply.body;
  }

  /**
   * With Content-MD5: S3 refuses a PUT into a bucket with Object Lock retention (the evidence
   * bucket) without an integrity header, and checks the bytes against it.
   */
  async putObject(bucket: string, key: string, body: Uint8Array, options: { contentType: string; ifNoneMatch?: '*' }): Promise<void> {
    const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const headers: Record<string, string> = {
      'content-type': options.contentType,
      'content-md5': createHash('md5').update(bytes).digest('base64'),
      ...(options.ifNoneMatch ? { 'if-none-match': options.ifNoneMatch } : {}),
    };
    await this.object('PutObject', 'PUT', bucket, key, { headers, body: bytes });
  }

  async deleteObject(bucket: string, key: string): Promise<void> {
    await this.object('DeleteObject', 'DELETE', bucket, key);
  }

  /** Copies an object onto `key`, its metadata replaced by `metadata`. */
  async copyObject(bucket: string, key: string, source: { bucket: string; key: string }, metadata: Record<string, string>): Promise<void> {
    const headers: Record<string, string> = {
      'x-amz-copy-source': `/${source.bucket}/${encodeKey(source.key)}`,
      'x-amz-metadata-directive': 'REPLACE',
      ...Object.fromEntries(Object.entries(metadata).map(([name, value]) => [`x-amz-meta-${name.toLowerCase()}`, value])),
    };
    const reply = await this.object('CopyObject', 'PUT', bucket, key, { headers });
    // CopyObject can fail after its 200 has been sent: the error is then the body.
    if (reply.body.includes('<Error>')) {
      const failure = readXmlError(reply);
      throw new AwsServiceError(failure.name, failure.message, 500, reply.$metadata.requestId);
    }
  }

  /** One page of ListObjectsV2. */
  async listObjects(bucket: string, prefix: string, continuationToken?: string): Promise<{ objects: ListedObject[]; nextToken: string | undefined }> {
    const query: Record<string, string> = { 'list-type': '2', prefix, ...(continuationToken ? { 'continuation-token': continuationToken } : {}) };
    const reply = await this.call('ListObjectsV2', { method: 'GET', ...this.address(bucket, ''), query }, readXmlError, { Bucket: bucket });
    const xml = reply.body.toString('utf8');
    const objects = [...xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)].map((m) => ({ key: xmlText(m[1]!, 'Key') ?? '', lastModified: new Date(xmlText(m[1]!, 'LastModified') ?? 0) }));
    const truncated = xmlText(xml, 'IsTruncated') === 'true';
    return { objects, nextToken: truncated ? xmlText(xml, 'NextContinuationToken') : undefined };
  }

  private object(
    operation: string,
    method: 'GET' | 'HEAD' | 'PUT' | 'DELETE',
    bucket: string,
    key: string,
    extra: { headers?: Record<string, string>; body?: Buffer; onChunk?: (chunk: Buffer, attempt: number) => void } = {},
  ): Promise<AwsResponse & { $metadata: AwsMetadata }> {
    return this.call(operation, { method, ...this.address(bucket, encodeKey(key)), ...extra }, readXmlError, { Bucket: bucket });
  }

  /** Virtual-hosted in AWS (`bucket.s3.region.amazonaws.com/key`), path-style at a local endpoint. */
  private address(bucket: string, encodedKey: string): { path: string; host?: string } {
    const at = s3Address(bucket, this.s3.region, this.s3.endpoint);
    const path = encodedKey ? `${at.path}/${encodedKey}` : at.path || '/';
    return at.virtual ? { path, host: at.host } : { path };
  }
}

const encodeKey = (key: string): string => key.split('/').map(rfc3986).join('/');

function readXmlError(reply: AwsResponse): { name: string; message: string } {
  const xml = reply.body.toString('utf8');
  const name = xmlText(xml, 'Code') ?? STATUS_NAMES[reply.status] ?? (reply.status >= 500 ? 'InternalError' : `Http${reply.status}`);
  return { name, message: xmlText(xml, 'Message') ?? '' };
}

/** The text of the first `<tag>` (S3's XML has no attributes or nesting on the fields read here). */
function xmlText(xml: string, tag: string): string | undefined {
  const m = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return m ? unescapeXml(m[1]!) : undefined;
}

function unescapeXml(text: string): string {
  return text.replace(/&(lt|gt|amp|quot|apos|#\d+|#x[0-9a-fA-F]+);/g, (_, e: string) =>
    e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'amp' ? '&' : e === 'quot' ? '"' : e === 'apos' ? "'" : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );
}
