import { describe, expect, it } from 'vitest';
import { DAY_MS, classifyForSweep, dayOf, isLockStale, isSlotExpired, type CertificateStatus } from '../../../lib/domain/index.js';
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

  it('rejects closing an upload slot when 1 ms remains before its expiry', () => {
    expect(isSlotExpired({ expiresAt }, new Date(NOW.getTime() - 1))).toBe(false);
  });

  it.each([
    { when: 'now is its expiry instant', now: NOW },
    { when: 'now is an hour after its expiry', now: new Date(NOW.getTime() + 3_600_000) },
  ])('allows closing an upload slot when $when', ({ now }) => {
    expect(isSlotExpired({ expiresAt }, now)).toBe(true);
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
