import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import * as der from '../../lib/adapters/der.js';
import * as x509 from '../../lib/adapters/x509.js';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const bytes = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text, 'hex'));

/** openssl's own reading of a DER value: the independent check of what we encode. */
const opensslText = (kind: 'crl' | 'req', value: Uint8Array): string =>
  execFileSync('openssl', [kind, '-inform', 'DER', '-noout', '-text'], { input: value }).toString();

describe('DER encoding', () => {
  it('encodes object identifiers, including multi-byte and large arcs, and reads them back', () => {
    expect(hex(der.oid('1.2.840.113549.1.1.11'))).toBe('06092a864886f70d01010b');
    expect(hex(der.oid('2.5.29.17'))).toBe('0603551d11');
    // 2.999 puts 1079 in the first subidentifier: two base-128 bytes.
    expect(hex(der.oid('2.999.3'))).toBe('0603883703');
    for (const dotted of ['1.2.156.10197.1.501', '2.999.3', '0.9.2342.19200300.100.1.25', '1.3.6.1.4.1.311.60.2.1.3']) {
      expect(der.readOid(der.readTlv(der.oid(dotted)))).toBe(dotted);
    }
    expect(() => der.oid('1')).toThrow(/not an object identifier/);
    expect(() => der.readOid(der.readTlv(bytes('060188')))).toThrow(/Malformed/);
  });

  it('encodes INTEGERs minimally and never negative', () => {
    expect(hex(der.integer(0))).toBe('020100');
    expect(hex(der.integer(127))).toBe('02017f');
    expect(hex(der.integer(128))).toBe('02020080');
    expect(hex(der.integer(256))).toBe('02020100');
    expect(hex(der.integer('00ff'))).toBe('020200ff');
    expect(hex(der.integer('0001'))).toBe('020101');
    expect(der.readIntegerHex(der.readTlv(der.integer('00ABCDEF')))).toBe('ABCDEF');
    expect(() => der.integer(-1)).toThrow(/non-negative/);
    expect(() => der.integer(2 ** 60)).toThrow(/safe integer/);
    expect(() => der.integer('xyz')).toThrow(/hexadecimal/);
  });

  it('uses the long length form past 127 bytes and reads it back', () => {
    const long = der.octetString(new Uint8Array(300));
    expect(hex(long.subarray(0, 4))).toBe('0482012c');
    expect(der.decode(long, der.TAG.octetString).content).toHaveLength(300);
    expect(hex(der.octetString(new Uint8Array(128)).subarray(0, 3))).toBe('048180');
  });

  it('writes UTCTime through 2049 and GeneralizedTime from 2050 (RFC 5280), whole seconds', () => {
    const early = new Date('2049-12-31T23:59:59.999Z');
    const late = new Date('2050-01-01T00:00:00Z');
    expect(Buffer.from(der.time(early)).toString('latin1').slice(2)).toBe('491231235959Z');
    expect(der.time(early)[0]).toBe(der.TAG.utcTime);
    expect(Buffer.from(der.time(late)).toString('latin1').slice(2)).toBe('20500101000000Z');
    expect(der.time(late)[0]).toBe(der.TAG.generalizedTime);
    expect(der.readTime(der.readTlv(der.time(early))).toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(der.readTime(der.readTlv(der.time(late))).toISOString()).toBe('2050-01-01T00:00:00.000Z');
    expect(() => der.time(new Date(Number.NaN))).toThrow(/invalid date/);
  });

  it('sorts SET OF members by their encoding and packs named bits', () => {
    expect(hex(der.setOf(der.integer(2), der.integer(1)))).toBe('3106020101020102');
    // digitalSignature (0) + keyEncipherment (2): 0b1010_0000, five unused bits.
    expect(hex(der.namedBits([0, 2]))).toBe('030205a0');
    // keyCertSign (5) + cRLSign (6): 0b0000_0110, one unused bit.
    expect(hex(der.namedBits([5, 6]))).toBe('03020106');
  });

  it('refuses non-ASCII text where only IA5 is allowed', () => {
    expect(() => der.ia5String('bücher.example')).toThrow(/not ASCII/);
  });
});

describe('DER decoding is strict', () => {
  it.each([
    ['truncated value', '3005020101'],
    ['truncated length', '30'],
    ['non-minimal long length', '30810100'],
    ['indefinite length', '30800000'],
    ['length longer than four bytes', '3085000000000100'],
    ['high tag number form', '1f0100'],
  ])('rejects a %s', (_, input) => {
    expect(() => der.decode(bytes(input))).toThrow();
  });

  it('rejects trailing bytes and an unexpected tag', () => {
    expect(() => der.decode(bytes('300000'))).toThrow(/Trailing/);
    expect(() => der.decode(bytes('3100'))).toThrow(/Expected DER tag 48/);
  });

  it('reads strings of each directory type and refuses invalid UTF-8', () => {
    expect(der.readString(der.readTlv(der.utf8String('bücher')))).toBe('bücher');
    expect(der.readString(der.readTlv(bytes('1e0400410042')))).toBe('AB');
    expect(der.readString(der.readTlv(der.ia5String('a.example', 0x82)))).toBe('a.example');
    expect(() => der.readString(der.readTlv(bytes('0c01ff')))).toThrow();
    expect(() => der.readString(der.readTlv(der.integer(1)))).toThrow(/not a string/);
  });
});

describe('X.509 over node:crypto', () => {
  const ca = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const caSpki = new Uint8Array(ca.publicKey.export({ format: 'der', type: 'spki' }));
  const signer: x509.Signer = { key: ca.privateKey, hash: 'sha256' };
  const issuer = x509.name([[x509.OID.commonName, 'Test CA']]);

  it('signs a certificate node:crypto parses and verifies', () => {
    const leaf = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const spki = new Uint8Array(leaf.publicKey.export({ format: 'der', type: 'spki' }));
    const certificate = x509.signCertificate(
      {
        serialHex: '8F00AA',
        issuer,
        subject: x509.subjectFor('www.example.com'),
        notBefore: new Date('2026-01-01T00:00:00Z'),
        notAfter: new Date('2051-01-01T00:00:00Z'),
        spki,
        extensions: [
          x509.extension(x509.OID.basicConstraints, true, x509.basicConstraints(false)),
          x509.extension(x509.OID.subjectAltName, false, x509.dnsNames(['www.example.com', 'example.com'])),
          x509.extension(x509.OID.authorityKeyIdentifier, false, x509.authorityKeyIdentifier(x509.keyIdOf(caSpki))),
        ],
      },
      signer,
    );
    const parsed = new X509Certificate(Buffer.from(certificate));
    expect(parsed.verify(ca.publicKey)).toBe(true);
    expect(parsed.serialNumber).toBe('8F00AA');
    expect(parsed.subject).toBe('CN=www.example.com');
    expect(parsed.issuer).toBe('CN=Test CA');
    expect(parsed.subjectAltName).toBe('DNS:www.example.com, DNS:example.com');
    expect(new Date(parsed.validTo).toISOString()).toBe('2051-01-01T00:00:00.000Z');

    const read = x509.readCertificate(certificate);
    expect(read.spki).toEqual(spki);
    const san = read.extensions.find((e) => e.type === x509.OID.subjectAltName)!;
    expect(x509.readDnsNames(san.value)).toEqual(['www.example.com', 'example.com']);
    expect(read.extensions.find((e) => e.type === x509.OID.basicConstraints)?.critical).toBe(true);
  });

  it('leaves the CN out of a subject when the name is over 64 characters', () => {
    const long = `${'a'.repeat(60)}.example.com`;
    expect(x509.subjectFor(long)).toEqual(x509.name([]));
    expect(x509.subjectFor('short.example.com')).not.toEqual(x509.name([]));
  });

  it('builds a CSR openssl verifies, and reads its names, key and signature back', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const spki = new Uint8Array(key.publicKey.export({ format: 'der', type: 'spki' }));
    const csr = x509.requestFor(['api.example.com', 'www.example.com'], spki, { key: key.privateKey, hash: 'sha384' });
    const verified = spawnSync('openssl', ['req', '-inform', 'DER', '-noout', '-verify'], { input: csr });
    expect(verified.status).toBe(0);
    expect(verified.stderr.toString()).toMatch(/verify OK/i);
    expect(opensslText('req', csr)).toContain('DNS:api.example.com, DNS:www.example.com');

    const read = x509.readCsr(csr);
    expect(read.commonNames).toEqual(['api.example.com']);
    expect(read.spki).toEqual(spki);
    expect(read.signatureAlgorithm).toBe('1.2.840.10045.4.3.3');
    expect(x509.verifyCsrSignature(read)).toBe(true);
    expect(x509.publicKeySha256(read.spki)).toMatch(/^[A-Za-z0-9_-]{43}$/);

    const tampered = Uint8Array.from(csr);
    tampered[tampered.length - 5]! ^= 0x01;
    expect(x509.verifyCsrSignature(x509.readCsr(tampered))).toBe(false);
  });

  it('says it cannot judge a signature algorithm it does not check', () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const spki = new Uint8Array(key.publicKey.export({ format: 'der', type: 'spki' }));
    const csr = x509.readCsr(x509.requestFor(['a.example.com'], spki, { key: key.privateKey, hash: 'sha256' }));
    expect(x509.verifyCsrSignature({ ...csr, signatureAlgorithm: '1.2.840.113549.1.1.10' })).toBeUndefined();
  });

  it('signs CRLs openssl reads: serials, reasons, next update, and no revoked list when empty', () => {
    const crl = x509.signCrl(
      {
        issuer,
        thisUpdate: new Date('2026-12-01T00:00:00Z'),
        nextUpdate: new Date('2026-12-02T00:00:00Z'),
        entries: [
          { serialHex: '01AB', revokedAt: new Date('2026-11-30T10:00:00Z'), reason: x509.CRL_REASON_CODES.keyCompromise },
          { serialHex: 'FF00', revokedAt: new Date('2026-11-30T11:00:00Z') },
        ],
        extensions: [x509.extension(x509.OID.crlNumber, false, der.integer(7))],
      },
      signer,
    );
    const text = opensslText('crl', crl);
    expect(text).toContain('Serial Number: 01AB');
    expect(text).toContain('Serial Number: FF00');
    expect(text).toContain('Key Compromise');
    expect(text).toMatch(/Next Update: Dec {2}2 00:00:00 2026 GMT/);
    expect(x509.readCrl(crl)).toEqual({ nextUpdate: new Date('2026-12-02T00:00:00Z'), serials: ['01AB', 'FF00'] });

    const empty = x509.signCrl({ issuer, thisUpdate: new Date(), nextUpdate: new Date(Date.now() + 3_600_000), entries: [], extensions: [] }, signer);
    expect(opensslText('crl', empty)).toContain('No Revoked Certificates');
    expect(x509.readCrl(empty).serials).toEqual([]);
  });

  it('reads the first PEM block of an expected label only', () => {
    const body = bytes('3000');
    const pem = x509.toPem(body, 'CERTIFICATE REQUEST');
    expect(x509.fromPem(`junk\n${pem}`, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST'])).toEqual(body);
    expect(x509.fromPem(pem, ['CERTIFICATE'])).toBeUndefined();
    expect(x509.fromPem('-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----', ['CERTIFICATE'])).toBeUndefined();
  });
});
