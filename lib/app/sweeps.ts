import { DAY_MS } from '../domain/certificate.js';
import { classifyForSweep, classifyRequestForSweep, dayOf, isLockStale, nextDay } from '../domain/sweep.js';
import { VersionConflictError } from './errors.js';
import type { AuditEvent, Certificate, Reissue, Revocation } from './model.js';
import type { CertificateStore, Clock, DueItem, LetterStore, ReissueStore, RevocationStore, SweepStore } from './ports.js';
import { endReissue } from './reissues.js';
import { retryOnConflict } from './request-steps.js';
import { event, failedState } from './revocation-steps.js';

export interface SweepDeps {
  sweeps: SweepStore;
  certificates: CertificateStore;
  revocations: RevocationStore;
  reissues: ReissueStore;
  letters: Pick<LetterStore, 'headUpload' | 'renotifyUpload'>;
  clock: Clock;
  /** Structured progress (the Powertools logger in a function). */
  log: { info(message: string, detail: Record<string, unknown>): void; warn(message: string, detail: Record<string, unknown>): void };
}

export interface SweepOptions {
  /** Milliseconds the caller has left (Lambda's `getRemainingTimeInMillis`). */
  remainingMs: () => number;
  /** No new page is started with less than this left: the page in hand and the checkpoint must fit. */
  reserveMs?: number;
  pageSize?: number;
  /** Items acted on at once: bounded, so a backlog does not exhaust connections or write capacity. */
  concurrency?: number;
}

export interface SweepReport {
  expired: number;
  toBeRenewed: number;
  validationsExpired: number;
  slotsClosed: number;
  locksFreed: number;
  /** Slots kept open because an upload sits under them unprocessed: S3 reports it again. */
  uploadsRenotified: number;
  /** Items it could not act on (logged); they stay due, and the next sweep tries them again. */
  failures: number;
  /** Items the index and lock reads returned: the sweep's read cost. */
  itemsRead: number;
  durationMs: number;
  /** False when the sweep stopped before its deadline; the next one resumes from the checkpoint. */
  complete: boolean;
}

type Counter = Exclude<keyof SweepReport, 'itemsRead' | 'durationMs' | 'complete'>;

/** A first sweep (no checkpoint yet) looks back this far: nothing is filed under a day before it was written. */
export const FIRST_SWEEP_LOOKBACK_DAYS = 30;
const DEFAULTS = { reserveMs: 10_000, pageSize: 100, concurrency: 8 };

/**
 * The expiry sweep of RULES.md. It reads the due index day by day, from the checkpoint's day
 * (never later than yesterday, where a write at midnight may still land) to today, each day
 * only up to now — so it reads what is due and nothing else — then the reissue locks.
 *
 * Every effect is a conditional write with its audit event, decided again from a fresh read
 * after a lost race: a second or concurrent sweep finds nothing left to do, and each effect
 * happens once. Pages are processed with bounded concurrency; before the deadline the sweep
 * saves where it is and stops, and the next run carries on from there.
 */
export async function runSweep(deps: SweepDeps, options: SweepOptions): Promise<SweepReport> {
  const { reserveMs, pageSize, concurrency } = { ...DEFAULTS, ...options };
  const started = Date.now();
  const now = deps.clock();
  const counts: Record<Counter, number> = { expired: 0, toBeRenewed: 0, validationsExpired: 0, slotsClosed: 0, locksFreed: 0, uploadsRenotified: 0, failures: 0 };
  let itemsRead = 0;
  const report = (complete: boolean): SweepReport => ({ ...counts, itemsRead, durationMs: Date.now() - started, complete });

  const today = dayOf(now);
  const yesterday = dayOf(new Date(now.getTime() - DAY_MS));
  const checkpoint = await deps.sweeps.checkpoint();
  const first = checkpoint ? (checkpoint.day < yesterday ? checkpoint.day : yesterday) : dayOf(new Date(now.getTime() - FIRST_SWEEP_LOOKBACK_DAYS * DAY_MS));
  // The earliest day with an item left to look at again (it failed, or waits for its upload): the checkpoint never moves past it.
  let held: string | undefined;
  const attempt = async (day: string, what: Record<string, unknown>, work: () => Promise<Counter | undefined>) => {
    try {
      const effect = await work();
      if (effect) counts[effect]++;
      // A slot kept open for its upload is looked at again next run, whatever the processor decides.
      if (effect === 'uploadsRenotified') held = held && held < day ? held : day;
    } catch (error) {
      counts.failures++;
      held = held && held < day ? held : day;
      deps.log.warn('the sweep could not act on an item; the next sweep tries again', { ...what, error: (error as Error).message });
    }
  };
  deps.log.info('sweep started', { now: now.toISOString(), fromDay: first, toDay: today, resumeCursor: checkpoint?.day === first && checkpoint.cursor !== undefined });

  for (let day = first; day <= today; day = nextDay(day)) {
    let cursor = checkpoint?.day === day ? checkpoint.cursor : undefined;
    do {
      if (options.remainingMs() < reserveMs) {
        const position = held ? { day: held } : { day, cursor };
        const saved = await deps.sweeps.saveCheckpoint(position, checkpoint?.version);
        deps.log.info('sweep stopped before its deadline; the next run resumes here', { ...position, saved, ...report(false) });
        return report(false);
      }
      const page = await deps.sweeps.duePage(day, now, pageSize, cursor);
      itemsRead += page.items.length;
      await eachBounded(page.items, concurrency, (item) => attempt(day, describe(item), () => sweepItem(deps, item, now)));
      cursor = page.nextCursor;
      if (page.items.length > 0) deps.log.info('sweep progress', { day, read: page.items.length, ...report(false) });
    } while (cursor);
  }

  const locks = await deps.sweeps.locks();
  itemsRead += locks.length;
  await eachBounded(locks, concurrency, (lock) =>
    attempt(today, { kind: 'lock', registrableDomain: lock.registrableDomain }, async () => {
      const owner = await deps.certificates.get(lock.certificateId);
      if (!isLockStale(owner)) return undefined;
      const freed = await deps.sweeps.freeLock(lock, {
        certificateId: lock.certificateId,
        account: owner?.account ?? '',
        at: deps.clock().toISOString(),
        type: 'reissue.lock_freed',
        actor: 'system',
        detail: { registrableDomain: lock.registrableDomain, reissueId: lock.reissueId, ownerStatus: owner?.status ?? 'gone' },
      });
      return freed ? 'locksFreed' : undefined;
    }),
  );

  // Days before yesterday are finished; yesterday stays open for a write that straddled midnight.
  const next = held && held < yesterday ? held : yesterday;
  if (!checkpoint || checkpoint.day !== next || checkpoint.cursor) await deps.sweeps.saveCheckpoint({ day: next }, checkpoint?.version);
  const done = report(true);
  deps.log.info('sweep finished', { ...done });
  return done;
}

