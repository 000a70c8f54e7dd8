import { randomBytes } from 'node:crypto';
import { checkDomainName } from '../domain/domain-name.js';
import { checkReissue, needsManualApproval, skipsDomainValidation } from '../domain/reissue.js';
import { createValidationChallenge } from '../domain/validation.js';
import { getOwnCertificate } from './certificates.js';
import { DomainError, InvalidRequestError, NotFoundError, RuleViolationError, SubmitConflictError, VersionConflictError } from './errors.js';
import type { AuditEvent, Caller, Certificate, Reissue, ReissueStatus } from './model.js';
import type { CertificateAuthority, CertificateStore, Clock, CsrToolkit, DnsProvider, DomainProbe, IdGenerator, KeyVault, ReissueStore, Workflows } from './ports.js';
import { checkDomainValidation, RequestClosedError, retryOnConflict } from './request-steps.js';
import { ReissueSchema, type ReissueView, type SubmitReissueInput } from './schemas.js';

export interface ReissueDeps {
  certificates: CertificateStore;
  reissues: ReissueStore;
  workflows: Workflows;
  ca: CertificateAuthority;
  csr: CsrToolkit;
  vault: KeyVault;
  probe: DomainProbe;
  dns: DnsProvider;
  clock: Clock;
  newId: IdGenerator;
  validationPollSeconds: number;
  warn: (message: string, detail: Record<string, unknown>) => void;
}

/** What the workflow's steps before the issue need: the requests, not the CA, CSRs or keys. */
export type ReissueStepDeps = Omit<ReissueDeps, 'ca' | 'csr' | 'vault'>;
/** The submission checks or makes the CSR and seals a generated key: no CA. */
export type ReissueSubmitDeps = Omit<ReissueDeps, 'ca'>;
/** The issue step signs with the CA: no CSR toolkit or key vault. */
export type ReissueIssueDeps = Omit<ReissueDeps, 'csr' | 'vault'>;

const FINAL: readonly ReissueStatus[] = ['issued', 'failed'];

/** The generated key was already downloaded (or never existed): 410. */
export class PrivateKeyGoneError extends DomainError {
  readonly status = 410;
  readonly code = 'PRIVATE_KEY_GONE';
  constructor() {
    super('The private key was offered once and has been destroyed.');
  }
}

/**
 * Submits a reissue (customer).
 * 1. Validate the bound domain and the reason; check eligibility (RULES.md order), reading the
 *    order's reissue count and the registrable domain's lock.
 * 2. The CSR: the original's, one generated here (its key sealed for a single download), or a
 *    pasted one that must verify and name the domain.
 * 3. Decide the skips: validation (< 3 days after issuance, or same public key) and approval
 *    (DV, or unchanged enterprise details).
 * 4. One transaction: the certificate → `reissuing`, the lock taken, the request and its event.
 */
