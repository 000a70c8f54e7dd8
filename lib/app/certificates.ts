import { computeActions } from '../domain/actions.js';
import { checkDeletion, checkDownload } from '../domain/deletion.js';
import { checkDomainName } from '../domain/domain-name.js';
import { InvalidRequestError, NotFoundError, RuleViolationError, VersionConflictError } from './errors.js';
import type { AuditEvent, Caller, Certificate } from './model.js';
import { CertificateSchema, EnterpriseSchema, type CertificateView, type RegisterCertificateInput } from './schemas.js';
import type { CertificateAuthority, CertificateStore, Clock, IdGenerator, ListQuery, Page } from './ports.js';

export interface PemFacts {
  serialNumber: string;
  notBefore: string;
  notAfter: string;
}

export interface CertificateDeps {
  store: CertificateStore;
  ca: CertificateAuthority;
  clock: Clock;
  newId: IdGenerator;
  /** Reads an existing certificate file; throws on anything that is not one PEM certificate. */
  inspectPem: (pem: string) => PemFacts;
}

/**
 * Registers a certificate for an account (operator).
 * 1. Validate the domain and SANs (DOMAIN_INVALID).
 * 2. Take the X.509 facts from the given PEM, or have the CA issue one for a platform certificate.
 * 3. Derive the status from the clock (past `notAfter` → expired) and store it with an audit event.
 */
export async function registerCertificate(deps: CertificateDeps, caller: Caller, input: RegisterCertificateInput): Promise<Certificate> {
  const domain = validDomain(input.domain, 'domain');
  const sans = [...new Set(input.sans.map((san, i) => validDomain(san, `sans.${i}`)))].filter((san) => san !== domain);
  const original = input.originalCertificateId ? await originalOrder(deps, input.account, input.originalCertificateId) : undefined;
  const x509 = await x509Material(deps, input, domain, sans);
  const now = deps.clock().toISOString();
  const { pem: _pem, ...attributes } = input;
  const certificate: Certificate = {
    ...attributes,
    id: deps.newId(),
    domain,
    sans,
    wildcard: input.wildcard ?? domain.startsWith('*.'),
    issuedAt: new Date(input.issuedAt).toISOString(),
    notAfter: new Date(input.notAfter).toISOString(),
    ...x509,
    status: Date.parse(input.notAfter) <= Date.parse(now) ? 'expired' : 'issued',
    reissuesInOrder: original ? original.reissuesInOrder + 1 : 0,
    version: 1,
    createdAt: now,
    updatedAt: now,
  };
  await deps.store.create(certificate, {
    certificateId: certificate.id,
    account: certificate.account,
    at: now,
    type: 'certificate.registered',
    actor: caller.sub,
    detail: { source: certificate.source, serialNumber: certificate.serialNumber },
  }, original && {
    certificate: { ...original, reissuedCertificateIds: [...(original.reissuedCertificateIds ?? []), certificate.id], reissuesInOrder: certificate.reissuesInOrder, updatedAt: now },
    expectedVersion: original.version,
  });
  return certificate;
}

async function x509Material(deps: CertificateDeps, input: RegisterCertificateInput, domain: string, sans: string[]) {
  if (input.pem !== undefined) {
    let facts: PemFacts;
    try {
      facts = deps.inspectPem(input.pem);
    } catch {
      throw new InvalidRequestError('BAD_REQUEST', 'The pem field is not a PEM certificate.', [{ path: 'body.pem', message: 'not a PEM certificate' }]);
    }
    return { serialNumber: facts.serialNumber, notBefore: facts.notBefore, chainPem: input.pem.trim() + '\n' };
  }
  if (input.source === 'uploaded') return { serialNumber: '', notBefore: new Date(input.issuedAt).toISOString() };
  const issued = await deps.ca.issue({ domain, sans, notBefore: new Date(input.issuedAt), notAfter: new Date(input.notAfter) });
  return {
    serialNumber: issued.serialNumber,
    notBefore: new Date(input.issuedAt).toISOString(),
    chainPem: issued.chainPem,
    csrPem: issued.csrPem,
    publicKeySha256: issued.publicKeySha256,
  };
}

/** A reissued certificate names its original, which must be an original order of the same account. */
async function originalOrder(deps: Pick<CertificateDeps, 'store'>, account: string, id: string): Promise<Certificate> {
  const original = await deps.store.get(id);
  if (!original || original.account !== account || original.deletedAt || original.originalCertificateId) {
    throw new InvalidRequestError('BAD_REQUEST', 'originalCertificateId must name an original certificate of the same account.', [
      { path: 'body.originalCertificateId', message: 'no such original certificate in this account' },
    ]);
  }
  return original;
}