function describe(item: DueItem): Record<string, unknown> {
  const id = item.kind === 'certificate' ? item.certificate.id : item.kind === 'revocation' ? item.revocation.id : item.reissue.id;
  return { kind: item.kind, id };
}

/** Acts on one due item; the effect it had, if any (another sweep may have got there first). */
async function sweepItem(deps: SweepDeps, item: DueItem, now: Date): Promise<Counter | undefined> {
  switch (item.kind) {
    case 'certificate':
      return sweepCertificate(deps, item.certificate, now);
    case 'revocation':
      return sweepRevocation(deps, item.revocation, now);
    case 'reissue':
      return sweepReissue(deps, item.reissue, now);
  }
}

async function sweepCertificate(deps: SweepDeps, indexed: Certificate, now: Date): Promise<Counter | undefined> {
  let effect: Counter | undefined;
  await retryOnConflict(
    () => deps.certificates.get(indexed.id),
    `certificate ${indexed.id}`,
    async (c) => {
      effect = undefined;
      const action = classifyForSweep(c, now);
      if (!action) return;
      const at = deps.clock().toISOString();
      const audit: AuditEvent = {
        certificateId: c.id,
        account: c.account,
        at,
        actor: 'system',
        // `certificate.to_be_renewed` is also the renewal notification's trigger.
        type: action === 'expire' ? 'certificate.expired' : 'certificate.to_be_renewed',
        detail: { notAfter: c.notAfter },
      };
      await deps.certificates.update(action === 'expire' ? { ...c, status: 'expired' } : { ...c, renewalStatus: 'to_be_renewed' }, c.version, audit);
      effect = action === 'expire' ? 'expired' : 'toBeRenewed';
    },
    indexed,
  ).catch(ignoreGone);
  return effect;
}

async function sweepRevocation(deps: SweepDeps, indexed: Revocation, now: Date): Promise<Counter | undefined> {
  let effect: Counter | undefined;
  await retryOnConflict(
    () => deps.revocations.get(indexed.id),
    `revocation ${indexed.id}`,
    async (r) => {
      effect = undefined;
      const action = classifyRequestForSweep(r, now);
      if (action === 'expire_validation') {
        // The workflow's next validation check finds the request ended and stops (RequestClosed).
        await deps.revocations.transition(...(await failedState(deps, r, 'VALIDATION_EXPIRED', 'system')));
        effect = 'validationsExpired';
      } else if (action === 'close_slot') {
        effect = await closeSlot(deps, r);
      }
    },
    indexed,
  ).catch(ignoreGone);
  return effect;
}

/**
 * Closes an expired upload slot, unless an upload sits under it that no event reported (it
 * would be lost): then S3 is asked to report it again, and the processor decides it.
 */
async function closeSlot(deps: SweepDeps, r: Revocation): Promise<Counter> {
  const { slot, ...letter } = r.letter!;
  if (await deps.letters.headUpload(slot!.key)) {
    await deps.letters.renotifyUpload(slot!.key);
    deps.log.info('an expired slot holds an unprocessed upload; S3 reports it again', { revocationId: r.id });
    return 'uploadsRenotified';
  }
  const at = deps.clock().toISOString();
  await deps.revocations.transition({ ...r, letter, updatedAt: at }, r.version, [], [event(r, r.certificateId, 'letter.slot_closed', 'system', at, { expiredAt: slot!.expiresAt })]);
  return 'slotsClosed';
}

async function sweepReissue(deps: SweepDeps, indexed: Reissue, now: Date): Promise<Counter | undefined> {
  let effect: Counter | undefined;
  await retryOnConflict(
    () => deps.reissues.get(indexed.id),
    `reissue ${indexed.id}`,
    async (r) => {
      effect = undefined;
      if (classifyRequestForSweep(r, now) !== 'expire_validation') return;
      await endReissue(deps, r, 'VALIDATION_EXPIRED', 'system');
      effect = 'validationsExpired';
    },
    indexed,
  ).catch(ignoreGone);
  return effect;
}

/** An item deleted since the index was read has nothing left to sweep. */
function ignoreGone(error: unknown): void {
  if (error instanceof Error && error.name === 'RequestClosed') return;
  if (error instanceof VersionConflictError) throw new Error('The sweep lost too many races on one item; the next sweep retries it.', { cause: error });
  throw error;
}

/** Runs `work` on every item, at most `limit` at a time (`work` handles its own failures). */
async function eachBounded<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
