import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  checkReissue,
  needsManualApproval,
  skipsDomainValidation,
  type CertificateFacts,
  type Enterprise,
  type ReissueContext,
  type RuleCode,
} from '../../../lib/domain/index.js';
import { NOW, certificateFacts, fromNow } from '../../fixtures/certificates.js';

const CTX: ReissueContext = { now: NOW, reissuesInOrder: 0, domainLockedByOther: false };

/** One way to fail each reissue check of RULES.md, in the order the checks run. */
interface Failure {
  check: string;
  facts: Partial<CertificateFacts>;
  ctx: Partial<ReissueContext>;
  code: RuleCode;
}

const FAILURES: Failure[] = [
  { check: '1 uploaded', facts: { source: 'uploaded' }, ctx: {}, code: 'NOT_PLATFORM_ISSUED' },
  { check: '2 reissuing', facts: { status: 'reissuing' }, ctx: {}, code: 'REISSUE_IN_PROGRESS' },
  { check: '3 revoking', facts: { status: 'revoking' }, ctx: {}, code: 'CERT_NOT_ISSUED' },
  { check: '3 revoked', facts: { status: 'revoked' }, ctx: {}, code: 'CERT_NOT_ISSUED' },
  { check: '3 expired', facts: { status: 'expired' }, ctx: {}, code: 'CERT_NOT_ISSUED' },
  { check: '3 issued but past notAfter', facts: { notAfter: fromNow(0) }, ctx: {}, code: 'CERT_NOT_ISSUED' },
  { check: '4 30 days left', facts: { notAfter: fromNow(30 * DAY_MS) }, ctx: {}, code: 'REISSUE_TOO_CLOSE_TO_EXPIRY' },
  { check: '5 free DV reissued once', facts: { free: true, productType: 'DV' }, ctx: { reissuesInOrder: 1 }, code: 'FREE_REISSUE_LIMIT' },
  { check: '6 domain locked', facts: {}, ctx: { domainLockedByOther: true }, code: 'DOMAIN_REISSUE_IN_PROGRESS' },
];

const overlaps = (a: object, b: object) => Object.keys(a).some((k) => k in b);

/** Every pair of failures that can hold together (two statuses cannot), earlier one first. */
const PAIRS = FAILURES.flatMap((first, i) =>
  FAILURES.slice(i + 1)
    .filter((second) => !overlaps(first.facts, second.facts) && !overlaps(first.ctx, second.ctx))
    .map((second) => ({
      first: first.check,
      second: second.check,
      facts: { ...first.facts, ...second.facts },
      ctx: { ...CTX, ...first.ctx, ...second.ctx },
      expected: first.code,
    })),
);

describe('checkReissue', () => {
  it('allows a reissue when the certificate passes every check', () => {
    expect(checkReissue(certificateFacts(), CTX)).toEqual({ ok: true });
  });

  it.each(FAILURES)('rejects with $code when the certificate fails check $check', ({ facts, ctx, code }) => {
    expect(checkReissue(certificateFacts(facts), { ...CTX, ...ctx })).toEqual({ ok: false, code });
  });

  it.each(PAIRS)('rejects with $expected when the certificate fails both $first and $second', ({ facts, ctx, expected }) => {
    expect(checkReissue(certificateFacts(facts), ctx)).toEqual({ ok: false, code: expected });
  });

  describe('check 4 boundary: 30 days or less left', () => {
    it('rejects with REISSUE_TOO_CLOSE_TO_EXPIRY when exactly 30 days are left', () => {
      expect(checkReissue(certificateFacts({ notAfter: fromNow(30 * DAY_MS) }), CTX)).toEqual({
        ok: false,
        code: 'REISSUE_TOO_CLOSE_TO_EXPIRY',
      });
    });

    it('allows a reissue when 30 days plus 1 ms are left', () => {
      expect(checkReissue(certificateFacts({ notAfter: fromNow(30 * DAY_MS + 1) }), CTX)).toEqual({ ok: true });
    });
  });

  describe('check 5: a free DV certificate is reissued at most once per original order', () => {
    it.each([1, 2])('rejects with FREE_REISSUE_LIMIT when a free DV order already has %i reissue(s)', (reissuesInOrder) => {
      expect(checkReissue(certificateFacts({ free: true }), { ...CTX, reissuesInOrder })).toEqual({ ok: false, code: 'FREE_REISSUE_LIMIT' });
    });

    it('rejects with FREE_REISSUE_LIMIT when the certificate is itself the reissue of a free DV order', () => {
      const reissued = certificateFacts({ free: true, originalCertificateId: 'cert-original' });
      expect(checkReissue(reissued, { ...CTX, reissuesInOrder: 1 })).toEqual({ ok: false, code: 'FREE_REISSUE_LIMIT' });
    });

    it('allows a reissue when a free DV order has not been reissued yet', () => {
      expect(checkReissue(certificateFacts({ free: true }), { ...CTX, reissuesInOrder: 0 })).toEqual({ ok: true });
    });

    it('allows a reissue when a paid DV order was already reissued', () => {
      expect(checkReissue(certificateFacts({ free: false }), { ...CTX, reissuesInOrder: 1 })).toEqual({ ok: true });
    });
  });

  it('rejects with DOMAIN_REISSUE_IN_PROGRESS when another certificate of the same registrable domain is reissuing', () => {
    expect(checkReissue(certificateFacts(), { ...CTX, domainLockedByOther: true })).toEqual({
      ok: false,
      code: 'DOMAIN_REISSUE_IN_PROGRESS',
    });
  });
});

