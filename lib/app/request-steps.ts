import type { ValidationState } from './model.js';
import type { DnsProvider, DomainProbe } from './ports.js';
import { isPastDeadline, secondsUntilNextCheck } from '../domain/validation.js';
import { DomainError, VersionConflictError } from './errors.js';

const ATTEMPTS = 5;

/**
 * The request has moved past this step (or ended): the workflow task must end rather than wait
 * forever, and an API caller gets `WRONG_STATE`. Its `name` is what the state machines match.
 */
export class RequestClosedError extends DomainError {
  override readonly name = 'RequestClosed';
  readonly status = 409;
  readonly code = 'WRONG_STATE';
}

/**
 * Reads a request (revocation or reissue) and applies `step`; a concurrent change (a lost
 * conditional write) makes it read and decide again, a few times at most. With `first` (a copy
 * already read, say from an index) the first attempt starts from it instead of a read.
 */
export async function retryOnConflict<T>(load: () => Promise<T | undefined>, what: string, step: (request: T) => Promise<void>, first?: T): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const request = attempt === 1 && first !== undefined ? first : await load();
    if (!request) throw new RequestClosedError(`${what} does not exist`);
    try {
      return await step(request);
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= ATTEMPTS) throw error;
    }
  }
}

/** One domain-validation check of a request: expired at its deadline, else what the probes saw. */
export type ValidationCheckOutcome =
  | { expired: true }
  | { expired: false; via: 'dns' | 'file' | undefined; at: string; validation: ValidationState; waitSeconds: number };

/**
 * Checks a request's domain validation at `now`: past the 3-day deadline it is expired;
 * otherwise the record is published when DNS is hosted here, the TXT record and the file are
 * looked for, and the request's validation state and the wait before the next check come back.
 */
export async function checkDomainValidation(
  deps: { probe: DomainProbe; dns: DnsProvider },
  v: ValidationState,
  now: Date,
  pollSeconds: number,
): Promise<ValidationCheckOutcome> {
  if (isPastDeadline(v.deadline, now)) return { expired: true };
  if (v.automatic) await deps.dns.upsertTxtRecord(v.dns.name, v.dns.value);
  const [dns, file] = await Promise.all([deps.probe.hasTxtRecord(v.dns.name, v.dns.value), deps.probe.servesFile(v.file.url, v.file.content)]);
  const via = dns ? ('dns' as const) : file ? ('file' as const) : undefined;
  const at = now.toISOString();
  return {
    expired: false,
    via,
    at,
    validation: { ...v, lastCheckedAt: at, ...(via ? { validatedAt: at } : {}) },
    waitSeconds: secondsUntilNextCheck(v.deadline, now, pollSeconds),
  };
}
