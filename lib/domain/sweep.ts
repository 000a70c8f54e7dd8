import { timeToExpiry, type CertificateFacts } from './certificate.js';
import { RENEWAL_WINDOW_MS } from './revocation.js';

export type SweepEffect = 'expire' | 'mark_to_be_renewed';

/**
 * What the expiry sweep does to one certificate at `now`: `issued` past `notAfter` expires;
 * `issued` with less than 30 days left and no renewal flag becomes `to_be_renewed`.
 */
export function classifyForSweep(c: Pick<CertificateFacts, 'status' | 'notAfter' | 'renewalStatus'>, now: Date): SweepEffect | undefined {
  if (c.status !== 'issued') return undefined;
  const left = timeToExpiry(c, now);
  if (left <= 0) return 'expire';
  if (left < RENEWAL_WINDOW_MS && c.renewalStatus === 'none') return 'mark_to_be_renewed';
  return undefined;
}

/** An upload slot past its expiry is closed by the sweep. */
export function isSlotExpired(slot: { expiresAt: string }, now: Date): boolean {
  return now.getTime() >= Date.parse(slot.expiresAt);
}

/** A reissue lock is stale when its owner certificate is no longer `reissuing` (or is gone). */
export function isLockStale(owner: Pick<CertificateFacts, 'status'> | undefined): boolean {
  return owner?.status !== 'reissuing';
}

/** The UTC day (`yyyy-mm-dd`) an instant falls on: the expiry index's partition. */
export function dayOf(instant: string | Date): string {
  return new Date(instant).toISOString().slice(0, 10);
}
