import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a stand-in throws to answer with an AWS error: `name` becomes the reply's `__type`. */
export class ServiceError extends Error {
  constructor(name: string, message = name) {
    super(message);
    this.name = name;
  }
}

/**
 * A loopback HTTP server that answers as an AWS JSON-protocol service: the operation from
 * `X-Amz-Target`, the input from the body, `handle`'s result as the reply, a thrown
 * ServiceError as a 400 with its name as `__type`. For services with no local stand-in (KMS,
 * Secrets Manager): the adapter under test then talks through our real AWS client.
 */
export async function startJsonService(handle: (operation: string, input: Record<string, unknown>) => unknown): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const type = String(req.headers['content-type'] ?? 'application/x-amz-json-1.1');
      void (async () => {
        try {
          const output = await handle(target.slice(target.indexOf('.') + 1), JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>);
          res.writeHead(200, { 'content-type': type }).end(JSON.stringify(output ?? {}));
        } catch (error) {
          const e = error as Error;
          const status = e instanceof ServiceError ? 400 : 500;
          res.writeHead(status, { 'content-type': type }).end(JSON.stringify({ __type: e instanceof ServiceError ? e.name : 'InternalFailure', message: e.message }));
        }
      })();
    });
  });
  server.keepAliveTimeout = 100;
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((done) => server.close(() => done())),
  };
}
