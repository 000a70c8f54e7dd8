/**
 * The slice of ASN.1 DER that certificates, CSRs and CRLs are made of: enough to build and read
 * them over node:crypto, which signs and verifies. A general ASN.1 library costs a function
 * ~230 KB of bundle; this is the part we use.
 */

/** A decoded TLV: `content` is its value, `raw` the whole encoding (what a signature covers). */
export interface Tlv {
  tag: number;
  content: Uint8Array;
  raw: Uint8Array;
}

export const TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  enumerated: 0x0a,
  utf8String: 0x0c,
  printableString: 0x13,
  teletexString: 0x14,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  bmpString: 0x1e,
  sequence: 0x30,
  set: 0x31,
} as const;

// ---- encoding ----

export function tlv(tag: number, ...content: Uint8Array[]): Uint8Array {
  const length = content.reduce((sum, part) => sum + part.length, 0);
  return concat([Uint8Array.of(tag), lengthBytes(length), ...content]);
}

export const sequence = (...items: Uint8Array[]): Uint8Array => tlv(TAG.sequence, ...items);

/** A SET OF, its members in DER's order (sorted by encoding). */
export function setOf(...items: Uint8Array[]): Uint8Array {
  return tlv(TAG.set, ...[...items].sort(compareBytes));
}

/** `[n] EXPLICIT`: the constructed context tag around a whole encoding. */
export const explicit = (n: number, inner: Uint8Array): Uint8Array => tlv(0xa0 | n, inner);

export const octetString = (bytes: Uint8Array): Uint8Array => tlv(TAG.octetString, bytes);
export const utf8String = (text: string): Uint8Array => tlv(TAG.utf8String, new TextEncoder().encode(text));
export const ia5String = (text: string, tag: number = TAG.ia5String): Uint8Array => tlv(tag, asciiBytes(text));
export const NULL = Uint8Array.of(TAG.null, 0);
export const TRUE = Uint8Array.of(TAG.boolean, 1, 0xff);

/** A BIT STRING of whole bytes (a key, a signature). */
export const bitString = (bytes: Uint8Array): Uint8Array => tlv(TAG.bitString, Uint8Array.of(0), bytes);

/** A named-bit BIT STRING (KeyUsage): bit 0 is the high bit of the first byte; trailing zeros dropped. */
export function namedBits(bits: readonly number[]): Uint8Array {
  const last = Math.max(...bits);
  const bytes = new Uint8Array((last >> 3) + 1);
  for (const bit of bits) bytes[bit >> 3]! |= 0x80 >> (bit & 7);
  return tlv(TAG.bitString, Uint8Array.of(7 - (last & 7)), bytes);
}

/** An INTEGER of a non-negative value: a safe integer, or big-endian hex digits. */
export function integer(value: number | string, tag: number = TAG.integer): Uint8Array {
  if (typeof value === 'number' && (!Number.isSafeInteger(value) || value < 0)) {
    throw new Error(`${value} is not a non-negative safe integer.`);
  }
  let hex = typeof value === 'number' ? value.toString(16) : value.replace(/^0+(?=.)/, '');
  if (!/^[0-9a-f]+$/i.test(hex)) throw new Error(`${value} is not a hexadecimal number.`);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  const bytes = Buffer.from(hex, 'hex');
  // A leading 1 bit would make the INTEGER negative.
  return tlv(tag, ...(bytes[0]! & 0x80 ? [Uint8Array.of(0), bytes] : [bytes]));
}

export function oid(dotted: string): Uint8Array {
  const arcs = dotted.split('.').map((arc) => BigInt(arc));
  if (arcs.length < 2) throw new Error(`${dotted} is not an object identifier.`);
  const bytes: number[] = [];
  for (const arc of [arcs[0]! * 40n + arcs[1]!, ...arcs.slice(2)]) {
    const base128 = [Number(arc & 0x7fn)];
    for (let rest = arc >> 7n; rest > 0n; rest >>= 7n) base128.unshift(Number(rest & 0x7fn) | 0x80);
    bytes.push(...base128);
  }
  return tlv(TAG.oid, Uint8Array.from(bytes));
}

/** RFC 5280 4.1.2.5: UTCTime through 2049, GeneralizedTime after; whole seconds, Zulu. */
export function time(date: Date): Uint8Array {
  if (Number.isNaN(date.getTime())) throw new Error('An invalid date cannot be encoded.');
  const iso = date.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ
  const digits = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  const year = date.getUTCFullYear();
  return year >= 1950 && year < 2050 ? ia5String(digits.slice(2), TAG.utcTime) : ia5String(digits, TAG.generalizedTime);
}

// ---- decoding ----

