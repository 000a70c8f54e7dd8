import { DAY_MS, effectiveStatus, timeToExpiry, type CertificateFacts, type Enterprise } from './certificate.js';
import { refuse, type Verdict } from './outcome.js';

export const REISSUE_EXPIRY_MARGIN_MS = 30 * DAY_MS;
export const VALIDATION_SKIP_WINDOW_MS = 3 * DAY_MS;

/** What reissue eligibility reads beyond the certificate itself. */
export interface ReissueContext {
  now: Date;
  /** Reissues already made across the whole original order (the original and all its reissues). */
  reissuesInOrder: number;
  /** True when another certificate of the same registrable domain is `reissuing`. */
  domainLockedByOther: boolean;
}

/** May a reissue start? The checks of RULES.md in their order; the first failure wins. */
export function checkReissue(c: CertificateFacts, ctx: ReissueContext): Verdict {
  if (c.source === 'uploaded') return refuse('NOT_PLATFORM_ISSUED');
  if (c.status === 'reissuing') return refuse('REISSUE_IN_PROGRESS');
  // An `issued` certificate past notAfter is expired even before the sweep writes it.
  if (effectiveStatus(c, ctx.now) !== 'issued') return refuse('CERT_NOT_ISSUED');
  if (timeToExpiry(c, ctx.now) <= REISSUE_EXPIRY_MARGIN_MS) return refuse('REISSUE_TOO_CLOSE_TO_EXPIRY');
  if (c.free && c.productType === 'DV' && ctx.reissuesInOrder >= 1) return refuse('FREE_REISSUE_LIMIT');
  if (ctx.domainLockedByOther) return refuse('DOMAIN_REISSUE_IN_PROGRESS');
  return { ok: true };
}

/**
 * Domain validation is skipped when the reissue comes less than 3 days after the original was
 * issued, or when the new CSR carries the original's public key.
 */
export function skipsDomainValidation(input: {
  originalIssuedAt: string;
  submittedAt: Date;
  originalPublicKey?: string | undefined;
  csrPublicKey?: string | undefined;
}): boolean {
  if (input.submittedAt.getTime() - Date.parse(input.originalIssuedAt) < VALIDATION_SKIP_WINDOW_MS) return true;
  return input.originalPublicKey !== undefined && input.originalPublicKey === input.csrPublicKey;
}

/** OV/EV need a reviewer unless the submitted enterprise equals the record; DV never does. */
export function needsManualApproval(
  c: Pick<CertificateFacts, 'productType' | 'enterprise'>,
  submitted: Enterprise | undefined,
): boolean {
  if (c.productType === 'DV') return false;
  if (submitted === undefined) return false;
  return !sameEnterprise(c.enterprise, submitted);
}

function sameEnterprise(a: Enterprise | undefined, b: Enterprise): boolean {
  const na = normalize(a ?? { name: '' });
  const nb = normalize(b);
  const keys = new Set([...Object.keys(na), ...Object.keys(nb)]);
  return [...keys].every((k) => na[k] === nb[k]);
}

/** Whitespace differences are not a change of the organisation's details; empty fields are absent. */
function normalize(e: Enterprise): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(e)) {
    const value = typeof v === 'string' ? v.trim().replace(/\s+/g, ' ') : '';
    if (value !== '') out[k] = value;
  }
  return out;
}
