import { createHash, createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { InvalidRequestError } from '../app/errors.js';
import type {
  CertificateAuthority,
  Clock,
  CrlEntry,
  IssueRequest,
  IssuedCertificate,
  RevocationAuthority,
} from '../app/ports.js';
import type { CrlStore, StoredCrl } from './crl-store.js';
import { sm2PublicKeyPoint, verifySm2Csr } from './sm2.js';
import { loadX509, type X509Module } from './x509-module.js';

/** The CA's certificate and private key, both PEM: what a {@link CaKeyStore} keeps. */
export interface CaMaterial {
  certificatePem: string;
  privateKeyPkcs8Pem: string;
}

/** Where the embedded CA keeps its key (a folder locally, a secret on AWS). */
export interface CaKeyStore {
  load(): Promise<CaMaterial | undefined>;
  /**
   * Stores `material` unless some material is already stored, and returns the stored one: the
   * winner when another process saved first, so concurrent cold starts converge on one CA.
   */
  saveIfAbsent(material: CaMaterial): Promise<CaMaterial>;
}

/** Parses stored CA material; `undefined` when the value is not CA material (e.g. a placeholder). */
export function parseCaMaterial(json: string): CaMaterial | undefined {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { certificatePem, privateKeyPkcs8Pem } = value as Record<string, unknown>;
  if (typeof certificatePem !== 'string' || !certificatePem.includes('-----BEGIN CERTIFICATE-----')) return undefined;
  if (typeof privateKeyPkcs8Pem !== 'string' || !privateKeyPkcs8Pem.includes('-----BEGIN PRIVATE KEY-----')) {
    return undefined;
  }
  return { certificatePem, privateKeyPkcs8Pem };
}

type CryptoKey = webcrypto.CryptoKey;

const CA_SUBJECT = 'CN=certrevoke Local CA, O=certrevoke';
const CA_VALIDITY_YEARS = 10;
/** RFC 5280 ub-common-name: a longer domain goes in the SAN only. */
const MAX_COMMON_NAME = 64;
const P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** EC curves the CA signs with or accepts in a CSR (node name → WebCrypto name). */
const CURVES: Record<string, { namedCurve: string; hash: string }> = {
  prime256v1: { namedCurve: 'P-256', hash: 'SHA-256' },
  secp384r1: { namedCurve: 'P-384', hash: 'SHA-384' },
};
const MIN_RSA_BITS = 2048;
const DAY_MS = 24 * 60 * 60 * 1000;
/** nextUpdate − thisUpdate of every CRL. */
const CRL_VALIDITY_MS = 7 * DAY_MS;
/**
 * `currentCrl` re-signs a CRL this close to its nextUpdate: with no revocation for a week the
 * stored CRL would otherwise expire, and relying parties reject an expired CRL.
 */
const CRL_REFRESH_BEFORE_MS = DAY_MS;
/**
 * How often {@link EmbeddedCa.publish} runs (CaPublisher's schedule, the local runtime's timer):
 * four times inside the day before a CRL's nextUpdate, so a failed run or two still re-sign it in time.
 */
export const PUBLISH_EVERY_MS = CRL_REFRESH_BEFORE_MS / 4;
/** Re-sign attempts when concurrent writers keep winning the conditional save. */
const CRL_SAVE_ATTEMPTS = 6;
const CRL_NUMBER_OID = '2.5.29.20';
/** The RFC 5280 CRLReason codes a subscriber may give (RULES.md). */
const CRL_REASONS: ReadonlySet<string> = new Set<CrlEntry['reasonCode']>([
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
]);

interface LoadedCa {
  x509: X509Module;
  certificate: X509.X509Certificate;
  pem: string;
  signingKey: CryptoKey;
  signingAlgorithm: SigningAlgorithm;
  /** Hex key identifier of the CA: the leaves' AuthorityKeyIdentifier. */
  keyId: string;
}

interface SigningAlgorithm {
  name: string;
  hash: string;
}

export interface EmbeddedCaOptions {
  /** "Now" for CRLs (thisUpdate); defaults to the system clock. */
  clock?: Clock;
}

/**
 * A certificate authority inside the process: an ECDSA P-256 root kept in a {@link CaKeyStore},
 * created on first use when the store is empty, signing leaf certificates for validated domains
 * (for an RSA, EC or SM2 key: the leaf carries the CSR's SubjectPublicKeyInfo as it is, and the
 * CA signs it with its own ECDSA key whatever the subject key) and, given a {@link CrlStore}, recording revocations and signing the CRL that lists them.
 */
export class EmbeddedCa implements CertificateAuthority, RevocationAuthority {
  private ca: Promise<LoadedCa> | undefined;
  private readonly clock: Clock;

  constructor(
    private readonly store: CaKeyStore,
    private readonly crlStore?: CrlStore,
    options: EmbeddedCaOptions = {},
  ) {
    this.clock = options.clock ?? (() => new Date());
  }

  async caCertificatePem(): Promise<string> {
    return (await this.loadCa()).pem;
  }

  async issue(request: IssueRequest): Promise<IssuedCertificate> {
    const names = dnsNames(request);
    checkValidity(request);
    const ca = await this.loadCa();
    const { x509 } = ca;
    const csr = request.csrPem === undefined ? await createCsr(x509, names) : await verifiedCsr(x509, request.csrPem);
    const subjectKey = await describeSubjectKey(csr.publicKey.rawData);
    const serialHex = randomSerialHex();
    const commonName = names[0]!;
    const hasCommonName = commonName.length <= MAX_COMMON_NAME;
    const leaf = await x509.X509CertificateGenerator.create({
      serialNumber: serialHex,
      subject: hasCommonName ? [{ CN: [commonName] }] : [],
      issuer: ca.certificate.subjectName,
      notBefore: request.notBefore,
      notAfter: request.notAfter,
      publicKey: csr.publicKey,
      signingKey: ca.signingKey,
      signingAlgorithm: ca.signingAlgorithm,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        // keyEncipherment is RSA key transport; EC and SM2 keys only sign (ECDHE/ECC key exchange).
        new x509.KeyUsagesExtension(
          subjectKey === 'rsa'
            ? x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment
            : x509.KeyUsageFlags.digitalSignature,
          true,
        ),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth], false),
        // RFC 5280 4.2.1.6: with an empty subject the SAN must be critical.
        new x509.SubjectAlternativeNameExtension(sanNames(names), !hasCommonName),
        await x509.SubjectKeyIdentifierExtension.create(csr.publicKey),
        new x509.AuthorityKeyIdentifierExtension(ca.keyId),
      ],
    });
    const pem = toPem(leaf);
    return {
      pem,
      chainPem: pem + ca.pem,
      serialNumber: serialHex.toUpperCase(),
      csrPem: toPem(csr),
      publicKeySha256: sha256Base64Url(csr.publicKey.rawData),
    };
  }

  /**
   * Records the entries (a serial already recorded keeps its first time and reason), then makes
   * sure the stored CRL lists them: a new CRL with the next cRLNumber, unless the stored one
   * already lists every serial (a retried revocation changes nothing).
   */
  async revoke(entries: CrlEntry[]): Promise<void> {
    const crlStore = this.requireCrlStore();
    const recorded = entries.map(canonicalEntry);
    await crlStore.addEntries(recorded);
    const serials = recorded.map((entry) => entry.serialNumber);
    await this.signUntil(crlStore, (crl) => {
      const listed = new Set(crl.entries.map((entry) => canonicalSerial(entry.serialNumber)));
      return serials.every((serial) => listed.has(serial));
    });
  }

  /**
   * The stored CRL, DER. Signs one (listing whatever is recorded) when none is stored yet, or
   * when the stored one is within a day of its nextUpdate.
   */
  async currentCrl(): Promise<Uint8Array> {
    const crlStore = this.requireCrlStore();
    return this.signUntil(crlStore, (crl) => {
      const nextUpdate = crl.nextUpdate;
      return nextUpdate !== undefined && nextUpdate.getTime() - this.clock().getTime() > CRL_REFRESH_BEFORE_MS;
    });
  }

  /**
   * Makes the CA public: creates it when the key store is empty, publishes its certificate and
   * makes sure the stored CRL is current (as {@link currentCrl}). Run at deployment and on a
   * schedule by the one function that holds the key for it, so the public routes only read.
   */
  async publish(): Promise<void> {
    const crlStore = this.requireCrlStore();
    const { pem } = await this.loadCa();
    if ((await crlStore.loadCaCertificate()) !== pem) await crlStore.saveCaCertificate(pem);
    await this.currentCrl();
  }

  private requireCrlStore(): CrlStore {
    if (this.crlStore === undefined) {
      throw new Error('This EmbeddedCa has no CrlStore: construct it with one to revoke, serve a CRL or publish.');
    }
    return this.crlStore;
  }

  /**
   * Returns the stored CRL if `isCurrent` accepts it, else signs and saves the next one.
   * The save is conditional on the cRLNumber read, so the CRL never goes backwards; a writer
   * that loses re-reads and tries again. No entry is lost: the entries are listed *after* the
   * CRL is loaded, so a CRL saved on top of number n is signed from a listing taken after CRL n
   * was saved, hence after every entry CRL n was required to list had been recorded.
   */
  private async signUntil(crlStore: CrlStore, isCurrent: (crl: X509.X509Crl) => boolean): Promise<Uint8Array> {
    for (let attempt = 1; ; attempt += 1) {
      const stored = await crlStore.loadCrl();
      if (stored !== undefined && isCurrent(await parseCrl(stored))) return stored.der;
      const entries = await crlStore.listEntries();
      const crlNumber = (stored?.crlNumber ?? 0) + 1;
      const der = await signCrl(await this.loadCa(), entries, crlNumber, this.clock());
      if (await crlStore.saveCrl(der, crlNumber, stored?.crlNumber)) return der;
      if (attempt >= CRL_SAVE_ATTEMPTS) {
        throw new Error(`The CRL could not be saved: ${CRL_SAVE_ATTEMPTS} concurrent re-signs got there first.`);
      }
      // Jittered so writers that collided do not collide again in lockstep.
      await sleep(attempt * (10 + Math.random() * 40));
    }
  }

  /** One load per instance; a failed load is forgotten so the next call retries. */
  private loadCa(): Promise<LoadedCa> {
    this.ca ??= this.loadOrCreateCa().catch((error: unknown) => {
      this.ca = undefined;
      throw error;
    });
    return this.ca;
  }

  private async loadOrCreateCa(): Promise<LoadedCa> {
    const x509 = await loadX509();
    const existing = await this.store.load();
    const ca = await importCa(x509, existing ?? (await this.store.saveIfAbsent(await createCaMaterial(x509))));
    // A CA created here is published at once: the public routes read only what is published.
    if (existing === undefined) await this.crlStore?.saveCaCertificate(ca.pem);
    return ca;
  }
}

