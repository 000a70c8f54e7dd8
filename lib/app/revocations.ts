import { createHash, randomBytes } from 'node:crypto';
import { effectiveStatus } from '../domain/certificate.js';
import { LETTER_MAX_BYTES, LETTER_MIN_BYTES } from '../domain/letter.js';
import { checkRevocation, checkRevocationReason, planRevocationRoute, type RoutePlan } from '../domain/revocation.js';
import { createValidationChallenge } from '../domain/validation.js';
import { getOwnCertificate } from './certificates.js';
import { DomainError, InvalidRequestError, NotFoundError, RuleViolationError, SubmitConflictError } from './errors.js';
import type { AuditEvent, Caller, Certificate, Revocation, RevocationStatus } from './model.js';
import type { CertificateChange, CertificateStore, Clock, IdGenerator, RevocationStore, Workflows } from './ports.js';
import { RevocationSchema, type RevocationView } from './schemas.js';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
const SUBMIT_ATTEMPTS = 3;

export interface RevocationDeps {
  certificates: CertificateStore;
  revocations: RevocationStore;
  workflows: Workflows;
  clock: Clock;
  newId: IdGenerator;
  /** Logs what could not be done now but will be retried (never secrets). */
  warn: (message: string, detail: Record<string, unknown>) => void;
}

export interface SubmitInput {
  reason?: string | undefined;
  reasonCode?: string | undefined;
}

/** The same `Idempotency-Key` with another request body. */
export class IdempotencyKeyReusedError extends DomainError {
  readonly status = 409;
  readonly code = 'IDEMPOTENCY_KEY_REUSED';
  constructor() {
    super('This Idempotency-Key was already used for a different request in the last 24 hours.');
  }
}

/**
 * Submits a revocation (customer). Final: there is no cancel.
 * 1. Replay the stored reply for a repeated `Idempotency-Key` with the same request.
 * 2. Check eligibility (RULES.md order) and the route's reason rules.
 * 3. In one transaction: the certificate and every certificate reissued from it → `revoking`,
 *    the request created, audit events appended, the idempotency record kept.
 * 4. Start the workflow; a failed start is resumed later, the request is never lost.
 */
