import { createHash, createPrivateKey, createPublicKey, randomBytes, webcrypto } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import { InvalidRequestError } from '../app/errors.js';
import type { CertificateAuthority, IssueRequest, IssuedCertificate } from '../app/ports.js';

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

type X509Module = typeof X509;
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

let x509Module: Promise<X509Module> | undefined;

/**
 * Loads @peculiar/x509 on first use: its import costs ~300 ms of cold start, which processes that
 * never sign should not pay. Since 2.x it pulls in tsyringe, which throws at import unless a
 * Reflect metadata polyfill is installed; the library only needs three functions of it, so a
 * minimal one is installed here instead of adding the reflect-metadata dependency.
 */
function loadX509(): Promise<X509Module> {
  x509Module ??= (async () => {
    installReflectMetadata();
    const x509 = await import('@peculiar/x509');
    // Node's webcrypto is the WebCrypto API; its typings differ from the DOM ones x509 names.
    x509.cryptoProvider.set(webcrypto as unknown as Parameters<X509Module['cryptoProvider']['set']>[0]);
    return x509;
  })().catch((error: unknown) => {
    x509Module = undefined;
    throw error;
  });
  return x509Module;
}

/** The subset of the Reflect Metadata API that tsyringe calls; leaves a real polyfill alone. */
function installReflectMetadata(): void {
  const reflect = Reflect as unknown as Record<string, unknown>;
  if (typeof reflect.getMetadata === 'function') return;
  const store = new WeakMap<object, Map<unknown, unknown>>();
  reflect.defineMetadata = (key: unknown, value: unknown, target: object) => {
    const own = store.get(target) ?? new Map<unknown, unknown>();
    own.set(key, value);
    store.set(target, own);
  };
  reflect.getOwnMetadata = (key: unknown, target: object) => store.get(target)?.get(key);
  reflect.getMetadata = (key: unknown, target: object) => {
    for (let t: object | null = target; t !== null; t = Object.getPrototypeOf(t) as object | null) {
      const own = store.get(t);
      if (own?.has(key)) return own.get(key);
    }
    return undefined;
  };
}

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

/**
 * A certificate authority inside the process: an ECDSA P-256 root kept in a {@link CaKeyStore},
 * created on first use when the store is empty, signing leaf certificates for validated domains.
 */
export class EmbeddedCa implements CertificateAuthority {
  private ca: Promise<LoadedCa> | undefined;

  constructor(private readonly store: CaKeyStore) {}

  async caCertificatePem(): Promise<string> {
    return (await this.loadCa()).pem;
  }

  async issue(request: IssueRequest): Promise<IssuedCertificate> {
    const names = dnsNames(request);
    checkValidity(request);
    const ca = await this.loadCa();
    const { x509 } = ca;
    const csr = request.csrPem === undefined ? await createCsr(x509, names) : await verifiedCsr(x509, request.csrPem);
    const subjectKey = describeSubjectKey(csr.publicKey.rawData);
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
    const material = (await this.store.load()) ?? (await this.store.saveIfAbsent(await createCaMaterial(x509)));
    return importCa(x509, material);
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

/** The subscriber's CSR, once its signature proves possession of the key it carries. */
async function verifiedCsr(x509: X509Module, csrPem: string): Promise<X509.Pkcs10CertificateRequest> {
  const csr = parseCsr(x509, csrPem);
  let valid: boolean;
  try {
    valid = await csr.verify();
  } catch {
    valid = false;
  }
  if (!valid) throw new InvalidRequestError('CSR_INVALID', 'The CSR signature does not verify with its public key.');
  return csr;
}

/** Accepts the keys browsers trust for TLS; tells RSA apart because it also gets keyEncipherment. */
function describeSubjectKey(spki: ArrayBuffer): 'ec' | 'rsa' {
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType === 'ec' && CURVES[key.asymmetricKeyDetails?.namedCurve ?? ''] !== undefined) return 'ec';
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= MIN_RSA_BITS) return 'rsa';
  throw new InvalidRequestError(
    'CSR_INVALID',
    `The CSR key must be ECDSA P-256 or P-384, or RSA of at least ${MIN_RSA_BITS} bits.`,
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
