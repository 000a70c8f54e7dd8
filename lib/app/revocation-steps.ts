import { checkDomainValidation, RequestClosedError, retryOnConflict } from './request-steps.js';
import type { AuditEvent, Certificate, Revocation } from './model.js';
import type { CertificateChange, CertificateStore, Clock, CrlEntry, DnsProvider, DomainProbe, RevocationAuthority, RevocationStore, Workflows } from './ports.js';

/**
 * The steps the revocation workflow runs. Each is idempotent: a retried or repeated step on a
 * request that already moved on changes nothing, and a lost race re-reads and decides again.
 */
export interface StepDeps {
  certificates: CertificateStore;
  workflows: Workflows;
  revocations: RevocationStore;
  probe: DomainProbe;
  dns: DnsProvider;
  clock: Clock;
  /** Seconds between validation checks (shortened by the local time scale). */
  validationPollSeconds: number;
}

/** What the validation check needs: no workflows (only a waiting task completes one). */
export type ValidationStepDeps = Omit<StepDeps, 'workflows'>;
type RequestSteps = Pick<StepDeps, 'revocations' | 'certificates' | 'clock'>;

const FINAL: readonly Revocation['status'][] = ['revoked', 'failed'];


/**
 * Stores the token of a task waiting for the letter or for a reviewer; a review enters the queue.
 * A wait that is already over completes its own task instead: this task may run late (a Retry
 * after a lost reply, or an execution resumed after a restart) while a decision taken meanwhile
 * resumed the workflow on its own. Storing the token then would put an approved request back
 * in the queue, and the other execution's Revoke would find it not revoking and fail it.
 */
export async function awaitCallback(deps: StepDeps, revocationId: string, waitFor: 'letter' | 'review', token: string): Promise<void> {
  await retryOnConflict(() => deps.revocations.get(revocationId), `revocation ${revocationId}`, async (r) => {
    if (FINAL.includes(r.status)) throw new RequestClosedError(`revocation ${r.id} is ${r.status}`);
    // A letter accepted before this task stored its token: nothing to wait for.
    if (waitFor === 'letter' && r.letter?.status === 'accepted') return deps.workflows.completeTask(token, { letter: 'accepted' });
    // Approved before this task stored its token: on to Revoke.
    if (waitFor === 'review' && r.status === 'revoking') return deps.workflows.completeTask(token, { decision: 'approve' });
    const at = deps.clock().toISOString();
    const next: Revocation =
      waitFor === 'review'
        ? { ...r, status: 'pending_review', taskToken: token, queuedAt: r.queuedAt ?? at, updatedAt: at }
        : { ...r, taskToken: token, updatedAt: at };
    await deps.revocations.transition(next, r.version, [], []);
  });
}

export interface ValidationCheck {
  validated: boolean;
  expired: boolean;
  waitSeconds: number;
}

/**
 * Checks the DNS record and the file of a domain-validation request. Publishes the record itself
 * when DNS is hosted here (`dns_auto`). Validated → `revoking`; past the deadline → expired.
 */
export async function checkValidation(deps: ValidationStepDeps, revocationId: string): Promise<ValidationCheck> {
  let result: ValidationCheck = { validated: false, expired: false, waitSeconds: deps.validationPollSeconds };
  await retryOnConflict(() => deps.revocations.get(revocationId), `revocation ${revocationId}`, async (r) => {
    const v = r.validation;
    if (r.status !== 'pending_validation' || !v) {
      result = { ...result, validated: r.status === 'revoking' };
      if (FINAL.includes(r.status)) throw new RequestClosedError(`revocation ${r.id} is ${r.status}`);
      return;
    }
    const check = await checkDomainValidation(deps, v, deps.clock(), deps.validationPollSeconds);
    if (check.expired) {
      result = { ...result, expired: true };
      return;
    }
    const validated = check.via !== undefined;
    const next: Revocation = { ...r, ...(validated ? { status: 'revoking' as const } : {}), validation: check.validation, updatedAt: check.at };
    await deps.revocations.transition(next, r.version, [], validated ? [event(r, r.certificateId, 'revocation.validated', 'system', check.at, { via: check.via })] : []);
    result = { ...result, validated, waitSeconds: check.waitSeconds };
  });
  return result;
}

