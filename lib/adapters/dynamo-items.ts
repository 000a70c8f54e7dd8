import { randomBytes } from 'node:crypto';
import type { AuditEvent, Certificate, DomainLock, Reissue, Revocation } from '../app/model.js';
import { certificateDueAt, dueSlot, requestDueAt } from '../domain/sweep.js';

/** Key layout of the single table; every item shape is mapped here and nowhere else. */
export const keys = {
  certificate: (id: string) => ({ pk: `CERT#${id}`, sk: 'CERT' }),
  revocation: (id: string) => ({ pk: `REVOCATION#${id}`, sk: 'REVOCATION' }),
  idempotency: (account: string, key: string) => ({ pk: `IDEMPOTENCY#${account}#${key}`, sk: 'IDEMPOTENCY' }),
  reissue: (id: string) => ({ pk: `REISSUE#${id}`, sk: 'REISSUE' }),
  lock: (registrableDomain: string) => ({ pk: `LOCK#${registrableDomain}`, sk: 'LOCK' }),
  sweepCheckpoint: () => ({ pk: 'SWEEP', sk: 'CHECKPOINT' }),
  /** The newest S3 event handled for one upload key (see UploadEventLog). */
  uploadEvent: (objectKey: string) => ({ pk: `UPLOAD#${objectKey}`, sk: 'EVENT' }),
  duePk: (day: string) => `DUE#${day}`,
  accountPk: (account: string) => `ACCOUNT#${account}`,
};

export const REVIEW_QUEUE_PK = 'REVIEW#pending';
export const ACTIVE_REVOCATIONS_PK = 'ACTIVE#revocation';
export const ACTIVE_REISSUES_PK = 'ACTIVE#reissue';
export const LOCKS_PK = 'LOCKS';

const TERMINAL: readonly Revocation['status'][] = ['revoked', 'failed'];

/** Index keys are derived from state, so an item is in exactly the indexes its state puts it in. */
export function certificateItem(c: Certificate): Record<string, unknown> {
  return {
    ...keys.certificate(c.id),
    kind: 'certificate',
    ...(c.deletedAt ? {} : { accountPk: keys.accountPk(c.account), accountSk: `${c.createdAt}#${c.id}` }),
    ...(c.deletedAt ? {} : dueKeys(certificateDueAt(c), c.updatedAt, 'certificate', c.id)),
    ...c,
  };
}

export function revocationItem(r: Revocation): Record<string, unknown> {
  return {
    ...keys.revocation(r.id),
    kind: 'revocation',
    ...(TERMINAL.includes(r.status) ? {} : { activePk: ACTIVE_REVOCATIONS_PK, activeSk: `${r.createdAt}#${r.id}` }),
    ...dueKeys(requestDueAt(r), r.updatedAt, 'revocation', r.id),
    ...(r.status === 'pending_review' && r.queuedAt ? { reviewPk: REVIEW_QUEUE_PK, reviewSk: `${r.queuedAt}#${r.id}` } : {}),
    ...r,
  };
}

export function reissueItem(r: Reissue): Record<string, unknown> {
  return {
    ...keys.reissue(r.id),
    kind: 'reissue',
    ...(r.status === 'issued' || r.status === 'failed' ? {} : { activePk: ACTIVE_REISSUES_PK, activeSk: `${r.createdAt}#${r.id}` }),
    ...dueKeys(requestDueAt(r), r.updatedAt, 'reissue', r.id),
    ...(r.status === 'pending_review' && r.queuedAt ? { reviewPk: REVIEW_QUEUE_PK, reviewSk: `${r.queuedAt}#${r.id}` } : {}),
    ...r,
  };
}

/** The due-index keys of an item the sweep will have to act on (none when it never will). */
function dueKeys(dueAt: string | undefined, updatedAt: string, kind: string, id: string): Record<string, string> {
  if (!dueAt) return {};
  const slot = dueSlot(dueAt, updatedAt);
  return { duePk: keys.duePk(slot.day), dueSk: `${slot.at}#${kind}#${id}` };
}

export function lockItem(lock: DomainLock): Record<string, unknown> {
  return { ...keys.lock(lock.registrableDomain), kind: 'lock', lockPk: LOCKS_PK, lockSk: lock.registrableDomain, ...lock };
}

/** Events sort by time; the suffix keeps events of one instant apart and in write order. */
export function eventItem(event: AuditEvent, index: number): Record<string, unknown> {
  return {
    pk: keys.certificate(event.certificateId).pk,
    sk: `EVENT#${event.at}#${String(index).padStart(3, '0')}#${randomBytes(4).toString('hex')}`,
    kind: 'event',
    ...event,
  };
}

/** Long enough for any sequencer S3 writes (18 hex digits today), short enough to index cheaply. */
const SEQUENCER_DIGITS = 64;

/**
 * An S3 `sequencer` as a string that sorts like the event order, or undefined when it is not
 * one. S3's event reference: sequencers of one key may differ in length; right-pad the shorter
 * with zeros, then compare lexicographically. Padding every one to a fixed width lets DynamoDB
 * compare them in a condition.
 */
export function sequencerSortKey(sequencer: string): string | undefined {
  if (!/^[0-9A-Fa-f]+$/.test(sequencer) || sequencer.length > SEQUENCER_DIGITS) return undefined;
  return sequencer.toUpperCase().padEnd(SEQUENCER_DIGITS, '0');
}

const KEY_ATTRIBUTES = ['pk', 'sk', 'kind', 'accountPk', 'accountSk', 'duePk', 'dueSk', 'activePk', 'activeSk', 'reviewPk', 'reviewSk', 'lockPk', 'lockSk'];

/** The domain object of an item: the item without its key attributes. */
export function fromItem<T>(item: Record<string, unknown>): T {
  const copy: Record<string, unknown> = { ...item };
  for (const key of KEY_ATTRIBUTES) delete copy[key];
  return copy as T;
}

export function eventFromItem(item: Record<string, unknown>): AuditEvent {
  const { certificateId, at, type, actor, account, detail } = item as unknown as AuditEvent;
  return detail === undefined ? { certificateId, at, type, actor, account } : { certificateId, at, type, actor, account, detail };
}

export function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** Decodes a cursor, accepting it only if `valid` says it belongs to the listing asked for. */
export function decodeCursor(cursor: string, valid: (key: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    return key && typeof key === 'object' && valid(key) ? key : undefined;
  } catch {
    return undefined;
  }
}
