import { DAY_MS, type DomainValidationMethod } from './certificate.js';

export const VALIDATION_DEADLINE_MS = 3 * DAY_MS;

export interface ValidationChallenge {
  deadline: string;
  dns: { name: string; type: 'TXT'; value: string };
  file: { url: string; content: string };
  /** True when the platform publishes the DNS record itself. */
  automatic: boolean;
}

/**
 * The DNS record and the file to publish for a domain validation. A wildcard is validated on
 * its base domain. Automatic only for `dns_auto` with DNS hosted here; otherwise manual.
 */
export function createValidationChallenge(input: {
  domain: string;
  token: string;
  submittedAt: Date;
  method: DomainValidationMethod;
  dnsHostedHere: boolean;
}): ValidationChallenge {
  const base = input.domain.replace(/^\*\./, '');
  return {
    deadline: new Date(input.submittedAt.getTime() + VALIDATION_DEADLINE_MS).toISOString(),
    dns: { name: `_dnsauth.${base}`, type: 'TXT', value: input.token },
    file: { url: `http://${base}/.well-known/pki-validation/fileauth.txt`, content: input.token },
    automatic: input.method === 'dns_auto' && input.dnsHostedHere,
  };
}

/** Not validated by the deadline → expired; at the deadline instant itself it is already too late. */
export function isPastDeadline(deadline: string, now: Date): boolean {
  return now.getTime() >= Date.parse(deadline);
}

/** Seconds to wait before the next check: the poll interval, but never past the deadline (at least 1). */
export function secondsUntilNextCheck(deadline: string, now: Date, pollSeconds: number): number {
  const left = Math.ceil((Date.parse(deadline) - now.getTime()) / 1000);
  return Math.max(1, Math.min(pollSeconds, left));
}
