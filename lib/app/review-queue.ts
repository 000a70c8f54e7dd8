import type { Clock, RevocationStore } from './ports.js';

export interface ReviewQueueDeps {
  revocations: Pick<RevocationStore, 'pendingReviews'>;
  clock: Clock;
}

/**
 * How long, in whole seconds by the clock, the oldest request still waiting for a reviewer
 * (revocation or reissue) has been in the queue; 0 when nobody waits. The review SLA — no
 * request waits more than 24 hours — is alarmed on it.
 * 1. The queue is sorted by `queuedAt`, oldest first, so its first item is the oldest.
 * 2. Its age is the clock minus `queuedAt`, never negative (a clock behind the writer's).
 */
export async function measureOldestPendingReview(deps: ReviewQueueDeps): Promise<number> {
  const {
    items: [oldest],
  } = await deps.revocations.pendingReviews(1);
  if (!oldest) return 0;
  const queuedMs = Date.parse(oldest.request.queuedAt ?? '');
  // The queue is keyed by queuedAt, so an item without one would be a broken write.
  if (Number.isNaN(queuedMs)) throw new Error(`The review queue's oldest ${oldest.kind} ${oldest.request.id} has no valid queuedAt.`);
  return Math.max(0, Math.floor((deps.clock().getTime() - queuedMs) / 1000));
}
