import { describe, expect, it } from 'vitest';
import type { Reissue, Revocation } from '../../lib/app/model.js';
import type { ReviewItem, RevocationStore } from '../../lib/app/ports.js';
import { measureOldestPendingReview } from '../../lib/app/review-queue.js';

const NOW = new Date('2026-06-01T12:00:00.000Z');

/** A review queue that holds `items`, oldest first, as the store's index does; it notes the page size asked for. */
function queue(items: ReviewItem[]) {
  const limits: number[] = [];
  const revocations: Pick<RevocationStore, 'pendingReviews'> = {
    pendingReviews: async (limit) => {
      limits.push(limit);
      return { items: items.slice(0, limit) };
    },
  };
  return { revocations, limits };
}
const revocation = (queuedAt: string | undefined): ReviewItem => ({ kind: 'revocation', request: { id: 'rev_1', queuedAt } as Revocation });
const reissue = (queuedAt: string): ReviewItem => ({ kind: 'reissue', request: { id: 'ris_1', queuedAt } as Reissue });

describe('measureOldestPendingReview', () => {
  it('is the whole seconds from the first (oldest) item of the queue to the clock, reading one item', async () => {
    const { revocations, limits } = queue([reissue('2026-05-31T10:59:59.500Z'), revocation('2026-06-01T11:00:00.000Z')]);
    expect(await measureOldestPendingReview({ revocations, clock: () => NOW })).toBe(25 * 3600);
    expect(limits).toEqual([1]);
  });

  it('is 0 when nobody waits, and never negative when the clock is behind queuedAt', async () => {
    expect(await measureOldestPendingReview({ ...queue([]), clock: () => NOW })).toBe(0);
    expect(await measureOldestPendingReview({ ...queue([revocation('2026-06-01T12:00:05.000Z')]), clock: () => NOW })).toBe(0);
  });

  it('fails, naming the request, when the oldest item has no valid queuedAt', async () => {
    await expect(measureOldestPendingReview({ ...queue([revocation(undefined)]), clock: () => NOW })).rejects.toThrow(/revocation rev_1 has no valid queuedAt/);
  });
});
