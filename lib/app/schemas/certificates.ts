import * as z from 'zod/mini';
import {
  ALGORITHMS,
  BRANDS,
  CERTIFICATE_STATUSES,
  DOMAIN_STATUSES,
  DOMAIN_VALIDATION_METHODS,
  PRODUCT_TYPES,
  RENEWAL_STATUSES,
  SOURCES,
} from '../../domain/certificate.js';

import { EnterpriseSchema, cursor, domain, id, instant, limit, optionalString } from './common.js';

export const RegisterCertificateBody = z
  .strictObject({
    account: id,
    domain,
    sans: z._default(z.array(domain).check(z.maxLength(100)), []),
    source: z.enum(SOURCES),
    brand: z.enum(BRANDS),
    algorithm: z.enum(ALGORITHMS),
    productType: z.enum(PRODUCT_TYPES),
    free: z._default(z.boolean(), false),
    wildcard: z.optional(z.boolean()).check(z.describe('defaults to whether the domain starts with "*."')),
    validityYears: z._default(z.int().check(z.gte(1), z.lte(5)), 1),
    domainValidation: z._default(z.enum(DOMAIN_VALIDATION_METHODS), 'dns'),
    dnsHostedHere: z._default(z.boolean(), false),
    issuedAt: instant,
    notAfter: instant,
    renewalStatus: z._default(z.enum(RENEWAL_STATUSES), 'none'),
    domainStatus: z._default(z.enum(DOMAIN_STATUSES), 'active'),
    originalCertificateId: z.optional(id),
    enterprise: z.optional(EnterpriseSchema),
    pem: optionalString(60_000).check(z.describe('an existing certificate file; platform certificates without one are issued by the CA')),
  })
  .check(z.refine((b) => Date.parse(b.notAfter) > Date.parse(b.issuedAt), { path: ['notAfter'], message: 'must be after issuedAt' }));
export type RegisterCertificateInput = z.output<typeof RegisterCertificateBody>;

export const ListCertificatesQuery = z.strictObject({
  status: z.optional(z.enum(CERTIFICATE_STATUSES)),
  limit,
  cursor: z.optional(cursor),
});

const ActionSchema = z.object({ allowed: z.boolean(), code: z.optional(z.string()) });

export const CertificateSchema = z.object({
  id: z.string(),
  account: z.string(),
  domain: z.string(),
  sans: z.array(z.string()),
  serialNumber: z.string().check(z.describe('hex, as `openssl x509 -serial` prints it')),
  source: z.enum(SOURCES),
  brand: z.enum(BRANDS),
  algorithm: z.enum(ALGORITHMS),
  productType: z.enum(PRODUCT_TYPES),
  free: z.boolean(),
  wildcard: z.boolean(),
  validityYears: z.number(),
  domainValidation: z.enum(DOMAIN_VALIDATION_METHODS),
  dnsHostedHere: z.boolean(),
  status: z.enum(CERTIFICATE_STATUSES),
  renewalStatus: z.enum(RENEWAL_STATUSES),
  domainStatus: z.enum(DOMAIN_STATUSES),
  issuedAt: z.string(),
  notBefore: z.string(),
  notAfter: z.string(),
  originalCertificateId: z.optional(z.string()),
  enterprise: z.optional(EnterpriseSchema),
  createdAt: z.string(),
  updatedAt: z.string(),
  actions: z.object({ revoke: ActionSchema, reissue: ActionSchema, delete: ActionSchema, download: ActionSchema }),
});
export type CertificateView = z.output<typeof CertificateSchema>;

export const CertificateReply = z.object({ certificate: CertificateSchema });
export const CertificatePage = z.object({ items: z.array(CertificateSchema), nextCursor: z.nullable(z.string()) });
export const EventSchema = z.object({
  certificateId: z.string(),
  at: z.string(),
  type: z.string(),
  actor: z.string(),
  detail: z.optional(z.record(z.string(), z.unknown())),
});
export const EventsReply = z.object({ items: z.array(EventSchema) });
