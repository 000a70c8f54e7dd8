import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { en } from 'zod/locales';
import { logger } from './http/logger.js';
import { observability } from './http/observability.js';

// The English messages of classic zod, which a refused input's error carries (see lib/app/schemas.ts).
z.config(en());

/**
 * A workflow task: validates its input, runs one step, and lets errors through by `name` so the
 * state machine's Retry and Catch can match them. Task tokens are never logged (nor is the event,
 * which carries them).
 */
export function taskHandler<S extends z.ZodMiniType, R>(name: string, schema: S, fn: (input: z.output<S>) => Promise<R>) {
  return middy<unknown, R, Error, Context>()
    .use(observability())
    .handler(async (event) => {
      const parsed = schema.safeParse(event);
      // Named as classic zod named it ("$ZodError" in zod/mini): the error name a workflow sees.
      if (!parsed.success) throw Object.assign(parsed.error, { name: 'ZodError' });
      const input = parsed.data;
      try {
        return await fn(input);
      } catch (error) {
        const e = error as Error;
        logger.warn('workflow task failed', { task: name, error: e.name, detail: e.message });
        throw error;
      }
    });
}
