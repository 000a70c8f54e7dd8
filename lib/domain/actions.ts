import type { CertificateFacts } from './certificate.js';
import type { RuleCode } from './codes.js';
import { checkDeletion, checkDownload } from './deletion.js';
import type { Verdict } from './outcome.js';
import { checkReissue, type ReissueContext } from './reissue.js';
import { checkRevocation } from './revocation.js';

export interface Action {
  allowed: boolean;
  code?: RuleCode;
}

export interface CertificateActions {
  revoke: Action;
  reissue: Action;
  delete: Action;
  download: Action;
}

/** `certificate.actions`: the same verdicts the endpoints enforce, one source of truth. */
export function computeActions(
  c: CertificateFacts & { hasPem: boolean },
  ctx: ReissueContext,
): CertificateActions {
  return {
    revoke: toAction(checkRevocation(c, ctx.now)),
    reissue: toAction(checkReissue(c, ctx)),
    delete: toAction(checkDeletion(c, ctx.now)),
    download: toAction(checkDownload(c)),
  };
}

function toAction(v: Verdict): Action {
  return v.ok ? { allowed: true } : { allowed: false, code: v.code };
}