export async function submitReissue(deps: ReissueSubmitDeps, caller: Caller, certificateId: string, input: SubmitReissueInput): Promise<ReissueView> {
  const domain = checkDomainName(input.domain);
  if (!domain.ok) throw new InvalidRequestError('DOMAIN_INVALID', `"${input.domain}" is not a valid domain: ${domain.reason}.`, [{ path: 'body.domain', message: domain.reason }]);
  if (input.reason.trim() === '') throw new InvalidRequestError('REASON_REQUIRED', 'A reason is required to reissue a certificate.');
  for (let attempt = 1; ; attempt++) {
    const certificate = await getOwnCertificate({ store: deps.certificates }, caller, certificateId);
    const order = certificate.originalCertificateId ? ((await deps.certificates.get(certificate.originalCertificateId)) ?? certificate) : certificate;
    const lock = await deps.reissues.lock(domain.registrableDomain);
    const now = deps.clock();
    const verdict = checkReissue(certificate, { now, reissuesInOrder: order.reissuesInOrder, domainLockedByOther: lock !== undefined && lock.certificateId !== certificate.id });
    if (!verdict.ok) throw new RuleViolationError(verdict);

    const id = deps.newId();
    const csr = await csrFor(deps, id, certificate, input, domain.domain);
    const skipValidation = skipsDomainValidation({ originalIssuedAt: certificate.issuedAt, submittedAt: now, originalPublicKey: certificate.publicKeySha256, csrPublicKey: csr.publicKeySha256 });
    const needsReview = needsManualApproval(certificate, input.enterprise);
    const status: ReissueStatus = !skipValidation ? 'pending_validation' : needsReview ? 'pending_review' : 'issuing';
    const at = now.toISOString();
    const reissue: Reissue = {
      id,
      account: certificate.account,
      certificateId: certificate.id,
      orderCertificateId: order.id,
      status,
      csrMode: input.csrMode,
      domain: domain.domain,
      registrableDomain: domain.registrableDomain,
      reason: input.reason.trim(),
      ...csr,
      needsReview,
      ...(input.enterprise ? { enterprise: input.enterprise } : {}),
      ...(skipValidation
        ? {}
        : {
            validation: createValidationChallenge({
              domain: domain.domain,
              token: randomBytes(24).toString('base64url'),
              submittedAt: now,
              method: certificate.domainValidation,
              dnsHostedHere: certificate.dnsHostedHere,
            }),
          }),
      submittedBy: caller.sub,
      createdAt: at,
      updatedAt: at,
      version: 1,
    };
    try {
      await deps.reissues.create(reissue, {
        certificates: [{ certificate: { ...certificate, status: 'reissuing', updatedAt: at }, expectedVersion: certificate.version }],
        takeLock: { registrableDomain: domain.registrableDomain, certificateId: certificate.id, reissueId: id },
        events: [event(reissue, certificate.id, 'reissue.submitted', caller.sub, at, { csrMode: input.csrMode, domain: domain.domain, skipsValidation: skipValidation, needsReview })],
      });
    } catch (error) {
      if (!(error instanceof SubmitConflictError)) throw error;
      if (error.part === 'lock') throw new RuleViolationError('DOMAIN_REISSUE_IN_PROGRESS');
      if (attempt < 3) continue; // the certificate changed: decide again on its new state
      throw new RuleViolationError('REISSUE_IN_PROGRESS');
    }
    try {
      await deps.workflows.startReissue(reissue);
    } catch (error) {
      deps.warn('reissue workflow not started; it will be resumed', { reissueId: id, error: (error as Error).name });
    }
    return toReissueView(reissue);
  }
}

async function csrFor(deps: ReissueSubmitDeps, id: string, certificate: Certificate, input: SubmitReissueInput, domain: string) {
  const invalid = (reason: string) => new InvalidRequestError('CSR_INVALID', `The CSR is not valid: ${reason}`, [{ path: 'body.csr', message: reason }]);
  if (input.csrMode === 'original') {
    if (!certificate.csrPem || !certificate.publicKeySha256) throw invalid('no CSR is on record for this certificate; generate or paste one.');
    return { csrPem: certificate.csrPem, publicKeySha256: certificate.publicKeySha256 };
  }
  if (input.csrMode === 'paste') {
    if (!input.csr) throw invalid('paste a PEM PKCS#10 request in csr.');
    const check = await deps.csr.check(input.csr, domain);
    if (!check.ok) throw invalid(check.reason);
    return { csrPem: input.csr.trim() + '\n', publicKeySha256: check.publicKeySha256 };
  }
  let generated;
  try {
    generated = await deps.csr.generate({ domain, algorithm: input.keyAlgorithm ?? 'RSA', ...(input.keySize ? { keySize: input.keySize } : {}), ...(input.keyPassword !== undefined ? { keyPassword: input.keyPassword } : {}) });
  } catch (error) {
    throw invalid((error as Error).message);
  }
  const sealedPrivateKey = await deps.vault.seal(Buffer.from(generated.privateKeyPem), { reissueId: id });
  return { csrPem: generated.csrPem, publicKeySha256: generated.publicKeySha256, sealedPrivateKey };
}

export async function getOwnReissue(deps: Pick<ReissueDeps, 'reissues'>, caller: Caller, id: string): Promise<Reissue> {
  const reissue = await deps.reissues.get(id);
  if (!reissue || reissue.account !== caller.account) throw new NotFoundError('reissue');
  return reissue;
}

