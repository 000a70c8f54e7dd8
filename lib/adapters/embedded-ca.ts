import { createPrivateKey, createPublicKey, generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { InvalidRequestError } from '../app/errors.js';
import type {
  CertificateAuthority,
  Clock,
  CrlEntry,
  IssueRequest,
  IssuedCertificate,
  RevocationAuthority,
} from '../app/ports.js';
import type { CrlStore } from './crl-store.js';
import { decode, integer, TAG } from './der.js';
import { sm2PublicKeyPoint, verifySm2Csr } from './sm2.js';
import {
  authorityKeyIdentifier,
  basicConstraints,
  CRL_REASON_CODES,
  dnsNames as sanValue,
  extendedKeyUsage,
  extension,
  fromPem,
  KEY_USAGE,
  MAX_COMMON_NAME,
  publicKeySha256,
  keyIdOf,
  keyUsage,
  name,
  OID,
  readCertificate,
  readCrl,
  readCsr,
  requestFor,
  signCertificate,
  signCrl as signCrlDer,
  subjectFor,
  subjectKeyIdentifier,
  toPem,
  verifyCsrSignature,
  type ParsedCrl,
  type ParsedCsr,
  type Signer,
} from './x509.js';

const generateKeyPairAsync = promisify(generateKeyPair);

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

const CA_SUBJECT = name([
  [OID.commonName, 'certrevoke Local CA'],
  [OID.organization, 'certrevoke'],
]);
const CA_VALIDITY_YEARS = 10;
/** EC curves the CA signs with or accepts in a CSR, by Node's name, with the hash the CA signs with. */
const CURVES: Record<string, { hash: Signer['hash'] }> = {
  prime256v1: { hash: 'sha256' },
  secp384r1: { hash: 'sha384' },
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
/** The RFC 5280 CRLReason codes a subscriber may give (RULES.md). */
const CRL_REASONS: ReadonlySet<string> = new Set<CrlEntry['reasonCode']>([
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
]);

interface LoadedCa {
  /** The CA's subject, DER: the issuer of its leaves and CRLs. */
  subject: Uint8Array;
  pem: string;
  signer: Signer;
  /** Key identifier of the CA: the leaves' AuthorityKeyIdentifier. */
  keyId: Uint8Array;
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
    const csrDer = request.csrPem === undefined ? await createCsr(names) : verifiedCsr(request.csrPem).der;
    const { spki } = readCsr(csrDer);
    const subjectKey = describeSubjectKey(spki);
    const serialHex = randomSerialHex();
    const hasCommonName = names[0]!.length <= MAX_COMMON_NAME;
    const leaf = signCertificate(
      {
        serialHex,
        issuer: ca.subject,
        subject: subjectFor(names[0]!),
        notBefore: request.notBefore,
        notAfter: request.notAfter,
        spki,
        extensions: [
          extension(OID.basicConstraints, true, basicConstraints(false)),
          // keyEncipherment is RSA key transport; EC and SM2 keys only sign (ECDHE/ECC key exchange).
          extension(
            OID.keyUsage,
            true,
            keyUsage(subjectKey === 'rsa' ? [KEY_USAGE.digitalSignature, KEY_USAGE.keyEncipherment] : [KEY_USAGE.digitalSignature]),
          ),
          extension(OID.extendedKeyUsage, false, extendedKeyUsage(OID.serverAuth)),
          // RFC 5280 4.2.1.6: with an empty subject the SAN must be critical.
          extension(OID.subjectAltName, !hasCommonName, sanValue(names)),
          extension(OID.subjectKeyIdentifier, false, subjectKeyIdentifier(keyIdOf(spki))),
          extension(OID.authorityKeyIdentifier, false, authorityKeyIdentifier(ca.keyId)),
        ],
      },
      ca.signer,
    );
    const pem = toPem(leaf, 'CERTIFICATE');
    return {
      pem,
      chainPem: pem + ca.pem,
      serialNumber: serialHex.toUpperCase(),
      csrPem: toPem(csrDer, 'CERTIFICATE REQUEST'),
      publicKeySha256: publicKeySha256(spki),
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
      const listed = new Set(crl.serials.map(canonicalSerial));
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
  private async signUntil(crlStore: CrlStore, isCurrent: (crl: ParsedCrl) => boolean): Promise<Uint8Array> {
    for (let attempt = 1; ; attempt += 1) {
      const stored = await crlStore.loadCrl();
      if (stored !== undefined && isCurrent(readCrl(stored.der))) return stored.der;
      const entries = await crlStore.listEntries();
      const crlNumber = (stored?.crlNumber ?? 0) + 1;
      const der = signCrl(await this.loadCa(), entries, crlNumber, this.clock());
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
    const existing = await this.store.load();
    const ca = importCa(existing ?? (await this.store.saveIfAbsent(await createCaMaterial())));
    // A CA created here is published at once: the public routes read only what is published.
    if (existing === undefined) await this.crlStore?.saveCaCertificate(ca.pem);
    return ca;
  }
}

/**
 * SHA-256 of the public key (DER SubjectPublicKeyInfo) of a PKCS#10 request, base64url: the
 * `publicKeySha256` a certificate issued for that request carries. Does not check the signature.
 */
export function csrPublicKeySha256(csrPem: string): string {
  return publicKeySha256(parseCsr(csrPem).csr.spki);
}

async function createCaMaterial(): Promise<CaMaterial> {
  const { publicKey, privateKey } = await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  // An hour back so a machine whose clock runs slightly behind still accepts the CA.
  const notBefore = new Date(Date.now() - 60 * 60 * 1000);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + CA_VALIDITY_YEARS);
  const certificate = signCertificate(
    {
      serialHex: randomSerialHex(),
      issuer: CA_SUBJECT,
      subject: CA_SUBJECT,
      notBefore,
      notAfter,
      spki,
      extensions: [
        extension(OID.basicConstraints, true, basicConstraints(true)),
        extension(OID.keyUsage, true, keyUsage([KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
        extension(OID.subjectKeyIdentifier, false, subjectKeyIdentifier(keyIdOf(spki))),
      ],
    },
    { key: privateKey, hash: 'sha256' },
  );
  return {
    certificatePem: toPem(certificate, 'CERTIFICATE'),
    privateKeyPkcs8Pem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  };
}

function importCa(material: CaMaterial): LoadedCa {
  const der = fromPem(material.certificatePem, ['CERTIFICATE']);
  if (der === undefined) throw new Error('The stored CA certificate is not a PEM certificate.');
  const certificate = readCertificate(der);
  const privateKey = createPrivateKey(material.privateKeyPkcs8Pem);
  const curve = CURVES[privateKey.asymmetricKeyDetails?.namedCurve ?? ''];
  if (privateKey.asymmetricKeyType !== 'ec' || curve === undefined) {
    throw new Error('The stored CA key must be an ECDSA P-256 or P-384 key.');
  }
  // A store holding a certificate and a key that do not belong together would sign leaves
  // that never verify: refuse it at load rather than issue broken certificates.
  const derivedSpki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!derivedSpki.equals(certificate.spki)) {
    throw new Error('The stored CA private key does not match the stored CA certificate.');
  }
  const ski = certificate.extensions.find((e) => e.type === OID.subjectKeyIdentifier);
  return {
    subject: certificate.subject,
    pem: toPem(der, 'CERTIFICATE'),
    signer: { key: privateKey, hash: curve.hash },
    keyId: ski === undefined ? keyIdOf(certificate.spki) : decode(ski.value, TAG.octetString).content,
  };
}

/**
 * A v2 CRL over `entries`: issuer the CA, valid for {@link CRL_VALIDITY_MS} from `now`, with the
 * cRLNumber and AuthorityKeyIdentifier extensions RFC 5280 5.2 requires of a conforming CA.
 */
function signCrl(ca: LoadedCa, entries: CrlEntry[], crlNumber: number, now: Date): Uint8Array {
  if (Number.isNaN(now.getTime())) throw new Error('The clock returned an invalid date.');
  if (!Number.isSafeInteger(crlNumber) || crlNumber < 0) throw new Error(`${crlNumber} is not a valid CRL number.`);
  return signCrlDer(
    {
      issuer: ca.subject,
      thisUpdate: now,
      nextUpdate: new Date(now.getTime() + CRL_VALIDITY_MS),
      extensions: [
        extension(OID.authorityKeyIdentifier, false, authorityKeyIdentifier(ca.keyId)),
        extension(OID.crlNumber, false, integer(crlNumber)),
      ],
      entries: entries.map((entry) => ({
        serialHex: entry.serialNumber,
        revokedAt: entry.revokedAt,
        // RFC 5280 5.3.1: the reasonCode extension SHOULD be absent rather than `unspecified`.
        reason: entry.reasonCode === 'unspecified' ? undefined : CRL_REASON_CODES[entry.reasonCode],
      })),
    },
    ca.signer,
  );
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
async function createCsr(names: string[]): Promise<Uint8Array> {
  const { publicKey, privateKey } = await generateKeyPairAsync('ec', { namedCurve: 'prime256v1' });
  return requestFor(names, publicKey.export({ type: 'spki', format: 'der' }), { key: privateKey, hash: 'sha256' });
}

function parseCsr(csrPem: string): { der: Uint8Array; csr: ParsedCsr } {
  const der = fromPem(csrPem, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
  try {
    if (der !== undefined) return { der, csr: readCsr(der) };
  } catch {
    // Not DER of a request: the same answer as no PEM block.
  }
  throw new InvalidRequestError('CSR_INVALID', 'The CSR is not a PEM-encoded PKCS#10 certificate request.');
}

/** The subscriber's CSR, once its signature proves possession of the key it carries (SM2 included). */
function verifiedCsr(csrPem: string): { der: Uint8Array; csr: ParsedCsr } {
  const parsed = parseCsr(csrPem);
  const valid = isSm2Key(parsed.csr.spki) ? verifySm2Csr(parsed.der) : verifyCsrSignature(parsed.csr) === true;
  if (!valid) throw new InvalidRequestError('CSR_INVALID', 'The CSR signature does not verify with its public key.');
  return parsed;
}

function isSm2Key(spki: Uint8Array): boolean {
  return sm2PublicKeyPoint(spki) !== undefined;
}

/**
 * Accepts the keys browsers trust for TLS, and SM2 (issue 5); tells RSA apart because it also gets
 * keyEncipherment.
 */
function describeSubjectKey(spki: Uint8Array): 'ec' | 'rsa' | 'sm2' {
  if (isSm2Key(spki)) return 'sm2';
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType === 'ec' && CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] !== undefined) return 'ec';
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS) return 'rsa';
  throw new InvalidRequestError(
    'CSR_INVALID',
    `The CSR key must be ECDSA P-256 or P-384, SM2, or RSA of at least ${MIN_RSA_BITS} bits.`,
  );
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
