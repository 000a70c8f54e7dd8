import * as z from 'zod/mini';
import { ValidationSchema, optionalString, personText } from './common.js';

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
  validation: ValidationSchema,
});
export type RevocationView = z.output<typeof RevocationSchema>;
export const RevocationReply = z.object({ revocation: RevocationSchema });

export const UploadSlotReply = z.object({
  method: z.literal('POST'),
  url: z.string(),
  fields: z.record(z.string(), z.string()),
  minBytes: z.number(),
  maxBytes: z.number(),
  allowedTypes: z.array(LetterTypeSchema),
  expiresAt: z.string(),
});
