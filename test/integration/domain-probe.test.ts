import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import dgram from 'node:dgram';
import { promises as dns } from 'node:dns';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { InMemoryDnsZone, startDnsServer, type DnsServer } from '../../lib/adapters/in-memory-dns-zone.js';
import { NetworkDomainProbe } from '../../lib/adapters/network-domain-probe.js';

// Real sockets, loopback only: a real DNS server over UDP and a real HTTP server. Nothing here
// may send a packet to any other address, so every refusal must happen before connecting.

const FILE_PATH = '/.well-known/pki-validation/fileauth.txt';

describe('TXT records through the in-memory zone served over UDP', () => {
  let zone: InMemoryDnsZone;
  let server: DnsServer;
  let probe: NetworkDomainProbe;

  beforeAll(async () => {
    zone = new InMemoryDnsZone();
    server = await startDnsServer(zone, { address: '127.0.0.1' });
    probe = new NetworkDomainProbe({ dns: { servers: [`127.0.0.1:${server.port}`] } });
  });

  afterAll(async () => {
    await server.stop();
  });

  /** A name no other test uses. */
  const uniqueName = (): string => `_dnsauth.${randomUUID()}.example.com`;

  it('finds a published record', async () => {
    const name = uniqueName();
    await zone.upsertTxtRecord(name, 'value-1');
    await zone.upsertTxtRecord(name, 'another-record');
    expect(await probe.hasTxtRecord(name, 'value-1')).toBe(true);
    expect(await probe.hasTxtRecord(name.toUpperCase(), 'value-1')).toBe(true);
  });

  it('rejects a record with another value, or part of one', async () => {
    const name = uniqueName();
    await zone.upsertTxtRecord(name, 'value-1');
    expect(await probe.hasTxtRecord(name, 'value-2')).toBe(false);
    expect(await probe.hasTxtRecord(name, 'value')).toBe(false);
    expect(await probe.hasTxtRecord(name, '')).toBe(false);
  });

  it('rejects a name that does not exist, and one that exists without TXT records', async () => {
    const name = uniqueName();
    await zone.upsertTxtRecord(`sub.${name}`, 'value-1');
    expect(await probe.hasTxtRecord(uniqueName(), 'value-1')).toBe(false);
    expect(await probe.hasTxtRecord(name, 'value-1')).toBe(false);
  });

  it('joins the strings of a record longer than 255 bytes before comparing', async () => {
    const name = uniqueName();
    const value = `${'a'.repeat(255)}${'b'.repeat(45)}`;
    await zone.upsertTxtRecord(name, value);
    const records = await resolverFor(server.port).resolveTxt(name);
    expect(records).toEqual([['a'.repeat(255), 'b'.repeat(45)]]);
    expect(await probe.hasTxtRecord(name, value)).toBe(true);
    expect(await probe.hasTxtRecord(name, 'b'.repeat(45))).toBe(false);
  });

  it('compares values trimmed', async () => {
    const name = uniqueName();
    await zone.upsertTxtRecord(name, ' value-1 ');
    expect(await probe.hasTxtRecord(name, 'value-1\n')).toBe(true);
  });

  it('stops finding a record once it is deleted', async () => {
    const name = uniqueName();
    await zone.upsertTxtRecord(name, 'value-1');
    expect(await probe.hasTxtRecord(name, 'value-1')).toBe(true);
    await zone.deleteTxtRecord(name, 'value-1');
    expect(await probe.hasTxtRecord(name, 'value-1')).toBe(false);
    expect(zone.txtValues(name)).toBeUndefined();
  });

  it('answers NXDOMAIN for unknown names and NOERROR without answers for names without TXT', async () => {
    const name = uniqueName();
    await zone.upsertTxtRecord(name, 'value-1');
    const resolver = resolverFor(server.port);
    await expect(resolver.resolveTxt(uniqueName())).rejects.toMatchObject({ code: 'ENOTFOUND' });
    await expect(resolver.resolveTxt(name.slice('_dnsauth.'.length))).rejects.toMatchObject({ code: 'ENODATA' });
    await expect(resolver.resolve4(name)).rejects.toMatchObject({ code: 'ENODATA' });
  });

  it('answers with QR and AA set, the question copied and the owner name compressed', async () => {
    const name = uniqueName();
    await zone.upsertTxtRecord(name, 'value-1');
    // Mixed case, as resolvers using DNS 0x20 send it: the question must come back byte for byte.
    const query = dnsQuery(0x4242, mixedCase(name));
    const reply = await exchange(server.port, [query]);
    expect(reply.readUInt16BE(0)).toBe(0x4242);
    const flags = reply.readUInt16BE(2);
    expect(flags & 0x8000).toBe(0x8000); // QR
    expect(flags & 0x0400).toBe(0x0400); // AA
    expect(flags & 0x0100).toBe(0x0100); // RD copied
    expect(flags & 0x000f).toBe(0); // NOERROR
    expect([reply.readUInt16BE(4), reply.readUInt16BE(6), reply.readUInt16BE(8), reply.readUInt16BE(10)]).toEqual([1, 1, 0, 0]);
    const question = query.subarray(12);
    expect(reply.subarray(12, 12 + question.length)).toEqual(question);
    const answer = reply.subarray(12 + question.length);
    expect(answer.readUInt16BE(0)).toBe(0xc00c); // pointer to the question's name
    expect(answer.readUInt16BE(2)).toBe(16); // TXT
    expect(answer.readUInt16BE(4)).toBe(1); // IN
    expect(answer.readUInt16BE(10)).toBe(1 + 'value-1'.length);
    expect(answer.subarray(12).toString('latin1')).toBe('\x07value-1');

    const unknown = await exchange(server.port, [dnsQuery(0x4343, uniqueName())]);
    expect(unknown.readUInt16BE(2) & 0x000f).toBe(3); // NXDOMAIN
    expect(unknown.readUInt16BE(6)).toBe(0);
  });

  it('ignores malformed packets and keeps answering', async () => {
    const name = uniqueName();
    await zone.upsertTxtRecord(name, 'value-1');
    const valid = dnsQuery(0x5151, name);
    const response = Buffer.from(valid);
    response.writeUInt16BE(0x8100, 2);
    const selfPointer = Buffer.concat([valid.subarray(0, 12), Buffer.from([0xc0, 0x0c, 0, 16, 0, 1])]);
    const truncated = valid.subarray(0, valid.length - 3);
    const longLabel = Buffer.concat([valid.subarray(0, 12), Buffer.from([70]), Buffer.alloc(70, 0x61), Buffer.from([0, 0, 16, 0, 1])]);
    const malformed = [Buffer.alloc(0), Buffer.from('garbage'), valid.subarray(0, 12), truncated, response, selfPointer, longLabel];
    // The first reply on the socket must be the one to the valid query sent last.
    const reply = await exchange(server.port, [...malformed, valid]);
    expect(reply.readUInt16BE(0)).toBe(0x5151);
    expect(await probe.hasTxtRecord(name, 'value-1')).toBe(true);
  });

  it('returns false, without throwing, when the server is down', async () => {
    const name = uniqueName();
    await zone.upsertTxtRecord(name, 'value-1');
    const stopped = await startDnsServer(zone);
    await stopped.stop();
    const started = Date.now();
    expect(await new NetworkDomainProbe({ dns: { servers: [`127.0.0.1:${stopped.port}`] } }).hasTxtRecord(name, 'value-1')).toBe(false);
    expect(Date.now() - started).toBeLessThan(6000);
  });

  it('returns false within the timeout when the server never answers', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      const quiet = new NetworkDomainProbe({ dns: { servers: [`127.0.0.1:${silent.address().port}`], timeoutMs: 200, tries: 1 } });
      const started = Date.now();
      expect(await quiet.hasTxtRecord(uniqueName(), 'value-1')).toBe(false);
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('gives up at its overall budget, however long the servers and tries would take', async () => {
    const silent = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    try {
      // Two silent servers, each tried 3 times at 60 s: without the budget this waits minutes.
      const servers = [`127.0.0.1:${silent.address().port}`, `127.0.0.1:${silent.address().port}`];
      const slow = new NetworkDomainProbe({ dns: { servers, timeoutMs: 60_000, tries: 3, budgetMs: 300 } });
      const started = Date.now();
      expect(await slow.hasTxtRecord(uniqueName(), 'value-1')).toBe(false);
      expect(Date.now() - started).toBeLessThan(3000);
    } finally {
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('validation files over HTTP', () => {
  const token = `token-${randomUUID()}`;
  /** What the server received: path and Host header of every request. */
  const requests: { path: string; host: string | undefined }[] = [];
  let server: Server;
  let port: number;

  /** The customer's web site: one route per situation. */
  function site(request: IncomingMessage, response: ServerResponse): void {
    requests.push({ path: request.url ?? '', host: request.headers.host });
    const path = new URL(request.url ?? '/', 'http://site').pathname;
    const redirect = (status: number, location: string): void => {
      response.writeHead(status, { location }).end();
    };
    const hops = /^\/hops\/(\d+)$/.exec(path);
    if (hops !== null) {
      const left = Number(hops[1]);
      if (left === 0) response.end(token);
      else redirect(302, `/hops/${left - 1}`);
      return;
    }
    switch (path) {
      case FILE_PATH:
        response.end(`${token}\n`);
        return;
      case '/other':
        response.end('something else');
        return;
      case '/missing':
        response.writeHead(404).end(token);
        return;
      case '/large':
        // Would match once trimmed: only the size cap makes it fail.
        response.end(`${token}${' '.repeat(5000)}`);
        return;
      case '/large-chunked':
        response.write(token);
        for (let index = 0; index < 10; index += 1) response.write(' '.repeat(500));
        response.end();
        return;
      case '/slow': {
        const timer = setTimeout(() => response.end(token), 10_000);
        request.on('close', () => clearTimeout(timer));
        return;
      }
      case '/absolute':
        redirect(301, `http://127.0.0.1${FILE_PATH}`);
        return;
      case '/temporary':
        redirect(307, FILE_PATH);
        return;
      case '/see-other':
        redirect(303, FILE_PATH);
        return;
      case '/other-host':
        redirect(302, `http://localhost.other${FILE_PATH}`);
        return;
      case '/other-port':
        redirect(302, `http://127.0.0.1:8080${FILE_PATH}`);
        return;
      case '/other-scheme':
        redirect(302, `ftp://127.0.0.1${FILE_PATH}`);
        return;
      default:
        response.writeHead(404).end();
    }
  }

  beforeAll(async () => {
    server = createServer(site);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    requests.length = 0;
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** A probe allowed to reach this test's server (loopback, random port). */
  function testProbe(options: { timeoutMs?: number; resolveHost?: (host: string) => Promise<string[]> } = {}): NetworkDomainProbe {
    return new NetworkDomainProbe({ http: { allowAddresses: ['127.0.0.1'], port, timeoutMs: 1000, ...options } });
  }

  it('accepts a file with the content, sending the URL host as Host', async () => {
    expect(await testProbe().servesFile(`http://127.0.0.1${FILE_PATH}`, token)).toBe(true);
    expect(requests).toEqual([{ path: FILE_PATH, host: '127.0.0.1' }]);
  });

  it('connects to the address it vetted, presenting the host name', async () => {
    const resolveHost = vi.fn(async (host: string) => (host === 'site.test' ? ['127.0.0.1'] : []));
    expect(await testProbe({ resolveHost }).servesFile(`http://site.test${FILE_PATH}?x=1`, `  ${token}  `)).toBe(true);
    expect(resolveHost).toHaveBeenCalledTimes(1);
    expect(requests).toEqual([{ path: `${FILE_PATH}?x=1`, host: 'site.test' }]);
  });

  it('rejects other content, a 404 and an empty expected value', async () => {
    const probe = testProbe();
    expect(await probe.servesFile('http://127.0.0.1/other', token)).toBe(false);
    expect(await probe.servesFile('http://127.0.0.1/missing', token)).toBe(false);
    expect(await probe.servesFile(`http://127.0.0.1${FILE_PATH}`, ' ')).toBe(false);
  });

  it('rejects a body over 4 KiB, declared or streamed', async () => {
    const probe = testProbe();
    expect(await probe.servesFile('http://127.0.0.1/large', token)).toBe(false);
    expect(await probe.servesFile('http://127.0.0.1/large-chunked', token)).toBe(false);
  });

  it('gives up on a slow server when the time is up', async () => {
    const started = Date.now();
    expect(await testProbe({ timeoutMs: 500 }).servesFile('http://127.0.0.1/slow', token)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('gives up on a slow server after 5 s by default', async () => {
    const started = Date.now();
    const probe = new NetworkDomainProbe({ http: { allowAddresses: ['127.0.0.1'], port } });
    expect(await probe.servesFile('http://127.0.0.1/slow', token)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
    expect(Date.now() - started).toBeLessThan(7000);
  });

  it('follows up to 3 redirects on the same host', async () => {
    const probe = testProbe();
    expect(await probe.servesFile('http://127.0.0.1/absolute', token)).toBe(true);
    expect(await probe.servesFile('http://127.0.0.1/temporary', token)).toBe(true);
    requests.length = 0;
    expect(await probe.servesFile('http://127.0.0.1/hops/3', token)).toBe(true);
    expect(requests.map((request) => request.path)).toEqual(['/hops/3', '/hops/2', '/hops/1', '/hops/0']);
  });

  it('rejects a fourth redirect without following it', async () => {
    expect(await testProbe().servesFile('http://127.0.0.1/hops/4', token)).toBe(false);
    expect(requests.map((request) => request.path)).toEqual(['/hops/4', '/hops/3', '/hops/2', '/hops/1']);
  });

  it('rejects redirects to another host, port or scheme, and a 303', async () => {
    const probe = testProbe();
    for (const path of ['/other-host', '/other-port', '/other-scheme', '/see-other']) {
      requests.length = 0;
      expect(await probe.servesFile(`http://127.0.0.1${path}`, token)).toBe(false);
      expect(requests.map((request) => request.path)).toEqual([path]);
    }
  });

  it('vets every hop again: a host that now resolves elsewhere is refused', async () => {
    const resolveHost = vi.fn().mockResolvedValueOnce(['127.0.0.1']).mockResolvedValue(['10.0.0.1']);
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    expect(await testProbe({ resolveHost }).servesFile('http://site.test/hops/1', token)).toBe(false);
    expect(resolveHost).toHaveBeenCalledTimes(2);
    expect(requests.map((request) => request.path)).toEqual(['/hops/1']);
    expect(connect).toHaveBeenCalledTimes(1);
  });

  it('refuses a host with any non-allow-listed private address, before connecting', async () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    const resolveHost = vi.fn(async () => ['127.0.0.1', '10.0.0.1']);
    expect(await testProbe({ resolveHost }).servesFile(`http://site.test${FILE_PATH}`, token)).toBe(false);
    expect(connect).not.toHaveBeenCalled();
    expect(requests).toEqual([]);
  });

  it('refuses loopback, private, link-local and metadata addresses without the allow-list, before connecting', async () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    // What a resolver would say; the port override must not open anything without the allow-list.
    const resolveHost = vi.fn(async () => ['127.0.0.1']);
    const probe = new NetworkDomainProbe({ http: { port, timeoutMs: 1000, resolveHost } });
    for (const url of [
      `http://127.0.0.1${FILE_PATH}`,
      `http://localhost${FILE_PATH}`,
      `http://sub.localhost${FILE_PATH}`,
      'http://169.254.169.254/latest/meta-data/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://[::ffff:a9fe:a9fe]/latest/meta-data/',
      'http://0x7f.1/',
      'http://2130706433/',
      'http://10.0.0.1/',
      'https://192.168.1.1/',
      'http://[fe80::1]/',
      'http://0.0.0.0/',
      `http://site.test${FILE_PATH}`,
    ]) {
      expect(await probe.servesFile(url, token), url).toBe(false);
    }
    expect(connect).not.toHaveBeenCalled();
    expect(requests).toEqual([]);
    // The spy does see connections: the same fetch with the allow-list connects.
    expect(await testProbe().servesFile(`http://127.0.0.1${FILE_PATH}`, token)).toBe(true);
    expect(connect).toHaveBeenCalled();
  });

  it('refuses non-default ports, other schemes and credentials before resolving anything', async () => {
    const connect = vi.spyOn(net.Socket.prototype, 'connect');
    const resolveHost = vi.fn(async () => ['127.0.0.1']);
    const probe = testProbe({ resolveHost });
    for (const url of [
      `http://127.0.0.1:${port}${FILE_PATH}`,
      `http://site.test:8080${FILE_PATH}`,
      `http://site.test:443${FILE_PATH}`,
      `https://site.test:80${FILE_PATH}`,
      `ftp://site.test${FILE_PATH}`,
      'file:///etc/passwd',
      `http://user:secret@site.test${FILE_PATH}`,
      'not a url',
    ]) {
      expect(await probe.servesFile(url, token), url).toBe(false);
    }
    expect(resolveHost).not.toHaveBeenCalled();
    expect(connect).not.toHaveBeenCalled();
    expect(requests).toEqual([]);
  });
});

describe('validation files over HTTPS', () => {
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'certrevoke-probe-'));
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A self-signed certificate for `site.test`, as on a site whose certificate is being replaced. */
  async function selfSigned(): Promise<{ key: Buffer; cert: Buffer }> {
    const key = join(dir, 'key.pem');
    const cert = join(dir, 'cert.pem');
    const subject = ['-subj', '/CN=site.test', '-days', '1', '-nodes', '-keyout', key, '-out', cert];
    execFileSync('/usr/bin/openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', ...subject], {
      stdio: 'ignore',
    });
    return { key: await readFile(key), cert: await readFile(cert) };
  }

  it('connects to the vetted address with the host name as SNI and Host, whatever the certificate', async () => {
    const seen: { servername: string | false | null; host: string | undefined }[] = [];
    const server = createTlsServer(await selfSigned(), (request, response) => {
      seen.push({ servername: (request.socket as TLSSocket).servername, host: request.headers.host });
      response.end('tls-token');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const resolveHost = async (): Promise<string[]> => ['127.0.0.1'];
      const probe = new NetworkDomainProbe({ http: { allowAddresses: ['127.0.0.1'], port, timeoutMs: 2000, resolveHost } });
      expect(await probe.servesFile(`https://site.test${FILE_PATH}`, 'tls-token')).toBe(true);
      expect(seen).toEqual([{ servername: 'site.test', host: 'site.test' }]);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

function resolverFor(port: number): dns.Resolver {
  const resolver = new dns.Resolver({ timeout: 2000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  return resolver;
}

/** A standard query (RD set) for the TXT records of `name`. */
function dnsQuery(id: number, name: string): Buffer {
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const labels = name.split('.').flatMap((label) => [Buffer.from([label.length]), Buffer.from(label, 'latin1')]);
  return Buffer.concat([header, ...labels, Buffer.from([0, 0, 16, 0, 1])]);
}

function mixedCase(name: string): string {
  return [...name].map((character, index) => (index % 2 === 0 ? character.toUpperCase() : character)).join('');
}

/** Sends `packets` in order from one socket and returns the first datagram that comes back. */
async function exchange(port: number, packets: Buffer[]): Promise<Buffer> {
  const socket = dgram.createSocket('udp4');
  try {
    const reply = new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('No DNS reply within 2 s.')), 2000);
      socket.once('message', (message) => {
        clearTimeout(timer);
        resolve(message);
      });
    });
    for (const packet of packets) {
      await new Promise<void>((resolve, reject) => socket.send(packet, port, '127.0.0.1', (error) => (error ? reject(error) : resolve())));
    }
    return await reply;
  } finally {
    socket.close();
  }
}
