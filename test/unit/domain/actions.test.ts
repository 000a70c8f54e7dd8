import { describe, expect, it } from 'vitest';
import {
  DAY_MS,
  checkDeletion,
  checkDownload,
  checkReissue,
  checkRevocation,
  computeActions,
  type CertificateFacts,
  type ReissueContext,
  type Verdict,
} from '../../../lib/domain/index.js';
import { NOW, certificateFacts, fromNow } from '../../fixtures/certificates.js';

const CTX: ReissueContext = { now: NOW, reissuesInOrder: 0, domainLockedByOther: false };

function withPem(overrides: Partial<CertificateFacts> = {}, hasPem = true) {
  return { ...certificateFacts(overrides), hasPem };
}

describe('computeActions', () => {
  it('allows revoke, reissue and download, and rejects delete with REVOKE_BEFORE_DELETE, when the certificate is healthy', () => {
    expect(computeActions(withPem(), CTX)).toEqual({
      revoke: { allowed: true },
      reissue: { allowed: true },
      delete: { allowed: false, code: 'REVOKE_BEFORE_DELETE' },
      download: { allowed: true },
    });
  });

  it('rejects every action with its own code when the certificate is revoking', () => {
    expect(computeActions(withPem({ status: 'revoking' }), CTX)).toEqual({
      revoke: { allowed: false, code: 'ALREADY_REVOKING' },
      reissue: { allowed: false, code: 'CERT_NOT_ISSUED' },
      delete: { allowed: false, code: 'OPERATION_IN_PROGRESS' },
      download: { allowed: false, code: 'CERT_NOT_DOWNLOADABLE' },
    });
  });

  it('rejects revoke and reissue with NOT_PLATFORM_ISSUED when the certificate was uploaded', () => {
    expect(computeActions(withPem({ source: 'uploaded' }), CTX)).toEqual({
      revoke: { allowed: false, code: 'NOT_PLATFORM_ISSUED' },
      reissue: { allowed: false, code: 'NOT_PLATFORM_ISSUED' },
      delete: { allowed: true },
      download: { allowed: true },
    });
  });

  it('rejects reissue with the context code when another certificate of the domain is reissuing', () => {
    expect(computeActions(withPem(), { ...CTX, domainLockedByOther: true }).reissue).toEqual({
      allowed: false,
      code: 'DOMAIN_REISSUE_IN_PROGRESS',
    });
  });

  it('rejects revoke with CERT_EXPIRED and allows delete when an issued certificate has passed notAfter', () => {
    const actions = computeActions(withPem({ notAfter: fromNow(-DAY_MS) }), CTX);
    expect(actions.revoke).toEqual({ allowed: false, code: 'CERT_EXPIRED' });
    expect(actions.delete).toEqual({ allowed: true });
  });

  const toAction = (v: Verdict) => (v.ok ? { allowed: true } : { allowed: false, code: v.code });

  const certificates = [
    { label: 'healthy', c: withPem() },
    { label: 'revoking', c: withPem({ status: 'revoking' }) },
    { label: 'revoked without PEM', c: withPem({ status: 'revoked' }, false) },
    { label: 'reissuing', c: withPem({ status: 'reissuing' }) },
    { label: 'expired', c: withPem({ status: 'expired' }) },
    { label: 'uploaded', c: withPem({ source: 'uploaded' }) },
    { label: 'a reissue', c: withPem({ originalCertificateId: 'cert-original' }) },
    { label: 'to_be_renewed with 10 days left', c: withPem({ renewalStatus: 'to_be_renewed', notAfter: fromNow(10 * DAY_MS) }) },
    { label: 'domain deleted', c: withPem({ domainStatus: 'deleted' }) },
    { label: 'issued without PEM', c: withPem({}, false) },
  ];

  it.each(certificates)('rejects any disagreement with the individual checks when the certificate is $label', ({ c }) => {
    expect(computeActions(c, CTX)).toEqual({
      revoke: toAction(checkRevocation(c, NOW)),
      reissue: toAction(checkReissue(c, CTX)),
      delete: toAction(checkDeletion(c, NOW)),
      download: toAction(checkDownload(c)),
    });
  });
});
