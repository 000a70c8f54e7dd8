import { describe, expect, it } from 'vitest';
import {
  ALGORITHMS,
  BRANDS,
  DAY_MS,
  checkRevocation,
  isStandardGroup,
  type Algorithm,
  type Brand,
  type CertificateFacts,
  type RuleCode,
} from '../../../lib/domain/index.js';
import { NOW, certificateFacts, fromNow } from '../../fixtures/certificates.js';

/** One way to fail each revocation check of RULES.md, in the order the checks run. */
interface Failure {
  check: string;
  overrides: Partial<CertificateFacts>;
  code: RuleCode;
}

const FAILURES: Failure[] = [
  { check: '1 uploaded', overrides: { source: 'uploaded' }, code: 'NOT_PLATFORM_ISSUED' },
  { check: '2 revoking', overrides: { status: 'revoking' }, code: 'ALREADY_REVOKING' },
  { check: '2 revoked', overrides: { status: 'revoked' }, code: 'ALREADY_REVOKED' },
  { check: '3 reissuing', overrides: { status: 'reissuing' }, code: 'REISSUE_PENDING' },
  { check: '4 expired', overrides: { status: 'expired' }, code: 'CERT_EXPIRED' },
  { check: '5 reissued order', overrides: { originalCertificateId: 'cert-original' }, code: 'REVOKE_ORIGINAL_ORDER' },
  { check: '6 issued before 2020-03-25', overrides: { issuedAt: '2020-03-24T23:59:59.999Z' }, code: 'ISSUED_BEFORE_SELF_SERVICE' },
  {
    check: '7 to_be_renewed within 30 days',
    overrides: { renewalStatus: 'to_be_renewed', notAfter: fromNow(29 * DAY_MS) },
    code: 'EXPIRING_TO_BE_RENEWED',
  },
  { check: '8 domain deleted', overrides: { domainStatus: 'deleted' }, code: 'DOMAIN_DELETED_CONTACT_SUPPORT' },
];

/** Every pair of failures that can hold together (two statuses cannot), earlier one first. */
const PAIRS = FAILURES.flatMap((first, i) =>
  FAILURES.slice(i + 1)
    .filter((second) => Object.keys(second.overrides).every((k) => !(k in first.overrides)))
    .map((second) => ({
      first: first.check,
      second: second.check,
      overrides: { ...first.overrides, ...second.overrides },
      expected: first.code,
    })),
);

