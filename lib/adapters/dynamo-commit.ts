import type { TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import { type DocumentClient, TransactWriteCommand, TransactionCanceledException } from './dynamo-client.js';
import { unmarshall } from '@aws-sdk/util-dynamodb';

type TransactItem = NonNullable<TransactWriteCommandInput['TransactItems']>[number];

/** A write in a transaction and the state it expects to find. */
export interface Write {
  item: Record<string, unknown>;
  /**
   * `new`: the item must not exist (or, with `newOrExpiredBefore`, its TTL has passed); a
   * number: its `version`; `matches`: it exists with these attribute values; `any`: no condition.
   */
  expect: 'new' | number | { newOrExpiredBefore: number } | { matches: Record<string, string> } | 'any';
  /** Delete instead of put (the expectation still applies). */
  remove?: boolean;
}

/** One of the writes found another state than it expected; `current` is what it found. */
export class CommitConflictError extends Error {
  constructor(readonly failures: { index: number; current: Record<string, unknown> | undefined }[]) {
    super('A conditional write found the item changed.');
  }
  failedAt(index: number): boolean {
    return this.failures.some((f) => f.index === index);
  }
  currentAt(index: number): Record<string, unknown> | undefined {
    return this.failures.find((f) => f.index === index)?.current;
  }
}

/**
 * Applies the writes in one DynamoDB transaction: all or nothing, each under its condition.
 * A lost race (condition failed, or another transaction on the same item) is a
 * `CommitConflictError` naming the writes that lost and what they found.
 */
export async function commit(db: DocumentClient, tableName: string, writes: Write[]): Promise<void> {
  try {
    await db.send(new TransactWriteCommand({ TransactItems: writes.map((w) => transactItem(tableName, w)) }));
  } catch (error) {
    if (!(error instanceof TransactionCanceledException)) throw error;
    const failures = (error.CancellationReasons ?? []).flatMap((reason, index) =>
      reason.Code === 'ConditionalCheckFailed' || reason.Code === 'TransactionConflict'
        ? [{ index, current: reason.Item ? unmarshall(reason.Item as Parameters<typeof unmarshall>[0]) : undefined }]
        : [],
    );
    if (failures.length === 0) throw error;
    throw new CommitConflictError(failures);
  }
}

interface Condition {
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
}

function transactItem(TableName: string, write: Write): TransactItem {
  if (write.expect === 'any') {
    return write.remove ? { Delete: { TableName, Key: { pk: write.item.pk as string, sk: write.item.sk as string } } } : { Put: { TableName, Item: write.item } };
  }
  const condition: Condition =
    write.expect === 'new'
      ? { ConditionExpression: 'attribute_not_exists(pk)' }
      : typeof write.expect === 'number'
        ? {
            ConditionExpression: '#version = :expected',
            ExpressionAttributeNames: { '#version': 'version' },
            ExpressionAttributeValues: { ':expected': write.expect },
          }
        : 'matches' in write.expect
          ? matches(write.expect.matches)
          : {
              ConditionExpression: 'attribute_not_exists(pk) OR #expires < :now',
              ExpressionAttributeNames: { '#expires': 'expiresAtEpoch' },
              ExpressionAttributeValues: { ':now': write.expect.newOrExpiredBefore },
            };
  const common = { TableName, ...condition, ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const };
  if (write.remove) return { Delete: { ...common, Key: { pk: write.item.pk as string, sk: write.item.sk as string } } };
  return { Put: { ...common, Item: write.item } };
}

function matches(values: Record<string, string>): Condition {
  const names = Object.keys(values);
  return {
    ConditionExpression: ['attribute_exists(pk)', ...names.map((_, i) => `#m${i} = :m${i}`)].join(' AND '),
    ExpressionAttributeNames: Object.fromEntries(names.map((n, i) => [`#m${i}`, n])),
    ExpressionAttributeValues: Object.fromEntries(names.map((n, i) => [`:m${i}`, values[n]])),
  };
}