/** The generated private key, once: the sealed copy is destroyed by the same conditional write. */
export async function takePrivateKey(deps: Pick<ReissueDeps, 'reissues' | 'vault' | 'clock'>, caller: Caller, id: string): Promise<string> {
  const r = await getOwnReissue(deps, caller, id);
  if (r.csrMode !== 'generate') throw new RuleViolationError('WRONG_STATE', 'Only a reissue with a generated key has a private key to download.');
  if (!r.sealedPrivateKey) throw new PrivateKeyGoneError();
  const pem = Buffer.from(await deps.vault.open(r.sealedPrivateKey, { reissueId: r.id })).toString('utf8');
  const { sealedPrivateKey: _destroyed, ...rest } = r;
  try {
    await deps.reissues.transition({ ...rest, privateKeyDelivered: true, updatedAt: deps.clock().toISOString() }, r.version, { certificates: [], events: [] });
  } catch (error) {
    if (error instanceof VersionConflictError) throw new PrivateKeyGoneError();
    throw error;
  }
  return pem;
}

export function toReissueView(r: Reissue): ReissueView {
  return ReissueSchema.parse({ ...r, ...(r.csrMode === 'generate' ? { privateKeyAvailable: r.sealedPrivateKey !== undefined } : {}) });
}

function event(r: Reissue, certificateId: string, type: string, actor: string, at: string, detail: Record<string, unknown> = {}): AuditEvent {
  return { certificateId, account: r.account, at, type, actor, detail: { reissueId: r.id, ...detail } };
}

// ---- workflow steps: each idempotent; a lost race re-reads and decides again ----


/**
 * What the workflow's `Validated?` choice reads. `next` is always there (the status to go on
 * with; `pending_validation` while not validated): a Choice rule on a path that is absent is a
 * States.Runtime error, which no Catch handles and which ends the execution.
 */
export interface ReissueValidationCheck {
  expired: boolean;
  next: ReissueStatus;
  waitSeconds: number;
}

/** Validation step: validated → review or issuing; past the 3-day deadline → expired. */
export async function checkReissueValidation(deps: ReissueStepDeps, id: string): Promise<ReissueValidationCheck> {
  let result: ReissueValidationCheck = { expired: false, next: 'pending_validation', waitSeconds: deps.validationPollSeconds };
  await retryOnConflict(() => deps.reissues.get(id), `reissue ${id}`, async (r) => {
    const v = r.validation;
    if (FINAL.includes(r.status)) throw new RequestClosedError(`reissue ${r.id} is ${r.status}`);
    if (r.status !== 'pending_validation' || !v) {
      result = { ...result, next: r.status };
      return;
    }
    const check = await checkDomainValidation(deps, v, deps.clock(), deps.validationPollSeconds);
    if (check.expired) {
      result = { ...result, expired: true };
      return;
    }
    const next: ReissueStatus = check.via ? (r.needsReview ? 'pending_review' : 'issuing') : 'pending_validation';
    await deps.reissues.transition({ ...r, status: next, validation: check.validation, updatedAt: check.at }, r.version, {
      certificates: [],
      events: check.via ? [event(r, r.certificateId, 'reissue.validated', 'system', check.at, { via: check.via })] : [],
    });
    result = { expired: false, next, waitSeconds: check.waitSeconds };
  });
  return result;
}

/** Review step: stores the task token and enters the review queue. */
export async function awaitReissueReview(deps: ReissueStepDeps, id: string, token: string): Promise<void> {
  await retryOnConflict(() => deps.reissues.get(id), `reissue ${id}`, async (r) => {
    if (FINAL.includes(r.status)) throw new RequestClosedError(`reissue ${r.id} is ${r.status}`);
    if (r.status === 'issuing') return deps.workflows.completeTask(token, { decision: 'approve' });
    const at = deps.clock().toISOString();
    await deps.reissues.transition({ ...r, status: 'pending_review', taskToken: token, queuedAt: r.queuedAt ?? at, updatedAt: at }, r.version, { certificates: [], events: [] });
  });
}

/**
 * Issue step: the CA signs the CSR for the bound domain, keeping the original's `notAfter`; one
 * transaction stores the new certificate (its id derived from the request, so never twice),
 * returns the original to `issued`, counts the reissue on the order and frees the lock.
 */
