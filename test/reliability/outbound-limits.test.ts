import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { REVOCATION_WORKFLOW } from '../../infra/workflows/index.js';
import { GetCommand } from '../../lib/adapters/dynamo-client.js';

/**
 * Every outbound call has a bound: the AWS clients the composition root builds
 * (lib/adapters/aws/client.ts: at most 3 attempts, standard retry mode, a connection and a
 * per-attempt timeout that is enforced) and the domain-validation probes (a DNS server or web server that
 * never answers costs a known budget, well inside the workflow task's timeout).
 */

/** The most one attempt may wait for its reply: below Lambda's and the workflow tasks' own timeouts. */
const MAX_REQUEST_TIMEOUT_MS = 10_000;
const MAX_CONNECTION_TIMEOUT_MS = 5_000;

interface FoundClient {
  name: string;
  path: string;
  client: object;
}

/** lib/adapters/aws/client.ts's AwsClient, by shape: the root's modules are loaded afresh per test. */
interface OwnClient {
  name: string;
  call: unknown;
  maxAttempts: number;
  requestTimeoutMs: number;
  connectionTimeoutMs: number;
}

function isOwnClient(value: unknown): value is OwnClient {
  const v = value as Partial<OwnClient> | null;
  return typeof v === 'object' && v !== null && typeof v.call === 'function' && typeof v.maxAttempts === 'number' && typeof v.requestTimeoutMs === 'number';
}

/** An AWS SDK v3 client, by shape: none should be left in the service (its name then fails the check). */
function isSdkClient(value: unknown): value is { send: unknown; middlewareStack: unknown } {
  const v = value as { send?: unknown; middlewareStack?: unknown; config?: unknown } | null;
  return typeof v === 'object' && v !== null && typeof v.send === 'function' && typeof v.config === 'object' && v.middlewareStack !== undefined;
}

/**
 * Every AWS client (ours, or an SDK one) reachable from what the composition root exports: each getter is called
 * (building what it builds, as a handler would), and the object graph walked — own fields,
 * getters and prototypes — so a client made anywhere, by any adapter, is found.
 */
async function clientsOfRoot(): Promise<FoundClient[]> {
  const root = (await import('../../lib/root.js')) as Record<string, unknown>;
  const found = new Map<object, FoundClient>();
  const seen = new Set<object>();
  const visit = (value: unknown, path: string, depth: number): void => {
    if (isSdkClient(value) || isOwnClient(value)) {
      if (!found.has(value)) found.set(value, { name: isOwnClient(value) ? value.name : (value as object).constructor.name, path, client: value });
      return;
    }
    if (typeof value !== 'object' || value === null || seen.has(value) || depth > 8) return;
    if (value instanceof Date || ArrayBuffer.isView(value) || value instanceof Promise) return;
    seen.add(value);
    for (let o: object | null = value; o && o !== Object.prototype; o = Object.getPrototypeOf(o) as object | null) {
      for (const [key, descriptor] of Object.entries(Object.getOwnPropertyDescriptors(o))) {
        let child: unknown;
        try {
          child = descriptor.get ? descriptor.get.call(value) : descriptor.value;
        } catch {
          continue; // a collaborator whose configuration this environment does not give
        }
        if (typeof child !== 'function') visit(child, `${path}.${key}`, depth + 1);
      }
    }
  };
  for (const [name, exported] of Object.entries(root)) {
    if (typeof exported !== 'function') continue;
    let built: unknown;
    try {
      built = (exported as () => unknown)();
    } catch {
      continue;
    }
    visit(built, name, 0);
  }
  return [...found.values()];
}

const LOCAL = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  TABLE_NAME: 'outbound-limits',
  DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
  S3_ENDPOINT: 'http://127.0.0.1:9',
  SFN_ENDPOINT: 'http://127.0.0.1:9',
  INTAKE_BUCKET: 'intake',
  EVIDENCE_BUCKET: 'evidence',
  REVOCATION_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:revocation',
  REISSUE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:reissue',
};

/** As in AWS: no endpoints; the CA key in Secrets Manager, private keys sealed with KMS. */
const AWS = {
  ...LOCAL,
  DYNAMODB_ENDPOINT: '',
  S3_ENDPOINT: '',
  SFN_ENDPOINT: '',
  CA_SECRET_ID: 'certrevoke/ca',
  KEY_VAULT_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000',
};

const savedEnv = { ...process.env };
function useEnv(env: Record<string, string>): void {
  for (const key of ['CA_KEY_DIR', 'KEY_VAULT_DIR', 'CA_SECRET_ID', 'KEY_VAULT_KEY_ID']) delete process.env[key];
  Object.assign(process.env, env);
}

afterEach(() => {
  vi.resetModules();
});

afterAll(() => {
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
  Object.assign(process.env, savedEnv);
});

