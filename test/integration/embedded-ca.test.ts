import { execFileSync } from 'node:child_process';
import { X509Certificate, createHash, createPublicKey } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { X509CsrToolkit } from '../../lib/adapters/csr-toolkit.js';
import { EmbeddedCa, csrPublicKeySha256 } from '../../lib/adapters/embedded-ca.js';
import { FileCaKeyStore } from '../../lib/adapters/file-ca-key-store.js';
import type { IssueRequest } from '../../lib/app/ports.js';

// Real crypto and real files: every certificate is checked by openssl, not by the code that made it.

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certrevoke-ca-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function openssl(...args: string[]): string {
  return execFileSync('/usr/bin/openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Writes `content` to a file in the test folder and returns its path. */
async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

function newCa(): EmbeddedCa {
  return new EmbeddedCa(new FileCaKeyStore(join(dir, 'ca')));
}

/** Whole seconds (X.509 times have no milliseconds), a minute back so the leaf is valid now. */
function request(overrides: Partial<IssueRequest> = {}): IssueRequest {
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000 - 60_000);
  return {
    domain: 'shop.example.com',
    sans: ['www.shop.example.com', 'shop.example.com', 'api.example.com'],
    notBefore,
    notAfter: new Date(notBefore.getTime() + 90 * 24 * 60 * 60 * 1000),
    ...overrides,
  };
}

function derOf(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}

function pemOf(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

function sha256Base64Url(der: Buffer): string {
  return createHash('sha256').update(der).digest('base64url');
}

/** A subscriber CSR made by openssl with its own key, as a customer would. */
async function opensslCsr(name: string, key: string[], subject = '/CN=shop.example.com'): Promise<string> {
  const keyPath = join(dir, `${name}.key`);
  const csrPath = join(dir, `${name}.csr`);
  openssl('req', '-new', '-newkey', ...key, '-nodes', '-subj', subject, '-keyout', keyPath, '-out', csrPath);
  return readFile(csrPath, 'utf8');
}

const EC_P256 = ['ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];

/** The DER SubjectPublicKeyInfo of a CSR, as openssl reads it. */
async function csrSpki(csrPem: string): Promise<Buffer> {
  const publicKeyPem = openssl('req', '-in', await file('spki.csr', csrPem), '-noout', '-pubkey');
  return createPublicKey(publicKeyPem).export({ type: 'spki', format: 'der' });
}

describe('EmbeddedCa', () => {
  it('issues a leaf that openssl verifies against the CA, with the requested names, serial and dates', async () => {
    const ca = newCa();
    const wanted = request();

    const issued = await ca.issue(wanted);

    const caPem = await ca.caCertificatePem();
    const caPath = await file('ca.pem', caPem);
    const leafPath = await file('leaf.pem', issued.pem);
    expect(openssl('verify', '-CAfile', caPath, '-purpose', 'sslserver', leafPath).trim()).toBe(`${leafPath}: OK`);
    expect(openssl('x509', '-in', leafPath, '-noout', '-serial').trim()).toBe(`serial=${issued.serialNumber}`);
    expect(issued.serialNumber).toMatch(/^(0[1-9A-F]|[1-7][0-9A-F])[0-9A-F]{30}$/);

    const leaf = new X509Certificate(issued.pem);
    expect(leaf.subject).toBe('CN=shop.example.com');
    expect(leaf.subjectAltName).toBe('DNS:shop.example.com, DNS:www.shop.example.com, DNS:api.example.com');
    expect(new Date(leaf.validFrom)).toEqual(wanted.notBefore);
    expect(new Date(leaf.validTo)).toEqual(wanted.notAfter);
    expect(leaf.ca).toBe(false);
    expect(leaf.checkIssued(new X509Certificate(caPem))).toBe(true);

    const extensions = openssl('x509', '-in', leafPath, '-noout', '-ext', 'basicConstraints,keyUsage,extendedKeyUsage');
    expect(extensions).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(extensions).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(extensions).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication/);
    const keyIds = openssl('x509', '-in', leafPath, '-noout', '-ext', 'subjectKeyIdentifier,authorityKeyIdentifier');
    const caSki = openssl('x509', '-in', caPath, '-noout', '-ext', 'subjectKeyIdentifier').split('\n')[1]!.trim();
    expect(keyIds).toContain(caSki);

    expect(issued.chainPem).toBe(issued.pem + caPem);
    expect(issued.pem.endsWith('-----END CERTIFICATE-----\n')).toBe(true);
    expect(caPem.endsWith('-----END CERTIFICATE-----\n')).toBe(true);

    // The CSR made on the subscriber's behalf is genuine and carries the leaf's key.
    expect(openssl('req', '-in', await file('made.csr', issued.csrPem), '-noout', '-verify', '-subject')).toContain(
      'subject=CN = shop.example.com',
    );
    const leafSpki = leaf.publicKey.export({ type: 'spki', format: 'der' });
    expect(await csrSpki(issued.csrPem)).toEqual(leafSpki);
    expect(issued.publicKeySha256).toBe(sha256Base64Url(leafSpki));
  });

  it('creates a self-signed CA kept in ca.json with the key readable by its owner only', async () => {
    const ca = newCa();

    const caPem = await ca.caCertificatePem();

    const caCertificate = new X509Certificate(caPem);
    expect(caCertificate.subject).toBe('CN=certrevoke Local CA\nO=certrevoke');
    expect(caCertificate.ca).toBe(true);
    expect(caCertificate.verify(caCertificate.publicKey)).toBe(true);
    const years = (Date.parse(caCertificate.validTo) - Date.parse(caCertificate.validFrom)) / (365.25 * 86_400_000);
    expect(years).toBeCloseTo(10, 1);
    const extensions = openssl('x509', '-in', await file('ca.pem', caPem), '-noout', '-ext', 'basicConstraints,keyUsage');
    expect(extensions).toMatch(/Basic Constraints: critical\s+CA:TRUE/);
    expect(extensions).toMatch(/Key Usage: critical\s+Certificate Sign, CRL Sign/);
    expect(await readFile(join(dir, 'ca', 'ca.pem'), 'utf8')).toBe(caPem);
    for (const name of ['ca.json', 'ca-key.pem']) {
      expect((await stat(join(dir, 'ca', name))).mode & 0o777).toBe(0o600);
    }
  });

  it('issues for a wildcard domain that openssl accepts for a host under it', async () => {
    const ca = newCa();

    const issued = await ca.issue(request({ domain: '*.example.com', sans: ['example.com'] }));

    const leaf = new X509Certificate(issued.pem);
    expect(leaf.subject).toBe('CN=*.example.com');
    expect(leaf.subjectAltName).toBe('DNS:*.example.com, DNS:example.com');
    const caPath = await file('ca.pem', await ca.caCertificatePem());
    const leafPath = await file('leaf.pem', issued.pem);
    expect(openssl('verify', '-CAfile', caPath, '-verify_hostname', 'shop.example.com', leafPath).trim()).toBe(
      `${leafPath}: OK`,
    );
  });

  it("signs a subscriber CSR's own public key and reports that key's hash", async () => {
    const ca = newCa();
    const csrPem = await opensslCsr('subscriber', EC_P256);

    const issued = await ca.issue(request({ csrPem }));

    const csrKey = await csrSpki(csrPem);
    expect(new X509Certificate(issued.pem).publicKey.export({ type: 'spki', format: 'der' })).toEqual(csrKey);
    expect(issued.publicKeySha256).toBe(sha256Base64Url(csrKey));
    expect(derOf(issued.csrPem)).toEqual(derOf(csrPem));
    const caPath = await file('ca.pem', await ca.caCertificatePem());
    const leafPath = await file('leaf.pem', issued.pem);
    expect(openssl('verify', '-CAfile', caPath, leafPath).trim()).toBe(`${leafPath}: OK`);
  });

  it('adds keyEncipherment to the key usage of an RSA key', async () => {
    const ca = newCa();
    const csrPem = await opensslCsr('rsa', ['rsa:2048']);

    const issued = await ca.issue(request({ csrPem }));

    const leafPath = await file('leaf.pem', issued.pem);
    expect(openssl('x509', '-in', leafPath, '-noout', '-ext', 'keyUsage')).toMatch(
      /Key Usage: critical\s+Digital Signature, Key Encipherment/,
    );
  });

  it('certifies the SM2 key of a CSR the toolkit made, signing the leaf with its own ECDSA key', async () => {
    const ca = newCa();
    const generated = await new X509CsrToolkit().generate({ domain: 'sm2.example.com', algorithm: 'SM2' });

    const issued = await ca.issue(request({ domain: 'sm2.example.com', sans: [], csrPem: generated.csrPem }));

    const caPath = await file('ca.pem', await ca.caCertificatePem());
    const leafPath = await file('leaf.pem', issued.pem);
    expect(openssl('verify', '-CAfile', caPath, leafPath).trim()).toBe(`${leafPath}: OK`);
    const keyPath = await file('sm2.key', generated.privateKeyPem);
    const leafKey = openssl('x509', '-in', leafPath, '-noout', '-pubkey');
    expect(leafKey).toBe(openssl('pkey', '-in', keyPath, '-pubout'));
    const text = openssl('x509', '-in', leafPath, '-noout', '-text');
    expect(text).toMatch(/ASN1 OID: SM2/);
    expect(text).toMatch(/Signature Algorithm: ecdsa-with-SHA256/);
    expect(openssl('x509', '-in', leafPath, '-noout', '-ext', 'keyUsage')).toMatch(/Key Usage: critical\s+Digital Signature\n/);
    expect(issued.publicKeySha256).toBe(await csrPublicKeySha256(generated.csrPem));
    expect(issued.publicKeySha256).toBe(generated.publicKeySha256);
    expect(derOf(issued.csrPem)).toEqual(derOf(generated.csrPem));
  });

  it('refuses an SM2 CSR whose content was altered after signing', async () => {
    const ca = newCa();
    const generated = await new X509CsrToolkit().generate({ domain: 'sm2.example.com', algorithm: 'SM2' });
    const signed = derOf(generated.csrPem);
    const tampered = Buffer.from(signed);
    tampered.write('evil', signed.indexOf('sm2.example'), 'latin1');

    await expect(
      ca.issue(request({ domain: 'evil.example.com', sans: [], csrPem: pemOf(tampered, 'CERTIFICATE REQUEST') })),
    ).rejects.toMatchObject({ code: 'CSR_INVALID', message: 'The CSR signature does not verify with its public key.' });
  });

  it('refuses a CSR whose public key is not the key that signed it', async () => {
    const ca = newCa();
    const signed = derOf(await opensslCsr('signer', EC_P256));
    const signerKey = await csrSpki(pemOf(signed, 'CERTIFICATE REQUEST'));
    const otherKey = await csrSpki(await opensslCsr('other', EC_P256));
    // Same curve, same length: swap the SubjectPublicKeyInfo and keep the signer's signature.
    const forged = Buffer.from(signed);
    otherKey.copy(forged, signed.indexOf(signerKey));

    await expect(ca.issue(request({ csrPem: pemOf(forged, 'CERTIFICATE REQUEST') }))).rejects.toMatchObject({
      code: 'CSR_INVALID',
      message: 'The CSR signature does not verify with its public key.',
    });
  });

  it('refuses a CSR whose content was altered after signing', async () => {
    const ca = newCa();
    const signed = derOf(await opensslCsr('tampered', EC_P256));
    const tampered = Buffer.from(signed);
    tampered.write('evil', signed.indexOf('shop'), 'latin1');

    await expect(ca.issue(request({ csrPem: pemOf(tampered, 'CERTIFICATE REQUEST') }))).rejects.toThrow(
      'The CSR signature does not verify with its public key.',
    );
  });

  it('refuses text that is not a CSR and a key too weak to certify', async () => {
    const ca = newCa();

    await expect(ca.issue(request({ csrPem: 'not a csr' }))).rejects.toThrow(/not a PEM-encoded PKCS#10/);
    const weak = await opensslCsr('weak', ['rsa:1024']);
    await expect(ca.issue(request({ csrPem: weak }))).rejects.toThrow(/RSA of at least 2048 bits/);
  });

  it('refuses a validity period that ends before it starts', async () => {
    const ca = newCa();
    const notBefore = new Date('2026-06-01T00:00:00Z');

    await expect(ca.issue(request({ notBefore, notAfter: notBefore }))).rejects.toThrow(
      'notAfter must be later than notBefore.',
    );
  });

  it('leaves the CN out, with a critical SAN, when the domain is longer than a CN may be', async () => {
    const ca = newCa();
    const domain = `${'a'.repeat(60)}.example.com`;

    const issued = await ca.issue(request({ domain, sans: [] }));

    expect(new X509Certificate(issued.pem).subjectAltName).toBe(`DNS:${domain}`);
    const leafPath = await file('leaf.pem', issued.pem);
    expect(openssl('x509', '-in', leafPath, '-noout', '-subject').trim()).toBe('subject=');
    expect(openssl('x509', '-in', leafPath, '-noout', '-ext', 'subjectAltName')).toContain('critical');
    const caPath = await file('ca.pem', await ca.caCertificatePem());
    expect(openssl('verify', '-CAfile', caPath, leafPath).trim()).toBe(`${leafPath}: OK`);
  });

  it('reuses the CA stored in the folder when a second instance starts', async () => {
    const first = await newCa().caCertificatePem();

    const second = newCa();

    expect(await second.caCertificatePem()).toBe(first);
    const issued = await second.issue(request());
    const caPath = await file('ca.pem', first);
    const leafPath = await file('leaf.pem', issued.pem);
    expect(openssl('verify', '-CAfile', caPath, leafPath).trim()).toBe(`${leafPath}: OK`);
  });

  it('tries loading the CA again after a failed attempt', async () => {
    const ca = newCa();
    await writeFile(join(dir, 'ca'), 'a file where the CA folder should be');

    await expect(ca.caCertificatePem()).rejects.toMatchObject({ code: 'ENOTDIR' });
    await rm(join(dir, 'ca'));

    expect(await ca.caCertificatePem()).toContain('-----BEGIN CERTIFICATE-----');
  });

  it('ends with one CA when two instances start on an empty folder at once', async () => {
    const [a, b] = [newCa(), newCa()];

    const [pemA, pemB] = await Promise.all([a.caCertificatePem(), b.caCertificatePem()]);

    expect(pemB).toBe(pemA);
    expect(JSON.parse(await readFile(join(dir, 'ca', 'ca.json'), 'utf8'))).toMatchObject({ certificatePem: pemA });
    const issued = await b.issue(request());
    const leafPath = await file('leaf.pem', issued.pem);
    expect(openssl('verify', '-CAfile', await file('ca.pem', pemA), leafPath).trim()).toBe(`${leafPath}: OK`);
  });
});