/**
 * SHA-256 of the public key (DER SubjectPublicKeyInfo) of a PKCS#10 request, base64url: the
 * `publicKeySha256` a certificate issued for that request carries. Does not check the signature.
 */
export async function csrPublicKeySha256(csrPem: string): Promise<string> {
  const csr = parseCsr(await loadX509(), csrPem);
  return sha256Base64Url(csr.publicKey.rawData);
}

async function createCaMaterial(x509: X509Module): Promise<CaMaterial> {
  const keys = await webcrypto.subtle.generateKey(P256, true, ['sign', 'verify']);
  // An hour back so a machine whose clock runs slightly behind still accepts the CA.
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerialHex(),
    name: CA_SUBJECT,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: { ...P256, hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return {
    certificatePem: toPem(certificate),
    privateKeyPkcs8Pem: `${x509.PemConverter.encode(pkcs8, 'PRIVATE KEY')}\n`,
  };
}

async function importCa(x509: X509Module, material: CaMaterial): Promise<LoadedCa> {
  const certificate = new x509.X509Certificate(material.certificatePem);
  const privateKey = createPrivateKey(material.privateKeyPkcs8Pem);
  const curve = CURVES[privateKey.asymmetricKeyDetails?.namedCurve ?? ''];
  if (privateKey.asymmetricKeyType !== 'ec' || curve === undefined) {
    throw new Error('The stored CA key must be an ECDSA P-256 or P-384 key.');
  }
  // A store holding a certificate and a key that do not belong together would sign leaves
  // that never verify: refuse it at load rather than issue broken certificates.
  const derivedSpki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!derivedSpki.equals(Buffer.from(certificate.publicKey.rawData))) {
    throw new Error('The stored CA private key does not match the stored CA certificate.');
  }
  const signingKey = await webcrypto.subtle.importKey(
    'pkcs8',
    x509.PemConverter.decodeFirst(material.privateKeyPkcs8Pem),
    { name: 'ECDSA', namedCurve: curve.namedCurve },
    false,
    ['sign'],
  );
  const ski = certificate.getExtension(x509.SubjectKeyIdentifierExtension);
  const keyId = ski?.keyId ?? Buffer.from(await certificate.publicKey.getKeyIdentifier()).toString('hex');
  return {
    x509,
    certificate,
    pem: toPem(certificate),
    signingKey,
    signingAlgorithm: { name: 'ECDSA', hash: curve.hash },
    keyId,
  };
}

