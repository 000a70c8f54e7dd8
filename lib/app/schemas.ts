import * as z from 'zod';
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

/** C0 and C1 controls other than tab, line feed and carriage return. */
const isControl = (c: number) => (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || (c >= 0x7f && c <= 0x9f);
/** A UTF-16 half without its other half: it cannot be stored as UTF-8 without being replaced. */
const isLoneSurrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;
const everyCodePoint = (s: string, ok: (c: number) => boolean) => Array.from(s).every((ch) => ok(ch.codePointAt(0)!));

/**
 * Text a person writes (a reason, a reviewer's note): stored and shown exactly as sent, so what
 * cannot be kept exactly is refused rather than altered — control characters (NUL, ESC, …; tab
 * and line breaks are fine) and ill-formed Unicode. Everything else is kept as is: emoji,
 * right-to-left text and its direction marks, markup (replies are JSON, never HTML).
 */
const personText = (max: number) =>
  z
    .string()
    .max(max, `must be at most ${max} characters`)
    .refine((s) => everyCodePoint(s, (c) => !isControl(c)), 'must not contain control characters (tab and line breaks are allowed)')
    .refine((s) => everyCodePoint(s, (c) => !isLoneSurrogate(c)), 'must be well-formed Unicode (no unpaired surrogate)');

/** A listing's `nextCursor`, opaque here: the store that made it checks it (lib/adapters). */
const cursor = z.string().max(2048);

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
    cursor: cursor.optional(),
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

const count = z.int().nonnegative();
export const SweepReply = z.object({
  expired: count,
  toBeRenewed: count,
  validationsExpired: count,
  slotsClosed: count,
  locksFreed: count,
  uploadsRenotified: count.describe('Expired slots kept open because an unprocessed upload sits under them; S3 reports it again.'),
  failures: count.describe('Items the sweep could not act on; they stay due and the next sweep tries again.'),
  itemsRead: count.describe('Items read from the due index and the lock list: what the sweep cost.'),
  durationMs: count,
  complete: z.boolean().describe('False when the sweep stopped before its time ran out; the next one resumes where it stopped.'),
});

export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  code: z.string(),
  detail: z.string(),
  fields: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
});

const LetterTypeSchema = z.enum(['jpg', 'gif', 'png', 'pdf']);

export const SubmitRevocationBody = z
  .object({
    reason: personText(500).optional(),
    reasonCode: z.string().max(64).optional().describe('unspecified (default), keyCompromise, affiliationChanged, superseded, cessationOfOperation'),
  })
  .strict();

export const RevocationSchema = z.object({
  id: z.string(),
  certificateId: z.string(),
  cascadeCertificateIds: z.array(z.string()),
  route: z.enum(['review', 'letter', 'domain_validation', 'auto']),
  status: z.enum(['pending_letter', 'pending_validation', 'pending_review', 'revoking', 'revoked', 'failed']),
  reasonCode: z.string(),
  reason: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  failureCode: z.string().optional(),
  reviewerNote: z.string().optional(),
  letter: z
    .object({
      kind: z.enum(['application', 'confirmation']),
      allowedTypes: z.array(LetterTypeSchema),
      minBytes: z.number(),
      maxBytes: z.number(),
      status: z.enum(['awaiting', 'accepted']),
      sha256: z.string().optional(),
      rejections: z.array(z.object({ code: z.string(), at: z.string(), detail: z.string() })),
    })
    .optional(),
  validation: z
    .object({
      deadline: z.string(),
      dns: z.object({ name: z.string(), type: z.literal('TXT'), value: z.string() }),
      file: z.object({ url: z.string(), content: z.string() }),
      automatic: z.boolean(),
      lastCheckedAt: z.string().optional(),
      validatedAt: z.string().optional(),
    })
    .optional(),
});
export type RevocationView = z.output<typeof RevocationSchema>;
export const RevocationReply = z.object({ revocation: RevocationSchema });

export const ReviewSchema = z.object({
  id: z.string(),
  kind: z.enum(['revocation', 'reissue']),
  account: z.string(),
  submittedBy: z.string(),
  queuedAt: z.string().optional(),
  revocation: RevocationSchema.optional(),
  /** A reissue waiting for manual approval (its shape is `ReissueSchema`, declared below). */
  reissue: z.lazy(() => ReissueSchema).optional(),
  certificate: CertificateSchema.optional(),
  letterUrl: z.string().optional().describe('the accepted letter, a 5-minute link'),
  thumbnailUrl: z.string().optional().describe('its WebP thumbnail, a 5-minute link'),
});
export type ReviewView = z.output<typeof ReviewSchema>;
export const ReviewReply = z.object({ review: ReviewSchema });
export const ReviewPage = z.object({ items: z.array(ReviewSchema), nextCursor: z.string().nullable() });
export const ReviewsQuery = z
  .object({
    status: z.literal('pending').default('pending'),
    limit: z.coerce.number().int().min(1).max(100).default(20),
    cursor: cursor.optional(),
  })
  .strict();
export const ReviewDecisionBody = z
  .object({ decision: z.enum(['approve', 'reject']), note: personText(2000).optional() })
  .strict()
  .refine((b) => b.decision === 'approve' || (b.note ?? '').trim() !== '', { path: ['note'], message: 'a note is required to reject' });

export const EventSchema = z.object({
  certificateId: z.string(),
  at: z.string(),
  type: z.string(),
  actor: z.string(),
  detail: z.record(z.string(), z.unknown()).optional(),
});
export const EventsReply = z.object({ items: z.array(EventSchema) });

export const UploadSlotReply = z.object({
  method: z.literal('POST'),
  url: z.string(),
  fields: z.record(z.string(), z.string()),
  minBytes: z.number(),
  maxBytes: z.number(),
  allowedTypes: z.array(LetterTypeSchema),
  expiresAt: z.string(),
});

export const SubmitReissueBody = z
  .object({
    csrMode: z.enum(['original', 'generate', 'paste']),
    csr: z.string().max(16_384).optional().describe('PEM PKCS#10, for csrMode paste'),
    keyAlgorithm: z.enum(['RSA', 'ECC', 'SM2']).optional().describe('for csrMode generate (default RSA)'),
    keySize: z.int().optional().describe('RSA 2048/4096, ECC 256/384'),
    keyPassword: z.string().max(128).optional().describe('encrypts the generated PKCS#8 key; at least 8 characters'),
    domain: z.string().min(1).max(253),
    reason: personText(500),
    enterprise: EnterpriseSchema.optional(),
  })
  .strict();
export type SubmitReissueInput = z.output<typeof SubmitReissueBody>;

export const ReissueSchema = z.object({
  id: z.string(),
  certificateId: z.string(),
  status: z.enum(['pending_validation', 'pending_review', 'issuing', 'issued', 'failed']),
  csrMode: z.enum(['original', 'generate', 'paste']),
  domain: z.string(),
  reason: z.string(),
  validation: RevocationSchema.shape.validation,
  needsReview: z.boolean(),
  newCertificateId: z.string().optional(),
  failureCode: z.string().optional(),
  reviewerNote: z.string().optional(),
  privateKeyAvailable: z.boolean().optional().describe('generate mode: true until the key has been downloaded once'),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ReissueView = z.output<typeof ReissueSchema>;
export const ReissueReply = z.object({ reissue: ReissueSchema });
