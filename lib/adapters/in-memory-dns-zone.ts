import dgram from 'node:dgram';
import { isIP } from 'node:net';
import type { DnsProvider } from '../app/ports.js';

/**
 * The platform's hosted DNS for one machine: TXT records in memory, served over real DNS by
 * {@link startDnsServer} so `dns_auto` validations are checked by the same probe as any domain.
 */
export class InMemoryDnsZone implements DnsProvider {
  /** Owner name (lower case, no trailing dot) → TXT values. */
  private readonly records = new Map<string, Set<string>>();

  async upsertTxtRecord(name: string, value: string): Promise<void> {
    const owner = canonicalName(name);
    const values = this.records.get(owner) ?? new Set<string>();
    values.add(value);
    this.records.set(owner, values);
  }

  async deleteTxtRecord(name: string, value: string): Promise<void> {
    const owner = canonicalName(name);
    const values = this.records.get(owner);
    if (values === undefined) return;
    values.delete(value);
    if (values.size === 0) this.records.delete(owner);
  }

  /**
   * The TXT values at `name`: `undefined` when the name does not exist, `[]` when it exists
   * without TXT records — an empty non-terminal, e.g. `example.com` while only
   * `_dnsauth.example.com` has a record (RFC 8020: such a name is not NXDOMAIN).
   */
  txtValues(name: string): string[] | undefined {
    const owner = canonicalName(name);
    const values = this.records.get(owner);
    if (values !== undefined) return [...values];
    const suffix = `.${owner}`;
    for (const existing of this.records.keys()) if (owner === '' || existing.endsWith(suffix)) return [];
    return undefined;
  }
}

/** DNS names compare case-insensitively; the root's trailing dot is not part of the key. */
function canonicalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

export interface DnsServerOptions {
  /** UDP port; 0 (default) picks a free one. */
  port?: number;
  /** Address to bind; default `127.0.0.1`. */
  address?: string;
  /** TTL of answers; default 0 so that a resolver never serves a record changed since. */
  ttl?: number;
}

export interface DnsServer {
  port: number;
  stop(): Promise<void>;
}

/**
 * A minimal authoritative DNS server over UDP answering TXT queries from `zone`: NXDOMAIN for
 * names that do not exist, NOERROR with no answer for names without TXT records, TC (so that the
 * client gives up or retries over TCP, which this server does not offer) when the answer does
 * not fit the client's UDP size. Packets it cannot parse, and responses, are dropped.
 */