/**
 * A v2 CRL over `entries`: issuer the CA, valid for {@link CRL_VALIDITY_MS} from `now`, with the
 * cRLNumber and AuthorityKeyIdentifier extensions RFC 5280 5.2 requires of a conforming CA.
 */
async function signCrl(ca: LoadedCa, entries: CrlEntry[], crlNumber: number, now: Date): Promise<Uint8Array> {
  const { x509 } = ca;
  if (Number.isNaN(now.getTime())) throw new Error('The clock returned an invalid date.');
  const crl = await x509.X509CrlGenerator.create({
    issuer: ca.certificate.subjectName,
    thisUpdate: now,
    nextUpdate: new Date(now.getTime() + CRL_VALIDITY_MS),
    signingKey: ca.signingKey,
    signingAlgorithm: ca.signingAlgorithm,
    extensions: [
      new x509.AuthorityKeyIdentifierExtension(ca.keyId),
      new x509.Extension(CRL_NUMBER_OID, false, derInteger(crlNumber)),
    ],
    entries: entries.map((entry) => ({
      serialNumber: entry.serialNumber,
      revocationDate: entry.revokedAt,
      // RFC 5280 5.3.1: the reasonCode extension SHOULD be absent rather than `unspecified`.
      reason: entry.reasonCode === 'unspecified' ? undefined : x509.X509CrlReason[entry.reasonCode],
    })),
  });
  return new Uint8Array(crl.rawData);
}

