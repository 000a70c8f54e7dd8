import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { taskHandler } from '../../lib/task-handler.js';

// Neither classic zod nor lib/app/schemas.ts here: either would install the English messages
// this module must install itself.

describe('taskHandler', () => {
  it('rejects an input that does not match its schema with a ZodError naming each problem in English', async () => {
    const task = taskHandler('test', z.object({ revocationId: z.string() }), async () => 'done');
    await expect(task({ revocationId: 42 }, {} as Context)).rejects.toMatchObject({
      name: 'ZodError',
      issues: [expect.objectContaining({ path: ['revocationId'], message: 'Invalid input: expected string, received number' })],
    });
  });
});
