import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { type DocumentClient, QueryCommand } from './dynamo-client.js';

/** Every item a query matches, page after page (for bounded sets: a history, the in-flight requests). */
export async function queryAll(db: DocumentClient, input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await db.send(new QueryCommand({ ...input, ExclusiveStartKey: startKey }));
    items.push(...(page.Items ?? []));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return items;
}

/** One page of a GSI partition, in index order, with the cursor to the next. */
export function indexPartition(index: { name: string; partitionKey: string }, pk: string) {
  return {
    IndexName: index.name,
    KeyConditionExpression: '#pk = :pk',
    ExpressionAttributeNames: { '#pk': index.partitionKey },
    ExpressionAttributeValues: { ':pk': pk },
  };
}
