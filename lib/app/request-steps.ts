import type { ValidationState } from './model.js';
import type { DnsProvider, DomainProbe } from './ports.js';
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
 * conditional write) makes it read and decide again, a few times at most.
 */
export async function retryOnConflict<T>(load: () => Promise<T | undefined>, what: string, step: (request: T) => Promise<void>): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const request = await load();
    if (!request) throw new RequestClosedError(`${what} does not exist`);
    try {
      return await step(request);
    } catch (error) {
      if (!(error instanceof VersionConflictError) || attempt >= ATTEMPTS) throw error;
    }
  }
}

/**
 * One domain-validation check: publishes the record itself when DNS is hosted here, then looks
 * for the TXT record and the file. Which one proved control, if any.
 */
export async function probeDomain(deps: { probe: DomainProbe; dns: DnsProvider }, v: ValidationState): Promise<'dns' | 'file' | undefined> {
  if (v.automatic) await deps.dns.upsertTxtRecord(v.dns.name, v.dns.value);
  const [dns, file] = await Promise.all([deps.probe.hasTxtRecord(v.dns.name, v.dns.value), deps.probe.servesFile(v.file.url, v.file.content)]);
  return dns ? 'dns' : file ? 'file' : undefined;
}
