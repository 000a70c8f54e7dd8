import { describe, expect, it } from 'vitest';
import {
  DOMAIN_VALIDATION_METHODS,
  PRODUCT_TYPES,
  REASON_MAX_LENGTH,
  checkRevocationReason,
  planRevocationRoute,
  type Brand,
  type CertificateFacts,
  type RoutePlan,
} from '../../../lib/domain/index.js';
import { certificateFacts } from '../../fixtures/certificates.js';

const REVIEW: RoutePlan = { route: 'review', reasonRequired: true, reviewer: true };
const APPLICATION_LETTER: RoutePlan = {
  route: 'letter',
  reasonRequired: true,
  reviewer: true,
  letter: { kind: 'application', allowedTypes: ['jpg', 'gif', 'pdf'] },
};
const CONFIRMATION_LETTER: RoutePlan = {
  route: 'letter',
  reasonRequired: true,
  reviewer: true,
  letter: { kind: 'confirmation', allowedTypes: ['jpg', 'png', 'pdf'] },
};
const AUTO: RoutePlan = { route: 'auto', reasonRequired: false, reviewer: false };
const DOMAIN_VALIDATION: RoutePlan = { route: 'domain_validation', reasonRequired: false, reviewer: false };

type RouteFacts = Pick<CertificateFacts, 'brand' | 'algorithm' | 'productType' | 'wildcard' | 'validityYears' | 'domainValidation'>;

interface RouteCase {
  label: string;
  facts: RouteFacts;
  expected: RoutePlan;
}

function routeCase(facts: Partial<RouteFacts>, expected: RoutePlan): RouteCase {
  const full = certificateFacts(facts);
  const label = `${full.brand} ${full.algorithm} ${full.productType} ${full.wildcard ? 'wildcard' : 'single'} ${full.validityYears}y ${full.domainValidation}`;
  return { label, facts: full, expected };
}

/** Brands that fall under the "other" rows for the international algorithm (all but WoTrus). */
const OTHER_BRANDS: Brand[] = ['TrustAsia', 'DNSPod', 'GeoTrust', 'DigiCert', 'GlobalSign', 'Sectigo', 'SecureSite'];
const AUTOMATIC = ['dns_auto', 'file_auto'] as const;
const MANUAL = ['dns', 'file'] as const;

describe('planRevocationRoute', () => {
  describe('row 1: DNSPod SM2 DV and any WoTrus → review, reason required, reviewer', () => {
    const dnspodSm2Dv = DOMAIN_VALIDATION_METHODS.flatMap((domainValidation) => [
      routeCase({ brand: 'DNSPod', algorithm: 'sm2', productType: 'DV', domainValidation }, REVIEW),
      // Also when it otherwise looks like an auto candidate (wildcard, 2 years).
      routeCase({ brand: 'DNSPod', algorithm: 'sm2', productType: 'DV', wildcard: true, validityYears: 2, domainValidation }, REVIEW),
    ]);
    const wotrus = PRODUCT_TYPES.flatMap((productType) =>
      (['international', 'sm2'] as const).flatMap((algorithm) =>
        DOMAIN_VALIDATION_METHODS.map((domainValidation) =>
          routeCase({ brand: 'WoTrus', algorithm, productType, wildcard: true, validityYears: 2, domainValidation }, REVIEW),
        ),
      ),
    );

    it.each([...dnspodSm2Dv, ...wotrus])('routes $label to review', ({ facts, expected }) => {
      expect(planRevocationRoute(facts)).toEqual(expected);
    });
  });

  describe('row 2: DNSPod SM2 OV/EV → letter of application (JPG, GIF, PDF)', () => {
    const rows = (['OV', 'EV'] as const).flatMap((productType) =>
      DOMAIN_VALIDATION_METHODS.map((domainValidation) =>
        routeCase({ brand: 'DNSPod', algorithm: 'sm2', productType, domainValidation }, APPLICATION_LETTER),
      ),
    );

    it.each(rows)('routes $label to an application letter', ({ facts, expected }) => {
      expect(planRevocationRoute(facts)).toEqual(expected);
    });
  });

  describe('row 3: TrustAsia wildcard DV, 2 or 3 years, automatic validation → auto', () => {
    const rows = (['international', 'sm2'] as const).flatMap((algorithm) =>
      ([2, 3] as const).flatMap((validityYears) =>
        AUTOMATIC.map((domainValidation) =>
          routeCase({ brand: 'TrustAsia', algorithm, productType: 'DV', wildcard: true, validityYears, domainValidation }, AUTO),
        ),
      ),
    );

    it.each(rows)('routes $label to auto', ({ facts, expected }) => {
      expect(planRevocationRoute(facts)).toEqual(expected);
    });
  });

  describe('row 4: other DV → domain validation, reason optional, no reviewer', () => {
    const autoCandidate = { brand: 'TrustAsia', productType: 'DV', wildcard: true, validityYears: 2, domainValidation: 'dns_auto' } as const;
    const nearMisses = [
      routeCase({ ...autoCandidate, validityYears: 1 }, DOMAIN_VALIDATION),
      routeCase({ ...autoCandidate, validityYears: 4 }, DOMAIN_VALIDATION),
      routeCase({ ...autoCandidate, wildcard: false }, DOMAIN_VALIDATION),
      routeCase({ ...autoCandidate, wildcard: false, validityYears: 3, domainValidation: 'file_auto' }, DOMAIN_VALIDATION),
      ...MANUAL.flatMap((domainValidation) => [
        routeCase({ ...autoCandidate, domainValidation }, DOMAIN_VALIDATION),
        routeCase({ ...autoCandidate, validityYears: 3, domainValidation }, DOMAIN_VALIDATION),
      ]),
      ...OTHER_BRANDS.filter((b) => b !== 'TrustAsia').map((brand) => routeCase({ ...autoCandidate, brand }, DOMAIN_VALIDATION)),
      // SM2 of brands other than DNSPod and WoTrus is still "other".
      routeCase({ brand: 'GeoTrust', algorithm: 'sm2', productType: 'DV', domainValidation: 'dns' }, DOMAIN_VALIDATION),
      routeCase({ brand: 'DigiCert', algorithm: 'sm2', productType: 'DV', domainValidation: 'file_auto' }, DOMAIN_VALIDATION),
      // The fixture itself: GeoTrust international single-name DV.
      routeCase({}, DOMAIN_VALIDATION),
    ];

    it.each(nearMisses)('routes $label to domain_validation', ({ facts, expected }) => {
      expect(planRevocationRoute(facts)).toEqual(expected);
    });
  });

  describe('rows 5 and 6: other OV/EV → review when validated automatically, else letter of confirmation', () => {
    const rows = OTHER_BRANDS.flatMap((brand) =>
      (['OV', 'EV'] as const).flatMap((productType) => [
        ...AUTOMATIC.map((domainValidation) => routeCase({ brand, productType, domainValidation }, REVIEW)),
        ...MANUAL.map((domainValidation) => routeCase({ brand, productType, domainValidation }, CONFIRMATION_LETTER)),
      ]),
    );
    const otherSm2 = [
      routeCase({ brand: 'TrustAsia', algorithm: 'sm2', productType: 'OV', domainValidation: 'dns_auto' }, REVIEW),
      routeCase({ brand: 'GeoTrust', algorithm: 'sm2', productType: 'EV', domainValidation: 'file' }, CONFIRMATION_LETTER),
    ];

    it.each([...rows, ...otherSm2])('routes $label to $expected.route', ({ facts, expected }) => {
      expect(planRevocationRoute(facts)).toEqual(expected);
    });

    it('treats DNSPod international OV as "other": manual validation needs a confirmation letter, not an application', () => {
      const plan = planRevocationRoute(certificateFacts({ brand: 'DNSPod', algorithm: 'international', productType: 'OV', domainValidation: 'dns' }));
      expect(plan.letter?.kind).toBe('confirmation');
    });
  });
});

