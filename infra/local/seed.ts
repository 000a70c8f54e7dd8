import type { RegisterCertificateInput } from '../../lib/app/schemas.js';
import { DAY_MS } from '../../lib/domain/certificate.js';

export const DEMO_ACCOUNT = 'acme';
export const OTHER_ACCOUNT = 'globex';

const ACME_LTD = { name: 'Acme Trading Co., Ltd.', registrationNumber: '91310000MA1K000001', country: 'CN', city: 'Shanghai' };

/** Demo certificates: one for each revocation route of RULES.md, an uploaded one, and another account's. */
export function demoCertificates(now: Date): RegisterCertificateInput[] {
  const issuedAt = new Date(now.getTime() - 10 * DAY_MS).toISOString();
  const notAfter = new Date(now.getTime() + 355 * DAY_MS).toISOString();
  const base = {
    account: DEMO_ACCOUNT,
    sans: [],
    source: 'platform' as const,
    free: false,
    validityYears: 1,
    dnsHostedHere: false,
    issuedAt,
    notAfter,
    renewalStatus: 'none' as const,
    domainStatus: 'active' as const,
  };
  return [
    // route review: DNSPod SM2 DV
    { ...base, domain: 'sm2-dv.example.com', brand: 'DNSPod', algorithm: 'sm2', productType: 'DV', domainValidation: 'dns' },
    // route letter (application): DNSPod SM2 OV
    { ...base, domain: 'sm2-ov.example.com', brand: 'DNSPod', algorithm: 'sm2', productType: 'OV', domainValidation: 'dns', enterprise: ACME_LTD },
    // route auto: TrustAsia wildcard DV, 2 years, automatic validation
    { ...base, domain: '*.auto.example.net', brand: 'TrustAsia', algorithm: 'international', productType: 'DV', validityYears: 2, domainValidation: 'dns_auto', dnsHostedHere: true },
    // route domain_validation: other DV
    { ...base, domain: 'shop.example.org', sans: ['www.shop.example.org'], brand: 'GeoTrust', algorithm: 'international', productType: 'DV', domainValidation: 'dns', free: true },
    // route review: OV with automatic validation
    { ...base, domain: 'portal.example.co.uk', brand: 'DigiCert', algorithm: 'international', productType: 'OV', domainValidation: 'dns_auto', enterprise: ACME_LTD },
    // route letter (confirmation): OV with manual validation
    { ...base, domain: 'bank.example.co.uk', brand: 'GlobalSign', algorithm: 'international', productType: 'EV', domainValidation: 'file', enterprise: ACME_LTD },
    // not revocable here: a third-party certificate the customer uploaded
    { ...base, domain: 'legacy.example.com', source: 'uploaded', brand: 'Sectigo', algorithm: 'international', productType: 'DV', domainValidation: 'dns' },
    // another account's certificate: invisible to acme
    { ...base, account: OTHER_ACCOUNT, domain: 'globex.example.com', brand: 'GeoTrust', algorithm: 'international', productType: 'DV', domainValidation: 'dns' },
  ].map((c) => ({ ...c, wildcard: c.domain.startsWith('*.') })) as RegisterCertificateInput[];
}

export const DEMO_USERS = [
  { role: 'customer', sub: 'alice', account: DEMO_ACCOUNT, roles: ['customer'] },
  { role: 'customer (other account)', sub: 'bob', account: OTHER_ACCOUNT, roles: ['customer'] },
  { role: 'reviewer', sub: 'rita', account: 'certrevoke', roles: ['reviewer'] },
  { role: 'operator', sub: 'oscar', account: 'certrevoke', roles: ['operator'] },
] as const;
