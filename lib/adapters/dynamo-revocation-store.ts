import { ConditionalCheckFailedException, type DocumentClient, GetCommand, QueryCommand, UpdateCommand } from './dynamo-client.js';
import { SubmitConflictError, VersionConflictError } from '../app/errors.js';
import type { AuditEvent, Reissue, Revocation } from '../app/model.js';
import type { UploadEventLog } from '../app/letters.js';
import type { CertificateChange, IdempotencyRecord, Page, ReviewItem, RevocationStore } from '../app/ports.js';
import { validCursor } from './dynamo-certificate-store.js';
import { indexPartition, queryAll } from './dynamo-query.js';
import { commit, CommitConflictError, type Write } from './dynamo-commit.js';
import { ACTIVE_REVOCATIONS_PK, certificateItem, encodeCursor, eventItem, fromItem, keys, REVIEW_QUEUE_PK, revocationItem, sequencerSortKey } from './dynamo-items.js';
import { TABLE_INDEXES, TTL_ATTRIBUTE } from './table-schema.js';

/** An upload's event record outlives any slot (15 minutes) and request (30 days) it can belong to. */
const UPLOAD_EVENT_TTL_SECONDS = 40 * 24 * 60 * 60;

/** Revocation requests in the single table, changed only together with their certificates and events. */
export class DynamoRevocationStore implements RevocationStore, UploadEventLog {
  constructor(
    private readonly db: DocumentClient,
    private readonly tableName: string,
  ) {}

  async get(id: string): Promise<Revocation | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.revocation(id), ConsistentRead: true }));
    return Item ? fromItem<Revocation>(Item) : undefined;
  }

  async create(revocation: Revocation, certificates: CertificateChange[], events: AuditEvent[], idempotency?: IdempotencyRecord): Promise<void> {
    const writes: Write[] = [{ item: revocationItem(revocation), expect: 'new' }, ...certificateWrites(certificates), ...eventWrites(events)];
    if (idempotency) {
      writes.push({
        item: { ...keys.idempotency(idempotency.account, idempotency.key), kind: 'idempotency', ...idempotency, [TTL_ATTRIBUTE]: idempotency.expiresAtEpoch },
        // A record past its 24 h may be replaced even before DynamoDB's TTL deletes it.
        expect: { newOrExpiredBefore: Math.floor(Date.parse(revocation.createdAt) / 1000) },
      });
    }
    try {
      await commit(this.db, this.tableName, writes);
    } catch (error) {
      if (!(error instanceof CommitConflictError)) throw error;
      if (idempotency && error.failedAt(writes.length - 1)) throw new SubmitConflictError('idempotency', 0);
      const certificateIndex = certificates.findIndex((_, i) => error.failedAt(i + 1));
      if (certificateIndex >= 0) throw new SubmitConflictError('certificate', certificateIndex);
      throw new SubmitConflictError('revocation', 0);
    }
  }

  async transition(revocation: Revocation, expectedVersion: number, certificates: CertificateChange[], events: AuditEvent[]): Promise<Revocation> {
    const next = { ...revocation, version: expectedVersion + 1 };
    try {
      await commit(this.db, this.tableName, [
        { item: revocationItem(next), expect: expectedVersion },
        ...certificateWrites(certificates),
        ...eventWrites(events),
      ]);
      return next;
    } catch (error) {
      if (!(error instanceof CommitConflictError)) throw error;
      const current = error.currentAt(0);
      throw new VersionConflictError<Revocation>(current ? fromItem<Revocation>(current) : undefined);
    }
  }

  async idempotency(account: string, key: string): Promise<IdempotencyRecord | undefined> {
    const { Item } = await this.db.send(new GetCommand({ TableName: this.tableName, Key: keys.idempotency(account, key), ConsistentRead: true }));
    return Item ? fromItem<IdempotencyRecord>(Item) : undefined;
  }

  async pendingReviews(limit: number, cursor?: string): Promise<Page<ReviewItem>> {
    const index = TABLE_INDEXES.reviewQueue;
    const { Items = [], LastEvaluatedKey } = await this.db.send(
      new QueryCommand({
        TableName: this.tableName,
        ...indexPartition(index, REVIEW_QUEUE_PK),
        Limit: limit,
        ExclusiveStartKey: cursor ? validCursor(cursor, index, (k) => k[index.partitionKey] === REVIEW_QUEUE_PK) : undefined,
      }),
    );
    const items = Items.map((i): ReviewItem => (i.kind === 'reissue' ? { kind: 'reissue', request: fromItem<Reissue>(i) } : { kind: 'revocation', request: fromItem<Revocation>(i) }));
    return { items, nextCursor: LastEvaluatedKey ? encodeCursor(LastEvaluatedKey) : undefined };
  }

  /** One conditional write on the key's own item: the request item (and its version) is not touched. */
  async recordUploadEvent(objectKey: string, sequencer: string): Promise<boolean> {
    const order = sequencerSortKey(sequencer);
    // Not a sequencer S3 writes: it cannot be ordered, so the event is handled as if unordered.
    if (!order) return true;
    try {
      await this.db.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: keys.uploadEvent(objectKey),
          UpdateExpression: 'SET #kind = :kind, #sequencer = :sequencer, #ttl = :ttl',
          ConditionExpression: 'attribute_not_exists(#sequencer) OR #sequencer <= :sequencer',
          ExpressionAttributeNames: { '#kind': 'kind', '#sequencer': 'sequencer', '#ttl': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ':kind': 'upload-event', ':sequencer': order, ':ttl': Math.floor(Date.now() / 1000) + UPLOAD_EVENT_TTL_SECONDS },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async active(): Promise<Revocation[]> {
    const items = await queryAll(this.db, { TableName: this.tableName, ...indexPartition(TABLE_INDEXES.activeRequests, ACTIVE_REVOCATIONS_PK) });
    return items.map((i) => fromItem<Revocation>(i));
  }
}

export function certificateWrites(changes: CertificateChange[]): Write[] {
  return changes.map((c) => ({ item: certificateItem({ ...c.certificate, version: c.expectedVersion + 1 }), expect: c.expectedVersion }));
}

export function eventWrites(events: AuditEvent[]): Write[] {
  return events.map((event, i) => ({ item: eventItem(event, i), expect: 'new' as const }));
}
