import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { createDocumentClient } from '../../lib/adapters/dynamo-client.js';
import { ensureTable } from '../../infra/local/dynamodb-local.js';

/** A fresh, uniquely named table on the run's DynamoDB Local, created from the CDK definition. */
export async function createTestTable() {
  const endpoint = inject('dynamoEndpoint');
  const tableName = `test-${randomUUID()}`;
  await ensureTable(endpoint, tableName);
  const db = createDocumentClient({ region: 'local', endpoint });
  return { endpoint, tableName, db };
}
