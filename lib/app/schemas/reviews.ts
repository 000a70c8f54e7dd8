import * as z from 'zod/mini';
import { CertificateSchema } from './certificates.js';
import { cursor, limit, personText } from './common.js';
import { ReissueSchema } from './reissues.js';
import { RevocationSchema } from './revocations.js';

export const ReviewSchema = z.object({
  id: z.string(),
  kind: z.enum(['revocation', 'reissue']),
  account: z.string(),
  submittedBy: z.string(),
  queuedAt: z.optional(z.string()),
  revocation: z.optional(RevocationSchema),
  /** A reissue waiting for manual approval. */
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
