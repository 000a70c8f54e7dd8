import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, webcrypto, type KeyObject } from 'node:crypto';
import type * as X509 from '@peculiar/x509';
import type { CsrCheck, CsrToolkit, GeneratedKey, KeyAlgorithm } from '../app/ports.js';
import { csrPublicKeySha256 } from './embedded-ca.js';
import { SM2_WITH_SM3_OID, sm2PublicKeyPoint, verifySm2, verifySm2Csr } from './sm2.js';
import { loadAsn1, loadX509, type X509Module } from './x509-module.js';

/** RULES/issue 5: a key password protects the downloadable key, so it must not be trivial. */
const MIN_KEY_PASSWORD = 8;
const MIN_RSA_BITS = 2048;
/** RFC 5280 ub-common-name: a longer domain goes in the SAN only. */
const MAX_COMMON_NAME = 64;
const SUBJECT_ALT_NAME_OID = '2.5.29.17';
const COMMON_NAME_OID = '2.5.4.3';
/** PKCS#9 extensionRequest: the CSR attribute that carries the requested extensions. */
const EXTENSION_REQUEST_OID = '1.2.840.113549.1.9.14';
/** Key sizes offered per algorithm; the first is the default. */
const KEY_SIZES: Record<KeyAlgorithm, readonly number[]> = { RSA: [2048, 4096], ECC: [256, 384], SM2: [256] };
const EC_CURVES: Record<number, { namedCurve: string; hash: string }> = {
  256: { namedCurve: 'P-256', hash: 'SHA-256' },
  384: { namedCurve: 'P-384', hash: 'SHA-384' },
};
/** Node's curve names of the EC keys a CSR may carry → how the check describes them. */
const ACCEPTED_CURVES: Record<string, string> = { prime256v1: 'ECC P-256', secp384r1: 'ECC P-384' };
const NOT_A_CSR = 'The CSR is not a PEM-encoded PKCS#10 certificate request.';
const BAD_SIGNATURE = 'The CSR signature does not verify with its public key.';

interface SubjectKey {
  kind: 'rsa' | 'ec' | 'sm2';
  description: string;
}

/**
 * Makes key pairs and CSRs for the `generate` reissue mode and checks pasted CSRs for `paste`.
 * RSA and ECC go through WebCrypto and @peculiar/x509; SM2, which neither supports, is signed by
 * Node (OpenSSL) and encoded with the @peculiar/asn1-* schemas.
 */
export class X509CsrToolkit implements CsrToolkit {
  async generate(input: {
    domain: string;
    algorithm: KeyAlgorithm;
    keySize?: number;
    keyPassword?: string;
  }): Promise<GeneratedKey> {
    const domain = normalizeDomain(input.domain);
    if (domain.length === 0) throw new Error('The domain must not be empty.');
    if (input.keyPassword !== undefined && input.keyPassword.length < MIN_KEY_PASSWORD) {
      throw new Error(`The key password must be at least ${MIN_KEY_PASSWORD} characters long.`);
    }
    const sizes = KEY_SIZES[input.algorithm];
    if (sizes === undefined) throw new Error(`${String(input.algorithm)} is not a supported key algorithm.`);
    const keySize = input.keySize ?? sizes[0]!;
    if (!sizes.includes(keySize)) {
      throw new Error(`${input.algorithm} keys are ${sizes.join(' or ')} bits, not ${keySize}.`);
    }
    const x509 = await loadX509();
    const { csrDer, privateKey } =
      input.algorithm === 'SM2' ? await createSm2Csr(domain) : await createWebCryptoCsr(x509, domain, input.algorithm, keySize);
    const csrPem = pemOf(x509, csrDer, 'CERTIFICATE REQUEST');
    const privateKeyPem = privateKey.export(
      input.keyPassword === undefined
        ? { type: 'pkcs8', format: 'pem' }
        : { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: input.keyPassword },
    ) as string;
    return { csrPem, privateKeyPem, publicKeySha256: await csrPublicKeySha256(csrPem) };
  }

