import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import { parseOrThrow } from './app/parse.js';
import { logger } from './http/logger.js';
import { observability } from './http/observability.js';

/**
 * A workflow task: validates its input, runs one step, and lets errors through by `name` so the
 * state machine's Retry and Catch can match them. Task tokens are never logged (nor is the event,
 * which carries them).
 */
export function taskHandler<S extends z.ZodMiniType, R>(name: string, schema: S, fn: (input: z.output<S>) => Promise<R>) {
  return middy<unknown, R, Error, Context>()
    .use(observability())
    .handler(async (event) => {
      const input = parseOrThrow(schema, event);
      try {
        return await fn(input);
      } catch (error) {
        const e = error as Error;
        logger.warn('workflow task failed', { task: name, error: e.name, detail: e.message });
        throw error;
      }
    });
}
