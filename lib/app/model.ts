import type { CertificateFacts, Enterprise } from '../domain/certificate.js';
import type { LetterKind, LetterType, RevocationRoute, SubscriberReasonCode } from '../domain/revocation.js';
import type { ValidationChallenge } from '../domain/validation.js';

export const ROLES = ['customer', 'reviewer', 'operator'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling, from the verified token only: never from the body, path or headers. */
export interface Caller {
  sub: string;
  account: string;
  roles: Role[];
}

/** A stored certificate: the rule facts plus identity, X.509 material and bookkeeping. */
export interface Certificate extends CertificateFacts {
  id: string;
  account: string;
  domain: string;
  sans: string[];
  serialNumber: string;
  notBefore: string;
  /** Leaf then CA, PEM; absent for an uploaded certificate registered without its file. */
  chainPem?: string;
  csrPem?: string;
  publicKeySha256?: string;
  /** Reissues made across the whole original order (kept on every certificate of the order). */
  reissuesInOrder: number;
  /** Certificates reissued from this one (on an original order): revoked with it. */
  reissuedCertificateIds?: string[];
  /** The revocation in progress, while `revoking`. */
  activeRevocationId?: string;
  /** Set when deleted: the item stays as a tombstone so the audit history keeps its owner. */
  deletedAt?: string;
  version: number;
  createdAt: string;
  updatedAt: string;
}

/** An append-only audit record: who did what, when and why. History is never rewritten. */
export interface AuditEvent {
  certificateId: string;
  at: string;
  type: string;
  actor: string;
  account: string;
  detail?: Record<string, unknown>;
}

export type RevocationStatus = 'pending_letter' | 'pending_validation' | 'pending_review' | 'revoking' | 'revoked' | 'failed';

export interface LetterRejection {
  code: 'LETTER_TOO_SMALL' | 'LETTER_TOO_LARGE' | 'LETTER_TYPE_NOT_ALLOWED' | 'LETTER_UNREADABLE';
  at: string;
  detail: string;
  /** Internal: the upload it judged (key#etag), so a repeated event records it once. */
  upload?: string;
}

export interface LetterState {
  kind: LetterKind;
  allowedTypes: LetterType[];
  minBytes: number;
  maxBytes: number;
  status: 'awaiting' | 'accepted';
  sha256?: string;
  rejections: LetterRejection[];
  /** Internal: the one open upload slot; issuing a new one closes it. */
  slot?: { id: string; key: string; expiresAt: string };
  /** Internal, once accepted: what was decided from the bytes and where the evidence is. */
  type?: LetterType;
  contentType?: string;
  bytes?: number;
  acceptedAt?: string;
  evidenceKey?: string;
  thumbnailKey?: string;
}

export interface ValidationState extends ValidationChallenge {
  lastCheckedAt?: string;
  validatedAt?: string;
}

/** A revocation request. `taskToken` is internal: it never leaves the service. */
export interface Revocation {
  id: string;
  account: string;
  certificateId: string;
  /** Certificates reissued from this one, revoked in the same state change. */
  cascadeCertificateIds: string[];
  route: RevocationRoute;
  status: RevocationStatus;
  reasonCode: SubscriberReasonCode;
  reason: string;
  submittedBy: string;
  createdAt: string;
  updatedAt: string;
  /** A rule code (`VALIDATION_EXPIRED`, `REJECTED_BY_REVIEWER`) or `REQUEST_EXPIRED` / `INTERNAL_ERROR`. */
  failureCode?: string;
  reviewerNote?: string;
  reviewedBy?: string;
  letter?: LetterState;
  validation?: ValidationState;
  /** When it entered the review queue (oldest first). */
  queuedAt?: string;
  taskToken?: string;
  version: number;
}

export type ReissueStatus = 'pending_validation' | 'pending_review' | 'issuing' | 'issued' | 'failed';

/** A reissue request. `taskToken` and `sealedPrivateKey` are internal: they never leave the service. */
export interface Reissue {
  id: string;
  account: string;
  /** The certificate being reissued (it is `reissuing` meanwhile). */
  certificateId: string;
  /** The original order: the new certificate records it, and its reissue count is the order's. */
  orderCertificateId: string;
  status: ReissueStatus;
  csrMode: 'original' | 'generate' | 'paste';
  domain: string;
  registrableDomain: string;
  reason: string;
  csrPem: string;
  publicKeySha256: string;
  /** Generate mode: the private key, envelope-encrypted, until it is downloaded once. */
  sealedPrivateKey?: string;
  privateKeyDelivered?: boolean;
  validation?: ValidationState;
  needsReview: boolean;
  enterprise?: Enterprise;
  newCertificateId?: string;
  failureCode?: string;
  reviewerNote?: string;
  reviewedBy?: string;
  submittedBy: string;
  createdAt: string;
  updatedAt: string;
  queuedAt?: string;
  taskToken?: string;
  version: number;
}

/** The reissue lock of a registrable domain: one reissue at a time across its sub-domains. */
export interface DomainLock {
  registrableDomain: string;
  certificateId: string;
  reissueId: string;
}