describe('checkRevocation', () => {
  it('allows revocation when the certificate passes every check', () => {
    expect(checkRevocation(certificateFacts(), NOW)).toEqual({ ok: true });
  });

  it.each(FAILURES)('rejects with $code when the certificate fails check $check', ({ overrides, code }) => {
    expect(checkRevocation(certificateFacts(overrides), NOW)).toMatchObject({ ok: false, code });
  });

  it('rejects with REVOKE_ORIGINAL_ORDER naming the original when the certificate is a reissue', () => {
    expect(checkRevocation(certificateFacts({ originalCertificateId: 'cert-original' }), NOW)).toEqual({
      ok: false,
      code: 'REVOKE_ORIGINAL_ORDER',
      details: { originalCertificateId: 'cert-original' },
    });
  });

  describe('order: the first failing check wins', () => {
    it.each(PAIRS)('rejects with $expected when the certificate fails both $first and $second', ({ overrides, expected }) => {
      expect(checkRevocation(certificateFacts(overrides), NOW)).toMatchObject({ ok: false, code: expected });
    });

    it('rejects with NOT_PLATFORM_ISSUED when an uploaded certificate is also revoked', () => {
      const c = certificateFacts({ source: 'uploaded', status: 'revoked' });
      expect(checkRevocation(c, NOW)).toMatchObject({ ok: false, code: 'NOT_PLATFORM_ISSUED' });
    });

    it('rejects with ALREADY_REVOKED when a revoked certificate is also past notAfter', () => {
      const c = certificateFacts({ status: 'revoked', notAfter: fromNow(-DAY_MS) });
      expect(checkRevocation(c, NOW)).toMatchObject({ ok: false, code: 'ALREADY_REVOKED' });
    });

    it('rejects with REISSUE_PENDING when a reissuing certificate is also past notAfter', () => {
      const c = certificateFacts({ status: 'reissuing', notAfter: fromNow(-DAY_MS) });
      expect(checkRevocation(c, NOW)).toMatchObject({ ok: false, code: 'REISSUE_PENDING' });
    });

    it('rejects with REVOKE_ORIGINAL_ORDER and the original id when a reissue was also issued before 2020-03-25', () => {
      const c = certificateFacts({ originalCertificateId: 'cert-original', issuedAt: '2019-12-31T00:00:00.000Z' });
      expect(checkRevocation(c, NOW)).toEqual({
        ok: false,
        code: 'REVOKE_ORIGINAL_ORDER',
        details: { originalCertificateId: 'cert-original' },
      });
    });

    it('rejects with EXPIRING_TO_BE_RENEWED when the domain is also deleted', () => {
      const c = certificateFacts({ domainStatus: 'deleted', renewalStatus: 'to_be_renewed', notAfter: fromNow(10 * DAY_MS) });
      expect(checkRevocation(c, NOW)).toMatchObject({ ok: false, code: 'EXPIRING_TO_BE_RENEWED' });
    });
  });

  describe('check 4: an issued certificate past notAfter counts as expired', () => {
    it.each([
      { when: 'notAfter equals now', notAfter: fromNow(0) },
      { when: 'notAfter is 1 ms before now', notAfter: fromNow(-1) },
      { when: 'notAfter is a year before now', notAfter: fromNow(-365 * DAY_MS) },
    ])('rejects with CERT_EXPIRED when the status is issued and $when', ({ notAfter }) => {
      expect(checkRevocation(certificateFacts({ status: 'issued', notAfter }), NOW)).toMatchObject({ ok: false, code: 'CERT_EXPIRED' });
    });

    it('allows revocation when an issued certificate has 1 ms left', () => {
      expect(checkRevocation(certificateFacts({ notAfter: fromNow(1) }), NOW)).toEqual({ ok: true });
    });
  });

  describe('check 6 boundary: self-service starts on 2020-03-25T00:00:00Z', () => {
    it('allows revocation when issuedAt is exactly 2020-03-25T00:00:00Z', () => {
      expect(checkRevocation(certificateFacts({ issuedAt: '2020-03-25T00:00:00.000Z' }), NOW)).toEqual({ ok: true });
    });

    it('rejects with ISSUED_BEFORE_SELF_SERVICE when issuedAt is 1 ms before 2020-03-25T00:00:00Z', () => {
      expect(checkRevocation(certificateFacts({ issuedAt: '2020-03-24T23:59:59.999Z' }), NOW)).toMatchObject({
        ok: false,
        code: 'ISSUED_BEFORE_SELF_SERVICE',
      });
    });
  });

  describe('check 7 boundary: less than 30 days left', () => {
    it('allows revocation when a to_be_renewed certificate has exactly 30 days left', () => {
      const c = certificateFacts({ renewalStatus: 'to_be_renewed', notAfter: fromNow(30 * DAY_MS) });
      expect(checkRevocation(c, NOW)).toEqual({ ok: true });
    });

    it('rejects with EXPIRING_TO_BE_RENEWED when a to_be_renewed certificate has 30 days minus 1 ms left', () => {
      const c = certificateFacts({ renewalStatus: 'to_be_renewed', notAfter: fromNow(30 * DAY_MS - 1) });
      expect(checkRevocation(c, NOW)).toMatchObject({ ok: false, code: 'EXPIRING_TO_BE_RENEWED' });
    });

    it('allows revocation when a certificate with 1 day left is not flagged to_be_renewed', () => {
      const c = certificateFacts({ renewalStatus: 'none', notAfter: fromNow(DAY_MS) });
      expect(checkRevocation(c, NOW)).toEqual({ ok: true });
    });
  });

  describe('checks 5–7 apply only to the standard group; check 8 applies to all', () => {
    const NON_STANDARD: { brand: Brand; algorithm: Algorithm }[] = [
      { brand: 'WoTrus', algorithm: 'international' },
      { brand: 'WoTrus', algorithm: 'sm2' },
      { brand: 'TrustAsia', algorithm: 'sm2' },
      { brand: 'GeoTrust', algorithm: 'sm2' },
    ];
    const SKIPPED = FAILURES.filter((f) => /^[567] /.test(f.check));

    const skipCases = NON_STANDARD.flatMap((group) => SKIPPED.map((f) => ({ ...group, check: f.check, overrides: f.overrides })));

    it.each(skipCases)('allows revocation when a $brand $algorithm certificate fails only check $check', ({ brand, algorithm, overrides }) => {
      expect(checkRevocation(certificateFacts({ brand, algorithm, ...overrides }), NOW)).toEqual({ ok: true });
    });

    it.each(NON_STANDARD)(
      'rejects with DOMAIN_DELETED_CONTACT_SUPPORT when a $brand $algorithm certificate with a deleted domain also fails checks 5–7',
      ({ brand, algorithm }) => {
        const c = certificateFacts({
          brand,
          algorithm,
          originalCertificateId: 'cert-original',
          issuedAt: '2019-01-01T00:00:00.000Z',
          renewalStatus: 'to_be_renewed',
          notAfter: fromNow(DAY_MS),
          domainStatus: 'deleted',
        });
        expect(checkRevocation(c, NOW)).toMatchObject({ ok: false, code: 'DOMAIN_DELETED_CONTACT_SUPPORT' });
      },
    );

    it('rejects with REVOKE_ORIGINAL_ORDER when a DNSPod SM2 certificate (standard group) is a reissue', () => {
      const c = certificateFacts({ brand: 'DNSPod', algorithm: 'sm2', originalCertificateId: 'cert-original' });
      expect(checkRevocation(c, NOW)).toMatchObject({ ok: false, code: 'REVOKE_ORIGINAL_ORDER' });
    });
  });
});

describe('isStandardGroup', () => {
  const EXPECTED: Record<Brand, Record<Algorithm, boolean>> = {
    TrustAsia: { international: true, sm2: false },
    WoTrus: { international: false, sm2: false },
    DNSPod: { international: true, sm2: true },
    GeoTrust: { international: true, sm2: false },
    DigiCert: { international: true, sm2: false },
    GlobalSign: { international: true, sm2: false },
    Sectigo: { international: true, sm2: false },
    SecureSite: { international: true, sm2: false },
  };
  const rows = BRANDS.flatMap((brand) => ALGORITHMS.map((algorithm) => ({ brand, algorithm, expected: EXPECTED[brand][algorithm] })));

  it.each(rows)('classifies $brand $algorithm as standard: $expected', ({ brand, algorithm, expected }) => {
    expect(isStandardGroup({ brand, algorithm })).toBe(expected);
  });
});
