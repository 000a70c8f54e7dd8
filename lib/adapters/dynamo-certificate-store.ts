import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  type DynamoDBDocumentClient,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { AlreadyExistsError, InvalidRequestError, VersionConflictError } from '../app/errors.js';
import type { AuditEvent, Certificate } from '../app/model.js';
import type { CertificateStore, ListQuery, Page } from '../app/ports.js';
import { dayOf } from '../domain/sweep.js';
import { TABLE_INDEXES } from './table-schema.js';

type TransactPut = NonNullable<NonNullable<TransactWriteCommandInput['TransactItems']>[number]['Put']>;

const CERT_SK = 'CERT';
const certPk = (id: string) => `CERT#${id}`;
const accountPk = (account: string) => `ACCOUNT#${account}`;

/** Keys stored on an item that are not part of the certificate itself. */
const KEY_ATTRIBUTES = ['pk', 'sk', 'kind', 'accountPk', 'accountSk', 'expiryPk', 'expirySk'] as const;

/** DynamoDB single-table store of certificates and their audit history. */
export class DynamoCertificateStore implements CertificateStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(certificate: Certificate, event: AuditEvent): Promise<void> {
    try {
      await this.putWithEvent(certificate, { ConditionExpression: 'attribute_not_exists(pk)' }, event);
    } catch (error) {
      if (conditionFailedAt(error, 0)) throw new AlreadyExistsError(certPk(certificate.id));
      throw error;
    }
  }

  async get(id: string): Promise<Certificate | undefined> {
    const { Item } = await this.db.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: certPk(id), sk: CERT_SK }, ConsistentRead: true }),
    );
    return Item ? fromItem(Item) : undefined;
  }

  async listByAccount(account: string, query: ListQuery): Promise<Page<Certificate>> {
    const index = TABLE_INDEXES.byAccount;
    const pk = accountPk(account);
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
        ExclusiveStartKey: query.cursor ? decodeCursor(query.cursor, pk) : undefined,
      }),
    );
    return { items: Items.map(fromItem), nextCursor: LastEvaluatedKey ? encodeCursor(LastEvaluatedKey) : undefined };
  }

  async update(certificate: Certificate, expectedVersion: number, event: AuditEvent): Promise<Certificate> {
    const next = { ...certificate, version: expectedVersion + 1, updatedAt: event.at };
    try {
      await this.putWithEvent(
        next,
        {
          ConditionExpression: '#version = :expected',
          ExpressionAttributeNames: { '#version': 'version' },
          ExpressionAttributeValues: { ':expected': expectedVersion },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
        event,
      );
      return next;
    } catch (error) {
      if (conditionFailedAt(error, 0)) {
        const old = cancellationItem(error, 0);
        throw new VersionConflictError<Certificate>(old ? fromItem(old) : undefined);
      }
      throw error;
    }
  }

  async events(certificateId: string): Promise<AuditEvent[]> {
    const events: AuditEvent[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :events)',
          ExpressionAttributeValues: { ':pk': certPk(certificateId), ':events': 'EVENT#' },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) events.push(eventFromItem(item));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return events;
  }

  /** One transaction: the certificate under its condition, and its audit event. */
  private putWithEvent(certificate: Certificate, condition: Omit<TransactPut, 'TableName' | 'Item'>, event: AuditEvent) {
    return this.db.send(
      new TransactWriteCommand({
        TransactItems: [
          { Put: { TableName: this.tableName, Item: toItem(certificate), ...condition } },
          { Put: this.eventPut(event, certificate.version) },
        ],
      }),
    );
  }

  /** Events are keyed by time then the certificate version they record: append-only and ordered. */
  private eventPut(event: AuditEvent, version: number) {
    return {
      TableName: this.tableName,
      Item: {
        pk: certPk(event.certificateId),
        sk: `EVENT#${event.at}#${String(version).padStart(10, '0')}`,
        kind: 'event',
        ...event,
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    };
  }
}

function toItem(c: Certificate): Record<string, unknown> {
  return {
    pk: certPk(c.id),
    sk: CERT_SK,
    kind: 'certificate',
    accountPk: accountPk(c.account),
    accountSk: `${c.createdAt}#${c.id}`,
    // Only issued certificates can become due, so only they sit in the expiry index.
    ...(c.status === 'issued' ? { expiryPk: `EXPIRY#${dayOf(c.notAfter)}`, expirySk: `${c.notAfter}#${c.id}` } : {}),
    ...c,
  };
}

function fromItem(item: Record<string, unknown>): Certificate {
  const copy: Record<string, unknown> = { ...item };
  for (const key of KEY_ATTRIBUTES) delete copy[key];
  return copy as unknown as Certificate;
}

function eventFromItem(item: Record<string, unknown>): AuditEvent {
  const { certificateId, at, type, actor, account, detail } = item as unknown as AuditEvent;
  return detail === undefined ? { certificateId, at, type, actor, account } : { certificateId, at, type, actor, account, detail };
}

function conditionFailedAt(error: unknown, index: number): boolean {
  return error instanceof TransactionCanceledException && error.CancellationReasons?.[index]?.Code === 'ConditionalCheckFailed';
}

function cancellationItem(error: unknown, index: number): Record<string, unknown> | undefined {
  if (!(error instanceof TransactionCanceledException)) return undefined;
  const item = error.CancellationReasons?.[index]?.Item;
  return item ? unmarshall(item) : undefined;
}

function encodeCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** A cursor is only good for the listing it came from: another account's cursor is refused. */
function decodeCursor(cursor: string, expectedPk: string): Record<string, unknown> {
  try {
    const key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as Record<string, unknown>;
    if (key[TABLE_INDEXES.byAccount.partitionKey] === expectedPk && typeof key.pk === 'string' && typeof key.sk === 'string') return key;
  } catch {
    // fall through to the refusal below
  }
  throw new InvalidRequestError('BAD_REQUEST', 'The cursor is not valid for this listing.', [{ path: 'cursor', message: 'invalid cursor' }]);
}
