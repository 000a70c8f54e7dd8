import type * as z from 'zod/mini';
import type { CertificateView, EventSchema, ReissueView, ReviewView, RevocationView, UploadSlotReply } from '../../lib/app/schemas.js';

/** The API's shapes, from the same zod schemas the handlers answer with (types only: no zod in the bundle). */
export type Certificate = CertificateView;
export type Revocation = RevocationView;
export type Reissue = ReissueView;
export type Review = ReviewView;
export type AuditEvent = z.output<typeof EventSchema>;
export type UploadSlot = z.output<typeof UploadSlotReply>;
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
