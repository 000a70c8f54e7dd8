import type { LetterKind, LetterType } from '../domain/revocation.js';
import type { AuditEvent, Certificate, DomainLock, LetterRejection, Reissue, Revocation } from './model.js';

/** Issued X.509 material for a certificate. */
export interface IssuedCertificate {
  /** Leaf certificate, PEM. */
  pem: string;
  /** Leaf then CA, PEM: what a download returns. */
  chainPem: string;
  /** Hex, uppercase, as `openssl x509 -serial` prints it. */
  serialNumber: string;
  /** The PKCS#10 request the certificate was issued for (kept for reissue mode `original`). */
  csrPem: string;
  /** SHA-256 of the SubjectPublicKeyInfo, base64url: compares keys across CSRs. */
  publicKeySha256: string;
}

export interface IssueRequest {
  domain: string;
  sans: string[];
  notBefore: Date;
  notAfter: Date;
  /** A subscriber's CSR; without one the CA makes a key pair and CSR on the subscriber's behalf. */
  csrPem?: string;
}

/** The CA that signs certificates (and later CRLs). */
export interface CertificateAuthority {
  issue(request: IssueRequest): Promise<IssuedCertificate>;
}

export interface Page<T> {
  items: T[];
  nextCursor?: string | undefined;
}

