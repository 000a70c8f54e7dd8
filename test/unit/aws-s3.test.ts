import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3Client } from '../../lib/adapters/aws/s3.js';

/**
 * Our S3 client's REST protocol against a loopback server answering as S3 does, for what
 * s3rver (test/integration) does not show: error replies, a CopyObject that fails after its 200,
 * and listings with escaped keys across pages.
 */

let server: Server;
let seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];
let reply: { status: number; body?: string; headers?: Record<string, string> } = { status: 200 };

beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers });
      res.writeHead(reply.status, { 'x-amz-request-id': 'S3REQ', ...reply.headers }).end(reply.body ?? '');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
});
afterAll(() => new Promise((done) => server.close(done)));
beforeEach(() => {
  seen = [];
  reply = { status: 200 };
});

const s3 = () => new S3Client({ region: 'eu-west-1', endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requestTimeoutMs: 2_000 });
const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: unknown) => e as Error & { $metadata: { httpStatusCode?: number; attempts: number } });

describe('the S3 client', () => {
  it('addresses objects path-style at a local endpoint, each key segment encoded once, and signs for s3', async () => {
    reply = { status: 200, headers: { 'content-length': '0', etag: '"abc"' } };
    await s3().putObject('intake', 'uploads/a b+c/ü.pdf', new Uint8Array([1, 2, 3]), { contentType: 'application/pdf', ifNoneMatch: '*' });
    expect(seen[0]).toMatchObject({ method: 'PUT', url: '/intake/uploads/a%20b%2Bc/%C3%BC.pdf' });
    // Content-MD5: S3 requires an integrity header for a PUT into an Object Lock bucket.
    expect(seen[0]!.headers).toMatchObject({ 'content-type': 'application/pdf', 'if-none-match': '*', 'content-length': '3', 'content-md5': 'Uonfc331cyb83SJZevsfrA==' });
    expect(seen[0]!.headers.authorization).toMatch(/Credential=S3RVER\/\d{8}\/eu-west-1\/s3\/aws4_request/);
  });

  it('names a HEAD failure by its status, which is all S3 sends', async () => {
    reply = { status: 404 };
    expect(await failure(s3().headObject('intake', 'uploads/x'))).toMatchObject({ name: 'NotFound', $metadata: { httpStatusCode: 404, attempts: 1 } });
    reply = { status: 412 };
    expect(await failure(s3().putObject('evidence', 'k', new Uint8Array(1), { contentType: 'image/png', ifNoneMatch: '*' }))).toMatchObject({ name: 'PreconditionFailed' });
  });

  it('names an error by its XML Code, with its Message', async () => {
    reply = { status: 404, body: '<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>' };
    expect(await failure(s3().getObject('intake', 'uploads/x', { range: 'bytes=0-9' }))).toMatchObject({ name: 'NoSuchKey', message: 'The specified key does not exist.', $fault: 'client' });
    expect(seen[0]!.headers.range).toBe('bytes=0-9');
  });

  it('fails a CopyObject whose 200 carries an error, and sends the copy source and new metadata', async () => {
    reply = { status: 200, body: '<?xml version="1.0"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error.</Message></Error>' };
    expect(await failure(s3().copyObject('intake', 'uploads/a b', { bucket: 'intake', key: 'uploads/a b' }, { Renotified: 'now' }))).toMatchObject({ name: 'InternalError' });
    expect(seen[0]!.headers).toMatchObject({ 'x-amz-copy-source': '/intake/uploads/a%20b', 'x-amz-metadata-directive': 'REPLACE', 'x-amz-meta-renotified': 'now' });
    reply = { status: 200, body: '<CopyObjectResult><ETag>"e"</ETag></CopyObjectResult>' };
    await expect(s3().copyObject('intake', 'k', { bucket: 'intake', key: 'k' }, {})).resolves.toBeUndefined();
  });

  it('lists a page of keys, unescaping them, and the token of the next page only when truncated', async () => {
    reply = {
      status: 200,
      body: `<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>uploads/a&amp;b&#x27;c</Key><LastModified>2026-12-01T10:00:00.000Z</LastModified></Contents><Contents><Key>uploads/d&lt;e</Key><LastModified>2026-12-02T10:00:00.000Z</LastModified></Contents><NextContinuationToken>tok/1=</NextContinuationToken></ListBucketResult>`,
    };
    const page = await s3().listObjects('intake', 'uploads/', 'prev token');
    expect(page).toEqual({
      objects: [
        { key: "uploads/a&b'c", lastModified: new Date('2026-12-01T10:00:00.000Z') },
        { key: 'uploads/d<e', lastModified: new Date('2026-12-02T10:00:00.000Z') },
      ],
      nextToken: 'tok/1=',
    });
    expect(new URL(seen[0]!.url, 'http://x').searchParams.get('continuation-token')).toBe('prev token');
    expect(seen[0]!.url).toMatch(/^\/intake\?/);
    reply = { status: 200, body: '<ListBucketResult><IsTruncated>false</IsTruncated><NextContinuationToken>stale</NextContinuationToken></ListBucketResult>' };
    expect(await s3().listObjects('intake', 'uploads/')).toEqual({ objects: [], nextToken: undefined });
  });

  it('retries a 503 SlowDown and hands the body of the successful attempt to onChunk', async () => {
    let calls = 0;
    server.removeAllListeners('request');
    server.on('request', (req, res) => {
      req.resume();
      calls++;
      if (calls === 1) res.writeHead(503).end('<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>');
      else res.writeHead(206).end('hello');
    });
    const chunks: string[] = [];
    const body = await s3().getObject('intake', 'k', { onChunk: (chunk, attempt) => chunks.push(`${attempt}:${chunk.toString()}`) });
    expect(body.toString()).toBe('hello');
    expect(chunks).toEqual(['2:hello']);
  });
});
