import * as z from 'zod/mini';
import { count } from './common.js';

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
