import type {} from 'vitest';
import type { TestProject } from 'vitest/node';
import { startDynamoLocal } from '../../infra/local/dynamodb-local.js';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

/** One in-memory DynamoDB Local for the integration run; each test file makes its own table. */
export default async function setup(project: TestProject) {
  const { endpoint, stop } = await startDynamoLocal({});
  project.provide('dynamoEndpoint', endpoint);
  return stop;
}
