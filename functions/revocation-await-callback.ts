import * as z from 'zod/mini';
import { awaitCallback } from '../lib/app/revocation-steps.js';
import { stepDeps } from '../lib/root.js';
import { taskHandler } from '../lib/task-handler.js';

const Input = z.object({ revocationId: z.string(), waitFor: z.enum(['letter', 'review']), taskToken: z.string().check(z.minLength(1)) });

export const handler = taskHandler('revocation-await-callback', Input, (input) =>
  awaitCallback(stepDeps(), input.revocationId, input.waitFor, input.taskToken),
);
