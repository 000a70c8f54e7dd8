/** Certificate attributes the rules read (RULES.md, "Certificate attributes that rules read"). */

export const BRANDS = ['TrustAsia', 'WoTrus', 'DNSPod', 'GeoTrust', 'DigiCert', 'GlobalSign', 'Sectigo', 'SecureSite'] as const;
export type Brand = (typeof BRANDS)[number];

export const SOURCES = ['platform', 'uploaded'] as const;
export type Source = (typeof SOURCES)[number];

export const ALGORITHMS = ['international', 'sm2'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export const PRODUCT_TYPES = ['DV', 'OV', 'EV'] as const;
export type ProductType = (typeof PRODUCT_TYPES)[number];

export const DOMAIN_VALIDATION_METHODS = ['dns_auto', 'file_auto', 'dns', 'file'] as const;
export type DomainValidationMethod = (typeof DOMAIN_VALIDATION_METHODS)[number];

export const CERTIFICATE_STATUSES = ['issued', 'revoking', 'revoked', 'reissuing', 'expired'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];

export const RENEWAL_STATUSES = ['none', 'to_be_renewed'] as const;
export type RenewalStatus = (typeof RENEWAL_STATUSES)[number];

export const DOMAIN_STATUSES = ['active', 'deleted'] as const;
export type DomainStatus = (typeof DOMAIN_STATUSES)[number];

export interface Enterprise {
  name: string;
  registrationNumber?: string;
  country?: string;
  province?: string;
  city?: string;
  address?: string;
  contactName?: string;
  contactEmail?: string;
  contactPhone?: string;
}

/** What the rules need to know of a certificate; stored certificates carry more. */
export interface CertificateFacts {
  source: Source;
  brand: Brand;
  algorithm: Algorithm;
  productType: ProductType;
  free: boolean;
  wildcard: boolean;
  validityYears: number;
  domainValidation: DomainValidationMethod;
  dnsHostedHere: boolean;
  issuedAt: string;
  notAfter: string;
  status: CertificateStatus;
  renewalStatus: RenewalStatus;
  originalCertificateId?: string;
  domainStatus: DomainStatus;
  enterprise?: Enterprise;
}

export const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * "Standard group": international algorithm of any brand but WoTrus, or DNSPod SM2.
 * Rules 5–7 of revocation apply only to it.
 */
export function isStandardGroup(c: Pick<CertificateFacts, 'algorithm' | 'brand'>): boolean {
  return (c.algorithm === 'international' && c.brand !== 'WoTrus') || (c.brand === 'DNSPod' && c.algorithm === 'sm2');
}

/** Milliseconds from `now` until the certificate's `notAfter` (negative once past). */
export function timeToExpiry(c: Pick<CertificateFacts, 'notAfter'>, now: Date): number {
  return Date.parse(c.notAfter) - now.getTime();
}

/**
 * The status as it is true at `now`: an `issued` certificate past its `notAfter` is expired
 * even before the sweep has written it, so no rule ever treats it as live.
 */
export function effectiveStatus(c: Pick<CertificateFacts, 'status' | 'notAfter'>, now: Date): CertificateStatus {
  return c.status === 'issued' && timeToExpiry(c, now) <= 0 ? 'expired' : c.status;
}

export function isAutomaticValidation(method: DomainValidationMethod): boolean {
  return method === 'dns_auto' || method === 'file_auto';
}
