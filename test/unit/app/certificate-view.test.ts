import { describe, expect, it } from 'vitest';
import { toCertificateView } from '../../../lib/app/certificates.js';
import type { Certificate } from '../../../lib/app/model.js';
import { CertificateSchema } from '../../../lib/app/schemas.js';
import { storedCertificate } from '../../fixtures/stored-certificates.js';

const NOW = new Date('2026-06-01T00:00:00.000Z');

/** A stored item with every internal field set, and two the code has never heard of. */
function loaded(): Certificate {
  const stored = storedCertificate({
    chainPem: '-----BEGIN CERTIFICATE-----\n…',
    csrPem: '-----BEGIN CERTIFICATE REQUEST-----\n…',
    publicKeySha256: 'ab'.repeat(32),
    reissuedCertificateIds: ['cert-2'],
    activeRevocationId: 'rev-1',
    deletedAt: '2026-05-01T00:00:00.000Z',
    version: 7,
    originalCertificateId: 'cert-0',
    enterprise: { name: 'Example Ltd', city: 'Shenzhen' },
  });
  Object.assign(stored, { gsi1pk: 'ACCOUNT#x', ttl: 123 });
  Object.assign(stored.enterprise!, { internalNote: 'not for customers' });
  return stored;
}

describe('toCertificateView', () => {
  it('has exactly the contract fields, in its order, and passes its schema', () => {
    const view = toCertificateView(loaded(), NOW);
    const contract = CertificateSchema.parse(view);
    // JSON text compared: key order included, as front ends see it.
    expect(JSON.stringify(view)).toBe(JSON.stringify(contract));
    expect(Object.keys(view)).toEqual(Object.keys(CertificateSchema.shape));
  });

  it('lets nothing internal out, at the top or inside enterprise', () => {
    const text = JSON.stringify(toCertificateView(loaded(), NOW));
    for (const internal of ['chainPem', 'csrPem', 'publicKeySha256', 'reissuedCertificateIds', 'activeRevocationId', 'deletedAt', '"version"', 'reissuesInOrder', 'gsi1pk', 'ttl', 'internalNote']) {
      expect(text).not.toContain(internal);
    }
    expect(toCertificateView(loaded(), NOW).enterprise).toEqual({ name: 'Example Ltd', city: 'Shenzhen' });
  });

  it('leaves optional fields out rather than null', () => {
    const view = toCertificateView(storedCertificate(), NOW);
    expect(view).not.toHaveProperty('enterprise');
    expect(view).not.toHaveProperty('originalCertificateId');
    expect(view.actions.download).toEqual({ allowed: false, code: expect.any(String) });
  });
});