  async check(csrPem: string, domain: string): Promise<CsrCheck> {
    if (/-----BEGIN (X509 |TRUSTED )?CERTIFICATE-----/.test(csrPem)) {
      return { ok: false, reason: 'This is a certificate, not a certificate signing request (CSR).' };
    }
    const x509 = await loadX509();
    const der = csrDer(csrPem);
    let csr: X509.Pkcs10CertificateRequest;
    try {
      if (der === undefined) return { ok: false, reason: NOT_A_CSR };
      csr = new x509.Pkcs10CertificateRequest(der);
    } catch {
      return { ok: false, reason: NOT_A_CSR };
    }
    const key = await describeKey(new Uint8Array(csr.publicKey.rawData));
    if ('reason' in key) return { ok: false, reason: key.reason };
    if (!(await signatureVerifies(csr, der, key))) return { ok: false, reason: BAD_SIGNATURE };
    const wanted = normalizeDomain(domain);
    const names = requestedNames(x509, csr);
    // Plain equality, so a wildcard matches only the same wildcard, never a name under it.
    if (!names.includes(wanted)) {
      const found = names.length === 0 ? 'no name' : names.join(', ');
      return { ok: false, reason: `The CSR names ${found}; its CN or a subjectAltName must be ${wanted}.` };
    }
    return { ok: true, publicKeySha256: await csrPublicKeySha256(csrPem), keyDescription: key.description };
  }
}

async function createWebCryptoCsr(
  x509: X509Module,
  domain: string,
  algorithm: 'RSA' | 'ECC',
  keySize: number,
): Promise<{ csrDer: ArrayBuffer; privateKey: KeyObject }> {
  const params =
    algorithm === 'RSA'
      ? {
          name: 'RSASSA-PKCS1-v1_5',
          modulusLength: keySize,
          publicExponent: new Uint8Array([1, 0, 1]),
          hash: 'SHA-256',
        }
      : { name: 'ECDSA', ...EC_CURVES[keySize]! };
  const keys = (await webcrypto.subtle.generateKey(params, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair;
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: domain.length <= MAX_COMMON_NAME ? [{ CN: [domain] }] : [],
    keys,
    signingAlgorithm: params,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: domain }])],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  return { csrDer: csr.rawData, privateKey: createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }) };
}

/**
 * An SM2 key and a CSR signed SM2-with-SM3. The signature uses OpenSSL's convention (an empty
 * distinguishing identifier), which `openssl req -verify` 3.0 expects; {@link verifySm2Csr}
 * also accepts the GM/T default identifier other tools use.
 */