/** The one TLV at `offset`; throws on anything but a definite DER length that fits. */
export function readTlv(der: Uint8Array, offset = 0): Tlv {
  const tag = der[offset];
  let length = der[offset + 1];
  if (tag === undefined || length === undefined || (tag & 0x1f) === 0x1f) throw new Error('Truncated or unsupported DER.');
  let start = offset + 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('Unsupported DER length.');
    length = 0;
    for (let i = 0; i < count; i += 1) length = length * 256 + (der[start + i] ?? Number.NaN);
    start += count;
    if (Number.isNaN(length) || length < 0x80) throw new Error('Non-minimal DER length.');
  }
  const end = start + length;
  if (end > der.length) throw new Error('Truncated DER.');
  return { tag, content: der.subarray(start, end), raw: der.subarray(offset, end) };
}

/** `der` as exactly one TLV of the given tag, nothing after it. */
export function decode(der: Uint8Array, tag: number = TAG.sequence): Tlv {
  const node = readTlv(der);
  if (node.raw.length !== der.length) throw new Error('Trailing bytes after the DER value.');
  return expectTag(node, tag);
}

/** The TLVs inside a constructed value. */
export function children(node: Tlv): Tlv[] {
  const items: Tlv[] = [];
  for (let offset = 0; offset < node.content.length; ) {
    const item = readTlv(node.content, offset);
    items.push(item);
    offset += item.raw.length;
  }
  return items;
}

export function expectTag(node: Tlv | undefined, tag: number): Tlv {
  if (node === undefined || node.tag !== tag) throw new Error(`Expected DER tag ${tag}, found ${node?.tag ?? 'nothing'}.`);
  return node;
}

export function readOid(node: Tlv | undefined): string {
  const { content } = expectTag(node, TAG.oid);
  const arcs: bigint[] = [];
  let arc = 0n;
  for (const byte of content) {
    arc = (arc << 7n) | BigInt(byte & 0x7f);
    if (!(byte & 0x80)) {
      arcs.push(arc);
      arc = 0n;
    }
  }
  const first = arcs.shift();
  if (first === undefined || content[content.length - 1]! & 0x80) throw new Error('Malformed object identifier.');
  const top = first < 80n ? first / 40n : 2n;
  return [top, first - top * 40n, ...arcs].join('.');
}

/** A positive INTEGER's value as upper-case hex, no leading zero bytes (as openssl prints a serial). */
export function readIntegerHex(node: Tlv | undefined): string {
  const { content } = expectTag(node, TAG.integer);
  const hex = Buffer.from(content).toString('hex').toUpperCase().replace(/^(00)+(?=.)/, '');
  return hex.length === 0 ? '00' : hex;
}

/** The bytes of a BIT STRING of whole bytes. */
export function readBitString(node: Tlv | undefined): Uint8Array {
  const { content } = expectTag(node, TAG.bitString);
  if (content[0] !== 0) throw new Error('A BIT STRING of whole bytes was expected.');
  return content.subarray(1);
}

export function readTime(node: Tlv | undefined): Date {
  const text = Buffer.from(node?.content ?? []).toString('latin1');
  const match =
    node?.tag === TAG.utcTime
      ? /^(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text)
      : node?.tag === TAG.generalizedTime
        ? /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)Z$/.exec(text)
        : null;
  if (match === null) throw new Error('Malformed DER time.');
  const [, y, mo, d, h, mi, s] = match.map(Number) as [number, number, number, number, number, number, number];
  const year = node?.tag === TAG.utcTime ? (y < 50 ? 2000 + y : 1900 + y) : y;
  return new Date(Date.UTC(year, mo - 1, d, h, mi, s));
}

/** The text of a directory or IA5 string (CN, dNSName). */
export function readString(node: Tlv): string {
  switch (node.tag) {
    case TAG.utf8String:
      return new TextDecoder('utf-8', { fatal: true }).decode(node.content);
    case TAG.bmpString:
      return new TextDecoder('utf-16be', { fatal: true }).decode(node.content);
    case TAG.printableString:
    case TAG.ia5String:
    case TAG.teletexString:
    case 0x82: // dNSName, [2] IMPLICIT IA5String
      return Buffer.from(node.content).toString('latin1');
    default:
      throw new Error(`DER tag ${node.tag} is not a string.`);
  }
}

// ---- bytes ----

/** Plain Uint8Array, not Buffer: what callers store and compare is a Uint8Array. */
export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

function lengthBytes(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

function asciiBytes(text: string): Uint8Array {
  // eslint-disable-next-line no-control-regex
  if (!/^[\x00-\x7f]*$/.test(text)) throw new Error(`"${text}" is not ASCII.`);
  return Buffer.from(text, 'latin1');
}

function compareBytes(a: Uint8Array, b: Uint8Array): number {
  return Buffer.compare(a, b);
}
