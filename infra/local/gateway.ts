import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import * as z from 'zod';
import { ROUTES, type RouteSpec } from '../../lib/http/contract.js';
import type { DnsProvider } from '../../lib/app/ports.js';
import { loggableError } from '../../lib/http/logger.js';
import { problem } from '../../lib/http/problem.js';
import type { ConsoleFile } from '../console-build.js';
import { loadFunctionHandler } from './functions.js';
import { flattenClaims, type LocalTokens } from './tokens.js';

/** API Gateway's own payload limit; the handlers enforce the API's 64 KiB. */
const MAX_GATEWAY_BODY = 10 * 1024 * 1024;
/** What a refused body may still send before its connection is cut. */
const MAX_DRAINED = 256 * 1024 * 1024;
/** Buckets kept before full ones are dropped. */
const MAX_BUCKETS = 10_000;

type LambdaHandler = (event: APIGatewayProxyEventV2WithJWTAuthorizer, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

interface CompiledRoute {
  spec: RouteSpec;
  pattern: RegExp;
  params: string[];
}

const TokenRequestSchema = z
  .object({
    sub: z.string().min(1).max(128),
    account: z.string().min(1).max(128),
    roles: z.array(z.enum(['customer', 'reviewer', 'operator'])).min(1),
  })
  .strict();

/**
 * A local stand-in for the HTTP API: matches the contract's routes, verifies the bearer JWT as
 * the JWT authorizer would, builds a payload-format-2.0 event and calls the same handler
 * module Lambda runs.
 */
const DnsRecordSchema = z.object({ name: z.string().min(1).max(253), value: z.string().min(1).max(255) }).strict();

/** The web console, served at `/` as CloudFront serves it in AWS. */
export interface ConsoleSite {
  files: ConsoleFile[];
  /** console/src/main.ts ConsoleConfig: where the API is, and the demo users. */
  config: unknown;
  /** The Content-Security-Policy of every console file. */
  csp: string;
}

/** Per-account request rate: a token bucket of `burst` requests refilled at `perSecond`. */
export interface RateLimit {
  perSecond: number;
  burst: number;
}

/**
 * What listens on the gateway's port while the runtime starts: the port is taken before anything
 * else, so a second `npm start` stops at once and no emulator started meanwhile can be handed it.
 * createGateway then answers on it.
 */
export function startingServer(): Server {
  return createServer((_req, res) => send(res, problem(503, 'SERVICE_UNAVAILABLE', 'The local service is still starting. Try again in a few seconds.')));
}

export function createGateway(options: {
  tokens: LocalTokens;
  dnsZone?: DnsProvider;
  loadHandler?: (name: string) => Promise<LambdaHandler>;
  console?: ConsoleSite;
  /** Without it nothing is limited. */
  rateLimit?: RateLimit;
  /** A server to answer on instead of a new one (startingServer's, already listening). */
  server?: Server;
}): Server {
  const routes = Object.values(ROUTES as Record<string, RouteSpec>).map(compile);
  const load = options.loadHandler ?? loadFunctionHandler<LambdaHandler>;
  const site = options.console ? consoleFiles(options.console) : undefined;
  const limiter = options.rateLimit ? new RateLimiter(options.rateLimit) : undefined;
  const server = options.server ?? createServer();
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch((error: unknown) => {
      console.error('gateway error', loggableError(error));
      if (!res.headersSent) send(res, problem(500, 'INTERNAL', 'The local gateway failed.'));
    });
  });
  // Node answers a request it cannot parse (headers over 16 KiB, a broken request line) with a
  // bare status line; answer problem+json as for every other refusal.
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => rejectUnparsable(error, socket));
  return server;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    if (Number(req.headers['content-length'] ?? 0) > MAX_GATEWAY_BODY) return refuseBody(req, res);

    // The console's files are CloudFront's and /local/* exists only here: neither is the API, so neither is limited.
    const file = method === 'GET' || method === 'HEAD' ? site?.get(url.pathname) : undefined;
    if (file) return send(res, file);
    if (method === 'POST' && (url.pathname === '/local/token' || url.pathname === '/local/dns')) {
      const body = await readBody(req);
      if (body === undefined) return refuseBody(req, res);
      if (url.pathname === '/local/token') return send(res, await mintToken(body));
      if (options.dnsZone) return send(res, await publishTxt(options.dnsZone, body));
    }

    // The rate limit is charged before the body is read: a caller over it costs no more than its headers.
    const byAddress = `ip:${req.socket.remoteAddress ?? 'unknown'}`;
    const match = matchRoute(routes, method, url.pathname);
    if (!match || match === 'malformed') {
      if (limited(res, byAddress)) return;
      if (match === 'malformed') return send(res, problem(400, 'BAD_REQUEST', 'The path is not valid percent-encoded UTF-8.'));
      return send(res, problem(404, 'NOT_FOUND', `No route for ${method} ${url.pathname}.`));
    }

    let claims: Record<string, string> | undefined;
    if (match.route.spec.auth !== 'public') {
      const token = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
      // An unverified token names no account: its requests count against the address, so
      // forged tokens cannot use up a real account's limit.
      const verified = token ? await options.tokens.verify(token).catch(() => undefined) : undefined;
      if (!verified) {
        if (limited(res, byAddress)) return;
        return send(res, problem(401, 'UNAUTHENTICATED', token ? 'The bearer token is missing, expired or badly signed.' : 'A bearer token is required.'));
      }
      claims = flattenClaims(verified);
    }
    // A verified token without an account is refused by the handler (401); it counts against the address.
    if (limited(res, claims?.account ? `account:${claims.account}` : byAddress)) return;

    const body = await readBody(req);
    if (body === undefined) return refuseBody(req, res);
    const event = toEvent(req, url, body, match.route.spec, match.params, claims);
    const handler = await load(match.route.spec.handler);
    send(res, await handler(event, lambdaContext(match.route.spec.handler)));
  }

  /** Answers 429 and returns true when `key` is over its limit. */
  function limited(res: ServerResponse, key: string): boolean {
    const retryAfter = limiter?.take(key);
    if (retryAfter === undefined) return false;
    const reply = problem(429, 'RATE_LIMITED', `Too many requests; try again in ${retryAfter} s.`);
    send(res, { ...reply, headers: { ...reply.headers, 'retry-after': String(retryAfter) } });
    return true;
  }

  async function mintToken(body: Buffer): Promise<APIGatewayProxyStructuredResultV2> {
    let input: unknown;
    try {
      input = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      return problem(400, 'BAD_REQUEST', 'The request body is not valid JSON.');
    }
    const parsed = TokenRequestSchema.safeParse(input);
    if (!parsed.success) {
      const fields = parsed.error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message }));
      return problem(400, 'BAD_REQUEST', 'Give sub, account and roles (customer, reviewer, operator).', { fields });
    }
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: await options.tokens.mint(parsed.data) }) };
  }
}

