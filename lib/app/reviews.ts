import { toCertificateView } from './certificates.js';
import { forbiddenAction, InvalidRequestError, NotFoundError, RuleViolationError, TaskGoneError, VersionConflictError } from './errors.js';
import type { Caller, Certificate, Reissue, Revocation } from './model.js';
import { failReissue, toReissueView } from './reissues.js';
import { letterLinks } from './letters.js';
import type { EvidenceLinks, Page, ReissueStore } from './ports.js';
import { startWorkflow, toRevocationView, type RevocationDeps } from './revocations.js';
import { event, failedState } from './revocation-steps.js';
import type { ReviewView } from './schemas.js';

export type ReviewDeps = Pick<RevocationDeps, 'certificates' | 'revocations' | 'workflows' | 'clock' | 'warn'> & { reissues: ReissueStore };

/** The review queue across all accounts, oldest first. */
/** The pending queue, oldest first, each request with its certificate (one batch read a page, not one a request). */
export async function listPendingReviews(deps: Pick<ReviewDeps, 'revocations' | 'certificates' | 'clock'>, limit: number, cursor?: string): Promise<Page<ReviewView>> {
  const page = await deps.revocations.pendingReviews(limit, cursor);
  const certificates = page.items.length ? await deps.certificates.getMany(page.items.map((i) => i.request.certificateId)) : new Map<string, Certificate>();
  const now = deps.clock();
  const view = (id: string) => {
    const c = certificates.get(id);
    return c && toCertificateView(c, now);
  };
  return {
    items: page.items.map((i) => (i.kind === 'reissue' ? toReissueReview(i.request, view(i.request.certificateId)) : toReviewView(i.request, view(i.request.certificateId)))),
    nextCursor: page.nextCursor,
  };
}

/** A request with its certificate and, for an accepted letter, 5-minute links to it and its thumbnail. */
export async function getReview(deps: Pick<ReviewDeps, 'revocations' | 'reissues' | 'certificates' | 'clock'> & { links: EvidenceLinks }, id: string): Promise<ReviewView> {
  const revocation = await deps.revocations.get(id);
  if (!revocation) {
    const reissue = await deps.reissues.get(id);
    if (!reissue) throw new NotFoundError('review');
    const certificate = await deps.certificates.get(reissue.certificateId);
    return toReissueReview(reissue, certificate && toCertificateView(certificate, deps.clock()));
  }
  const [certificate, links] = await Promise.all([deps.certificates.get(revocation.certificateId), letterLinks(deps, revocation)]);
  return { ...toReviewView(revocation, certificate && toCertificateView(certificate, deps.clock())), ...links };
}

/**
 * A reviewer's decision (reviewer). Separation of duties: never on a request they submitted.
 * 1. The decision is one conditional transition from `pending_review`: of two concurrent
 *    decisions exactly one wins, the other is `WRONG_STATE`.
 * 2. Approve → `revoking`; reject → `failed` (`REJECTED_BY_REVIEWER`, the note shown to the
 *    customer) with the certificates back to `issued`, in the same transaction.
 * 3. The waiting workflow task is completed; if it no longer waits, the workflow is resumed.
 */
export async function decideReview(deps: ReviewDeps, reviewer: Caller, id: string, decision: { decision: 'approve' | 'reject'; note?: string | undefined }): Promise<ReviewView> {
  const note = decision.note?.trim();
  if (decision.decision === 'reject' && !note) throw new InvalidRequestError('BAD_REQUEST', 'A note is required to reject.', [{ path: 'body.note', message: 'required to reject' }]);
  for (let attempt = 1; ; attempt++) {
    const r = await deps.revocations.get(id);
    if (!r) return decideReissue(deps, reviewer, id, decision.decision, note);
    if (r.submittedBy === reviewer.sub) throw forbiddenAction('You cannot decide a request you submitted yourself.');
    if (r.status !== 'pending_review' || !r.taskToken) throw new RuleViolationError('WRONG_STATE', `The request is ${r.status}, not waiting for a review.`);
    let decided: Revocation;
    try {
      decided = await recordDecision(deps, reviewer, r, decision.decision, note);
    } catch (error) {
      // A refreshed task token also changes the version; only another decision is a conflict.
      if (error instanceof VersionConflictError && attempt < 3) continue;
      if (error instanceof VersionConflictError) throw new RuleViolationError('WRONG_STATE', 'The request was decided or changed meanwhile.');
      throw error;
    }
    await releaseTask(deps, decided, r.taskToken, decision.decision);
    return toReviewView(decided);
  }
}

