import type { Certificate, AuditEvent } from './model.js';

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
  caCertificatePem(): Promise<string>;
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
  /** Creates a certificate with its first audit event; fails if the id exists. */
  create(certificate: Certificate, event: AuditEvent): Promise<void>;
  get(id: string): Promise<Certificate | undefined>;
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