describe('skipsDomainValidation', () => {
  const originalIssuedAt = '2026-05-01T00:00:00.000Z';
  const issued = Date.parse(originalIssuedAt);

  it('allows skipping validation when the reissue comes 3 days minus 1 ms after issuance', () => {
    expect(skipsDomainValidation({ originalIssuedAt, submittedAt: new Date(issued + 3 * DAY_MS - 1) })).toBe(true);
  });

  it('rejects skipping validation when the reissue comes exactly 3 days after issuance', () => {
    expect(skipsDomainValidation({ originalIssuedAt, submittedAt: new Date(issued + 3 * DAY_MS) })).toBe(false);
  });

  it('allows skipping validation when the CSR carries the original public key, however late', () => {
    expect(
      skipsDomainValidation({ originalIssuedAt, submittedAt: NOW, originalPublicKey: 'spki-A', csrPublicKey: 'spki-A' }),
    ).toBe(true);
  });

  it.each([
    { when: 'the keys differ', originalPublicKey: 'spki-A', csrPublicKey: 'spki-B' },
    { when: 'the original key is unknown', originalPublicKey: undefined, csrPublicKey: 'spki-A' },
    { when: 'the CSR key is unknown', originalPublicKey: 'spki-A', csrPublicKey: undefined },
    { when: 'both keys are unknown', originalPublicKey: undefined, csrPublicKey: undefined },
  ])('rejects skipping validation when $when and 3 days have passed', ({ originalPublicKey, csrPublicKey }) => {
    expect(skipsDomainValidation({ originalIssuedAt, submittedAt: NOW, originalPublicKey, csrPublicKey })).toBe(false);
  });
});

describe('needsManualApproval', () => {
  const onRecord: Enterprise = {
    name: 'Acme Widgets Ltd',
    registrationNumber: '91310000MA1FL0001X',
    city: 'Shanghai',
    contactEmail: 'pki@acme.example',
  };

  it.each([
    { productType: 'DV', submitted: { name: 'Someone Else' } },
    { productType: 'DV', submitted: undefined },
  ] as const)('allows skipping approval when the certificate is DV (submitted $submitted)', ({ productType, submitted }) => {
    expect(needsManualApproval({ productType, enterprise: onRecord }, submitted)).toBe(false);
  });

  it.each(['OV', 'EV'] as const)('allows skipping approval when a %s reissue submits the enterprise on record', (productType) => {
    expect(needsManualApproval({ productType, enterprise: onRecord }, { ...onRecord })).toBe(false);
  });

  it.each(['OV', 'EV'] as const)('allows skipping approval when a %s reissue differs only in whitespace', (productType) => {
    const submitted: Enterprise = { ...onRecord, name: '  Acme   Widgets\tLtd ', city: 'Shanghai ' };
    expect(needsManualApproval({ productType, enterprise: onRecord }, submitted)).toBe(false);
  });

  it.each(['OV', 'EV'] as const)('allows skipping approval when a %s reissue submits no enterprise details', (productType) => {
    expect(needsManualApproval({ productType, enterprise: onRecord }, undefined)).toBe(false);
  });

  it.each([
    { field: 'name', submitted: { ...onRecord, name: 'Acme Gadgets Ltd' } },
    { field: 'registrationNumber', submitted: { ...onRecord, registrationNumber: '91310000MA1FL0002X' } },
    { field: 'city (added)', submitted: { ...onRecord, province: 'Shanghai' } },
    { field: 'contactEmail (removed)', submitted: { name: onRecord.name, registrationNumber: onRecord.registrationNumber, city: 'Shanghai' } },
  ])('rejects skipping approval when an OV reissue changes $field', ({ submitted }) => {
    expect(needsManualApproval({ productType: 'OV', enterprise: onRecord }, submitted)).toBe(true);
  });

  it('rejects skipping approval when an EV certificate has no enterprise on record and one is submitted', () => {
    expect(needsManualApproval({ productType: 'EV', enterprise: undefined }, { name: 'Acme Widgets Ltd' })).toBe(true);
  });
});