describe('checkRevocationReason', () => {
  const required = { reasonRequired: true };
  const optional = { reasonRequired: false };

  it.each([
    { reason: undefined, when: 'missing' },
    { reason: '', when: 'empty' },
    { reason: '   ', when: 'spaces only' },
    { reason: '\t\n ', when: 'tabs and newlines only' },
  ])('rejects with REASON_REQUIRED when the reason is required and $when', ({ reason }) => {
    expect(checkRevocationReason(required, { reason })).toEqual({ ok: false, code: 'REASON_REQUIRED' });
  });

  it('rejects with REASON_REQUIRED before looking at the code when both are wrong', () => {
    expect(checkRevocationReason(required, { reason: ' ', reasonCode: 'cACompromise' })).toMatchObject({ code: 'REASON_REQUIRED' });
  });

  it.each([
    { reason: undefined, expected: '' },
    { reason: '   ', expected: '' },
  ])('allows a blank reason when the route does not require one (reason $reason)', ({ reason, expected }) => {
    expect(checkRevocationReason(optional, { reason })).toEqual({ ok: true, reason: expected, reasonCode: 'unspecified' });
  });

  it('allows a required reason when it has text, trimmed', () => {
    expect(checkRevocationReason(required, { reason: '  key leaked  ' })).toEqual({ ok: true, reason: 'key leaked', reasonCode: 'unspecified' });
  });

  it('allows a missing reason code when a reason is given, defaulting it to unspecified', () => {
    expect(checkRevocationReason(required, { reason: 'moved hosting' })).toMatchObject({ ok: true, reasonCode: 'unspecified' });
  });

  it.each(['unspecified', 'keyCompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation'])(
    'allows the reason code %s when a subscriber chooses it',
    (reasonCode) => {
      expect(checkRevocationReason(required, { reason: 'r', reasonCode })).toEqual({ ok: true, reason: 'r', reasonCode });
    },
  );

  it.each(['cACompromise', 'privilegeWithdrawn', 'certificateHold', 'removeFromCRL', 'aACompromise', 'foo', '', 'KeyCompromise'])(
    'rejects with REASON_CODE_NOT_ALLOWED when the reason code is %j',
    (reasonCode) => {
      expect(checkRevocationReason(optional, { reason: 'r', reasonCode })).toEqual({ ok: false, code: 'REASON_CODE_NOT_ALLOWED' });
    },
  );

  it('rejects with REASON_REQUIRED when a WoTrus certificate is revoked without a reason (route and reason together)', () => {
    const plan = planRevocationRoute(certificateFacts({ brand: 'WoTrus' }));
    expect(checkRevocationReason(plan, {})).toEqual({ ok: false, code: 'REASON_REQUIRED' });
  });

  it('allows no reason when an ordinary DV certificate is revoked (route and reason together)', () => {
    const plan = planRevocationRoute(certificateFacts());
    expect(checkRevocationReason(plan, {})).toMatchObject({ ok: true });
  });

  it('limits the reason text to 500 characters (the schema reads this limit)', () => {
    expect(REASON_MAX_LENGTH).toBe(500);
  });
});
