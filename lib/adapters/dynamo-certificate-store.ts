import { BatchGetCommand, type DocumentClient, GetCommand, QueryCommand } from './dynamo-client.js';
import { AlreadyExistsError, InvalidRequestError, VersionConflictError } from '../app/errors.js';
import type { AuditEvent, Certificate } from '../app/model.js';
import type { CertificateStore, ListQuery, Page } from '../app/ports.js';
import { commit, CommitConflictError } from './dynamo-commit.js';
import { queryAll } from './dynamo-query.js';
import { certificateItem, decodeCursor, encodeCursor, eventFromItem, eventItem, fromItem, keys } from './dynamo-items.js';
import { TABLE_INDEXES } from './table-schema.js';

/** DynamoDB single-table store of certificates and their audit history. */
export class DynamoCertificateStore implements CertificateStore {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async create(certificate: Certificate, event: AuditEvent, original?: { certificate: Certificate; expectedVersion: number }): Promise<void> {
    try {
      await commit(this.db, this.tableName, [
        { item: certificateItem(certificate), expect: 'new' },
        { item: eventItem(event, 0), expect: 'new' },
        ...(original ? [{ item: certificateItem({ ...original.certificate, version: original.expectedVersion + 1 }), expect: original.expectedVersion }] : []),
      ]);
    } catch (error) {
      if (error instanceof CommitConflictError && error.failedAt(0)) throw new AlreadyExistsError(keys.certificate(certificate.id).pk);
      if (error instanceof CommitConflictError && error.failedAt(2)) throw new VersionConflictError<Certificate>(undefined);
      throw error;
    }
  }

  async get(id: string): Promise<Certificate | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.certificate(id), ConsistentRead: true }));
    return Item ? fromItem<Certificate>(Item) : undefined;
  }

  /**
   * BatchGetItem, 100 keys a call (its limit); keys DynamoDB leaves unprocessed (throttling) are
   * asked again with a growing pause, a bounded number of times, then it fails rather than
   * silently returning less.
   */
  async getMany(ids: readonly string[]): Promise<Map<string, Certificate>> {
    const found = new Map<string, Certificate>();
    const unique = [...new Set(ids)];
    for (let i = 0; i < unique.length; i += 100) {
      let keysLeft: Record<string, unknown>[] = unique.slice(i, i + 100).map((id) => keys.certificate(id));
      for (let attempt = 0; keysLeft.length > 0; attempt++) {
        if (attempt >= 5) throw new Error(`BatchGetItem left ${keysLeft.length} keys unprocessed after ${attempt} attempts`);
        if (attempt > 0) await new Promise((r) => setTimeout(r, 50 * 2 ** attempt * Math.random()));
        const { Responses, UnprocessedKeys } = await this.db.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keysLeft, ConsistentRead: true } } }));
        for (const item of Responses?.[this.tableName] ?? []) {
          const c = fromItem<Certificate>(item);
          found.set(c.id, c);
        }
        keysLeft = (UnprocessedKeys?.[this.tableName]?.Keys ?? []) as Record<string, unknown>[];
      }
    }
    return found;
  }

  async listByAccount(account: string, query: ListQuery): Promise<Page<Certificate>> {
    const index = TABLE_INDEXES.byAccount;
    const pk = keys.accountPk(account);
    const startKey = query.cursor ? validCursor(query.cursor, index, (key) => key[index.partitionKey] === pk) : undefined;
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: index.name,
        KeyConditionExpression: '#pk = :pk',
        ...(query.status
          ? { FilterExpression: '#status = :status', ExpressionAttributeValues: { ':pk': pk, ':status': query.status } }
          : { ExpressionAttributeValues: { ':pk': pk } }),
        ExpressionAttributeNames: { '#pk': index.partitionKey, ...(query.status ? { '#status': 'status' } : {}) },
        ScanIndexForward: false,
        Limit: query.limit,
        ExclusiveStartKey: startKey,
      }),
    );
    return { items: Items.map((i) => fromItem<Certificate>(i)), nextCursor: LastEvaluatedKey ? encodeCursor(LastEvaluatedKey) : undefined };
  }

  async update(certificate: Certificate, expectedVersion: number, event: AuditEvent): Promise<Certificate> {
    const next = { ...certificate, version: expectedVersion + 1, updatedAt: event.at };
    try {
      await commit(this.db, this.tableName, [
        { item: certificateItem(next), expect: expectedVersion },
        { item: eventItem(event, 0), expect: 'new' },
      ]);
      return next;
    } catch (error) {
      if (error instanceof CommitConflictError && error.failedAt(0)) {
        const current = error.currentAt(0);
        throw new VersionConflictError<Certificate>(current ? fromItem<Certificate>(current) : undefined);
      }
      throw error;
    }
  }

  async events(certificateId: string): Promise<AuditEvent[]> {
    const items = await queryAll(this.db, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
      ExpressionAttributeValues: { ':pk': keys.certificate(certificateId).pk, ':events': 'EVENT#' },
    });
    return items.map(eventFromItem);
  }
}

/** A cursor is only good for the listing it came from: another account's cursor is refused. */
/**
 * The start key a cursor of `index` names, or a 400: exactly the table key and the index key,
 * each a non-empty string, in the listing asked for (`belongs`). A tampered cursor must never
 * reach DynamoDB as an invalid start key (a 500) nor open another listing.
 */
export function validCursor(cursor: string, index: { partitionKey: string; sortKey: string }, belongs: (key: Record<string, unknown>) => boolean): Record<string, unknown> {
  const names = ['pk', 'sk', index.partitionKey, index.sortKey];
  const key = decodeCursor(
    cursor,
    (k) => !Array.isArray(k) && Object.keys(k).length === names.length && names.every((n) => typeof k[n] === 'string' && k[n] !== '') && belongs(k),
  );
  if (!key) throw new InvalidRequestError('BAD_REQUEST', 'The cursor is not valid for this listing.', [{ path: 'query.cursor', message: 'invalid cursor' }]);
  return key;
}