async function parseCrl(stored: StoredCrl): Promise<X509.X509Crl> {
  const x509 = await loadX509();
  return new x509.X509Crl(stored.der);
}

/** A DER INTEGER of a non-negative safe integer (cRLNumber). */
function derInteger(value: number): Uint8Array {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${value} is not a valid CRL number.`);
  const hex = value.toString(16);
  const bytes = Buffer.from(hex.length % 2 === 0 ? hex : `0${hex}`, 'hex');
  // A leading 1 bit would make the INTEGER negative.
  const content = bytes[0]! & 0x80 ? Buffer.concat([Buffer.of(0), bytes]) : bytes;
  return Uint8Array.of(0x02, content.length, ...content);
}

/** Checks an entry and puts its serial in the one form the CRL store keys it by. */
function canonicalEntry(entry: CrlEntry): CrlEntry {
  if (!CRL_REASONS.has(entry.reasonCode)) throw new Error(`${entry.reasonCode} is not an allowed CRL reason code.`);
  if (!(entry.revokedAt instanceof Date) || Number.isNaN(entry.revokedAt.getTime())) {
    throw new Error(`The revocation time of ${entry.serialNumber} is not a valid date.`);
  }
  return { serialNumber: canonicalSerial(entry.serialNumber), revokedAt: entry.revokedAt, reasonCode: entry.reasonCode };
}

/**
 * Upper-case hex without leading zero bytes, as `openssl x509 -serial` prints a positive
 * serial: `00AB` and `ab` are the same certificate and must be one CRL entry.
 */
function canonicalSerial(serial: string): string {
  const hex = serial.trim().toUpperCase();
  if (!/^[0-9A-F]+$/.test(hex)) throw new Error(`${serial} is not a hexadecimal serial number.`);
  const digits = hex.replace(/^0+/, '');
  if (digits.length === 0) return '00';
  return digits.length % 2 === 0 ? digits : `0${digits}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The domain then the SANs, lower-cased, without duplicates. */
function dnsNames(request: IssueRequest): string[] {
  const names = [...new Set([request.domain, ...request.sans].map((name) => name.trim().toLowerCase()))];
  if (names.some((name) => name.length === 0)) throw new Error('Certificate names must not be empty.');
  return names;
}

function checkValidity({ notBefore, notAfter }: IssueRequest): void {
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) {
    throw new Error('notBefore and notAfter must be valid dates.');
  }
  if (notAfter.getTime() <= notBefore.getTime()) throw new Error('notAfter must be later than notBefore.');
}