export async function submitRevocation(
  deps: RevocationDeps,
  caller: Caller,
  certificateId: string,
  input: SubmitInput,
  idempotencyKey?: string,
): Promise<RevocationView> {
  const requestHash = hashRequest(certificateId, input);
  for (let attempt = 1; ; attempt++) {
    const certificate = await getOwnCertificate({ store: deps.certificates }, caller, certificateId);
    const now = deps.clock();
    const verdict = checkRevocation(certificate, now);
    if (!verdict.ok) {
      // A replay arrives after its own submission made the certificate `revoking`.
      const replay = idempotencyKey ? await storedReply(deps, caller, idempotencyKey, requestHash, now) : undefined;
      if (replay) return replay;
      throw new RuleViolationError(verdict);
    }
    const plan = planRevocationRoute(certificate);
    const reason = checkRevocationReason(plan, input);
    if (!reason.ok) throw new InvalidRequestError(reason.code, reasonMessage(reason.code));

    const cascade = await cascadeOf(deps, certificate, now);
    const revocation = newRevocation(deps, caller, certificate, cascade, plan, reason, now);
    const reply = toRevocationView(revocation);
    const at = now.toISOString();
    const changes: CertificateChange[] = [certificate, ...cascade].map((c) => ({
      certificate: { ...c, status: 'revoking', activeRevocationId: revocation.id, updatedAt: at },
      expectedVersion: c.version,
    }));
    const events: AuditEvent[] = [certificate, ...cascade].map((c) => ({
      certificateId: c.id,
      account: c.account,
      at,
      type: c.id === certificate.id ? 'revocation.submitted' : 'revocation.cascaded',
      actor: caller.sub,
      detail: { revocationId: revocation.id, route: plan.route, reasonCode: revocation.reasonCode, ...(revocation.reason ? { reason: revocation.reason } : {}) },
    }));
    try {
      await deps.revocations.create(
        revocation,
        changes,
        events,
        idempotencyKey ? { account: caller.account, key: idempotencyKey, requestHash, reply, expiresAtEpoch: Math.floor(now.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS } : undefined,
      );
    } catch (error) {
      if (!(error instanceof SubmitConflictError)) throw error;
      if (error.part === 'idempotency') {
        const replay = await storedReply(deps, caller, idempotencyKey!, requestHash, now);
        if (replay) return replay;
      }
      // Someone changed a certificate since we read it: re-read and decide again.
      if (attempt < SUBMIT_ATTEMPTS) continue;
      throw new RuleViolationError('ALREADY_REVOKING');
    }
    await startWorkflow(deps, revocation);
    return reply;
  }
}

async function storedReply(deps: RevocationDeps, caller: Caller, key: string, requestHash: string, now: Date): Promise<RevocationView | undefined> {
  const record = await deps.revocations.idempotency(caller.account, key);
  if (!record || record.expiresAtEpoch * 1000 <= now.getTime()) return undefined;
  if (record.requestHash !== requestHash) throw new IdempotencyKeyReusedError();
  // A stored map loses its key order; the schema restores the reply byte for byte.
  return RevocationSchema.parse(record.reply);
}

function hashRequest(certificateId: string, input: SubmitInput): string {
  return createHash('sha256').update(JSON.stringify([certificateId, input.reason ?? null, input.reasonCode ?? null])).digest('base64url');
}

/** Certificates reissued from this original that are still live: revoked with it. */
async function cascadeOf(deps: RevocationDeps, original: Certificate, now: Date): Promise<Certificate[]> {
  const reissued = await Promise.all((original.reissuedCertificateIds ?? []).map((id) => deps.certificates.get(id)));
  return reissued.filter((c): c is Certificate => c !== undefined && !c.deletedAt && effectiveStatus(c, now) === 'issued');
}

function newRevocation(
  deps: RevocationDeps,
  caller: Caller,
  certificate: Certificate,
  cascade: Certificate[],
  plan: RoutePlan,
  reason: { reason: string; reasonCode: Revocation['reasonCode'] },
  now: Date,
): Revocation {
  const at = now.toISOString();
  const status: Record<RoutePlan['route'], RevocationStatus> = {
    auto: 'revoking',
    domain_validation: 'pending_validation',
    review: 'pending_review',
    letter: 'pending_letter',
  };
  return {
    id: deps.newId(),
    account: certificate.account,
    certificateId: certificate.id,
    cascadeCertificateIds: cascade.map((c) => c.id),
    route: plan.route,
    status: status[plan.route],
    reasonCode: reason.reasonCode,
    reason: reason.reason,
    submittedBy: caller.sub,
    createdAt: at,
    updatedAt: at,
    ...(plan.letter
      ? { letter: { kind: plan.letter.kind, allowedTypes: [...plan.letter.allowedTypes], minBytes: LETTER_MIN_BYTES, maxBytes: LETTER_MAX_BYTES, status: 'awaiting', rejections: [] } }
      : {}),
    ...(plan.route === 'domain_validation'
      ? {
          validation: createValidationChallenge({
            domain: certificate.domain,
            token: randomBytes(24).toString('base64url'),
            submittedAt: now,
            method: certificate.domainValidation,
            dnsHostedHere: certificate.dnsHostedHere,
          }),
        }
      : {}),
    version: 1,
  };
}

function reasonMessage(code: string): string {
  return code === 'REASON_REQUIRED'
    ? 'A reason is required to revoke this certificate.'
    : 'reasonCode must be one of unspecified, keyCompromise, affiliationChanged, superseded, cessationOfOperation.';
}

/** Starts (or resumes) the workflow from the request's current state; a failure is logged and resumed later. */
export async function startWorkflow(deps: Pick<RevocationDeps, 'workflows' | 'warn'>, revocation: Revocation): Promise<void> {
  try {
    await deps.workflows.startRevocation(revocation);
  } catch (error) {
    deps.warn('revocation workflow not started; it will be resumed', { revocationId: revocation.id, error: (error as Error).name });
  }
}

/** One of the caller's account's revocations; another account's is a 404. */
export async function getOwnRevocation(deps: Pick<RevocationDeps, 'revocations'>, caller: Caller, id: string): Promise<Revocation> {
  const revocation = await deps.revocations.get(id);
  if (!revocation || revocation.account !== caller.account) throw new NotFoundError('revocation');
  return revocation;
}

/** The public shape: nothing internal (task token, version, account) ever leaves. */
export function toRevocationView(r: Revocation): RevocationView {
  return RevocationSchema.parse(r);
}