export interface ListQuery {
  status?: Certificate['status'] | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** Certificate state in one table; every change is conditional and appends an audit event. */
export interface CertificateStore {
  /**
   * Creates a certificate with its first audit event; fails if the id exists. A certificate
   * reissued from `original` is linked to it in the same transaction (its version must match).
   */
  create(certificate: Certificate, event: AuditEvent, original?: { certificate: Certificate; expectedVersion: number }): Promise<void>;
  get(id: string): Promise<Certificate | undefined>;
  /** Several certificates by id, in as few reads as the store allows; missing ids are left out. */
  getMany(ids: readonly string[]): Promise<Map<string, Certificate>>;
  listByAccount(account: string, query: ListQuery): Promise<Page<Certificate>>;
  /**
   * Replaces the certificate if its stored `version` equals `expectedVersion`, bumping the
   * version and appending the event in the same transaction. Throws `VersionConflictError`
   * carrying the current item otherwise.
   */
  update(certificate: Certificate, expectedVersion: number, event: AuditEvent): Promise<Certificate>;
  /** The audit history of a certificate, oldest first. */
  events(certificateId: string): Promise<AuditEvent[]>;
}

export type Clock = () => Date;
export type IdGenerator = () => string;

/** An RFC 5280 revocation the CA records and puts on its CRL. */
export interface CrlEntry {
  /** Hex, uppercase, as on the certificate. */
  serialNumber: string;
  revokedAt: Date;
  reasonCode: 'unspecified' | 'keyCompromise' | 'affiliationChanged' | 'superseded' | 'cessationOfOperation';
}

/** The CA's revocation side: idempotent recording, and a signed CRL reflecting every entry. */
export interface RevocationAuthority {
  /** Records the entries (an already-recorded serial keeps its first entry) and re-signs the CRL. */
  revoke(entries: CrlEntry[]): Promise<void>;
}

/** Checks that a domain publishes a validation value (DNS TXT record or HTTP file). */
export interface DomainProbe {
  /** True when a TXT record at `name` (its strings joined) equals `value`. */
  hasTxtRecord(name: string, value: string): Promise<boolean>;
  /** True when `url` serves `content` (trimmed) — only from public addresses unless allow-listed. */
  servesFile(url: string, content: string): Promise<boolean>;
}

/** DNS hosted on the platform: where `dns_auto` validations publish their record themselves. */
export interface DnsProvider {
  upsertTxtRecord(name: string, value: string): Promise<void>;
  deleteTxtRecord(name: string, value: string): Promise<void>;
}

/** A certificate's new state and the version it must still have. */
export interface CertificateChange {
  certificate: Certificate;
  expectedVersion: number;
}

/** What an `Idempotency-Key` remembers: the request it answered and the reply it gave. */
export interface IdempotencyRecord {
  account: string;
  key: string;
  requestHash: string;
  reply: unknown;
  expiresAtEpoch: number;
}

/** Revocation requests; every change also moves its certificates and appends audit events, atomically. */
export interface RevocationStore {
  get(id: string): Promise<Revocation | undefined>;
  /**
   * Creates the request with its certificates' changes, events and (optionally) idempotency
   * record in one transaction. Throws `SubmitConflictError` naming what had changed.
   */
  create(revocation: Revocation, certificates: CertificateChange[], events: AuditEvent[], idempotency?: IdempotencyRecord): Promise<void>;
  /** Replaces the request at `expectedVersion` (bumping it) with its certificates' changes and events. */
  transition(revocation: Revocation, expectedVersion: number, certificates: CertificateChange[], events: AuditEvent[]): Promise<Revocation>;
  idempotency(account: string, key: string): Promise<IdempotencyRecord | undefined>;
  /** Requests waiting for a reviewer (revocations and reissues), oldest first. */
  pendingReviews(limit: number, cursor?: string): Promise<Page<ReviewItem>>;
  /** Every request not yet revoked or failed (to resume workflows after a restart). */
  active(): Promise<Revocation[]>;
}

export type ReviewItem = { kind: 'revocation'; request: Revocation } | { kind: 'reissue'; request: Reissue };

/** The workflow engine (Step Functions). */
export interface Workflows {
  /**
   * Starts the revocation workflow from the request's current state. The execution is named
   * after the request and its version, so starting the same state twice is harmless.
   */
  startRevocation(revocation: Pick<Revocation, 'id' | 'status' | 'version'>): Promise<void>;
  startReissue(reissue: Pick<Reissue, 'id' | 'status' | 'version'>): Promise<void>;
  /** Completes a waiting task; throws `TaskGoneError` when the task no longer waits. */
  completeTask(token: string, output: unknown): Promise<void>;
  failTask(token: string, error: string, cause: string): Promise<void>;
}

/** What the bytes of an uploaded letter turned out to be. */
export type LetterVerdict =
  | { ok: true; type: LetterType; contentType: string; bytes: number; pages?: number; width?: number; height?: number }
  | { ok: false; code: LetterRejection['code']; detail: string };

/**
 * Decides from content alone (magic bytes and a full, bounded decode) whether a letter is an
 * allowed, readable JPG/GIF/PNG/PDF — never from its name or declared Content-Type.
 */
export interface LetterInspector {
  inspect(bytes: Uint8Array, allowed: readonly LetterType[]): Promise<LetterVerdict>;
  /** A WebP at most 400 px wide: the image scaled, or a placeholder for a PDF. */
  thumbnail(bytes: Uint8Array, type: LetterType): Promise<Uint8Array>;
}

/** What the letter template is pre-filled with. */
export interface LetterTemplateData {
  kind: LetterKind;
  revocationId: string;
  certificateId: string;
  domains: string[];
  serialNumber: string;
  brand: string;
  productType: string;
  reason: string;
  reasonCode: string;
  /** The request's submission date (yyyy-mm-dd): the same request always renders the same bytes. */
  date: string;
  enterpriseName?: string | undefined;
}

export interface LetterTemplateRenderer {
  render(data: LetterTemplateData): Promise<Uint8Array>;
}

export interface PresignedPost {
  url: string;
  fields: Record<string, string>;
}

/** Signs the browser's upload into the intake area (apart from LetterStore: only one function signs). */
export interface UploadSigner {
  /** A presigned POST for exactly `key`, its size within the limits, valid for `expiresSeconds`. */
  presignUpload(key: string, limits: { minBytes: number; maxBytes: number; expiresSeconds: number }): Promise<PresignedPost>;
}

/** An upload as read: the SHA-256 (hex) is of exactly these bytes, the hash the evidence is recorded under. */
export interface UploadRead {
  bytes: Uint8Array;
  sha256: string;
}

/** The letter buckets: an intake area customers upload to, and write-once evidence. */
export interface LetterStore {
  /** Size and ETag of an upload, or undefined when it is gone. */
  headUpload(key: string): Promise<{ bytes: number; etag: string } | undefined>;
  /** The upload's bytes and their SHA-256, or undefined when it is gone; never more than `maxBytes` are read. */
  readUpload(key: string, maxBytes: number): Promise<UploadRead | undefined>;
  deleteUpload(key: string): Promise<void>;
  /** Has S3 report the upload again (a copy onto itself), so the processor takes it up once more. */
  renotifyUpload(key: string): Promise<void>;
  /** Keys under `uploads/` last modified before `before`, page by page. */
  listUploads(before: Date): AsyncIterable<string>;
  /** Writes evidence once (`If-None-Match: *`): `false` when the key already holds an object. */
  putEvidence(key: string, bytes: Uint8Array, contentType: string): Promise<boolean>;
}

/** Links to evidence for reviewers (apart from LetterStore: signing one needs no S3 client). */
export interface EvidenceLinks {
  /** A short-lived GET of evidence, served as `contentType` and as an attachment. */
  presignEvidence(key: string, options: { contentType: string; filename: string; expiresSeconds: number }): Promise<string>;
}

export type KeyAlgorithm = 'RSA' | 'ECC' | 'SM2';
export interface GeneratedKey { csrPem: string; privateKeyPem: string /* PKCS#8 PEM, encrypted with keyPassword when given (PBES2/AES-256-CBC) */; publicKeySha256: string }
export type CsrCheck = { ok: true; publicKeySha256: string; keyDescription: string } | { ok: false; reason: string };
export interface CsrToolkit {
  /** A key pair and a CSR for `domain` (CN and SAN); RSA 2048/4096, ECC 256/384 (P-256/P-384), SM2. */
  generate(input: { domain: string; algorithm: KeyAlgorithm; keySize?: number; keyPassword?: string }): Promise<GeneratedKey>;
  /** A pasted PEM PKCS#10: signature verifies, CN or a SAN equals `domain` (case-insensitive; a wildcard domain must match exactly), key RSA ≥ 2048, EC P-256/P-384, or SM2. */
  check(csrPem: string, domain: string): Promise<CsrCheck>;
}
/** Envelope encryption of generated private keys (KMS data keys in AWS, a local key file on one machine). */
export interface KeyVault { seal(plaintext: Uint8Array, context: Record<string, string>): Promise<string>; open(sealed: string, context: Record<string, string>): Promise<Uint8Array>; }

/** What a reissue's transaction changes besides the request itself. */
export interface ReissueChange {
  certificates: CertificateChange[];
  events: AuditEvent[];
  /** The new certificate, created in the same transaction (never twice). */
  newCertificate?: Certificate;
  /** Takes the domain lock (it must be free) … */
  takeLock?: DomainLock;
  /** … or frees it. */
  releaseLock?: string;
}

/** Reissue requests and their registrable-domain locks, changed atomically with certificates. */
export interface ReissueStore {
  get(id: string): Promise<Reissue | undefined>;
  lock(registrableDomain: string): Promise<DomainLock | undefined>;
  /** Throws `SubmitConflictError` ('certificate' or 'lock') when a condition fails. */
  create(reissue: Reissue, change: ReissueChange): Promise<void>;
  transition(reissue: Reissue, expectedVersion: number, change: ReissueChange): Promise<Reissue>;
  active(): Promise<Reissue[]>;
}

/** An item the sweep has to act on, as the due index holds it (possibly a little stale). */
export type DueItem = { kind: 'certificate'; certificate: Certificate } | { kind: 'revocation'; revocation: Revocation } | { kind: 'reissue'; reissue: Reissue };

/** Where the next sweep starts: the first day not known to be finished, and the position in it. */
export interface SweepCheckpoint {
  day: string;
  cursor?: string | undefined;
  version: number;
}

/** The sweep's reads (the due index, the locks) and its own bookkeeping. */
export interface SweepStore {
  /** One page of what is due on `day` up to `upTo`, in due order, from `cursor`. */
  duePage(day: string, upTo: Date, limit: number, cursor?: string): Promise<Page<DueItem>>;
  checkpoint(): Promise<SweepCheckpoint | undefined>;
  /** Saves the position if no other sweep saved since `expectedVersion` was read; false if one did (its position stands). */
  saveCheckpoint(position: { day: string; cursor?: string | undefined }, expectedVersion: number | undefined): Promise<boolean>;
  /** Every reissue lock (one per reissue in flight). */
  locks(): Promise<DomainLock[]>;
  /** Deletes the lock if it is still the same one, with the audit event; false when it changed or went. */
  freeLock(lock: DomainLock, event: AuditEvent): Promise<boolean>;
}
