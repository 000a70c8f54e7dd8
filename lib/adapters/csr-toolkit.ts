import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import type { CsrCheck, CsrToolkit, GeneratedKey, KeyAlgorithm } from '../app/ports.js';
import { sm2PublicKeyPoint, verifySm2, verifySm2Csr } from './sm2.js';
import { fromPem, OID, publicKeySha256, readCsr, readDnsNames, readSpki, requestFor, toPem, verifyCsrSignature, type ParsedCsr, type Signer } from './x509.js';

const generateKeyPairAsync = promisify(generateKeyPair);

/** RULES/issue 5: a key password protects the downloadable key, so it must not be trivial. */
const MIN_KEY_PASSWORD = 8;
const MIN_RSA_BITS = 2048;
/** Key sizes offered per algorithm; the first is the default. */
const KEY_SIZES: Record<KeyAlgorithm, readonly number[]> = { RSA: [2048, 4096], ECC: [256, 384], SM2: [256] };
const EC_CURVES: Record<number, { namedCurve: string; hash: Signer['hash'] }> = {
  256: { namedCurve: 'prime256v1', hash: 'sha256' },
  384: { namedCurve: 'secp384r1', hash: 'sha384' },
};
/** Node's curve names of the EC keys a CSR may carry → how the check describes them. */
const ACCEPTED_CURVES: Record<string, string> = { prime256v1: 'ECC P-256', secp384r1: 'ECC P-384' };
const NOT_A_CSR = 'The CSR is not a PEM-encoded PKCS#10 certificate request.';
const BAD_SIGNATURE = 'The CSR signature does not verify with its public key.';
const UNKNOWN_SIGNATURE =
  'The CSR is signed with an algorithm we do not check; sign it with RSA (PKCS#1 v1.5) or ECDSA over SHA-256, SHA-384 or SHA-512, or with SM2.';

interface SubjectKey {
  kind: 'rsa' | 'ec' | 'sm2';
  description: string;
}

/**
 * Makes key pairs and CSRs for the `generate` reissue mode and checks pasted CSRs for `paste`.
 * Keys are made and requests signed by Node (OpenSSL), the requests encoded by ./x509.ts.
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
    const { csrDer, spki, privateKey } =
      input.algorithm === 'SM2' ? await createSm2Csr(domain) : await createCsr(domain, input.algorithm, keySize);
    const csrPem = toPem(csrDer, 'CERTIFICATE REQUEST');
    const privateKeyPem = privateKey.export(
      input.keyPassword === undefined
        ? { type: 'pkcs8', format: 'pem' }
        : { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: input.keyPassword },
    ) as string;
    return { csrPem, privateKeyPem, publicKeySha256: publicKeySha256(spki) };
  }

  async check(csrPem: string, domain: string): Promise<CsrCheck> {
    if (/-----BEGIN (X509 |TRUSTED )?CERTIFICATE-----/.test(csrPem)) {
      return { ok: false, reason: 'This is a certificate, not a certificate signing request (CSR).' };
    }
    const der = fromPem(csrPem, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
    let csr: ParsedCsr;
    try {
      if (der === undefined) return { ok: false, reason: NOT_A_CSR };
      csr = readCsr(der);
    } catch {
      return { ok: false, reason: NOT_A_CSR };
    }
    const key = describeKey(csr.spki);
    if ('reason' in key) return { ok: false, reason: key.reason };
    const verified = key.kind === 'sm2' ? verifySm2Csr(der) : verifyCsrSignature(csr);
    if (verified === undefined) return { ok: false, reason: UNKNOWN_SIGNATURE };
    if (!verified) return { ok: false, reason: BAD_SIGNATURE };
    const wanted = normalizeDomain(domain);
    const names = requestedNames(csr);
    // Plain equality, so a wildcard matches only the same wildcard, never a name under it.
    if (!names.includes(wanted)) {
      const found = names.length === 0 ? 'no name' : names.join(', ');
      return { ok: false, reason: `The CSR names ${found}; its CN or a subjectAltName must be ${wanted}.` };
    }
    return { ok: true, publicKeySha256: publicKeySha256(csr.spki), keyDescription: key.description };
  }
}

interface MadeCsr {
  csrDer: Uint8Array;
  spki: Uint8Array;
  privateKey: KeyObject;
}

async function createCsr(domain: string, algorithm: 'RSA' | 'ECC', keySize: number): Promise<MadeCsr> {
  const curve = EC_CURVES[keySize];
  const { publicKey, privateKey } =
    algorithm === 'RSA'
      ? await generateKeyPairAsync('rsa', { modulusLength: keySize, publicExponent: 0x10001 })
      : await generateKeyPairAsync('ec', { namedCurve: curve!.namedCurve });
  const spki = publicKey.export({ type: 'spki', format: 'der' });
  const csrDer = requestFor([domain], spki, { key: privateKey, hash: algorithm === 'RSA' ? 'sha256' : curve!.hash });
  return { csrDer, spki, privateKey };
}

/**
 * An SM2 key and a CSR signed SM2-with-SM3. The signature uses OpenSSL's convention (an empty
 * distinguishing identifier), which `openssl req -verify` 3.0 expects; {@link verifySm2Csr}
 * also accepts the GM/T default identifier other tools use.
 */
async function createSm2Csr(domain: string): Promise<MadeCsr> {
  const generated = (await generateKeyPairAsync('ec', { namedCurve: 'SM2' })).privateKey;
  // Node labels a generated SM2 key a plain EC key and would sign ECDSA-with-SM3 with it;
  // re-imported, OpenSSL knows it as an SM2 key and signs SM2, as the OID promises.
  const privateKey = createPrivateKey({
    key: generated.export({ type: 'pkcs8', format: 'der' }),
    format: 'der',
    type: 'pkcs8',
  });
  const spki = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const csrDer = requestFor([domain], spki, { key: privateKey, hash: 'sm3' });
  // Guards the re-import above: a Node that signed anything but SM2 would yield CSRs no one verifies.
  const { tbs, signature } = readCsr(csrDer);
  if (!verifySm2(tbs, readSpki(spki).publicKey, signature, new Uint8Array(0))) {
    throw new Error('This Node.js does not produce SM2 signatures that verify; SM2 keys cannot be generated.');
  }
  return { csrDer, spki, privateKey };
}

/** The policy of issue 5: RSA ≥ 2048 bits, EC P-256 or P-384, or SM2. */
function describeKey(spkiDer: Uint8Array): SubjectKey | { reason: string } {
  if (sm2PublicKeyPoint(spkiDer) !== undefined) return { kind: 'sm2', description: 'SM2' };
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

/** The subject's CNs and the DNS subjectAltNames, lower-cased. */
function requestedNames(csr: ParsedCsr): string[] {
  const names = [...csr.commonNames];
  for (const extension of csr.extensions) {
    if (extension.type === OID.subjectAltName) names.push(...readDnsNames(extension.value));
  }
  return [...new Set(names.map(normalizeDomain))];
}

function normalizeDomain(domain: string): string {
  return domain.trim().toLowerCase();
}
