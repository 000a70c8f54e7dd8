import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { X509CsrToolkit } from '../../lib/adapters/csr-toolkit.js';
import { csrPublicKeySha256 } from '../../lib/adapters/embedded-ca.js';
import type { KeyAlgorithm } from '../../lib/app/ports.js';

// Real crypto checked by the real openssl binary, never by the code that made the CSR.

const OPENSSL = '/usr/bin/openssl';
const DOMAIN = 'a.example.com';
const PASSWORD = 'correct horse';
const toolkit = new X509CsrToolkit();
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'certrevoke-csr-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function openssl(...args: string[]): string {
  return execFileSync(OPENSSL, args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `openssl req -verify` 3.0 exits 0 even when the signature fails: only its message tells. */
function opensslVerifies(csrPath: string): boolean {
  const result = spawnSync(OPENSSL, ['req', '-in', csrPath, '-verify', '-noout'], { encoding: 'utf8' });
  return `${result.stdout}${result.stderr}`.includes('verify OK');
}

async function file(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

/** A CSR made by `openssl req -new` with the given key options and extra arguments. */
function opensslCsr(keyArgs: string[], ...extra: string[]): string {
  openssl('req', '-new', ...keyArgs, '-nodes', '-keyout', 'key.pem', '-out', 'req.pem', ...extra);
  return openssl('req', '-in', 'req.pem');
}

describe('X509CsrToolkit.generate', () => {
  const cases: { algorithm: KeyAlgorithm; keySize?: number; text: RegExp }[] = [
    { algorithm: 'RSA', keySize: 2048, text: /Public-Key: \(2048 bit\)/ },
    { algorithm: 'RSA', keySize: 4096, text: /Public-Key: \(4096 bit\)/ },
    { algorithm: 'ECC', keySize: 256, text: /NIST CURVE: P-256/ },
    { algorithm: 'ECC', keySize: 384, text: /NIST CURVE: P-384/ },
    { algorithm: 'SM2', text: /ASN1 OID: SM2/ },
  ];

  it.each(cases)('makes a $algorithm $keySize CSR openssl verifies, for a key that matches it', async ({ algorithm, keySize, text }) => {
    const generated = await toolkit.generate({ domain: DOMAIN, algorithm, keySize, keyPassword: PASSWORD });
    const csrPath = await file('req.pem', generated.csrPem);
    const keyPath = await file('key.pem', generated.privateKeyPem);

    expect(opensslVerifies(csrPath)).toBe(true);
    const description = openssl('req', '-in', csrPath, '-noout', '-text');
    expect(description).toMatch(text);
    expect(description).toContain(`Subject: CN = ${DOMAIN}`);
    expect(description).toContain(`DNS:${DOMAIN}`);
    expect(generated.privateKeyPem).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    const keyPublic = openssl('pkey', '-in', keyPath, '-passin', `pass:${PASSWORD}`, '-pubout');
    expect(keyPublic).toBe(openssl('req', '-in', csrPath, '-pubkey', '-noout'));
    expect(generated.publicKeySha256).toBe(await csrPublicKeySha256(generated.csrPem));
    await expect(toolkit.check(generated.csrPem, DOMAIN)).resolves.toMatchObject({
      ok: true,
      publicKeySha256: generated.publicKeySha256,
    });
  });

  it('returns an unencrypted PKCS#8 key when no password is given', async () => {
    const generated = await toolkit.generate({ domain: DOMAIN, algorithm: 'ECC' });
    expect(generated.privateKeyPem).toContain('-----BEGIN PRIVATE KEY-----');
    const keyPath = await file('key.pem', generated.privateKeyPem);
    expect(openssl('pkey', '-in', keyPath, '-pubout')).toBe(
      openssl('req', '-in', await file('req.pem', generated.csrPem), '-pubkey', '-noout'),
    );
  });

  it('rejects a key password when it is shorter than 8 characters', async () => {
    await expect(toolkit.generate({ domain: DOMAIN, algorithm: 'RSA', keyPassword: 'short12' })).rejects.toThrow(
      /at least 8 characters/,
    );
  });

  it('rejects a key size when the algorithm does not offer it', async () => {
    await expect(toolkit.generate({ domain: DOMAIN, algorithm: 'RSA', keySize: 1024 })).rejects.toThrow(/2048 or 4096/);
    await expect(toolkit.generate({ domain: DOMAIN, algorithm: 'ECC', keySize: 521 })).rejects.toThrow(/256 or 384/);
  });
});

describe('X509CsrToolkit.check', () => {
  const rsa2048 = ['-newkey', 'rsa:2048'];

  it('accepts an openssl CSR whose CN is the domain', async () => {
    const check = await toolkit.check(opensslCsr(rsa2048, '-subj', `/CN=${DOMAIN}`), 'A.Example.com');
    expect(check).toEqual({ ok: true, publicKeySha256: expect.any(String) as string, keyDescription: 'RSA 2048' });
  });

  it('accepts an openssl CSR whose SAN is the domain', async () => {
    const csr = opensslCsr(rsa2048, '-subj', '/O=Example', '-addext', `subjectAltName=DNS:${DOMAIN}`);
    const check = await toolkit.check(csr, DOMAIN);
    expect(check).toMatchObject({ ok: true, publicKeySha256: await csrPublicKeySha256(csr) });
  });

  it('accepts an ECC P-384 CSR', async () => {
    const csr = opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp384r1'], '-subj', `/CN=${DOMAIN}`);
    await expect(toolkit.check(csr, DOMAIN)).resolves.toMatchObject({ ok: true, keyDescription: 'ECC P-384' });
  });

  it('accepts openssl SM2 CSRs signed with the empty or the GM/T default distinguishing id', async () => {
    openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:SM2', '-out', 'sm2.pem');
    for (const sigopt of [[], ['-sigopt', 'distid:1234567812345678']]) {
      openssl('req', '-new', '-key', 'sm2.pem', '-sm3', '-subj', `/CN=${DOMAIN}`, ...sigopt, '-out', 'sm2-req.pem');
      const check = await toolkit.check(openssl('req', '-in', 'sm2-req.pem'), DOMAIN);
      expect(check).toMatchObject({ ok: true, keyDescription: 'SM2' });
    }
  });

  it('accepts a wildcard domain only when the CSR names the same wildcard', async () => {
    const csr = opensslCsr(rsa2048, '-subj', '/CN=*.example.com');
    await expect(toolkit.check(csr, '*.example.com')).resolves.toMatchObject({ ok: true });
    await expect(toolkit.check(csr, DOMAIN)).resolves.toMatchObject({ ok: false });
    const plain = opensslCsr(rsa2048, '-subj', `/CN=${DOMAIN}`);
    await expect(toolkit.check(plain, '*.example.com')).resolves.toMatchObject({ ok: false });
  });

  it('rejects a CSR when neither its CN nor its SAN is the domain', async () => {
    const csr = opensslCsr(rsa2048, '-subj', '/CN=b.example.com', '-addext', 'subjectAltName=DNS:c.example.com');
    const check = await toolkit.check(csr, DOMAIN);
    expect(check).toEqual({ ok: false, reason: expect.stringContaining('b.example.com, c.example.com') as string });
  });

  it('rejects a CSR when its RSA key has fewer than 2048 bits', async () => {
    const check = await toolkit.check(opensslCsr(['-newkey', 'rsa:1024'], '-subj', `/CN=${DOMAIN}`), DOMAIN);
    expect(check).toEqual({ ok: false, reason: expect.stringContaining('RSA 1024') as string });
  });

  it('rejects a CSR when its EC key is on P-521', async () => {
    const csr = opensslCsr(['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:secp521r1'], '-subj', `/CN=${DOMAIN}`);
    const check = await toolkit.check(csr, DOMAIN);
    expect(check).toEqual({ ok: false, reason: expect.stringContaining('secp521r1') as string });
  });

  it.each<KeyAlgorithm>(['RSA', 'ECC', 'SM2'])('rejects a %s CSR when a byte of its signature is flipped', async (algorithm) => {
    const { csrPem } = await toolkit.generate({ domain: DOMAIN, algorithm });
    const tampered = flipLastSignatureByte(csrPem);
    expect(opensslVerifies(await file('tampered.pem', tampered))).toBe(false);
    await expect(toolkit.check(tampered, DOMAIN)).resolves.toEqual({
      ok: false,
      reason: 'The CSR signature does not verify with its public key.',
    });
  });

  it('says so when a CSR is signed with an algorithm the check does not verify (RSA-PSS)', async () => {
    const csr = opensslCsr(rsa2048, '-subj', `/CN=${DOMAIN}`, '-sigopt', 'rsa_padding_mode:pss');
    expect(openssl('req', '-in', 'req.pem', '-noout', '-text')).toContain('rsassaPss');
    await expect(toolkit.check(csr, DOMAIN)).resolves.toEqual({
      ok: false,
      reason: expect.stringContaining('signed with an algorithm we do not check') as string,
    });
  });

  it('rejects garbage', async () => {
    for (const text of ['hello', '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n']) {
      await expect(toolkit.check(text, DOMAIN)).resolves.toEqual({
        ok: false,
        reason: 'The CSR is not a PEM-encoded PKCS#10 certificate request.',
      });
    }
  });

  it('rejects a certificate pasted instead of a CSR', async () => {
    openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'k.pem', '-subj', `/CN=${DOMAIN}`, '-days', '1', '-out', 'c.pem');
    const check = await toolkit.check(openssl('x509', '-in', 'c.pem'), DOMAIN);
    expect(check).toEqual({ ok: false, reason: expect.stringContaining('certificate, not a certificate signing request') as string });
  });
});

/**
 * The signature BIT STRING ends the DER, so its last byte is a signature byte; flipping a bit
 * leaves a well-formed CSR (and, for ECDSA/SM2, a well-formed signature value) that must not verify.
 */
function flipLastSignatureByte(pem: string): string {
  const body = pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const der = Buffer.from(body, 'base64');
  der.writeUInt8(der.readUInt8(der.length - 1) ^ 0x01, der.length - 1);
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE REQUEST-----\n${lines.join('\n')}\n-----END CERTIFICATE REQUEST-----\n`;
}
