/**
 * X.509 certificates, PKCS#10 requests and CRLs (RFC 5280, RFC 2986), built and read with
 * {@link ./der.ts} and signed and verified by node:crypto (OpenSSL).
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import {
  bitString,
  children,
  decode,
  explicit,
  expectTag,
  ia5String,
  integer,
  namedBits,
  NULL,
  octetString,
  oid,
  readBitString,
  readIntegerHex,
  readOid,
  readString,
  readTime,
  sequence,
  setOf,
  TAG,
  time,
  tlv,
  TRUE,
  utf8String,
  type Tlv,
} from './der.js';

export const OID = {
  commonName: '2.5.4.3',
  organization: '2.5.4.10',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  crlNumber: '2.5.29.20',
  crlReason: '2.5.29.21',
  authorityKeyIdentifier: '2.5.29.35',
  extendedKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
  /** PKCS#9 extensionRequest: the CSR attribute that carries the requested extensions. */
  extensionRequest: '1.2.840.113549.1.9.14',
  ecPublicKey: '1.2.840.10045.2.1',
  /** SM2 signature with SM3 (GM/T 0006), the signatureAlgorithm of an SM2 CSR. */
  sm2WithSm3: '1.2.156.10197.1.501',
} as const;

/** Signature algorithms by OID: the hash, and whether it is ECDSA (DER r,s) or RSA PKCS#1 v1.5. */
const SIGNATURES: Record<string, { hash: string; ecdsa: boolean }> = {
  '1.2.840.113549.1.1.11': { hash: 'sha256', ecdsa: false },
  '1.2.840.113549.1.1.12': { hash: 'sha384', ecdsa: false },
  '1.2.840.113549.1.1.13': { hash: 'sha512', ecdsa: false },
  '1.2.840.10045.4.3.2': { hash: 'sha256', ecdsa: true },
  '1.2.840.10045.4.3.3': { hash: 'sha384', ecdsa: true },
  '1.2.840.10045.4.3.4': { hash: 'sha512', ecdsa: true },
};

/** RFC 5280 5.3.1 CRLReason values. */
export const CRL_REASON_CODES = {
  unspecified: 0,
  keyCompromise: 1,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
} as const;

/** RFC 5280 4.2.1.3 KeyUsage bit numbers. */
export const KEY_USAGE = { digitalSignature: 0, keyEncipherment: 2, keyCertSign: 5, cRLSign: 6 } as const;

/** How a key signs: a node:crypto private key and the hash; `sm2` signs SM2-with-SM3. */
export interface Signer {
  key: KeyObject;
  hash: 'sha256' | 'sha384' | 'sha512' | 'sm3';
}

// ---- building ----

/** A Name of one RDN per attribute, in the given order (e.g. CN then O). */
export function name(attributes: readonly (readonly [type: string, value: string])[]): Uint8Array {
  return sequence(...attributes.map(([type, value]) => setOf(sequence(oid(type), utf8String(value)))));
}

export function extension(type: string, critical: boolean, value: Uint8Array): Uint8Array {
  return sequence(oid(type), ...(critical ? [TRUE] : []), octetString(value));
}

export const basicConstraints = (ca: boolean): Uint8Array => sequence(...(ca ? [TRUE] : []));
export const keyUsage = (bits: readonly number[]): Uint8Array => namedBits(bits);
export const extendedKeyUsage = (...purposes: string[]): Uint8Array => sequence(...purposes.map(oid));
export const dnsNames = (names: readonly string[]): Uint8Array => sequence(...names.map((n) => ia5String(n, 0x82)));
export const subjectKeyIdentifier = (keyId: Uint8Array): Uint8Array => octetString(keyId);
export const authorityKeyIdentifier = (keyId: Uint8Array): Uint8Array => sequence(tlv(0x80, keyId));

/** RFC 5280 ub-common-name: a longer domain goes in the SAN only. */
export const MAX_COMMON_NAME = 64;

/**
 * A request for `names` (the first is the CN when it fits, all are DNS SANs) by the key of
 * `signer`, whose public half is `spki`; DER.
 */
export function requestFor(names: readonly string[], spki: Uint8Array, signer: Signer): Uint8Array {
  return signCsr(subjectFor(names[0]!), spki, [extension(OID.subjectAltName, false, dnsNames(names))], signer);
}

/** The subject of a certificate or request for `domain`: its CN, or empty when it is too long. */
export function subjectFor(domain: string): Uint8Array {
  return name(domain.length <= MAX_COMMON_NAME ? [[OID.commonName, domain]] : []);
}

/** SHA-256 of a DER SubjectPublicKeyInfo, base64url: the `publicKeySha256` of a certificate or request. */
export function publicKeySha256(spkiDer: Uint8Array): string {
  return createHash('sha256').update(spkiDer).digest('base64url');
}

/** RFC 5280 4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits of a SubjectPublicKeyInfo. */
export function keyIdOf(spkiDer: Uint8Array): Uint8Array {
  return createHash('sha1').update(readSpki(spkiDer).publicKey).digest();
}