function validDomain(value: string, path: string): string {
  const check = checkDomainName(value);
  if (!check.ok) throw new InvalidRequestError('DOMAIN_INVALID', `"${value}" is not a valid domain: ${check.reason}.`, [{ path: `body.${path}`, message: check.reason }]);
  return check.domain;
}

/** One certificate of the caller's account; another account's is indistinguishable from none. */
export async function getOwnCertificate(deps: Pick<CertificateDeps, 'store'>, caller: Caller, id: string): Promise<Certificate> {
  const certificate = await deps.store.get(id);
  if (!certificate || certificate.account !== caller.account || certificate.deletedAt) throw new NotFoundError('certificate');
  return certificate;
}

export async function listCertificates(deps: Pick<CertificateDeps, 'store'>, caller: Caller, query: ListQuery): Promise<Page<Certificate>> {
  return deps.store.listByAccount(caller.account, query);
}

/** The PEM chain, unless a revocation has been submitted (RULES.md: no download once revoking). */
export async function downloadCertificate(deps: Pick<CertificateDeps, 'store'>, caller: Caller, id: string): Promise<string> {
  const certificate = await getOwnCertificate(deps, caller, id);
  const verdict = checkDownload({ status: certificate.status, hasPem: certificate.chainPem !== undefined });
  if (!verdict.ok) throw new RuleViolationError(verdict);
  return certificate.chainPem!;
}

/**
 * The public shape of a certificate with `actions` from the same rules the endpoints enforce.
 * The reissue lock of the registrable domain is not read here (it would cost a second read on
 * every GET); the reissue endpoint checks it atomically when one is submitted.
 */
export function toCertificateView(c: Certificate, now: Date): CertificateView {
  // Only the contract's fields, in its order: nothing internal (CSR, key hash, version) leaves.
  const view = pick(c, VIEW_FIELDS);
  // Reassigned, the key keeps its place.
  if (c.enterprise) view.enterprise = pick(c.enterprise, ENTERPRISE_FIELDS);
  view.actions = computeActions({ ...c, hasPem: c.chainPem !== undefined }, { now, reissuesInOrder: c.reissuesInOrder, domainLockedByOther: false });
  return view as CertificateView;
}

/**
 * The view's fields, read once from the schemas the API documents. Picked rather than parsed
 * with them: the item was validated on its way in, and a parse per read was ~4% of a read's CPU.
 */
const VIEW_FIELDS = Object.keys(CertificateSchema.shape).filter((key) => key !== 'actions');
const ENTERPRISE_FIELDS = Object.keys(EnterpriseSchema.shape);

function pick(from: object, keys: readonly string[]): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of keys) {
    const value = (from as Record<string, unknown>)[key];
    if (value !== undefined) picked[key] = value;
  }
  return picked;
}

/**
 * Deletes a certificate (customer) when RULES.md allows: revoked, expired or uploaded. The item
 * stays as a tombstone outside every listing, so its audit history keeps its owner.
 */
export async function deleteCertificate(deps: Pick<CertificateDeps, 'store' | 'clock'>, caller: Caller, id: string): Promise<void> {
  const certificate = await getOwnCertificate(deps, caller, id);
  const now = deps.clock();
  const verdict = checkDeletion(certificate, now);
  if (!verdict.ok) throw new RuleViolationError(verdict);
  const at = now.toISOString();
  try {
    await deps.store.update({ ...certificate, deletedAt: at }, certificate.version, {
      certificateId: id,
      account: certificate.account,
      at,
      type: 'certificate.deleted',
      actor: caller.sub,
    });
  } catch (error) {
    if (error instanceof VersionConflictError) throw new RuleViolationError('OPERATION_IN_PROGRESS', 'The certificate changed meanwhile; reload and try again.');
    throw error;
  }
}

/** The audit history of one of the caller's certificates (also after deletion), oldest first. */
export async function certificateEvents(deps: Pick<CertificateDeps, 'store'>, caller: Caller, id: string): Promise<AuditEvent[]> {
  const certificate = await deps.store.get(id);
  if (!certificate || certificate.account !== caller.account) throw new NotFoundError('certificate');
  return deps.store.events(id);
}