export async function startDnsServer(zone: InMemoryDnsZone, options: DnsServerOptions = {}): Promise<DnsServer> {
  const address = options.address ?? '127.0.0.1';
  const ttl = options.ttl ?? 0;
  const socket = dgram.createSocket(isIP(address) === 6 ? 'udp6' : 'udp4');
  socket.on('message', (message, remote) => {
    let reply: Buffer | undefined;
    try {
      reply = respond(zone, message, ttl);
    } catch {
      // A malformed packet costs nothing but itself.
      return;
    }
    if (reply !== undefined) socket.send(reply, remote.port, remote.address, () => undefined);
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(options.port ?? 0, address, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  // After the bind, an error concerns one datagram, never the server.
  socket.on('error', () => undefined);
  return {
    port: socket.address().port,
    stop: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}

const HEADER_BYTES = 12;
const TYPE_TXT = 16;
const TYPE_OPT = 41;
const TYPE_ANY = 255;
const CLASS_IN = 1;
const CLASS_ANY = 255;
const FLAG_QR = 0x8000;
const FLAG_AA = 0x0400;
const FLAG_TC = 0x0200;
const FLAG_RD = 0x0100;
const RCODE_NOERROR = 0;
const RCODE_NXDOMAIN = 3;
const RCODE_NOTIMP = 4;
const RCODE_REFUSED = 5;
/** RFC 1035's UDP limit without EDNS, and the EDNS payload size this server advertises. */
const CLASSIC_UDP_BYTES = 512;
const EDNS_UDP_BYTES = 1232;
/** A pointer to offset 12: where the question's name starts in every response. */
const QUESTION_NAME_POINTER = 0xc000 | HEADER_BYTES;

interface Query {
  id: number;
  flags: number;
  name: string;
  type: number;
  class: number;
  /** The question section as received (name case preserved: some resolvers check it, DNS 0x20). */
  question: Buffer;
  /** The client's EDNS UDP payload size; undefined without an OPT record. */
  ednsUdpBytes: number | undefined;
}

function respond(zone: InMemoryDnsZone, message: Buffer, ttl: number): Buffer | undefined {
  const query = parseQuery(message);
  if (query === undefined) return undefined;
  const opcode = (query.flags >> 11) & 0xf;
  if (opcode !== 0) return encodeResponse(query, RCODE_NOTIMP, [], ttl);
  if (query.class !== CLASS_IN && query.class !== CLASS_ANY) return encodeResponse(query, RCODE_REFUSED, [], ttl);
  const values = zone.txtValues(query.name);
  if (values === undefined) return encodeResponse(query, RCODE_NXDOMAIN, [], ttl);
  const answers = query.type === TYPE_TXT || query.type === TYPE_ANY ? values : [];
  const response = encodeResponse(query, RCODE_NOERROR, answers, ttl);
  const limit = query.ednsUdpBytes === undefined ? CLASSIC_UDP_BYTES : Math.max(CLASSIC_UDP_BYTES, query.ednsUdpBytes);
  return response.length <= limit ? response : encodeResponse(query, RCODE_NOERROR, [], ttl, FLAG_TC);
}

function parseQuery(message: Buffer): Query | undefined {
  if (message.length < HEADER_BYTES) return undefined;
  const flags = message.readUInt16BE(2);
  // Never answer a response: two servers would bounce packets forever.
  if ((flags & FLAG_QR) !== 0) return undefined;
  if (message.readUInt16BE(4) !== 1) return undefined;
  const answerCount = message.readUInt16BE(6);
  const authorityCount = message.readUInt16BE(8);
  const additionalCount = message.readUInt16BE(10);
  const name = readName(message, HEADER_BYTES);
  if (name === undefined || name.compressed) return undefined;
  const questionEnd = name.end + 4;
  if (questionEnd > message.length) return undefined;
  let ednsUdpBytes: number | undefined;
  let offset = questionEnd;
  // The OPT record (EDNS) travels in the additional section of a query without other records.
  for (let index = 0; index < answerCount + authorityCount + additionalCount; index += 1) {
    const owner = readName(message, offset);
    if (owner === undefined || owner.end + 10 > message.length) return undefined;
    const type = message.readUInt16BE(owner.end);
    if (type === TYPE_OPT && index >= answerCount + authorityCount) ednsUdpBytes = message.readUInt16BE(owner.end + 2);
    offset = owner.end + 10 + message.readUInt16BE(owner.end + 8);
    if (offset > message.length) return undefined;
  }
  return {
    id: message.readUInt16BE(0),
    flags,
    name: name.labels.join('.'),
    type: message.readUInt16BE(name.end),
    class: message.readUInt16BE(name.end + 2),
    question: message.subarray(HEADER_BYTES, questionEnd),
    ednsUdpBytes,
  };
}

/**
 * Reads the domain name at `offset`, following compression pointers (backwards only, so a
 * packet cannot make it loop). `end` is where the name ends at `offset`, after any pointer.
 */
function readName(message: Buffer, offset: number): { labels: string[]; end: number; compressed: boolean } | undefined {
  const labels: string[] = [];
  let position = offset;
  let end: number | undefined;
  let length = 0;
  for (;;) {
    if (position >= message.length) return undefined;
    const byte = message[position] as number;
    if (byte === 0) {
      return { labels, end: end ?? position + 1, compressed: end !== undefined };
    }
    if ((byte & 0xc0) === 0xc0) {
      if (position + 1 >= message.length) return undefined;
      const target = ((byte & 0x3f) << 8) | (message[position + 1] as number);
      if (target < HEADER_BYTES || target >= position) return undefined;
      end ??= position + 2;
      position = target;
      continue;
    }
    // 0x40 and 0x80 are reserved label types.
    if ((byte & 0xc0) !== 0) return undefined;
    length += byte + 1;
    if (length > 254 || position + 1 + byte > message.length) return undefined;
    labels.push(message.toString('latin1', position + 1, position + 1 + byte).toLowerCase());
    position += 1 + byte;
  }
}

function encodeResponse(query: Query, rcode: number, answers: readonly string[], ttl: number, extraFlags = 0): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt16BE(query.id, 0);
  header.writeUInt16BE(FLAG_QR | (query.flags & 0x7800) | FLAG_AA | (query.flags & FLAG_RD) | extraFlags | rcode, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(answers.length, 6);
  header.writeUInt16BE(0, 8);
  header.writeUInt16BE(query.ednsUdpBytes === undefined ? 0 : 1, 10);
  const records = answers.map((value) => {
    const rdata = Buffer.concat(characterStrings(value).flatMap((chunk) => [Buffer.from([chunk.length]), chunk]));
    const fixed = Buffer.alloc(12);
    fixed.writeUInt16BE(QUESTION_NAME_POINTER, 0);
    fixed.writeUInt16BE(TYPE_TXT, 2);
    fixed.writeUInt16BE(CLASS_IN, 4);
    fixed.writeUInt32BE(ttl, 6);
    fixed.writeUInt16BE(rdata.length, 10);
    return Buffer.concat([fixed, rdata]);
  });
  // RFC 6891: a query with OPT gets an OPT back (root owner, our payload size, no flags).
  const opt = Buffer.alloc(query.ednsUdpBytes === undefined ? 0 : 11);
  if (opt.length > 0) {
    opt.writeUInt16BE(TYPE_OPT, 1);
    opt.writeUInt16BE(EDNS_UDP_BYTES, 3);
  }
  return Buffer.concat([header, query.question, ...records, opt]);
}

/** A TXT value as character-strings of at most 255 bytes each, never splitting a character. */
function characterStrings(value: string): Buffer[] {
  const chunks: Buffer[] = [];
  let current: Buffer[] = [];
  let size = 0;
  for (const character of value) {
    const bytes = Buffer.from(character, 'utf8');
    if (size + bytes.length > 255) {
      chunks.push(Buffer.concat(current));
      current = [];
      size = 0;
    }
    current.push(bytes);
    size += bytes.length;
  }
  chunks.push(Buffer.concat(current));
  return chunks;
}

/** The one zone of a local runtime process: handlers write to it, its DNS server serves it. */
export const sharedDnsZone = new InMemoryDnsZone();
