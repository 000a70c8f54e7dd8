import * as z from 'zod/mini';
import { en } from 'zod/locales';
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

/**
 * Schemas the handlers validate with and the OpenAPI document is generated from. Written with
 * zod/mini (functions and `.check(...)` instead of methods): classic zod would add ~65 KB and
 * its construction time to every function that validates.
 */

// zod/mini ships no messages (every issue would read "Invalid input"): a 400's `fields` keep the
// English ones classic zod gave. Set where the schemas are, not in a module of its own: the
// package is side-effect free, so a bundler drops a module imported only for what it does on load.
z.config(en());

const instant = z.iso.datetime({ offset: true }).check(z.describe('ISO-8601 instant'));
const id = z.string().check(z.minLength(1), z.maxLength(128), z.regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, and . _ : - only'));

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
    .check(
      z.maxLength(max, `must be at most ${max} characters`),
      z.refine((s) => everyCodePoint(s, (c) => !isControl(c)), 'must not contain control characters (tab and line breaks are allowed)'),
      z.refine((s) => everyCodePoint(s, (c) => !isLoneSurrogate(c)), 'must be well-formed Unicode (no unpaired surrogate)'),
    );

/** A listing's `nextCursor`, opaque here: the store that made it checks it (lib/adapters). */
const cursor = z.string().check(z.maxLength(2048));
/** A page size from the query string. */
const limit = z._default(z.coerce.number().check(z.int(), z.gte(1), z.lte(100)), 20);
const optionalString = (max: number) => z.optional(z.string().check(z.maxLength(max)));
const domain = z.string().check(z.minLength(1), z.maxLength(253));

export const EnterpriseSchema = z.strictObject({
  name: z.string().check(z.minLength(1), z.maxLength(200)),
  registrationNumber: optionalString(100),
  country: optionalString(100),
  province: optionalString(100),
  city: optionalString(100),
  address: optionalString(300),
  contactName: optionalString(100),
  contactEmail: optionalString(254),
  contactPhone: optionalString(50),
});

export const IdParams = z.object({ id });

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
export const HealthReply = z.object({ status: z.literal('ok') });

const count = z.int().check(z.nonnegative());
export const SweepReply = z.object({
  expired: count,
  toBeRenewed: count,
  validationsExpired: count,
  slotsClosed: count,
  locksFreed: count,
  uploadsRenotified: count.check(z.describe('Expired slots kept open because an unprocessed upload sits under them; S3 reports it again.')),
  failures: count.check(z.describe('Items the sweep could not act on; they stay due and the next sweep tries again.')),
  itemsRead: count.check(z.describe('Items read from the due index and the lock list: what the sweep cost.')),
  durationMs: count,
  complete: z.boolean().check(z.describe('False when the sweep stopped before its time ran out; the next one resumes where it stopped.')),
});

export const ProblemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.int(),
  code: z.string(),
  detail: z.string(),
  fields: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
});

const LetterTypeSchema = z.enum(['jpg', 'gif', 'png', 'pdf']);

export const SubmitRevocationBody = z.strictObject({
  reason: z.optional(personText(500)),
  reasonCode: optionalString(64).check(z.describe('unspecified (default), keyCompromise, affiliationChanged, superseded, cessationOfOperation')),
});

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
  failureCode: z.optional(z.string()),
  reviewerNote: z.optional(z.string()),
  letter: z.optional(
    z.object({
      kind: z.enum(['application', 'confirmation']),
      allowedTypes: z.array(LetterTypeSchema),
      minBytes: z.number(),
      maxBytes: z.number(),
      status: z.enum(['awaiting', 'accepted']),
      sha256: z.optional(z.string()),
      rejections: z.array(z.object({ code: z.string(), at: z.string(), detail: z.string() })),
    }),
  ),
  validation: z.optional(
    z.object({
      deadline: z.string(),
      dns: z.object({ name: z.string(), type: z.literal('TXT'), value: z.string() }),
      file: z.object({ url: z.string(), content: z.string() }),
      automatic: z.boolean(),
      lastCheckedAt: z.optional(z.string()),
      validatedAt: z.optional(z.string()),
    }),
  ),
});
export type RevocationView = z.output<typeof RevocationSchema>;
export const RevocationReply = z.object({ revocation: RevocationSchema });

export const ReviewSchema = z.object({
  id: z.string(),
  kind: z.enum(['revocation', 'reissue']),
  account: z.string(),
  submittedBy: z.string(),
  queuedAt: z.optional(z.string()),
  revocation: z.optional(RevocationSchema),
  /** A reissue waiting for manual approval (its shape is `ReissueSchema`, declared below). */
  reissue: z.optional(z.lazy(() => ReissueSchema)),
  certificate: z.optional(CertificateSchema),
  letterUrl: z.optional(z.string()).check(z.describe('the accepted letter, a 5-minute link')),
  thumbnailUrl: z.optional(z.string()).check(z.describe('its WebP thumbnail, a 5-minute link')),
});
export type ReviewView = z.output<typeof ReviewSchema>;
export const ReviewReply = z.object({ review: ReviewSchema });
export const ReviewPage = z.object({ items: z.array(ReviewSchema), nextCursor: z.nullable(z.string()) });
export const ReviewsQuery = z.strictObject({
  status: z._default(z.literal('pending'), 'pending'),
  limit,
  cursor: z.optional(cursor),
});
export const ReviewDecisionBody = z
  .strictObject({ decision: z.enum(['approve', 'reject']), note: z.optional(personText(2000)) })
  .check(z.refine((b) => b.decision === 'approve' || (b.note ?? '').trim() !== '', { path: ['note'], message: 'a note is required to reject' }));

export const EventSchema = z.object({
  certificateId: z.string(),
  at: z.string(),
  type: z.string(),
  actor: z.string(),
  detail: z.optional(z.record(z.string(), z.unknown())),
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

export const SubmitReissueBody = z.strictObject({
  csrMode: z.enum(['original', 'generate', 'paste']),
  csr: optionalString(16_384).check(z.describe('PEM PKCS#10, for csrMode paste')),
  keyAlgorithm: z.optional(z.enum(['RSA', 'ECC', 'SM2'])).check(z.describe('for csrMode generate (default RSA)')),
  keySize: z.optional(z.int()).check(z.describe('RSA 2048/4096, ECC 256/384')),
  keyPassword: optionalString(128).check(z.describe('encrypts the generated PKCS#8 key; at least 8 characters')),
  domain,
  reason: personText(500),
  enterprise: z.optional(EnterpriseSchema),
});
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
  newCertificateId: z.optional(z.string()),
  failureCode: z.optional(z.string()),
  reviewerNote: z.optional(z.string()),
  privateKeyAvailable: z.optional(z.boolean()).check(z.describe('generate mode: true until the key has been downloaded once')),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type ReissueView = z.output<typeof ReissueSchema>;
export const ReissueReply = z.object({ reissue: ReissueSchema });