export interface CertificateFields {
  serialHex: string;
  issuer: Uint8Array;
  subject: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  extensions: Uint8Array[];
}

/** A v3 certificate, DER, signed by `signer`. */
export function signCertificate(fields: CertificateFields, signer: Signer): Uint8Array {
  const algorithm = signatureAlgorithm(signer);
  const tbs = sequence(
    explicit(0, integer(2)),
    integer(fields.serialHex),
    algorithm,
    fields.issuer,
    sequence(time(fields.notBefore), time(fields.notAfter)),
    fields.subject,
    fields.spki,
    explicit(3, sequence(...fields.extensions)),
  );
  return signed(tbs, algorithm, signer);
}

/** A PKCS#10 request, DER, for the key of `signer` (whose public half is `spki`). */
export function signCsr(subject: Uint8Array, spki: Uint8Array, extensions: Uint8Array[], signer: Signer): Uint8Array {
  const attribute = sequence(oid(OID.extensionRequest), setOf(sequence(...extensions)));
  const info = sequence(integer(0), subject, spki, tlv(0xa0, attribute));
  return signed(info, signatureAlgorithm(signer), signer);
}

export interface CrlFields {
  issuer: Uint8Array;
  thisUpdate: Date;
  nextUpdate: Date;
  entries: readonly { serialHex: string; revokedAt: Date; reason?: number }[];
  extensions: Uint8Array[];
}

/** A v2 CRL, DER, signed by `signer`. */
export function signCrl(fields: CrlFields, signer: Signer): Uint8Array {
  const algorithm = signatureAlgorithm(signer);
  const revoked = fields.entries.map((entry) =>
    sequence(
      integer(entry.serialHex),
      time(entry.revokedAt),
      ...(entry.reason === undefined ? [] : [sequence(extension(OID.crlReason, false, integer(entry.reason, TAG.enumerated)))]),
    ),
  );
  const tbs = sequence(
    integer(1),
    algorithm,
    fields.issuer,
    time(fields.thisUpdate),
    time(fields.nextUpdate),
    // RFC 5280 5.1.2.6: absent, not empty, when nothing is revoked.
    ...(revoked.length === 0 ? [] : [sequence(...revoked)]),
    explicit(0, sequence(...fields.extensions)),
  );
  return signed(tbs, algorithm, signer);
}

function signatureAlgorithm(signer: Signer): Uint8Array {
  if (signer.hash === 'sm3') return sequence(oid(OID.sm2WithSm3));
  const entry = Object.entries(SIGNATURES).find(
    ([, s]) => s.hash === signer.hash && s.ecdsa === (signer.key.asymmetricKeyType === 'ec'),
  );
  if (entry === undefined) throw new Error(`No signature algorithm for a ${signer.key.asymmetricKeyType} key with ${signer.hash}.`);
  // RFC 5754 3.2: ECDSA identifiers have no parameters; RFC 4055: RSA ones a NULL.
  return entry[1].ecdsa ? sequence(oid(entry[0])) : sequence(oid(entry[0]), NULL);
}

function signed(tbs: Uint8Array, algorithm: Uint8Array, signer: Signer): Uint8Array {
  const signature =
    signer.hash === 'sm3'
      ? sign('sm3', tbs, signer.key)
      : sign(signer.hash, tbs, { key: signer.key, dsaEncoding: 'der' });
  return sequence(tbs, algorithm, bitString(signature));
}

// ---- reading ----

export interface Spki {
  algorithm: string;
  /** The DER of the algorithm's parameters (a curve OID), if any. */
  parameters: Uint8Array | undefined;
  publicKey: Uint8Array;
}

export function readSpki(spkiDer: Uint8Array): Spki {
  const [algorithm, publicKey] = children(decode(spkiDer));
  const [type, parameters] = children(expectTag(algorithm, TAG.sequence));
  return { algorithm: readOid(type), parameters: parameters?.raw, publicKey: readBitString(publicKey) };
}

export interface ParsedExtension {
  type: string;
  critical: boolean;
  value: Uint8Array;
}

/** What a signed structure (certificate, CSR, CRL) is made of. */
interface SignedParts {
  tbs: Tlv;
  fields: Tlv[];
  signatureAlgorithm: string;
  signatureParameters: Tlv | undefined;
  signature: Uint8Array;
}

function readSigned(der: Uint8Array): SignedParts {
  const [tbs, algorithm, signature, ...rest] = children(decode(der));
  if (rest.length > 0) throw new Error('Unexpected fields after the signature.');
  const [type, parameters] = children(expectTag(algorithm, TAG.sequence));
  return {
    tbs: expectTag(tbs, TAG.sequence),
    fields: children(expectTag(tbs, TAG.sequence)),
    signatureAlgorithm: readOid(type),
    signatureParameters: parameters,
    signature: readBitString(signature),
  };
}

export interface ParsedCertificate {
  subject: Uint8Array;
  spki: Uint8Array;
  extensions: ParsedExtension[];
}