async function createSm2Csr(domain: string): Promise<{ csrDer: ArrayBuffer; privateKey: KeyObject }> {
  const { schema, csr, x509: asn } = await loadAsn1();
  const generated = generateKeyPairSync('ec', { namedCurve: 'SM2' }).privateKey;
  // Node labels a generated SM2 key a plain EC key and would sign ECDSA-with-SM3 with it;
  // re-imported, OpenSSL knows it as an SM2 key and signs SM2, as the OID promises.
  const privateKey = createPrivateKey({
    key: generated.export({ type: 'pkcs8', format: 'der' }),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = schema.AsnConvert.parse(createPublicKey(privateKey).export({ type: 'spki', format: 'der' }), asn.SubjectPublicKeyInfo);
  const subject = new asn.Name(
    domain.length <= MAX_COMMON_NAME
      ? [
          new asn.RelativeDistinguishedName([
            new asn.AttributeTypeAndValue({ type: COMMON_NAME_OID, value: new asn.AttributeValue({ utf8String: domain }) }),
          ]),
        ]
      : [],
  );
  const san = new asn.SubjectAlternativeName([new asn.GeneralName({ dNSName: domain })]);
  const extensions = new asn.Extensions([
    new asn.Extension({
      extnID: SUBJECT_ALT_NAME_OID,
      critical: false,
      extnValue: new schema.OctetString(schema.AsnConvert.serialize(san)),
    }),
  ]);
  const info = new csr.CertificationRequestInfo({
    version: 0,
    subject,
    subjectPKInfo: spki,
    attributes: new csr.Attributes([
      new asn.Attribute({ type: EXTENSION_REQUEST_OID, values: [schema.AsnConvert.serialize(extensions)] }),
    ]),
  });
  const tbs = new Uint8Array(schema.AsnConvert.serialize(info));
  const signature = sign('sm3', tbs, privateKey);
  // Guards the re-import above: a Node that signed anything but SM2 would yield CSRs no one verifies.
  if (!verifySm2(tbs, new Uint8Array(spki.subjectPublicKey), signature, new Uint8Array(0))) {
    throw new Error('This Node.js does not produce SM2 signatures that verify; SM2 keys cannot be generated.');
  }
  const request = new csr.CertificationRequest({
    certificationRequestInfo: info,
    signatureAlgorithm: new asn.AlgorithmIdentifier({ algorithm: SM2_WITH_SM3_OID }),
    // A copy: a Buffer may be a view into a larger pooled ArrayBuffer.
    signature: new Uint8Array(signature).buffer,
  });
  return { csrDer: schema.AsnConvert.serialize(request), privateKey };
}

/** The policy of issue 5: RSA ≥ 2048 bits, EC P-256 or P-384, or SM2. */
async function describeKey(spkiDer: Uint8Array): Promise<SubjectKey | { reason: string }> {
  if ((await sm2PublicKeyPoint(spkiDer)) !== undefined) return { kind: 'sm2', description: 'SM2' };
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(spkiDer), format: 'der', type: 'spki' });
  } catch {
    return { reason: 'The CSR key is of an unknown type; use RSA (2048 bits or more), ECC P-256/P-384 or SM2.' };
  }
  if (key.asymmetricKeyType === 'rsa') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) {
      return { reason: `The CSR key is RSA ${bits}; RSA keys must have at least ${MIN_RSA_BITS} bits.` };
    }
    return { kind: 'rsa', description: `RSA ${bits}` };
  }
  if (key.asymmetricKeyType === 'ec') {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? 'unknown';
    const description = ACCEPTED_CURVES[curve];
    if (description === undefined) {
      return { reason: `The CSR key is on the EC curve ${curve}; only P-256, P-384 and SM2 are accepted.` };
    }
    return { kind: 'ec', description };
  }
  return {
    reason: `The CSR key is ${key.asymmetricKeyType ?? 'of an unknown type'}; use RSA (2048 bits or more), ECC P-256/P-384 or SM2.`,
  };
}

/** Proof of possession: the request's signature verifies with the key it carries. */
async function signatureVerifies(csr: X509.Pkcs10CertificateRequest, der: Uint8Array, key: SubjectKey): Promise<boolean> {
  if (key.kind === 'sm2') return verifySm2Csr(der);
  try {
    return await csr.verify();
  } catch {
    return false;
  }
}

/** The subject's CNs and the DNS subjectAltNames, lower-cased. */
function requestedNames(x509: X509Module, csr: X509.Pkcs10CertificateRequest): string[] {
  const names = csr.subjectName.getField('CN');
  for (const extension of csr.extensions) {
    if (extension.type !== SUBJECT_ALT_NAME_OID) continue;
    const san = new x509.SubjectAlternativeNameExtension(extension.rawData);
    names.push(...san.names.items.filter((name) => name.type === 'dns').map((name) => name.value));
  }
  return [...new Set(names.map(normalizeDomain))];
}

/** The DER inside the one PEM block of a CSR; undefined when there is none. */
function csrDer(pem: string): Uint8Array | undefined {
  const match = /-----BEGIN (NEW )?CERTIFICATE REQUEST-----([A-Za-z0-9+/=\s]+)-----END (NEW )?CERTIFICATE REQUEST-----/.exec(pem);
  if (match === null) return undefined;
  const der = Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64');
  return der.length === 0 ? undefined : new Uint8Array(der);
}

function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase();
}

function pemOf(x509: X509Module, der: ArrayBuffer, label: string): string {
  const pem = x509.PemConverter.encode(der, label);
  return pem.endsWith('\n') ? pem : `${pem}\n`;
}
