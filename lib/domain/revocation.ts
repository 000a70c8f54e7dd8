import { DAY_MS, effectiveStatus, isAutomaticValidation, isStandardGroup, timeToExpiry, type CertificateFacts } from './certificate.js';
import { refuse, type Verdict } from './outcome.js';

/** Self-service revocation of standard-group certificates starts with those issued on this instant. */
export const SELF_SERVICE_START = Date.parse('2020-03-25T00:00:00Z');
export const RENEWAL_WINDOW_MS = 30 * DAY_MS;
export const REASON_MAX_LENGTH = 500;

export type RevocationRoute = 'review' | 'letter' | 'domain_validation' | 'auto';
export type LetterKind = 'application' | 'confirmation';
export type LetterType = 'jpg' | 'gif' | 'png' | 'pdf';

export const LETTER_TYPES: Record<LetterKind, readonly LetterType[]> = {
  application: ['jpg', 'gif', 'pdf'],
  confirmation: ['jpg', 'png', 'pdf'],
};

export interface RoutePlan {
  route: RevocationRoute;
  reasonRequired: boolean;
  reviewer: boolean;
  letter?: { kind: LetterKind; allowedTypes: readonly LetterType[] };
}

/** RFC 5280 reason codes a subscriber may choose; the CA writes the chosen one on the CRL entry. */
export const SUBSCRIBER_REASON_CODES = [
  'unspecified',
  'keyCompromise',
  'affiliationChanged',
  'superseded',
  'cessationOfOperation',
] as const;
export type SubscriberReasonCode = (typeof SUBSCRIBER_REASON_CODES)[number];

/** May a revocation start? The checks of RULES.md in their order; the first failure wins. */
export function checkRevocation(c: CertificateFacts, now: Date): Verdict {
  if (c.source === 'uploaded') return refuse('NOT_PLATFORM_ISSUED');
  const status = effectiveStatus(c, now);
  if (status === 'revoking') return refuse('ALREADY_REVOKING');
  if (status === 'revoked') return refuse('ALREADY_REVOKED');
  if (status === 'reissuing') return refuse('REISSUE_PENDING');
  if (status === 'expired') return refuse('CERT_EXPIRED');
  if (isStandardGroup(c)) {
    if (c.originalCertificateId) return refuse('REVOKE_ORIGINAL_ORDER', { originalCertificateId: c.originalCertificateId });
    if (Date.parse(c.issuedAt) < SELF_SERVICE_START) return refuse('ISSUED_BEFORE_SELF_SERVICE');
    if (c.renewalStatus === 'to_be_renewed' && timeToExpiry(c, now) < RENEWAL_WINDOW_MS) return refuse('EXPIRING_TO_BE_RENEWED');
  }
  if (c.domainStatus === 'deleted') return refuse('DOMAIN_DELETED_CONTACT_SUPPORT');
  return { ok: true };
}

/** Which steps follow a revocation: the route table of RULES.md, row by row. */
export function planRevocationRoute(
  c: Pick<CertificateFacts, 'brand' | 'algorithm' | 'productType' | 'wildcard' | 'validityYears' | 'domainValidation'>,
): RoutePlan {
  const dnspodSm2 = c.brand === 'DNSPod' && c.algorithm === 'sm2';
  if ((dnspodSm2 && c.productType === 'DV') || c.brand === 'WoTrus') {
    return { route: 'review', reasonRequired: true, reviewer: true };
  }
  if (dnspodSm2) return letterPlan('application');
  const automatic = isAutomaticValidation(c.domainValidation);
  if (c.productType === 'DV') {
    const autoEligible = c.brand === 'TrustAsia' && c.wildcard && (c.validityYears === 2 || c.validityYears === 3) && automatic;
    return { route: autoEligible ? 'auto' : 'domain_validation', reasonRequired: false, reviewer: false };
  }
  if (automatic) return { route: 'review', reasonRequired: true, reviewer: true };
  return letterPlan('confirmation');
}

function letterPlan(kind: LetterKind): RoutePlan {
  return { route: 'letter', reasonRequired: true, reviewer: true, letter: { kind, allowedTypes: LETTER_TYPES[kind] } };
}

export interface RevocationInput {
  reason?: string | undefined;
  reasonCode?: string | undefined;
}

/**
 * Checks the subscriber's reason against the route: blank where required → `REASON_REQUIRED`;
 * a code outside the subscriber list → `REASON_CODE_NOT_ALLOWED`. Length is a schema limit.
 */
export function checkRevocationReason(
  plan: Pick<RoutePlan, 'reasonRequired'>,
  input: RevocationInput,
): Verdict<{ reason: string; reasonCode: SubscriberReasonCode }> {
  const reason = (input.reason ?? '').trim();
  if (plan.reasonRequired && reason === '') return refuse('REASON_REQUIRED');
  const reasonCode = input.reasonCode ?? 'unspecified';
  if (!isSubscriberReasonCode(reasonCode)) return refuse('REASON_CODE_NOT_ALLOWED');
  return { ok: true, reason, reasonCode };
}

function isSubscriberReasonCode(code: string): code is SubscriberReasonCode {
  return (SUBSCRIBER_REASON_CODES as readonly string[]).includes(code);
}