export async function issueReissue(deps: ReissueIssueDeps, id: string): Promise<void> {
  await retryOnConflict(() => deps.reissues.get(id), `reissue ${id}`, async (r) => {
    if (r.status === 'issued') return;
    if (r.status !== 'issuing') throw new RequestClosedError(`reissue ${r.id} is ${r.status}, not issuing`);
    const certificate = await deps.certificates.get(r.certificateId);
    const order = r.orderCertificateId === r.certificateId ? certificate : await deps.certificates.get(r.orderCertificateId);
    if (!certificate || !order) throw new RequestClosedError(`reissue ${r.id}: its certificate is gone`);
    const now = deps.clock();
    const at = now.toISOString();
    const issued = await deps.ca.issue({ domain: r.domain, sans: [], notBefore: now, notAfter: new Date(certificate.notAfter), csrPem: r.csrPem });
    const newId = `crt_${r.id.replace(/^ris_/, '')}`;
    const reissuesInOrder = order.reissuesInOrder + 1;
    const fresh: Certificate = {
      ...certificate,
      id: newId,
      domain: r.domain,
      sans: [],
      wildcard: r.domain.startsWith('*.'),
      status: 'issued',
      renewalStatus: 'none',
      issuedAt: at,
      notBefore: at,
      notAfter: certificate.notAfter,
      originalCertificateId: order.id,
      serialNumber: issued.serialNumber,
      chainPem: issued.chainPem,
      csrPem: issued.csrPem,
      publicKeySha256: issued.publicKeySha256,
      reissuesInOrder,
      ...(r.enterprise ? { enterprise: r.enterprise } : {}),
      version: 1,
      createdAt: at,
      updatedAt: at,
    };
    delete fresh.reissuedCertificateIds;
    delete fresh.activeRevocationId;
    const orderChange = { ...order, reissuedCertificateIds: [...(order.reissuedCertificateIds ?? []), newId], reissuesInOrder, updatedAt: at };
    const changes =
      order.id === certificate.id
        ? [{ certificate: { ...orderChange, status: 'issued' as const }, expectedVersion: order.version }]
        : [
            { certificate: { ...certificate, status: 'issued' as const, reissuesInOrder, updatedAt: at }, expectedVersion: certificate.version },
            { certificate: orderChange, expectedVersion: order.version },
          ];
    const { taskToken: _t, queuedAt: _q, ...rest } = r;
    await deps.reissues.transition({ ...rest, status: 'issued', newCertificateId: newId, updatedAt: at }, r.version, {
      certificates: changes,
      newCertificate: fresh,
      releaseLock: r.registrableDomain,
      events: [
        event(r, certificate.id, 'reissue.issued', 'system', at, { newCertificateId: newId, serialNumber: issued.serialNumber }),
        event(r, newId, 'certificate.reissued', 'system', at, { originalCertificateId: order.id, serialNumber: issued.serialNumber }),
      ],
    });
  });
}

/** Ends a reissue as failed (or rejected): the original returns to `issued`, the lock is freed. */
export async function failReissue(deps: Pick<ReissueDeps, 'reissues' | 'certificates' | 'clock'>, id: string, failureCode: string, actor = 'system', reviewerNote?: string): Promise<Reissue | undefined> {
  let ended: Reissue | undefined;
  await retryOnConflict(() => deps.reissues.get(id), `reissue ${id}`, async (r) => {
    if (FINAL.includes(r.status)) return;
    ended = await endReissue(deps, r, failureCode, actor, reviewerNote);
  });
  return ended;
}

/** One transaction: the request `failed`, its certificate back to `issued`, the domain lock freed. Throws `VersionConflictError` on a lost race. */
export async function endReissue(deps: Pick<ReissueDeps, 'reissues' | 'certificates' | 'clock'>, r: Reissue, failureCode: string, actor: string, reviewerNote?: string): Promise<Reissue> {
  const certificate = await deps.certificates.get(r.certificateId);
  const at = deps.clock().toISOString();
  const { taskToken: _t, queuedAt: _q, ...rest } = r;
  return deps.reissues.transition(
    { ...rest, status: 'failed', failureCode, ...(reviewerNote ? { reviewerNote, reviewedBy: actor } : {}), updatedAt: at },
    r.version,
    {
      certificates: certificate?.status === 'reissuing' ? [{ certificate: { ...certificate, status: 'issued', updatedAt: at }, expectedVersion: certificate.version }] : [],
      releaseLock: r.registrableDomain,
      events: [event(r, r.certificateId, 'reissue.failed', actor, at, { failureCode, ...(reviewerNote ? { reviewerNote } : {}) })],
    },
  );
}
