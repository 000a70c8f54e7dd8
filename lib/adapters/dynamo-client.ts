import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAwsClient } from './aws-client.js';

export interface DynamoClientOptions {
  region: string;
  /** Set for DynamoDB Local; unset in AWS. */
  endpoint?: string | undefined;
}

/** `items`: how many items the request names (1, or the items of a batch or transaction). */
type CallListener = (operation: string, items: number) => void;
const callListeners = new Set<CallListener>();

/**
 * Calls `listener` with the operation name (`GetItem`, `TransactWriteItems`, …) and item count of every
 * DynamoDB request any document client of this process sends, retries included, until the
 * returned function is called. For measuring round trips (npm run bench); nothing listens otherwise.
 */
export function onDynamoCall(listener: CallListener): () => void {
  callListeners.add(listener);
  return () => callListeners.delete(listener);
}

function itemsOf(input: Record<string, unknown>): number {
  if (Array.isArray(input.TransactItems)) return input.TransactItems.length;
  const batch = input.RequestItems as Record<string, unknown[] | { Keys?: unknown[] }> | undefined;
  if (batch) return Object.values(batch).reduce<number>((n, v) => n + (Array.isArray(v) ? v.length : (v.Keys?.length ?? 0)), 0);
  return 1;
}

/**
 * A document client with bounded retries and timeouts on every call. Created once per process
 * (composition root) and reused across invocations.
 */
export function createDocumentClient(options: DynamoClientOptions): DynamoDBDocumentClient {
  const client = createAwsClient(DynamoDBClient, { region: options.region, endpoint: options.endpoint, requestTimeoutMs: 3_000 });
  // At the finalize step, below the retry middleware: each attempt on the wire counts once.
  client.middlewareStack.add(
    (next, context) => (args) => {
      if (callListeners.size > 0) {
        const operation = context.commandName?.replace(/Command$/, '') ?? 'unknown';
        const items = itemsOf(args.input as Record<string, unknown>);
        for (const listener of callListeners) listener(operation, items);
      }
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countDynamoCalls', priority: 'low' },
  );
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
