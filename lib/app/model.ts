import type { CertificateFacts } from '../domain/certificate.js';

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