async function recordDecision(deps: ReviewDeps, reviewer: Caller, r: Revocation, decision: 'approve' | 'reject', note: string | undefined): Promise<Revocation> {
  if (decision === 'reject') return deps.revocations.transition(...(await failedState(deps, r, 'REJECTED_BY_REVIEWER', reviewer.sub, note)));
  const at = deps.clock().toISOString();
  const { taskToken: _t, queuedAt: _q, ...rest } = r;
  return deps.revocations.transition(
    { ...rest, status: 'revoking', reviewedBy: reviewer.sub, ...(note ? { reviewerNote: note } : {}), updatedAt: at },
    r.version,
    [],
    [event(r, r.certificateId, 'review.approved', reviewer.sub, at, note ? { note } : {})],
  );
}

/** Completes the waiting task; if it no longer waits (timed out, lost in a restart), resumes from the decision. */
async function releaseTask(deps: ReviewDeps, decided: Revocation, token: string, decision: 'approve' | 'reject'): Promise<void> {
  try {
    if (decision === 'approve') await deps.workflows.completeTask(token, { decision: 'approve' });
    else await deps.workflows.failTask(token, 'REJECTED_BY_REVIEWER', 'Rejected by a reviewer.');
  } catch (error) {
    if (!(error instanceof TaskGoneError)) throw error;
    await startWorkflow(deps, decided);
  }
}

/** The same decision on a reissue: approve → issuing; reject → failed, the original back to issued. */
async function decideReissue(deps: ReviewDeps, reviewer: Caller, id: string, decision: 'approve' | 'reject', note: string | undefined): Promise<ReviewView> {
  for (let attempt = 1; ; attempt++) {
    const r = await deps.reissues.get(id);
    if (!r) throw new NotFoundError('review');
    if (r.submittedBy === reviewer.sub) throw forbiddenAction('You cannot decide a request you submitted yourself.');
    if (r.status !== 'pending_review' || !r.taskToken) throw new RuleViolationError('WRONG_STATE', `The request is ${r.status}, not waiting for a review.`);
    const token = r.taskToken;
    const at = deps.clock().toISOString();
    let decided: Reissue | undefined;
    try {
      if (decision === 'reject') decided = await failReissue(deps, id, 'REJECTED_BY_REVIEWER', reviewer.sub, note);
      else {
        const { taskToken: _t, queuedAt: _q, ...rest } = r;
        decided = await deps.reissues.transition({ ...rest, status: 'issuing', reviewedBy: reviewer.sub, ...(note ? { reviewerNote: note } : {}), updatedAt: at }, r.version, {
          certificates: [],
          events: [{ certificateId: r.certificateId, account: r.account, at, type: 'review.approved', actor: reviewer.sub, detail: { reissueId: r.id, ...(note ? { note } : {}) } }],
        });
      }
    } catch (error) {
      if (error instanceof VersionConflictError && attempt < 3) continue;
      if (error instanceof VersionConflictError) throw new RuleViolationError('WRONG_STATE', 'The request was decided or changed meanwhile.');
      throw error;
    }
    if (!decided) throw new RuleViolationError('WRONG_STATE', 'The request was decided meanwhile.');
    try {
      if (decision === 'approve') await deps.workflows.completeTask(token, { decision: 'approve' });
      else await deps.workflows.failTask(token, 'REJECTED_BY_REVIEWER', 'Rejected by a reviewer.');
    } catch (error) {
      if (!(error instanceof TaskGoneError)) throw error;
      await deps.workflows.startReissue(decided).catch((e: unknown) => deps.warn('reissue workflow not resumed', { reissueId: id, error: (e as Error).name }));
    }
    return toReissueReview(decided);
  }
}

/** A review of either kind: the request, who submitted it, its place in the queue, and its certificate. */
function reviewOf(kind: 'revocation' | 'reissue', r: Revocation | Reissue, request: Pick<ReviewView, 'revocation' | 'reissue'>, certificate?: ReviewView['certificate']): ReviewView {
  return {
    id: r.id,
    kind,
    account: r.account,
    submittedBy: r.submittedBy,
    ...(r.queuedAt ? { queuedAt: r.queuedAt } : {}),
    ...request,
    ...(certificate ? { certificate } : {}),
  };
}

const toReissueReview = (r: Reissue, certificate?: ReviewView['certificate']) => reviewOf('reissue', r, { reissue: toReissueView(r) }, certificate);
const toReviewView = (r: Revocation, certificate?: ReviewView['certificate']) => reviewOf('revocation', r, { revocation: toRevocationView(r) }, certificate);
