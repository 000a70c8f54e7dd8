import { describe, expect, it } from 'vitest';
import { DAY_MS, checkDeletion, checkDownload, type CertificateStatus } from '../../../lib/domain/index.js';
import { NOW, certificateFacts, fromNow } from '../../fixtures/certificates.js';

describe('checkDeletion', () => {
  it.each([
    { when: 'the certificate is revoked', overrides: { status: 'revoked' } },
    { when: 'the certificate is expired', overrides: { status: 'expired' } },
    { when: 'the certificate is uploaded and issued', overrides: { source: 'uploaded' } },
    { when: 'the certificate is uploaded and expired', overrides: { source: 'uploaded', status: 'expired' } },
    { when: 'an issued certificate is past notAfter', overrides: { notAfter: fromNow(-DAY_MS) } },
    { when: 'an issued certificate reaches notAfter exactly now', overrides: { notAfter: fromNow(0) } },
  ] as const)('allows deletion when $when', ({ overrides }) => {
    expect(checkDeletion(certificateFacts(overrides), NOW)).toEqual({ ok: true });
  });

  it.each([
    { when: 'an issued platform certificate has a year left', notAfter: fromNow(365 * DAY_MS) },
    { when: 'an issued platform certificate has 1 ms left', notAfter: fromNow(1) },
  ])('rejects with REVOKE_BEFORE_DELETE when $when', ({ notAfter }) => {
    expect(checkDeletion(certificateFacts({ notAfter }), NOW)).toEqual({ ok: false, code: 'REVOKE_BEFORE_DELETE' });
  });

  it.each<CertificateStatus>(['revoking', 'reissuing'])('rejects with OPERATION_IN_PROGRESS when the status is %s', (status) => {
    expect(checkDeletion(certificateFacts({ status }), NOW)).toEqual({ ok: false, code: 'OPERATION_IN_PROGRESS' });
  });

  it('rejects with OPERATION_IN_PROGRESS when a revoking certificate is also past notAfter', () => {
    expect(checkDeletion(certificateFacts({ status: 'revoking', notAfter: fromNow(-DAY_MS) }), NOW)).toEqual({
      ok: false,
      code: 'OPERATION_IN_PROGRESS',
    });
  });
});

describe('checkDownload', () => {
  it.each<{ status: CertificateStatus; hasPem: boolean }>([
    { status: 'revoking', hasPem: true },
    { status: 'revoked', hasPem: true },
    { status: 'issued', hasPem: false },
    { status: 'expired', hasPem: false },
  ])('rejects with CERT_NOT_DOWNLOADABLE when the status is $status and hasPem is $hasPem', ({ status, hasPem }) => {
    expect(checkDownload({ status, hasPem })).toEqual({ ok: false, code: 'CERT_NOT_DOWNLOADABLE' });
  });

  it.each<CertificateStatus>(['issued', 'expired', 'reissuing'])('allows download when the status is %s and the PEM exists', (status) => {
    expect(checkDownload({ status, hasPem: true })).toEqual({ ok: true });
  });
});
