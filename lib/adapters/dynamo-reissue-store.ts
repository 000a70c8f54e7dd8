import { type DocumentClient, GetCommand } from './dynamo-client.js';
import { SubmitConflictError, VersionConflictError } from '../app/errors.js';
import type { DomainLock, Reissue } from '../app/model.js';
import type { ReissueChange, ReissueStore } from '../app/ports.js';
import { commit, CommitConflictError, type Write } from './dynamo-commit.js';
import { ACTIVE_REISSUES_PK, certificateItem, fromItem, keys, lockItem, reissueItem } from './dynamo-items.js';
import { indexPartition, queryAll } from './dynamo-query.js';
import { certificateWrites, eventWrites } from './dynamo-revocation-store.js';
import { TABLE_INDEXES } from './table-schema.js';

/** Reissue requests and domain locks in the single table; every change is one transaction. */
export class DynamoReissueStore implements ReissueStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async get(id: string): Promise<Reissue | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.reissue(id), ConsistentRead: true }));
    return Item ? fromItem<Reissue>(Item) : undefined;
  }

  async lock(registrableDomain: string): Promise<DomainLock | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.lock(registrableDomain), ConsistentRead: true }));
    return Item ? fromItem<DomainLock>(Item) : undefined;
  }

  async create(reissue: Reissue, change: ReissueChange): Promise<void> {
    const writes = [{ item: reissueItem(reissue), expect: 'new' as const }, ...changeWrites(change)];
    try {
      await commit(this.db, this.tableName, writes);
    } catch (error) {
      if (!(error instanceof CommitConflictError)) throw error;
      const lockIndex = writes.findIndex((w) => w.item.kind === 'lock');
      if (lockIndex >= 0 && error.failedAt(lockIndex)) throw new SubmitConflictError('lock', 0);
      throw new SubmitConflictError('certificate', 0);
    }
  }

  async transition(reissue: Reissue, expectedVersion: number, change: ReissueChange): Promise<Reissue> {
    const next = { ...reissue, version: expectedVersion + 1 };
    try {
      await commit(this.db, this.tableName, [{ item: reissueItem(next), expect: expectedVersion }, ...changeWrites(change)]);
      return next;
    } catch (error) {
      if (!(error instanceof CommitConflictError)) throw error;
      const current = error.currentAt(0);
      throw new VersionConflictError<Reissue>(current ? fromItem<Reissue>(current) : undefined);
    }
  }

  async active(): Promise<Reissue[]> {
    const items = await queryAll(this.db, { TableName: this.tableName, ...indexPartition(TABLE_INDEXES.activeRequests, ACTIVE_REISSUES_PK) });
    return items.map((i) => fromItem<Reissue>(i));
  }
}

function changeWrites(change: ReissueChange): Write[] {
  return [
    ...certificateWrites(change.certificates),
    ...(change.newCertificate ? [{ item: certificateItem(change.newCertificate), expect: 'new' as const }] : []),
    ...(change.takeLock ? [{ item: lockItem(change.takeLock), expect: 'new' as const }] : []),
    ...(change.releaseLock ? [{ item: { ...keys.lock(change.releaseLock) }, expect: 'any' as const, remove: true }] : []),
    ...eventWrites(change.events),
  ];
}
