import { z } from 'zod';
import {
  ALGORITHMS,
  BRANDS,
  CERTIFICATE_STATUSES,
  DOMAIN_STATUSES,
  DOMAIN_VALIDATION_METHODS,
  PRODUCT_TYPES,
  RENEWAL_STATUSES,
  SOURCES,
} from '../domain/certificate.js';

/** Schemas the handlers validate with and the OpenAPI document is generated from. */

const instant = z.iso.datetime({ offset: true }).describe('ISO-8601 instant');
const id = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, and . _ : - only');

export const EnterpriseSchema = z
  .object({
    name: z.string().min(1).max(200),
    registrationNumber: z.string().max(100).optional(),
    country: z.string().max(100).optional(),
    province: z.string().max(100).optional(),
    city: z.string().max(100).optional(),
    address: z.string().max(300).optional(),
    contactName: z.string().max(100).optional(),
    contactEmail: z.string().max(254).optional(),
    contactPhone: z.string().max(50).optional(),
  })
  .strict();

export const IdParams = z.object({ id });

export const RegisterCertificateBody = z
  .object({
    account: id,
    domain: z.string().min(1).max(253),
    sans: z.array(z.string().min(1).max(253)).max(100).default([]),
    source: z.enum(SOURCES),
    brand: z.enum(BRANDS),
    algorithm: z.enum(ALGORITHMS),
    productType: z.enum(PRODUCT_TYPES),
    free: z.boolean().default(false),
    wildcard: z.boolean().optional().describe('defaults to whether the domain starts with "*."'),
    validityYears: z.int().min(1).max(5).default(1),
    domainValidation: z.enum(DOMAIN_VALIDATION_METHODS).default('dns'),
    dnsHostedHere: z.boolean().default(false),
    issuedAt: instant,
    notAfter: instant,
    renewalStatus: z.enum(RENEWAL_STATUSES).default('none'),
    domainStatus: z.enum(DOMAIN_STATUSES).default('active'),
    originalCertificateId: id.optional(),
    enterprise: EnterpriseSchema.optional(),
    pem: z.string().max(60_000).optional().describe('an existing certificate file; platform certificates without one are issued by the CA'),
  })
  .strict()
  .refine((b) => Date.parse(b.notAfter) > Date.parse(b.issuedAt), { path: ['notAfter'], message: 'must be after issuedAt' });
export type RegisterCertificateInput = z.output<typeof RegisterCertificateBody>;

export const ListCertificatesQuery = z
  .object({
    status: z.enum(CERTIFICATE_STATUSES).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: z.string().max(2048).optional(),
  })
  .strict();

const ActionSchema = z.object({ allowed: z.boolean(), code: z.string().optional() });

export const CertificateSchema = z.object({
  id: z.string(),
  account: z.string(),
  domain: z.string(),
  sans: z.array(z.string()),
  serialNumber: z.string().describe('hex, as `openssl x509 -serial` prints it'),
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
  originalCertificateId: z.string().optional(),
  enterprise: EnterpriseSchema.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  actions: z.object({ revoke: ActionSchema, reissue: ActionSchema, delete: ActionSchema, download: ActionSchema }),
});
export type CertificateView = z.output<typeof CertificateSchema>;

export const CertificateReply = z.object({ certificate: CertificateSchema });
export const CertificatePage = z.object({ items: z.array(CertificateSchema), nextCursor: z.string().nullable() });
export const HealthReply = z.object({ status: z.literal('ok') });

export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  code: z.string(),
  detail: z.string(),
  fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});