describe('AWS clients of the composition root', () => {
  it.each([
    ['locally (DynamoDB Local, s3rver, the local Step Functions)', { ...LOCAL, CA_KEY_DIR: '/nonexistent/ca', KEY_VAULT_DIR: '/nonexistent/vault' }, ['DynamoDB', 'S3', 'SFN']],
    ['in AWS (plus Secrets Manager for the CA key, KMS for private keys)', AWS, ['DynamoDB', 'S3', 'SFN', 'SecretsManager', 'KMS']],
  ])('are ours, and make at most 3 attempts with a bounded, enforced timeout on each, when configured %s', async (_label, env, expected) => {
    useEnv(env);
    const clients = await clientsOfRoot();
    expect(new Set(clients.map((c) => c.name))).toEqual(new Set(expected));
    for (const { name, path, client } of clients) {
      const where = `${name} at ${path}`;
      if (!isOwnClient(client)) throw new Error(`${where} is not our AWS client (lib/adapters/aws/client.ts)`);
      // Its retries (standard mode) and the timeouts' enforcement: test/unit/aws-client.test.ts and the test below.
      expect(client.maxAttempts, where).toBeLessThanOrEqual(3);
      expect(client.maxAttempts, where).toBeGreaterThanOrEqual(1);
      expect(client.requestTimeoutMs, where).toBeGreaterThan(0);
      expect(client.requestTimeoutMs, where).toBeLessThanOrEqual(MAX_REQUEST_TIMEOUT_MS);
      expect(client.connectionTimeoutMs, where).toBeGreaterThan(0);
      expect(client.connectionTimeoutMs, where).toBeLessThanOrEqual(MAX_CONNECTION_TIMEOUT_MS);
    }
  });
});

describe('calls to a server that never answers', () => {
  let silentTcp: Server;
  let tcpPort: number;
  let trickling: HttpServer;
  let tricklePort: number;
  let silentDns: UdpSocket;
  let dnsPort: number;
  const sockets = new Set<{ destroy: () => void }>();

  beforeAll(async () => {
    // Accepts connections and reads requests, never replies.
    silentTcp = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => undefined);
    });
    await new Promise<void>((resolve) => silentTcp.listen(0, '127.0.0.1', () => resolve()));
    tcpPort = (silentTcp.address() as { port: number }).port;
    // Answers 200 at once, then a byte every 200 ms, forever, under the probe's 4 KiB limit.
    trickling = createHttpServer((_req, res) => {
      sockets.add(res.socket!);
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('x'), 200);
      res.on('close', () => clearInterval(timer));
    });
    await new Promise<void>((resolve) => trickling.listen(0, '127.0.0.1', () => resolve()));
    tricklePort = (trickling.address() as { port: number }).port;
    // Receives DNS queries, answers none.
    silentDns = createSocket('udp4');
    silentDns.on('message', () => undefined);
    await new Promise<void>((resolve) => silentDns.bind(0, '127.0.0.1', () => resolve()));
    dnsPort = silentDns.address().port;
  });

  afterAll(async () => {
    for (const socket of sockets) socket.destroy();
    await Promise.all([
      new Promise((resolve) => silentTcp.close(resolve)),
      new Promise((resolve) => trickling.close(resolve)),
      new Promise((resolve) => silentDns.close(() => resolve(undefined))),
    ]);
  });

  it('fails a DynamoDB call of the composition root after 3 attempts of at most its timeout each, when the server never answers', async () => {
    useEnv({ ...LOCAL, DYNAMODB_ENDPOINT: `http://127.0.0.1:${tcpPort}` });
    const root = await import('../../lib/root.js');
    const db = (root.certificateStore() as unknown as { db: { send: (command: GetCommand) => Promise<unknown> } }).db;
    const started = Date.now();
    const error = await db.send(new GetCommand({ TableName: 'outbound-limits', Key: { pk: 'a', sk: 'b' } })).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    const elapsed = Date.now() - started;
    expect(error?.name).toBe('TimeoutError');
    // 3 attempts × 3 s, plus the standard mode's backoff between them (well under a second here).
    expect(elapsed).toBeGreaterThanOrEqual(3 * 3_000 - 100);
    expect(elapsed).toBeLessThan(3 * 3_000 + 3_000);
  }, 30_000);

  it('ends each domain-validation probe within its budget, inside the check task timeout, when DNS and the web server never answer', async () => {
    useEnv({
      ...LOCAL,
      DNS_RESOLVERS: `127.0.0.1:${dnsPort}`,
      PROBE_ALLOW_ADDRESSES: '127.0.0.1',
    });
    const definition = JSON.parse(readFileSync(REVOCATION_WORKFLOW.file, 'utf8')) as { States: Record<string, { TimeoutSeconds?: number }> };
    const taskTimeoutMs = definition.States.CheckValidation!.TimeoutSeconds! * 1000;
    const probeAt = async (port: number) => {
      process.env.PROBE_HTTP_PORT = String(port);
      vi.resetModules();
      return (await import('../../lib/root.js')).stepDeps().probe;
    };
    const silent = await probeAt(tcpPort);
    const slow = await probeAt(tricklePort);
    const timed = async <T>(run: () => Promise<T>) => {
      const started = Date.now();
      const value = await run();
      return { value, ms: Date.now() - started };
    };
    // As the check step runs them: DNS and HTTP at once (lib/app/request-steps.ts).
    const [dns, file, trickle] = await Promise.all([
      timed(() => silent.hasTxtRecord('_dnsauth.never.example.com', 'value')),
      timed(() => silent.servesFile('http://127.0.0.1/.well-known/pki-validation/fileauth.txt', 'value')),
      timed(() => slow.servesFile('http://127.0.0.1/.well-known/pki-validation/fileauth.txt', 'value')),
    ]);
    // Not found is the answer: the loop asks again later.
    expect([dns.value, file.value, trickle.value]).toEqual([false, false, false]);
    // DNS: 2 tries of 2 s, c-ares doubling the second and adding jitter.
    expect(dns.ms).toBeLessThan(10_000);
    // HTTP: one 5 s budget for lookups, connection, redirects and body.
    for (const http of [file, trickle]) {
      expect(http.ms).toBeGreaterThanOrEqual(4_900);
      expect(http.ms).toBeLessThan(6_500);
    }
    expect(Math.max(dns.ms, file.ms, trickle.ms)).toBeLessThan(taskTimeoutMs / 2);
  }, 30_000);
});
