import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createAwsClient } from './aws-client.js';

export interface DynamoClientOptions {
  region: string;
  /** Set for DynamoDB Local; unset in AWS. */
  endpoint?: string | undefined;
}

/**
 * A document client with bounded retries and timeouts on every call. Created once per process
 * (composition root) and reused across invocations.
 */
export function createDocumentClient(options: DynamoClientOptions): DynamoDBDocumentClient {
  const client = createAwsClient(DynamoDBClient, { region: options.region, endpoint: options.endpoint, requestTimeoutMs: 3_000 });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}