export function readCertificate(der: Uint8Array): ParsedCertificate {
  const { fields } = readSigned(der);
  const [, , , , , subject, spki, ...optional] = fields[0]?.tag === 0xa0 ? fields : [undefined, ...fields];
  const extensions = optional.find((field) => field?.tag === 0xa3);
  return {
    subject: expectTag(subject, TAG.sequence).raw,
    spki: expectTag(spki, TAG.sequence).raw,
    extensions: extensions === undefined ? [] : readExtensions(children(extensions)[0]),
  };
}

export interface ParsedCsr {
  commonNames: string[];
  spki: Uint8Array;
  extensions: ParsedExtension[];
  signatureAlgorithm: string;
  /** The signed CertificationRequestInfo and its signature. */
  tbs: Uint8Array;
  signature: Uint8Array;
}

export function readCsr(der: Uint8Array): ParsedCsr {
  const parts = readSigned(der);
  const [version, subject, spki, attributes] = parts.fields;
  expectTag(version, TAG.integer);
  const extensions: ParsedExtension[] = [];
  for (const attribute of attributes === undefined ? [] : children(expectTag(attributes, 0xa0))) {
    const [type, values] = children(expectTag(attribute, TAG.sequence));
    if (readOid(type) !== OID.extensionRequest) continue;
    for (const value of children(expectTag(values, TAG.set))) extensions.push(...readExtensions(value));
  }
  readSpki(expectTag(spki, TAG.sequence).raw);
  return {
    commonNames: commonNamesOf(expectTag(subject, TAG.sequence)),
    spki: spki!.raw,
    extensions,
    signatureAlgorithm: parts.signatureAlgorithm,
    tbs: parts.tbs.raw,
    signature: parts.signature,
  };
}

/**
 * Whether the request's RSA PKCS#1 v1.5 or ECDSA signature (SHA-256 or stronger) verifies with
 * the key it carries; undefined for another signature algorithm, which the caller handles.
 */
export function verifyCsrSignature(csr: ParsedCsr): boolean | undefined {
  const algorithm = SIGNATURES[csr.signatureAlgorithm];
  if (algorithm === undefined) return undefined;
  try {
    const key = createPublicKey({ key: Buffer.from(csr.spki), format: 'der', type: 'spki' });
    if (key.asymmetricKeyType !== (algorithm.ecdsa ? 'ec' : 'rsa')) return false;
    return verify(algorithm.hash, csr.tbs, algorithm.ecdsa ? { key, dsaEncoding: 'der' } : key, csr.signature);
  } catch {
    return false;
  }
}

/** The DNS names of a SubjectAltName extension's value. */
export function readDnsNames(value: Uint8Array): string[] {
  return children(decode(value))
    .filter((name) => name.tag === 0x82)
    .map(readString);
}

export interface ParsedCrl {
  nextUpdate: Date | undefined;
  serials: string[];
}

export function readCrl(der: Uint8Array): ParsedCrl {
  const fields = [...readSigned(der).fields];
  if (fields[0]?.tag === TAG.integer) fields.shift();
  const [, , , maybeNext, ...rest] = fields;
  const hasNext = maybeNext?.tag === TAG.utcTime || maybeNext?.tag === TAG.generalizedTime;
  const revoked = (hasNext ? rest : fields.slice(3)).find((field) => field.tag === TAG.sequence);
  return {
    nextUpdate: hasNext ? readTime(maybeNext) : undefined,
    serials: revoked === undefined ? [] : children(revoked).map((entry) => readIntegerHex(children(entry)[0])),
  };
}

function readExtensions(node: Tlv | undefined): ParsedExtension[] {
  return children(expectTag(node, TAG.sequence)).map((item) => {
    const [type, second, third] = children(expectTag(item, TAG.sequence));
    const critical = second?.tag === TAG.boolean && second.content[0] !== 0;
    const value = expectTag(second?.tag === TAG.boolean ? third : second, TAG.octetString).content;
    return { type: readOid(type), critical, value };
  });
}

function commonNamesOf(nameNode: Tlv): string[] {
  const names: string[] = [];
  for (const rdn of children(nameNode)) {
    for (const attribute of children(expectTag(rdn, TAG.set))) {
      const [type, value] = children(expectTag(attribute, TAG.sequence));
      if (readOid(type) === OID.commonName && value !== undefined) names.push(readString(value));
    }
  }
  return names;
}

// ---- PEM ----

export function toPem(der: Uint8Array, label: string): string {
  const base64 = Buffer.from(der).toString('base64');
  return `-----BEGIN ${label}-----\n${base64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

/** The DER of the first PEM block with one of the labels; undefined when there is none. */
export function fromPem(pem: string, labels: readonly string[]): Uint8Array | undefined {
  const pattern = new RegExp(`-----BEGIN (${labels.join('|')})-----([A-Za-z0-9+/=\\s]+)-----END \\1-----`);
  const match = pattern.exec(pem);
  if (match === null) return undefined;
  const der = Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64');
  return der.length === 0 ? undefined : new Uint8Array(der);
}
