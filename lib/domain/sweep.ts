import { DAY_MS, timeToExpiry, type CertificateFacts } from './certificate.js';
import { RENEWAL_WINDOW_MS } from './revocation.js';
import { isPastDeadline } from './validation.js';

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

/**
 * How long an upload slot stays open after its presigned POST expires: an upload that started
 * just before expiry and its S3 event get time to arrive before the sweep closes the slot.
 */
export const SLOT_GRACE_MS = 5 * 60_000;

/** An upload slot past its expiry (and the grace for an upload in flight) is closed by the sweep. */
export function isSlotExpired(slot: { expiresAt: string }, now: Date): boolean {
  return now.getTime() >= Date.parse(slot.expiresAt) + SLOT_GRACE_MS;
}

/** A reissue lock is stale when its owner certificate is no longer `reissuing` (or is gone). */
export function isLockStale(owner: Pick<CertificateFacts, 'status'> | undefined): boolean {
  return owner?.status !== 'reissuing';
}

/** The UTC day (`yyyy-mm-dd`) an instant falls on: the due index's partition. */
export function dayOf(instant: string | Date): string {
  return new Date(instant).toISOString().slice(0, 10);
}

/** The UTC day after `day`. */
export function nextDay(day: string): string {
  return dayOf(new Date(Date.parse(`${day}T00:00:00.000Z`) + DAY_MS));
}

/**
 * When the sweep next has something to do with a certificate, or undefined when never: an
 * issued certificate without a renewal flag is due when its 30-day renewal window opens (or,
 * if that has passed, at once: it may also be expired), a flagged one when it expires.
 */
export function certificateDueAt(c: Pick<CertificateFacts, 'status' | 'notAfter' | 'renewalStatus'>): string | undefined {
  if (c.status !== 'issued') return undefined;
  return c.renewalStatus === 'none' ? new Date(Date.parse(c.notAfter) - RENEWAL_WINDOW_MS).toISOString() : c.notAfter;
}

export interface SweepableRequest {
  status: string;
  validation?: { deadline: string } | undefined;
  letter?: { slot?: { expiresAt: string } | undefined } | undefined;
}

/** When the sweep is due to act on a request: its validation deadline, or when its upload slot may close. */
export function requestDueAt(r: SweepableRequest): string | undefined {
  if (r.status === 'pending_validation' && r.validation) return r.validation.deadline;
  if (r.status === 'pending_letter' && r.letter?.slot) return new Date(Date.parse(r.letter.slot.expiresAt) + SLOT_GRACE_MS).toISOString();
  return undefined;
}

/** What the sweep does to a request at `now`. */
export function classifyRequestForSweep(r: SweepableRequest, now: Date): 'expire_validation' | 'close_slot' | undefined {
  if (r.status === 'pending_validation' && r.validation && isPastDeadline(r.validation.deadline, now)) return 'expire_validation';
  if (r.status === 'pending_letter' && r.letter?.slot && isSlotExpired(r.letter.slot, now)) return 'close_slot';
  return undefined;
}

/**
 * Where an item sits in the due index. An item written after its due time (a failed revocation
 * returning a long-expired certificate to `issued`) is filed under its write time instead, so
 * it never lands in a day the sweep has already finished.
 */
export function dueSlot(dueAt: string, writtenAt: string): { day: string; at: string } {
  const at = Date.parse(dueAt) >= Date.parse(writtenAt) ? dueAt : writtenAt;
  return { day: dayOf(at), at: new Date(at).toISOString() };
}