/** Revokes at the CA (CRL entry with the reason code), then one transaction: request and certificates `revoked`. */
export async function completeRevocation(deps: RequestSteps & { ca: RevocationAuthority }, revocationId: string): Promise<void> {
  await retryOnConflict(() => deps.revocations.get(revocationId), `revocation ${revocationId}`, async (r) => {
    if (r.status === 'revoked') return;
    if (r.status !== 'revoking') throw new RequestClosedError(`revocation ${r.id} is ${r.status}, not revoking`);
    const certificates = await ownedCertificates(deps, r);
    const now = deps.clock();
    const entries: CrlEntry[] = certificates.filter((c) => c.serialNumber).map((c) => ({ serialNumber: c.serialNumber, revokedAt: now, reasonCode: r.reasonCode }));
    await deps.ca.revoke(entries);
    const at = now.toISOString();
    await deps.revocations.transition(
      { ...r, status: 'revoked', updatedAt: at },
      r.version,
      certificates.map((c) => change(c, { status: 'revoked' }, at)),
      certificates.map((c) => event(r, c.id, 'revocation.revoked', 'system', at, { serialNumber: c.serialNumber, reasonCode: r.reasonCode })),
    );
  });
}

/** Ends a request as failed; its certificates return to `issued` and the customer may apply again. */
export async function failRevocation(deps: RequestSteps, revocationId: string, failureCode: string, actor = 'system', reviewerNote?: string): Promise<void> {
  await retryOnConflict(() => deps.revocations.get(revocationId), `revocation ${revocationId}`, async (r) => {
    if (FINAL.includes(r.status)) return;
    await deps.revocations.transition(...(await failedState(deps, r, failureCode, actor, reviewerNote)));
  });
}

/** The transition that fails a request: shared by the workflow's failure step and a reviewer's rejection. */
export async function failedState(
  deps: Pick<StepDeps, 'certificates' | 'clock'>,
  r: Revocation,
  failureCode: string,
  actor: string,
  reviewerNote?: string,
): Promise<[Revocation, number, CertificateChange[], AuditEvent[]]> {
  const certificates = await ownedCertificates(deps, r);
  const at = deps.clock().toISOString();
  const { taskToken: _token, queuedAt: _queued, ...rest } = r;
  return [
    { ...rest, status: 'failed', failureCode, ...(reviewerNote ? { reviewerNote, reviewedBy: actor } : {}), updatedAt: at },
    r.version,
    certificates.map((c) => change(c, { status: 'issued' }, at)),
    certificates.map((c) => event(r, c.id, 'revocation.failed', actor, at, { failureCode, ...(reviewerNote ? { reviewerNote } : {}) })),
  ];
}

/** The request's certificates that it still holds in `revoking`. */
async function ownedCertificates(deps: Pick<StepDeps, 'certificates'>, r: Revocation): Promise<Certificate[]> {
  const all = await Promise.all([r.certificateId, ...r.cascadeCertificateIds].map((id) => deps.certificates.get(id)));
  return all.filter((c): c is Certificate => c !== undefined && c.status === 'revoking' && c.activeRevocationId === r.id);
}

function change(c: Certificate, patch: Partial<Certificate>, at: string): CertificateChange {
  const { activeRevocationId: _active, ...rest } = c;
  return { certificate: { ...rest, ...patch, updatedAt: at }, expectedVersion: c.version };
}

export function event(r: Revocation, certificateId: string, type: string, actor: string, at: string, detail: Record<string, unknown> = {}): AuditEvent {
  return { certificateId, account: r.account, at, type, actor, detail: { revocationId: r.id, ...detail } };
}
