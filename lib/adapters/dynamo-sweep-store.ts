import { ConditionalCheckFailedException, type DocumentClient, GetCommand, PutCommand, QueryCommand } from './dynamo-client.js';
import type { AuditEvent, Certificate, DomainLock, Reissue, Revocation } from '../app/model.js';
import type { DueItem, Page, SweepCheckpoint, SweepStore } from '../app/ports.js';
import { commit, CommitConflictError } from './dynamo-commit.js';
import { validCursor } from './dynamo-certificate-store.js';
import { encodeCursor, eventItem, fromItem, keys, LOCKS_PK } from './dynamo-items.js';
import { indexPartition, queryAll } from './dynamo-query.js';
import { TABLE_INDEXES } from './table-schema.js';

/** The sweep's view of the single table: the due index by day, the reissue locks, its checkpoint. */
export class DynamoSweepStore implements SweepStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async duePage(day: string, upTo: Date, limit: number, cursor?: string): Promise<Page<DueItem>> {
    const index = TABLE_INDEXES.dueByDay;
    const pk = keys.duePk(day);
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.name,
        // The sort key starts with the due instant: the key condition stops before `upTo`, so nothing not yet due is read.
        KeyConditionExpression: '#pk = :pk AND #sk < :upTo',
        ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
        ExpressionAttributeValues: { ':pk': pk, ':upTo': upTo.toISOString() },
        Limit: limit,
        ExclusiveStartKey: cursor ? validCursor(cursor, index, (k) => k[index.partitionKey] === pk) : undefined,
      }),
    );
    return { items: Items.flatMap(dueItem), nextCursor: LastEvaluatedKey ? encodeCursor(LastEvaluatedKey) : undefined };
  }

  async checkpoint(): Promise<SweepCheckpoint | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.sweepCheckpoint(), ConsistentRead: true }));
    return Item ? { day: Item.day as string, cursor: Item.cursor as string | undefined, version: Item.version as number } : undefined;
  }

  async saveCheckpoint(position: { day: string; cursor?: string | undefined }, expectedVersion: number | undefined): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...keys.sweepCheckpoint(), kind: 'sweep-checkpoint', day: position.day, ...(position.cursor ? { cursor: position.cursor } : {}), version: (expectedVersion ?? 0) + 1 },
          ...(expectedVersion === undefined
            ? { ConditionExpression: 'attribute_not_exists(pk)' }
            : { ConditionExpression: '#version = :expected', ExpressionAttributeNames: { '#version': 'version' }, ExpressionAttributeValues: { ':expected': expectedVersion } }),
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async locks(): Promise<DomainLock[]> {
    const items = await queryAll(this.db, { TableName: this.tableName, ...indexPartition(TABLE_INDEXES.domainLocks, LOCKS_PK) });
    return items.map((i) => fromItem<DomainLock>(i));
  }

  async freeLock(lock: DomainLock, event: AuditEvent): Promise<boolean> {
    try {
      await commit(this.db, this.tableName, [
        { item: keys.lock(lock.registrableDomain), expect: { matches: { reissueId: lock.reissueId } }, remove: true },
        { item: eventItem(event, 0), expect: 'new' },
      ]);
      return true;
    } catch (error) {
      if (error instanceof CommitConflictError && error.failedAt(0)) return false;
      throw error;
    }
  }
}

function dueItem(item: Record<string, unknown>): DueItem[] {
  switch (item.kind) {
    case 'certificate':
      return [{ kind: 'certificate', certificate: fromItem<Certificate>(item) }];
    case 'revocation':
      return [{ kind: 'revocation', revocation: fromItem<Revocation>(item) }];
    case 'reissue':
      return [{ kind: 'reissue', reissue: fromItem<Reissue>(item) }];
    default:
      return [];
  }
}
