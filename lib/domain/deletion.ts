import { effectiveStatus, type CertificateFacts } from './certificate.js';
import { refuse, type Verdict } from './outcome.js';

/** A certificate may be deleted when revoked, expired, or uploaded (RULES.md, "Delete"). */
export function checkDeletion(c: Pick<CertificateFacts, 'source' | 'status' | 'notAfter'>, now: Date): Verdict {
  const status = effectiveStatus(c, now);
  if (status === 'revoking' || status === 'reissuing') return refuse('OPERATION_IN_PROGRESS');
  if (c.source === 'uploaded' || status === 'revoked' || status === 'expired') return { ok: true };
  return refuse('REVOKE_BEFORE_DELETE');
}

/** Once a revocation is submitted the certificate can no longer be downloaded (nor deployed). */
export function checkDownload(c: Pick<CertificateFacts, 'status'> & { hasPem: boolean }): Verdict {
  if (c.status === 'revoking' || c.status === 'revoked' || !c.hasPem) return refuse('CERT_NOT_DOWNLOADABLE');
  return { ok: true };
}