/** The console's files by path, as replies: `/` is index.html, `/config.json` the given config. */
function consoleFiles(site: ConsoleSite): Map<string, APIGatewayProxyStructuredResultV2> {
  const headers = (contentType: string) => ({
    'content-type': contentType,
    'cache-control': 'no-cache',
    'content-security-policy': site.csp,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
  const replies = new Map<string, APIGatewayProxyStructuredResultV2>();
  for (const f of site.files) replies.set(`/${f.name}`, { statusCode: 200, headers: headers(f.contentType), body: f.body.toString('base64'), isBase64Encoded: true });
  replies.set('/', replies.get('/index.html')!);
  replies.set('/config.json', { statusCode: 200, headers: headers('application/json'), body: JSON.stringify(site.config) });
  return replies;
}

/** Local only: publish a TXT record as a customer would at their DNS provider (demos and tests). */
async function publishTxt(zone: DnsProvider, body: Buffer): Promise<APIGatewayProxyStructuredResultV2> {
  let parsed;
  try {
    parsed = DnsRecordSchema.safeParse(JSON.parse(body.toString('utf8') || '{}'));
  } catch {
    return problem(400, 'BAD_REQUEST', 'The request body is not valid JSON.');
  }
  if (!parsed.success) return problem(400, 'BAD_REQUEST', 'Give the TXT record as {"name", "value"}.');
  await zone.upsertTxtRecord(parsed.data.name, parsed.data.value);
  return { statusCode: 204 };
}

/**
 * 413 at once; the rest of the body is read and dropped so the reply reaches the client (a
 * socket closed with unread data resets, and the client would lose the reply) and the
 * connection stays usable (left paused, it would hang the client's next request). Past
 * MAX_DRAINED the connection is cut: nobody uploads that much by mistake.
 */
function refuseBody(req: IncomingMessage, res: ServerResponse): void {
  req.removeAllListeners('data');
  let dropped = 0;
  req.on('data', (chunk: Buffer) => {
    dropped += chunk.length;
    if (dropped > MAX_DRAINED) req.socket.destroy();
  });
  req.resume();
  send(res, problem(413, 'PAYLOAD_TOO_LARGE', `The request body is over ${MAX_GATEWAY_BODY} bytes.`));
}

function rejectUnparsable(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const detail = error.code === 'HPE_HEADER_OVERFLOW' ? 'The request line and headers must fit in 16 KiB.' : 'The request is not valid HTTP.';
  const reply = problem(400, 'BAD_REQUEST', detail);
  const body = Buffer.from(reply.body ?? '');
  const head = [`HTTP/1.1 400 Bad Request`, ...Object.entries(reply.headers ?? {}).map(([k, v]) => `${k}: ${String(v)}`), `content-length: ${body.length}`, 'connection: close'];
  socket.end(Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`), body]));
}

/**
 * Token buckets by key (an account, or an address for requests without a verified token):
 * each holds up to `burst` requests and refills at `perSecond`. A full bucket is the same as
 * none, so full ones are dropped once many keys are held.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: RateLimit,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one request from `key`'s bucket: undefined when allowed, else the whole seconds until one would be. */
  take(key: string): number | undefined {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: this.limit.burst, at: now };
    bucket.tokens = Math.min(this.limit.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.limit.perSecond);
    bucket.at = now;
    if (!this.buckets.has(key)) {
      if (this.buckets.size >= MAX_BUCKETS) this.dropFull(now);
      this.buckets.set(key, bucket);
    }
    // The epsilon absorbs float error: a caller that waited exactly Retry-After is served.
    if (bucket.tokens >= 1 - 1e-9) {
      bucket.tokens = Math.max(0, bucket.tokens - 1);
      return undefined;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / this.limit.perSecond));
  }

  private dropFull(now: number): void {
    for (const [key, b] of this.buckets) {
      if (b.tokens + ((now - b.at) / 1000) * this.limit.perSecond >= this.limit.burst) this.buckets.delete(key);
    }
  }
}

function compile(spec: RouteSpec): CompiledRoute {
  const params: string[] = [];
  const source = spec.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
    params.push(name);
    return '([^/]+)';
  });
  return { spec, pattern: new RegExp(`^${source}$`), params };
}

/** The route and its decoded path parameters; `malformed` when a parameter is not valid percent-encoded UTF-8 (`%ZZ`, `%C0%AF`). */
function matchRoute(routes: CompiledRoute[], method: string, path: string) {
  for (const route of routes) {
    if (route.spec.method !== method) continue;
    const m = route.pattern.exec(path);
    if (!m) continue;
    try {
      return { route, params: Object.fromEntries(route.params.map((p, i) => [p, decodeURIComponent(m[i + 1]!)])) };
    } catch {
      return 'malformed' as const;
    }
  }
  return undefined;
}

/** The whole body, or undefined once it passes MAX_GATEWAY_BODY (nothing more is kept). */
function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_GATEWAY_BODY) {
        req.off('data', onData);
        chunks.length = 0;
        resolve(undefined);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function toEvent(
  req: IncomingMessage,
  url: URL,
  body: Buffer,
  spec: RouteSpec,
  pathParameters: Record<string, string>,
  claims: Record<string, string> | undefined,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const headers: Record<string, string> = {};
  for (const [key, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[key.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  // As the HTTP API does, a body that is not valid UTF-8 arrives base64-encoded, never "repaired" with U+FFFD.
  const textual = /json|text|xml|x-www-form-urlencoded/i.test(headers['content-type'] ?? '') && isUtf8(body);
  const now = new Date();
  const routeKey = `${spec.method} ${spec.path}`;
  return {
    version: '2.0',
    routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: Object.keys(pathParameters).length ? pathParameters : undefined,
    body: body.length ? (textual ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !textual,
    stageVariables: undefined,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: 'local',
      http: { method: spec.method, path: url.pathname, protocol: 'HTTP/1.1', sourceIp: req.socket.remoteAddress ?? '127.0.0.1', userAgent: headers['user-agent'] ?? '' },
      requestId: randomUUID(),
      routeKey,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      authorizer: { principalId: '', integrationLatency: 0, jwt: { claims: claims ?? {}, scopes: [] } },
    },
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

function lambdaContext(functionName: string): Context {
  const deadline = Date.now() + 29_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function send(res: ServerResponse, result: APIGatewayProxyStructuredResultV2): void {
  const headers = { 'x-content-type-options': 'nosniff', ...(result.headers ?? {}) };
  const body = result.body === undefined ? '' : result.isBase64Encoded ? Buffer.from(result.body, 'base64') : result.body;
  res.writeHead(result.statusCode ?? 200, headers as Record<string, string>);
  res.end(body);
}
