import { RULE_MESSAGES } from '../../lib/domain/codes.js';

/** The sentence a person reads for a code: RULES.md's own, then the API's and the console's. */
const OTHER_MESSAGES: Record<string, string> = {
  REQUEST_EXPIRED: 'The request expired: no letter or decision arrived within 30 days.',
  INTERNAL_ERROR: 'The request failed because of an error on our side; you may apply again.',
  IDEMPOTENCY_KEY_REUSED: 'This submission was already made with different details; reload and try again.',
  PRIVATE_KEY_GONE: 'The private key has already been downloaded; it is offered only once.',
  UNAUTHENTICATED: 'Your session has ended; sign in again.',
  FORBIDDEN: 'Your role does not allow this.',
  NOT_FOUND: 'Not found.',
  RATE_LIMITED: 'Too many requests; wait a moment and try again.',
  BAD_REQUEST: 'Some of the details are not valid.',
  NETWORK: 'The service could not be reached. Check your connection and try again.',
};

export function sentence(code: string): string {
  return (RULE_MESSAGES as Record<string, string>)[code] ?? OTHER_MESSAGES[code] ?? code;
}

const dateFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeZone: 'UTC' });
const dateTimeFormat = new Intl.DateTimeFormat('en-GB', { dateStyle: 'medium', timeStyle: 'short', timeZone: 'UTC' });
export const date = (iso: string) => dateFormat.format(new Date(iso));
export const dateTime = (iso: string) => `${dateTimeFormat.format(new Date(iso))} UTC`;

/** "2 d 3 h", "4 h 5 min", "12 min", "30 s": the largest two units. */
export function duration(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  const d = Math.floor(s / 86_400);
  const hr = Math.floor((s % 86_400) / 3600);
  const min = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${hr} h`;
  if (hr > 0) return `${hr} h ${min} min`;
  if (min > 0) return `${min} min`;
  return `${s} s`;
}

/** Human words for the API's enum values. */
const WORDS: Record<string, string> = {
  issued: 'issued',
  revoking: 'revoking',
  revoked: 'revoked',
  reissuing: 'reissuing',
  expired: 'expired',
  none: '—',
  to_be_renewed: 'to be renewed',
  pending_letter: 'waiting for the letter',
  pending_validation: 'waiting for domain validation',
  pending_review: 'waiting for a reviewer',
  issuing: 'issuing',
  failed: 'failed',
  review: 'reviewer approval',
  letter: 'sealed letter and reviewer approval',
  domain_validation: 'domain validation',
  auto: 'automatic',
};
export const words = (value: string) => WORDS[value] ?? value.replaceAll('_', ' ');

const EVENT_WORDS: Record<string, string> = {
  'certificate.registered': 'Certificate registered',
  'certificate.deleted': 'Certificate deleted',
  'certificate.expired': 'Certificate expired',
  'certificate.to_be_renewed': 'Due for renewal',
  'revocation.submitted': 'Revocation submitted',
  'revocation.cascaded': 'Revocation submitted with its original order',
  'revocation.validated': 'Domain validated',
  'letter.accepted': 'Letter accepted',
  'letter.rejected': 'Letter rejected',
  'letter.slot_closed': 'Upload link closed',
  'revocation.revoked': 'Revoked at the CA',
  'revocation.failed': 'Revocation failed',
  'review.approved': 'Approved by a reviewer',
  'certificate.reissued': 'Issued by a reissue',
  'reissue.validated': 'Domain validated',
  'reissue.lock_freed': 'Domain lock freed',
  'reissue.submitted': 'Reissue submitted',
  'reissue.issued': 'Reissued',
  'reissue.failed': 'Reissue failed',
};
export const eventWords = (type: string) => EVENT_WORDS[type] ?? type.replace(/[._]/g, ' ');