/** A key pair and CSR made on the subscriber's behalf; the private key is dropped on return. */
async function createCsr(x509: X509Module, names: string[]): Promise<X509.Pkcs10CertificateRequest> {
  const keys = await webcrypto.subtle.generateKey(P256, false, ['sign', 'verify']);
  const commonName = names[0]!;
  return x509.Pkcs10CertificateRequestGenerator.create({
    name: commonName.length <= MAX_COMMON_NAME ? [{ CN: [commonName] }] : [],
    keys,
    signingAlgorithm: { ...P256, hash: 'SHA-256' },
    extensions: [new x509.SubjectAlternativeNameExtension(sanNames(names))],
  });
}

function parseCsr(x509: X509Module, csrPem: string): X509.Pkcs10CertificateRequest {
  try {
    return new x509.Pkcs10CertificateRequest(csrPem);
  } catch {
    throw new InvalidRequestError('CSR_INVALID', 'The CSR is not a PEM-encoded PKCS#10 certificate request.');
  }
}

/**
 * The subscriber's CSR, once its signature proves possession of the key it carries. An SM2 request,
 * which @peculiar/x509 cannot verify, is checked as the CSR toolkit checks it ({@link verifySm2Csr}).
 */
async function verifiedCsr(x509: X509Module, csrPem: string): Promise<X509.Pkcs10CertificateRequest> {
  const csr = parseCsr(x509, csrPem);
  let valid: boolean;
  try {
    valid = (await isSm2Key(csr.publicKey.rawData)) ? await verifySm2Csr(new Uint8Array(csr.rawData)) : await csr.verify();
  } catch {
    valid = false;
  }
  if (!valid) throw new InvalidRequestError('CSR_INVALID', 'The CSR signature does not verify with its public key.');
  return csr;
}

async function isSm2Key(spki: ArrayBuffer): Promise<boolean> {
  return (await sm2PublicKeyPoint(new Uint8Array(spki))) !== undefined;
}

/**
 * Accepts the keys browsers trust for TLS, and SM2 (issue 5); tells RSA apart because it also gets
 * keyEncipherment.
 */
async function describeSubjectKey(spki: ArrayBuffer): Promise<'ec' | 'rsa' | 'sm2'> {
  if (await isSm2Key(spki)) return 'sm2';
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType === 'ec' && CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] !== undefined) return 'ec';
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS) return 'rsa';
  throw new InvalidRequestError(
    'CSR_INVALID',
    `The CSR key must be ECDSA P-256 or P-384, SM2, or RSA of at least ${MIN_RSA_BITS} bits.`,
  );
}

function sanNames(names: string[]): X509.JsonGeneralNames {
  return names.map((value) => ({ type: 'dns', value }));
}

/**
 * 16 random bytes, the first in 0x01..0x7f: a positive INTEGER with no leading zero byte, so
 * its hex (32 digits) is exactly what `openssl x509 -serial` prints.
 */
function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! % 0x7f) + 1;
  return bytes.toString('hex');
}

function toPem(data: { toString(format: 'pem'): string }): string {
  const pem = data.toString('pem');
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}

function sha256Base64Url(data: ArrayBuffer): string {
  return createHash('sha256').update(Buffer.from(data)).digest('base64url');
}
