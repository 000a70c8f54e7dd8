import { createHash, createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { AwsServiceError } from '../../lib/adapters/aws/client.js';
import { JsonServiceClient, holdsBytes, toJson } from '../../lib/adapters/aws/json.js';
import { signingFor, signRequest } from '../../lib/adapters/aws/sigv4.js';

/**
 * Our AWS client (lib/adapters/aws) against a loopback HTTP server that answers as an AWS JSON
 * service would, and its signature against the SDK's own SigV4 signer.
 */

interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let seen: Seen[] = [];
/** The server's answers, one per request; the last repeats. `hang`: never answer. */
let replies: ({ status: number; body: unknown; type?: string } | 'hang')[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const reply = replies.length > 1 ? replies.shift()! : replies[0]!;
      if (reply === 'hang') return;
      res.writeHead(reply.status, { 'content-type': reply.type ?? 'application/x-amz-json-1.0', 'x-amzn-requestid': `req-${seen.length}` }).end(JSON.stringify(reply.body));
    });
  });
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
});
afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((done) => server.close(done));
});
beforeEach(() => {
  seen = [];
  replies = [{ status: 200, body: {} }];
});

const endpoint = () => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const dynamo = (options: { maxAttempts?: number; requestTimeoutMs?: number } = {}) =>
  new JsonServiceClient(
    { service: 'dynamodb', name: 'DynamoDB', targetPrefix: 'DynamoDB_20120810', version: '1.0' },
    { region: 'eu-west-1', endpoint: endpoint(), requestTimeoutMs: options.requestTimeoutMs ?? 2_000, maxAttempts: options.maxAttempts ?? 3, credentials: () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', sessionToken: 'session' }) },
  );

/** node:crypto as the SDK signer's hash constructor. */
type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (data: SourceData) => (typeof data === 'string' ? data : ArrayBuffer.isView(data) ? new Uint8Array(data.buffer, data.byteOffset, data.byteLength) : new Uint8Array(data));
class Sha256 {
  private readonly hash;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
  reset(): void {}
}

describe('SigV4 request signing', () => {
  it.each([
    ['a JSON API call', 'POST', '/', {}, { 'content-type': 'application/x-amz-json-1.0', 'x-amz-target': 'DynamoDB_20120810.GetItem' }, '{"TableName":"t"}'],
    ['an S3 GET with a query and an encoded key', 'GET', '/bucket/uploads/a%20b%2Bc.pdf', { 'list-type': '2', prefix: 'uploads/a b', 'continuation-token': 'x/y=z' }, {}, ''],
  ])('signs %s exactly as the SDK signer does', async (_case, method, path, query, extra, body) => {
    const now = new Date('2026-12-03T10:20:30Z');
    const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', sessionToken: 'token' };
    const headers: Record<string, string> = { host: 'dynamodb.eu-west-1.amazonaws.com', ...extra, 'content-length': String(Buffer.byteLength(body)) };
    const ours = { ...headers };
    signRequest({ method, path, query, headers: ours, body: Buffer.from(body) }, signingFor(credentials, 'eu-west-1', 'dynamodb', now));

    const sdk = new SignatureV4({ credentials, region: 'eu-west-1', service: 'dynamodb', sha256: Sha256, uriEscapePath: false, applyChecksum: true });
    const signed = await sdk.sign(
      { method, protocol: 'https:', hostname: headers.host!, path, query, headers: { ...headers }, body },
      { signingDate: now },
    );
    expect(ours.authorization).toBe(signed.headers.authorization);
    expect(ours['x-amz-date']).toBe(signed.headers['x-amz-date']);
    expect(ours['x-amz-security-token']).toBe('token');
  });

  it('derives the signing key again for other credentials or another day (it keeps only the last)', async () => {
    const sign = async (secretAccessKey: string, now: Date) => {
      const credentials = { accessKeyId: 'AKID', secretAccessKey };
      const headers: Record<string, string> = { host: 'kms.eu-west-1.amazonaws.com', 'content-length': '2' };
      signRequest({ method: 'POST', path: '/', query: {}, headers, body: Buffer.from('{}') }, signingFor(credentials, 'eu-west-1', 'kms', now));
      const sdk = new SignatureV4({ credentials, region: 'eu-west-1', service: 'kms', sha256: Sha256, uriEscapePath: false, applyChecksum: true });
      const signed = await sdk.sign({ method: 'POST', protocol: 'https:', hostname: 'kms.eu-west-1.amazonaws.com', path: '/', query: {}, headers: { host: 'kms.eu-west-1.amazonaws.com', 'content-length': '2' }, body: '{}' }, { signingDate: now });
      expect(headers.authorization).toBe(signed.headers.authorization);
    };
    const day = new Date('2026-12-03T23:59:59Z');
    await sign('first', day);
    await sign('second', day);
    await sign('second', new Date('2026-12-04T00:00:01Z'));
  });
});

describe('the AWS JSON client', () => {
  it('sends the operation as X-Amz-Target with a signed JSON body, and returns the reply with its request id and attempts', async () => {
    replies = [{ status: 200, body: { Item: { pk: { S: 'a' } } } }];
    const out = await dynamo().send<{ Item: unknown }>('GetItem', { TableName: 't', Key: { pk: { S: 'a' } }, Blob: new Uint8Array([1, 2, 255]) });
    expect(out).toMatchObject({ Item: { pk: { S: 'a' } }, $metadata: { httpStatusCode: 200, requestId: 'req-1', attempts: 1 } });
    const [request] = seen;
    expect(request).toMatchObject({ method: 'POST', url: '/' });
    expect(request!.headers).toMatchObject({ 'x-amz-target': 'DynamoDB_20120810.GetItem', 'content-type': 'application/x-amz-json-1.0', 'x-amz-security-token': 'session' });
    expect(request!.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=[a-z0-9;-]*x-amz-target[a-z0-9;-]*, Signature=[0-9a-f]{64}$/);
    // Blobs go out as base64, as the JSON protocol carries them.
    expect(JSON.parse(request!.body)).toEqual({ TableName: 't', Key: { pk: { S: 'a' } }, Blob: Buffer.from([1, 2, 255]).toString('base64') });
  });

  it('sends bytes as base64 however deep they sit (the replacer runs only when there are any), and everything else as plain JSON', () => {
    const deep = { TransactItems: [{ Put: { Item: { pk: { S: 'a' } } } }, { Put: { Item: { blob: { B: Buffer.from('hi') }, list: { L: [{ B: new Uint8Array([0, 255]) }] } } } }] };
    expect(holdsBytes(deep)).toBe(true);
    expect(JSON.parse(toJson(deep))).toEqual({ TransactItems: [{ Put: { Item: { pk: { S: 'a' } } } }, { Put: { Item: { blob: { B: 'aGk=' }, list: { L: [{ B: 'AP8=' }] } } } }] });
    const plain = { TableName: 't', Key: { pk: { S: 'a' } }, Limit: 3, ConsistentRead: false, Missing: null, List: [1, 'x'] };
    expect(holdsBytes(plain)).toBe(false);
    expect(toJson(plain)).toBe(JSON.stringify(plain));
  });

  it('names an error reply as the service does, with its message, fields and status, and does not retry a refusal', async () => {
    replies = [{ status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException', message: 'The conditional request failed', Item: { pk: { S: 'a' } } } }];
    const error = (await dynamo().send('PutItem', {}).catch((e: unknown) => e)) as AwsServiceError;
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ name: 'ConditionalCheckFailedException', message: 'The conditional request failed', $fault: 'client', Item: { pk: { S: 'a' } } });
    expect(error.$metadata).toEqual({ httpStatusCode: 400, requestId: 'req-1', attempts: 1 });
    expect(seen).toHaveLength(1);
  });

  it('retries what standard mode retries — a failure of the service, throttling — and succeeds on a later attempt', async () => {
    replies = [
      { status: 500, body: { __type: 'InternalServerError', message: 'boom' } },
      { status: 400, body: { __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException', message: 'slow' } },
      { status: 200, body: { ok: true } },
    ];
    const out = await dynamo().send('GetItem', {});
    expect(out).toMatchObject({ ok: true, $metadata: { attempts: 3 } });
    expect(seen).toHaveLength(3);
    // Each attempt is signed afresh (its own x-amz-date may differ; its signature covers it).
    for (const request of seen) expect(request.headers.authorization).toMatch(/Signature=[0-9a-f]{64}$/);
  });

  it('gives up after maxAttempts with the last error, saying how many attempts were made', async () => {
    replies = [{ status: 503, body: { __type: 'ServiceUnavailable', message: 'down' } }];
    const error = (await dynamo({ maxAttempts: 3 }).send('GetItem', {}).catch((e: unknown) => e)) as AwsServiceError;
    expect(error).toMatchObject({ name: 'ServiceUnavailable', $fault: 'server', $metadata: { httpStatusCode: 503, attempts: 3 } });
    expect(seen).toHaveLength(3);
  });

  it('ends an attempt that gets no reply within its timeout, and retries it', async () => {
    replies = ['hang', 'hang', { status: 200, body: {} }];
    const started = Date.now();
    const out = await dynamo({ requestTimeoutMs: 200 }).send('GetItem', {});
    expect(out.$metadata.attempts).toBe(3);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 200 - 20);
    replies = ['hang'];
    const error = (await dynamo({ requestTimeoutMs: 100, maxAttempts: 2 }).send('GetItem', {}).catch((e: unknown) => e)) as Error;
    expect(error.name).toBe('TimeoutError');
    expect((error as AwsServiceError).$metadata.attempts).toBe(2);
  });

  it('fails a connection that is refused after its attempts, as a network error', async () => {
    const closed = new JsonServiceClient(
      { service: 'dynamodb', name: 'DynamoDB', targetPrefix: 'DynamoDB_20120810', version: '1.0' },
      { region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', requestTimeoutMs: 1_000, maxAttempts: 2 },
    );
    const error = (await closed.send('GetItem', {}).catch((e: unknown) => e)) as NodeJS.ErrnoException & { $metadata: { attempts: number } };
    expect(error.code).toBe('ECONNREFUSED');
    expect(error.$metadata.attempts).toBe(2);
  });

  it('tells attempt listeners of every attempt, retries included', async () => {
    replies = [{ status: 500, body: {} }, { status: 200, body: {} }];
    const client = dynamo();
    const heard: string[] = [];
    const stop = client.onAttempt((operation) => heard.push(operation));
    await client.send('Query', {});
    stop();
    await client.send('Query', {});
    expect(heard).toEqual(['Query', 'Query']);
  });
});
