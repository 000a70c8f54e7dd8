import * as z from 'zod/mini';
import { EnterpriseSchema, ValidationSchema, domain, optionalString, personText } from './common.js';

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
  validation: ValidationSchema,
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
