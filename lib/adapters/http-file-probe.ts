import { promises as dns } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isPublicAddress } from './public-address.js';

export interface HttpFileProbeOptions {
  /**
   * Exact addresses reachable even though they are not public (tests: `['127.0.0.1']`). The only
   * way to reach loopback or a private network; empty by default.
   */
  allowAddresses?: string[];
  /**
   * Port used instead of the URL's default (80/443), honoured only when connecting to an
   * allow-listed address: tests run their server on a random loopback port, production always
   * uses the URL's default port.
   */
  port?: number;
  /** Overall budget of one check (lookups, redirects and body); default 5000 ms. */
  timeoutMs?: number;
  /** Resolves a host name to its addresses; default `dns.lookup` with `all: true`. */
  resolveHost?: (hostname: string) => Promise<string[]>;
}

/** More than this is not a validation file: reading stops and the check fails. */
const MAX_BODY_BYTES = 4096;
const MAX_REDIRECTS = 3;
/** The redirects the CA/B Forum Baseline Requirements (3.2.2.4.18) let a validation follow. */
const REDIRECT_STATUSES = new Set([301, 302, 307, 308]);

type Outcome = { kind: 'body'; body: string } | { kind: 'redirect'; location: string } | { kind: 'refused' };

/**
 * Fetches a validation file from a customer's domain without becoming a way into the
 * platform's own network (SSRF): the URL names the host, but this probe resolves it, refuses it
 * unless every address is public (or allow-listed), and connects to the address it vetted —
 * never to what a second lookup might return (DNS rebinding). Only ports 80/443, only same-host
 * redirects (each hop vetted again), a small body, a bounded time.
 */
export class HttpFileProbe {
  private readonly allowed: ReadonlySet<string>;
  private readonly port: number | undefined;
  private readonly timeoutMs: number;
  private readonly resolveHost: (hostname: string) => Promise<string[]>;

  constructor(options: HttpFileProbeOptions = {}) {
    this.allowed = new Set(options.allowAddresses ?? []);
    this.port = options.port;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.resolveHost = options.resolveHost ?? lookupAll;
  }

  /**
   * True when `url` answers 2xx with a body that, trimmed, equals `content` trimmed. Anything
   * else — refused URL or address, connection error, other status, oversized body, too many or
   * cross-host redirects, timeout — is false; nothing is thrown and the body is never logged.
   */
  async servesFile(url: string, content: string): Promise<boolean> {
    const expected = content.trim();
    if (expected === '') return false;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new Error('Domain validation fetch timed out.')), this.timeoutMs);
    try {
      return await this.fetchMatches(url, expected, controller.signal);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
  }

  private async fetchMatches(url: string, expected: string, signal: AbortSignal): Promise<boolean> {
    let target = parseTarget(url);
    for (let redirects = 0; target !== undefined; redirects += 1) {
      const destination = await this.vet(target, signal);
      if (destination === undefined) return false;
      const outcome = await get(target, destination, signal);
      if (outcome.kind !== 'redirect') return outcome.kind === 'body' && outcome.body.trim() === expected;
      if (redirects === MAX_REDIRECTS) return false;
      const next = parseTarget(outcome.location, target);
      // Same host only: a redirect must not carry the check to a host the customer does not control.
      if (next?.hostname !== target.hostname) return false;
      target = next;
    }
    return false;
  }

  /** The address and port to connect to, or undefined when any address of the host is refused. */
  private async vet(target: URL, signal: AbortSignal): Promise<{ address: string; port: number } | undefined> {
    const host = bareHost(target);
    let addresses: string[];
    if (isIP(host) !== 0) addresses = [host];
    else if (isLocalhostName(host)) addresses = ['127.0.0.1', '::1'];
    else addresses = await untilAborted(this.resolveHost(host), signal);
    // Every address, not just the first: the connection must not depend on which one is tried.
    if (addresses.length === 0 || !addresses.every((address) => this.allowed.has(address) || isPublicAddress(address))) {
      return undefined;
    }
    const address = addresses[0] as string;
    const defaultPort = target.protocol === 'https:' ? 443 : 80;
    const port = this.port !== undefined && this.allowed.has(address) ? this.port : defaultPort;
    return { address, port };
  }
}

/** The URL if it may be fetched: http(s), the scheme's default port, no credentials. */
function parseTarget(raw: string, base?: URL): URL | undefined {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  // URL drops a port equal to the scheme's default, so any port left is neither 80 nor 443.
  if (url.port !== '') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  return url;
}

/** The host without IPv6 brackets or a trailing root dot. */
function bareHost(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
}

/** RFC 6761: `localhost` names are loopback; answered here so they never reach a resolver. */
function isLocalhostName(host: string): boolean {
  return host === 'localhost' || host.endsWith('.localhost');
}

async function lookupAll(hostname: string): Promise<string[]> {
  const results = await dns.lookup(hostname, { all: true, verbatim: true });
  return results.map((result) => result.address);
}

/** `promise`, or a rejection as soon as `signal` aborts (a lookup itself cannot be cancelled). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** One GET to `destination`, presenting the URL's own host (Host header and TLS SNI). */
function get(url: URL, destination: { address: string; port: number }, signal: AbortSignal): Promise<Outcome> {
  const host = bareHost(url);
  const family = isIP(destination.address);
  // Whatever the name resolves to by now, the socket goes to the vetted address.
  const lookup: LookupFunction = (_hostname, options, callback) => {
    if (options.all === true) callback(null, [{ address: destination.address, family }]);
    else callback(null, destination.address, family);
  };
  const options: https.RequestOptions = {
    method: 'GET',
    hostname: host,
    port: destination.port,
    path: `${url.pathname}${url.search}`,
    headers: { host: url.host, accept: 'text/plain, */*;q=0.1', 'user-agent': 'certrevoke-domain-validation/1' },
    lookup,
    // A fresh connection per hop: a pooled socket may lead to an address vetted for another hop.
    agent: false,
    signal,
    ...(url.protocol === 'https:'
      ? {
          servername: isIP(host) === 0 ? host : undefined,
          // What is validated is control of the content, which plain HTTP on port 80 already
          // proves; like ACME http-01, an expired or self-signed certificate on the site (the one
          // being revoked or replaced, often) must not fail the check.
          rejectUnauthorized: false,
        }
      : {}),
  };
  return new Promise<Outcome>((resolve, reject) => {
    const request = (url.protocol === 'https:' ? https : http).request(options, (response) => {
      const status = response.statusCode ?? 0;
      const location = response.headers.location;
      if (REDIRECT_STATUSES.has(status) && location !== undefined) {
        request.destroy();
        resolve({ kind: 'redirect', location });
        return;
      }
      const declared = Number(response.headers['content-length'] ?? 0);
      if (status < 200 || status > 299 || declared > MAX_BODY_BYTES) {
        request.destroy();
        resolve({ kind: 'refused' });
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      response.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          request.destroy();
          resolve({ kind: 'refused' });
          return;
        }
        chunks.push(chunk);
      });
      response.on('end', () => resolve({ kind: 'body', body: Buffer.concat(chunks).toString('utf8') }));
      response.on('error', reject);
      // A body cut short (reset, abort) settles the check too; after `end` this changes nothing.
      response.on('close', () => reject(new Error('Response closed before its end.')));
    });
    request.on('error', reject);
    request.end();
  });
}
