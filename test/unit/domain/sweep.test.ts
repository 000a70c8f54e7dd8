import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  SLOT_GRACE_MS,
  certificateDueAt,
  classifyForSweep,
  classifyRequestForSweep,
  dayOf,
  dueSlot,
  isLockStale,
  isSlotExpired,
  nextDay,
  requestDueAt,
  type CertificateStatus,
} from '../../../lib/domain/index.js';
import { NOW, certificateFacts, fromNow } from '../../fixtures/certificates.js';

describe('classifyForSweep', () => {
  it.each([
    { when: 'notAfter is exactly now', notAfter: fromNow(0), renewalStatus: 'none', effect: 'expire' },
    { when: 'notAfter passed a day ago', notAfter: fromNow(-DAY_MS), renewalStatus: 'none', effect: 'expire' },
    { when: 'notAfter is now and it is already to_be_renewed', notAfter: fromNow(0), renewalStatus: 'to_be_renewed', effect: 'expire' },
    { when: '1 ms is left', notAfter: fromNow(1), renewalStatus: 'none', effect: 'mark_to_be_renewed' },
    { when: '30 days minus 1 ms are left', notAfter: fromNow(30 * DAY_MS - 1), renewalStatus: 'none', effect: 'mark_to_be_renewed' },
  ] as const)('allows the sweep to $effect an issued certificate when $when', ({ notAfter, renewalStatus, effect }) => {
    expect(classifyForSweep(certificateFacts({ notAfter, renewalStatus }), NOW)).toBe(effect);
  });

  it.each([
    { when: 'exactly 30 days are left', notAfter: fromNow(30 * DAY_MS), renewalStatus: 'none' },
    { when: 'a year is left', notAfter: fromNow(365 * DAY_MS), renewalStatus: 'none' },
    { when: '30 days minus 1 ms are left but it is already to_be_renewed', notAfter: fromNow(30 * DAY_MS - 1), renewalStatus: 'to_be_renewed' },
    { when: '1 ms is left but it is already to_be_renewed', notAfter: fromNow(1), renewalStatus: 'to_be_renewed' },
  ] as const)('rejects any sweep change to an issued certificate when $when', ({ notAfter, renewalStatus }) => {
    expect(classifyForSweep(certificateFacts({ notAfter, renewalStatus }), NOW)).toBeUndefined();
  });

  const nonIssued: CertificateStatus[] = ['revoking', 'revoked', 'reissuing', 'expired'];

  it.each(nonIssued)('rejects any sweep change when the status is %s, even past notAfter', (status) => {
    expect(classifyForSweep(certificateFacts({ status, notAfter: fromNow(-DAY_MS) }), NOW)).toBeUndefined();
    expect(classifyForSweep(certificateFacts({ status, notAfter: fromNow(DAY_MS) }), NOW)).toBeUndefined();
  });
});

describe('isSlotExpired', () => {
  const expiresAt = fromNow(0);

  it.each([
    { when: '1 ms remains before its expiry', now: new Date(NOW.getTime() - 1) },
    { when: 'it expired but an upload started just before may still be arriving (grace minus 1 ms)', now: new Date(NOW.getTime() + SLOT_GRACE_MS - 1) },
  ])('rejects closing an upload slot when $when', ({ now }) => {
    expect(isSlotExpired({ expiresAt }, now)).toBe(false);
  });

  it.each([
    { when: 'the grace after its expiry has just run out', now: new Date(NOW.getTime() + SLOT_GRACE_MS) },
    { when: 'now is an hour after its expiry', now: new Date(NOW.getTime() + 3_600_000) },
  ])('allows closing an upload slot when $when', ({ now }) => {
    expect(isSlotExpired({ expiresAt }, now)).toBe(true);
  });
});

describe('certificateDueAt', () => {
  const notAfter = '2026-09-30T12:00:00.000Z';

  it('files an issued certificate without a renewal flag for when its 30-day renewal window opens', () => {
    expect(certificateDueAt({ status: 'issued', notAfter, renewalStatus: 'none' })).toBe('2026-08-31T12:00:00.000Z');
  });

  it('files a certificate already flagged to_be_renewed for its expiry', () => {
    expect(certificateDueAt({ status: 'issued', notAfter, renewalStatus: 'to_be_renewed' })).toBe(notAfter);
  });

  it.each<CertificateStatus>(['revoking', 'revoked', 'reissuing', 'expired'])('files nothing for a %s certificate: the sweep never acts on it', (status) => {
    expect(certificateDueAt({ status, notAfter, renewalStatus: 'none' })).toBeUndefined();
  });

  it.each([
    { when: 'at its renewal due time (30 days exactly left)', offset: 0, effect: undefined },
    { when: '1 ms after its renewal due time', offset: 1, effect: 'mark_to_be_renewed' },
  ] as const)('agrees with the classification $when', ({ offset, effect }) => {
    const c = { status: 'issued' as const, notAfter, renewalStatus: 'none' as const };
    expect(classifyForSweep(c, new Date(Date.parse(certificateDueAt(c)!) + offset))).toBe(effect);
  });
});

describe('requestDueAt and classifyRequestForSweep', () => {
  const deadline = fromNow(0);
  const validation = { deadline };
  const slot = { expiresAt: fromNow(0) };

  it('files a request waiting for validation for its deadline, and expires it from that instant on', () => {
    const r = { status: 'pending_validation', validation };
    expect(requestDueAt(r)).toBe(deadline);
    expect(classifyRequestForSweep(r, new Date(NOW.getTime() - 1))).toBeUndefined();
    expect(classifyRequestForSweep(r, NOW)).toBe('expire_validation');
  });

  it('files a request with an open upload slot for the end of the slot grace, and closes the slot from then on', () => {
    const r = { status: 'pending_letter', letter: { slot } };
    expect(requestDueAt(r)).toBe(new Date(NOW.getTime() + SLOT_GRACE_MS).toISOString());
    expect(classifyRequestForSweep(r, new Date(NOW.getTime() + SLOT_GRACE_MS - 1))).toBeUndefined();
    expect(classifyRequestForSweep(r, new Date(NOW.getTime() + SLOT_GRACE_MS))).toBe('close_slot');
  });

  it.each([
    { when: 'waiting for a letter without an open slot', r: { status: 'pending_letter', letter: {} } },
    { when: 'in review with a validation past its deadline', r: { status: 'pending_review', validation } },
    { when: 'revoking', r: { status: 'revoking', validation, letter: { slot } } },
    { when: 'failed', r: { status: 'failed', validation } },
  ])('files nothing and does nothing for a request $when', ({ r }) => {
    expect(requestDueAt(r)).toBeUndefined();
    expect(classifyRequestForSweep(r, new Date(NOW.getTime() + 10 * DAY_MS))).toBeUndefined();
  });
});

describe('dueSlot', () => {
  it('files an item under its due day and instant when it is written before it is due', () => {
    expect(dueSlot('2026-07-02T03:04:05.006Z', '2026-06-01T00:00:00.000Z')).toEqual({ day: '2026-07-02', at: '2026-07-02T03:04:05.006Z' });
  });

  it('files an item written after it became due under its write day and instant, never a day already swept', () => {
    expect(dueSlot('2026-01-01T00:00:00.000Z', '2026-06-01T10:00:00.000Z')).toEqual({ day: '2026-06-01', at: '2026-06-01T10:00:00.000Z' });
  });
});

describe('nextDay', () => {
  it.each([
    { day: '2026-06-01', next: '2026-06-02' },
    { day: '2026-12-31', next: '2027-01-01' },
    { day: '2024-02-28', next: '2024-02-29' },
    { day: '2026-03-28', next: '2026-03-29' },
  ])('steps from $day to $next', ({ day, next }) => {
    expect(nextDay(day)).toBe(next);
  });
});

describe('isLockStale', () => {
  it('rejects freeing a reissue lock when its owner is still reissuing', () => {
    expect(isLockStale({ status: 'reissuing' })).toBe(false);
  });

  it.each<CertificateStatus>(['issued', 'revoking', 'revoked', 'expired'])('allows freeing a reissue lock when its owner is %s', (status) => {
    expect(isLockStale({ status })).toBe(true);
  });

  it('allows freeing a reissue lock when its owner no longer exists', () => {
    expect(isLockStale(undefined)).toBe(true);
  });
});

describe('dayOf', () => {
  it.each([
    { instant: '2026-06-01T00:00:00.000Z', day: '2026-06-01' },
    { instant: '2026-06-01T23:59:59.999Z', day: '2026-06-01' },
    { instant: '2026-06-01T22:30:00-02:00', day: '2026-06-02' },
    { instant: '2026-06-02T01:00:00+08:00', day: '2026-06-01' },
    { instant: new Date('2024-02-29T12:00:00Z'), day: '2024-02-29' },
  ])('allows indexing $instant under the UTC day $day', ({ instant, day }) => {
    expect(dayOf(instant)).toBe(day);
  });
});
